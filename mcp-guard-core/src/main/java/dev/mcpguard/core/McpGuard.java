package dev.mcpguard.core;

import dev.mcpguard.api.spi.AuditSink;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.api.spi.SessionRegistry;
import dev.mcpguard.api.spi.Throttle;
import dev.mcpguard.api.ToolGuard;
import dev.mcpguard.core.audit.ArgumentSummarizer;
import dev.mcpguard.core.audit.AuditGuard;
import dev.mcpguard.core.audit.Slf4jAuditSink;
import dev.mcpguard.core.chain.GuardChain;
import dev.mcpguard.core.credentials.CredentialGuard;
import dev.mcpguard.core.guardrails.ArgumentsGuard;
import dev.mcpguard.core.guardrails.Guardrails;
import dev.mcpguard.core.guardrails.GuardrailsGuard;
import dev.mcpguard.core.guardrails.SensitiveDataConfig;
import dev.mcpguard.core.guardrails.ToolDefinitionGate;
import dev.mcpguard.core.guardrails.ToolDefinitionGuard;
import dev.mcpguard.core.guardrails.ToolNameRegistry;
import dev.mcpguard.core.guardrails.ToolPins;
import dev.mcpguard.core.http.McpGuardHttpFilter;
import dev.mcpguard.core.http.McpSessionCloser;
import dev.mcpguard.core.identity.CallerRequiredGuard;
import dev.mcpguard.core.internal.Ids;
import dev.mcpguard.core.identity.JwtIdentityResolver;
import dev.mcpguard.core.mcp.GuardedAsyncToolHandler;
import dev.mcpguard.core.mcp.GuardedSyncToolHandler;
import dev.mcpguard.core.mcp.McpSdkAdapter;
import dev.mcpguard.core.obligations.ObligationsGuard;
import dev.mcpguard.core.policy.DenyAllPolicyEngine;
import dev.mcpguard.core.policy.PolicyGuard;
import dev.mcpguard.core.policy.ToolVisibility;
import dev.mcpguard.core.policy.decisionlog.DecisionLog;
import dev.mcpguard.core.session.InMemorySessionRegistry;
import dev.mcpguard.core.session.SessionBindingGuard;
import dev.mcpguard.core.telemetry.GuardTelemetry;
import dev.mcpguard.core.throttle.ThrottleGuard;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import io.modelcontextprotocol.server.McpAsyncListFilter;
import io.modelcontextprotocol.server.McpAsyncServerExchange;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.server.McpSyncListFilter;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.server.McpTransportContextExtractor;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpStatelessServerTransport;
import io.modelcontextprotocol.spec.McpStreamableServerTransportProvider;
import jakarta.servlet.http.HttpServletRequest;
import java.net.URI;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CopyOnWriteArrayList;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The entry point of mcp-guard for a server on the MCP Java SDK: it builds the guard chain, in one place and
 * in one documented order, and hands out everything a server needs to run every tool call through it, already
 * sharing one session registry and one resource URI. The SDK integration itself lives in
 * {@code dev.mcpguard.core.mcp}.
 *
 * <p>The chain, outermost first:
 * <ol>
 *   <li>{@code audit}: records every call, allowed, denied or failed (outermost, so it sees everything);</li>
 *   <li>{@code identity}: a verified caller with an unexpired credential is required;</li>
 *   <li>{@code session}: the MCP session, if any, is live and bound to this caller;</li>
 *   <li>{@code definitions}: the tool's definition was admitted when the guard wrapped it (pinned when
 *       {@link Builder#toolPins} are set, not poisoned, no conflicting name); otherwise the reason it was refused
 *       ({@code tool_not_pinned}, {@code tool_definition_changed}, ...);</li>
 *   <li>{@code arguments}, when enabled ({@link Builder#validateArguments()}): the arguments match the tool's
 *       input schema;</li>
 *   <li>{@code guardrails}, when configured ({@link Builder#guardrails}): the arguments are scanned for prompt
 *       injection, personal data and secrets and the findings go into the policy input; on the way out the
 *       result is scanned too, and policy decides again on what was found (withhold, mask, mark);</li>
 *   <li>{@code policy}: the policy engine allows this caller to call this tool with these arguments;</li>
 *   <li>{@code obligations}: every obligation on the policy's allow is one a control of this chain enforces
 *       (otherwise {@code unsupported_obligation}); on the way out, the result's {@code redact_fields} are
 *       redacted;</li>
 *   <li>{@code throttle}: the caller, tenant and tool are within their rate and concurrency limits;</li>
 *   <li>{@code credentials}, when configured: which downstream credentials the handler may use;</li>
 *   <li>then the guards added with {@link Builder#addGuard}, in the order added; then the tool handler.</li>
 * </ol>
 * A denied call never runs the handler: the client receives a {@code CallToolResult} with {@code isError=true}
 * and {@code structuredContent} holding {@code error}, {@code reason}, {@code decision_id} (and
 * {@code retry_after_seconds}). An exception in the handler is logged with the call id, audited, and returned as a
 * generic error result. {@code McpGuardChainOrderTest} proves this order by behaviour.
 *
 * <p>A handler that needs to know who called is registered with one of the {@code guard...WithContext} methods
 * and receives the call's {@link dev.mcpguard.api.GuardContext} (caller, call id, granted credentials); this is
 * the one typed way for sync and async, stateful and stateless handlers alike.
 *
 * <pre>{@code
 * McpGuard guard = McpGuard.builder().serverName("orders")
 *         .resource(URI.create("https://orders.example.com/mcp")).policyEngine(policy).build();
 * var transport = HttpServletStreamableServerTransportProvider.builder()
 *         .contextExtractor(guard.contextExtractor()).build();
 * McpSyncServer server = guard.syncServer(transport).tools(guard.guardSyncTools(tools)).build();
 * Filter filter = guard.httpFilter().identityResolver(apiKeys).build();   // in front of the transport servlet
 * }</pre>
 *
 * <p>Thread-safe and immutable once built; share one instance per MCP server; {@link #close()} it when the
 * server stops.
 */
public final class McpGuard implements AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(McpGuard.class);

    private final String serverName;
    private final GuardChain chain;
    private final SessionRegistry sessionRegistry;
    private final Optional<URI> resource;
    private final String mcpEndpoint;
    private final Clock clock;
    private final boolean validatesArguments;
    private final McpSdkAdapter sdk;
    private final PolicyEngine policyEngine;
    private final AuditSink auditSink;
    private final List<McpSessionCloser> closers = new CopyOnWriteArrayList<>();

    private McpGuard(Builder builder, AuditSink sink) {
        this.serverName = builder.serverName;
        this.clock = builder.clock;
        this.resource = Optional.ofNullable(builder.resource);
        this.mcpEndpoint = builder.mcpEndpoint;
        this.validatesArguments = builder.argumentValidator != null;
        this.sessionRegistry = builder.sessionRegistry != null ? builder.sessionRegistry : InMemorySessionRegistry.ofDefaults();
        PolicyEngine engine = builder.policyEngine != null ? builder.policyEngine : new DenyAllPolicyEngine();
        this.policyEngine = engine;
        this.auditSink = sink; // the configured sink, for health checks; the chain may write through a bridge
        if (builder.policyEngine == null) {
            log.warn("mcp-guard for server '{}' has no policy engine: every tool call will be denied "
                    + "with reason no_policy_configured", serverName);
        }
        ArgumentSummarizer summarizer = builder.argumentSummarizer != null
                ? builder.argumentSummarizer : ArgumentSummarizer.withRandomKey();
        // Loaded only when configured: the OpenTelemetry API is optional.
        GuardTelemetry telemetry = builder.openTelemetry == null ? null
                : GuardTelemetry.create(builder.openTelemetry, serverName, builder.openTelemetryEndUserId);
        if (telemetry != null) {
            sink = telemetry.auditLogs(sink);
        }

        // The one place the chain is assembled; the class javadoc states the order.
        List<GuardChain.Step> steps = new ArrayList<>();
        // Raw argument values are masked for personal data and secrets, guardrails configured or not.
        steps.add(new GuardChain.Step("audit", new AuditGuard(sink, summarizer,
                SensitiveDataConfig.ofDefaults().masker(clock), clock)));
        steps.add(new GuardChain.Step("identity", new CallerRequiredGuard(clock)));
        steps.add(new GuardChain.Step("session", new SessionBindingGuard(sessionRegistry)));
        steps.add(new GuardChain.Step("definitions", new ToolDefinitionGuard(clock)));
        if (validatesArguments) {
            steps.add(new GuardChain.Step("arguments", new ArgumentsGuard()));
        }
        PolicyGuard policyStep = new PolicyGuard(
                builder.decisionLog == null ? engine : builder.decisionLog.decorate(engine), clock);
        Set<String> obligationKeys = enforcedObligations(builder);
        if (builder.guardrails != null) {
            // A result-phase allow may repeat the request's obligations: each was enforced on the way in.
            Set<String> resultPhaseKeys = new TreeSet<>(obligationKeys);
            resultPhaseKeys.addAll(ObligationsGuard.OWN_KEYS);
            steps.add(new GuardChain.Step("guardrails", new GuardrailsGuard(builder.guardrails, policyStep::decideResult,
                    McpSdkAdapter.toolResultAccess(), resultPhaseKeys, clock)));
        }
        steps.add(new GuardChain.Step("policy", policyStep));
        steps.add(new GuardChain.Step("obligations", new ObligationsGuard(obligationKeys, clock,
                McpSdkAdapter.toolResultAccess())));
        steps.add(new GuardChain.Step("throttle", new ThrottleGuard(builder.throttle, clock)));
        if (builder.credentialGuard != null) {
            steps.add(new GuardChain.Step("credentials", builder.credentialGuard));
        }
        steps.addAll(builder.extraSteps);
        if (telemetry != null) {
            // Outermost, so the request span covers the audit write; the tool span innermost, around the handler.
            List<GuardChain.Step> traced = new ArrayList<>();
            traced.add(new GuardChain.Step(GuardTelemetry.REQUEST_STEP, telemetry.requestSpans()));
            steps.forEach(step -> traced.add(new GuardChain.Step(step.name(),
                    telemetry.stepEvents(step.name(), step.guard()))));
            traced.add(new GuardChain.Step(GuardTelemetry.TOOL_STEP, telemetry.toolSpans()));
            steps = traced;
        }
        this.chain = new GuardChain(steps, clock);
        this.sdk = McpSdkAdapter.create(chain, new ToolVisibility(engine, serverName, clock), sink, serverName, clock,
                builder.argumentValidator, builder.unknownToolsPerCaller, builder.unknownToolsPerWindow,
                builder.unknownToolWindow, new ToolDefinitionGate(serverName, builder.toolPins,
                builder.toolPoisoning != null ? builder.toolPoisoning
                        : builder.toolPins != null ? ToolPins.Mode.ENFORCE : ToolPins.Mode.WARN,
                builder.toolNames != null ? builder.toolNames : ToolNameRegistry.create()));
        if (telemetry != null) {
            sdk.observeUnknownTools(telemetry.unknownTools());
        }
    }

    /** Every obligation key some control of this chain enforces; the obligations step denies any other. */
    private static Set<String> enforcedObligations(Builder builder) {
        Set<String> keys = new TreeSet<>(builder.enforcedObligations);
        keys.add(CredentialGuard.OBLIGATION); // a grant: without the credentials step nothing is granted
        keys.addAll(Objects.requireNonNull(builder.throttle.enforcedObligations(), "throttle.enforcedObligations()"));
        if (builder.guardrails != null) {
            keys.addAll(GuardrailsGuard.OWN_KEYS);
        }
        return keys;
    }

    /** Starts a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** The server name recorded in every audit record and policy input. */
    public String serverName() {
        return serverName;
    }

    /** The guard names in the order a call passes them, outermost first. */
    public List<String> chainOrder() {
        return chain.order();
    }

    /** The session registry the chain consults; {@link #httpFilter()} shares it with the filter. */
    public SessionRegistry sessionRegistry() {
        return sessionRegistry;
    }

    /**
     * The policy engine the chain and the {@code tools/list} filter consult (a {@link DenyAllPolicyEngine} when
     * none was set), for operations: health checks and metrics read its state. Never null.
     */
    public PolicyEngine policyEngine() {
        return policyEngine;
    }

    /** The audit sink every call is recorded to (the default SLF4J sink when none was set), for health checks. */
    public AuditSink auditSink() {
        return auditSink;
    }

    // ---------------------------------------------------------------- one wiring path

    /**
     * The HTTP filter's builder, already sharing this guard's session registry, resource URI, MCP endpoint and
     * clock; add the identity resolver (and an authorization server when clients use OAuth) and build it.
     */
    public McpGuardHttpFilter.Builder httpFilter() {
        McpGuardHttpFilter.Builder filter = McpGuardHttpFilter.builder()
                .sessionRegistry(sessionRegistry).mcpPath(mcpEndpoint).clock(clock);
        return filter.resource(resource.orElseThrow(() -> new IllegalStateException(
                "httpFilter() needs the server's resource URI: set McpGuard.builder().resource(URI)")));
    }

    /**
     * A JWT resolver's builder whose required audience is this server's resource URI; add the issuer (its keys are
     * found through its metadata unless {@code jwksUrl} or {@code jwkSet} is set).
     */
    public JwtIdentityResolver.Builder jwtIdentityResolver() {
        return JwtIdentityResolver.builder().audience(resource.orElseThrow(() -> new IllegalStateException(
                "jwtIdentityResolver() needs the server's resource URI: set McpGuard.builder().resource(URI)"))
                .toString());
    }

    /** The extractor the servlet transport must use, so the caller the HTTP filter verified reaches the chain. */
    public McpTransportContextExtractor<HttpServletRequest> contextExtractor() {
        return McpSdkAdapter.contextExtractor();
    }

    /**
     * {@code McpServer.sync} over the guarded {@code transport}, with the {@code tools/list} filter and, when
     * the chain validates arguments, the SDK's own (unaudited) check off; the SDK's state for a session is
     * freed when the registry ends the session. Register {@code transport} itself as the servlet.
     *
     * <p>It also sets the SDK's {@code immediateExecution(true)}, as Spring AI does for servlet servers: tool
     * handlers and the {@code tools/list} filter run on the servlet request thread, where otherwise the SDK hops to
     * its bounded-elastic pool for every call and, when filtering {@code tools/list}, for every listed tool (about
     * 10 µs each: 28 ms instead of 1.3 ms for 1,000 tools in {@code ToolListBenchmark}). Call
     * {@code immediateExecution(false)} on the returned builder to keep the SDK's default.
     */
    public McpServer.SyncSpecification<?> syncServer(HttpServletStreamableServerTransportProvider transport) {
        return configure(McpServer.sync(guardTransport(transport))).immediateExecution(true);
    }

    /** As {@link #syncServer} for an async server. */
    public McpServer.AsyncSpecification<?> asyncServer(HttpServletStreamableServerTransportProvider transport) {
        return configure(McpServer.async(guardTransport(transport)));
    }

    /**
     * Adds the {@code tools/list} filter to a server builder made elsewhere (a framework's) and, when the chain
     * validates arguments, turns the SDK's own unaudited check off: what {@link #syncServer} does besides the
     * transport. Returns {@code spec}.
     */
    public McpServer.SyncSpecification<?> configure(McpServer.SyncSpecification<?> spec) {
        return spec.validateToolInputs(!validatesArguments).addToolFilter(toolFilter());
    }

    /** As {@link #configure(McpServer.SyncSpecification)} for an async server builder. */
    public McpServer.AsyncSpecification<?> configure(McpServer.AsyncSpecification<?> spec) {
        return spec.validateToolInputs(!validatesArguments).addToolFilter(asyncToolFilter());
    }

    /** Whether the tool specification (any of the SDK's four kinds) already passes through an mcp-guard chain. */
    public static boolean isGuarded(Object toolSpecification) {
        return McpSdkAdapter.isGuarded(toolSpecification);
    }

    /**
     * Wraps a servlet transport as {@link #guardTransport(McpStreamableServerTransportProvider)} does and frees
     * the SDK's state of each session the registry ends (an {@link McpSessionCloser}, closed by {@link #close()}).
     */
    public McpStreamableServerTransportProvider guardTransport(HttpServletStreamableServerTransportProvider transport) {
        McpSessionCloser closer = McpSessionCloser.forTransport(transport, mcpEndpoint);
        sessionRegistry.addEndListener(closer);
        closers.add(closer);
        return sdk.guardTransport((McpStreamableServerTransportProvider) transport);
    }

    /**
     * Wraps the server's Streamable HTTP transport: audits {@code tools/call} requests for tools the server does
     * not have (reason {@code unknown_tool}, sampled per principal), escapes the client-chosen strings of
     * {@code initialize} the SDK logs, and drops notifications the SDK has no handler for.
     */
    public McpStreamableServerTransportProvider guardTransport(McpStreamableServerTransportProvider transport) {
        return sdk.guardTransport(transport);
    }

    /** The same for a stateless server's transport. */
    public McpStatelessServerTransport guardTransport(McpStatelessServerTransport transport) {
        return sdk.guardTransport(transport);
    }

    /** Stops the session closers {@link #guardTransport(HttpServletStreamableServerTransportProvider)} started. */
    @Override
    public void close() {
        closers.forEach(McpSessionCloser::close);
    }

    // ---------------------------------------------------------------- tools

    /** Wraps a synchronous tool of a stateful server. */
    public McpServerFeatures.SyncToolSpecification guard(McpServerFeatures.SyncToolSpecification spec) {
        return sdk.guard(spec);
    }

    /** Wraps an asynchronous tool of a stateful server. */
    public McpServerFeatures.AsyncToolSpecification guard(McpServerFeatures.AsyncToolSpecification spec) {
        return sdk.guard(spec);
    }

    /** Wraps a synchronous tool of a stateless server. */
    public McpStatelessServerFeatures.SyncToolSpecification guard(McpStatelessServerFeatures.SyncToolSpecification spec) {
        return sdk.guard(spec);
    }

    /** Wraps an asynchronous tool of a stateless server. */
    public McpStatelessServerFeatures.AsyncToolSpecification guard(McpStatelessServerFeatures.AsyncToolSpecification spec) {
        return sdk.guard(spec);
    }

    /** Wraps every synchronous tool of a stateful server. */
    public List<McpServerFeatures.SyncToolSpecification> guardSyncTools(List<McpServerFeatures.SyncToolSpecification> specs) {
        return specs.stream().map(sdk::guard).toList();
    }

    /** Wraps every synchronous tool of a stateless server. */
    public List<McpStatelessServerFeatures.SyncToolSpecification> guardStatelessSyncTools(
            List<McpStatelessServerFeatures.SyncToolSpecification> specs) {
        return specs.stream().map(sdk::guard).toList();
    }

    /**
     * A guarded synchronous tool of a stateful server whose handler receives the call's
     * {@link dev.mcpguard.api.GuardContext}: {@code (exchange, request, context) -> ... context.caller() ...}.
     */
    public McpServerFeatures.SyncToolSpecification guardWithContext(
            McpSchema.Tool tool, GuardedSyncToolHandler<McpSyncServerExchange> handler) {
        return sdk.guardWithContext(tool, handler);
    }

    /** As {@link #guardWithContext}, for an asynchronous tool of a stateful server. */
    public McpServerFeatures.AsyncToolSpecification guardAsyncWithContext(
            McpSchema.Tool tool, GuardedAsyncToolHandler<McpAsyncServerExchange> handler) {
        return sdk.guardAsyncWithContext(tool, handler);
    }

    /** As {@link #guardWithContext}, for a synchronous tool of a stateless server. */
    public McpStatelessServerFeatures.SyncToolSpecification guardStatelessWithContext(
            McpSchema.Tool tool, GuardedSyncToolHandler<McpTransportContext> handler) {
        return sdk.guardStatelessWithContext(tool, handler);
    }

    /** As {@link #guardWithContext}, for an asynchronous tool of a stateless server. */
    public McpStatelessServerFeatures.AsyncToolSpecification guardStatelessAsyncWithContext(
            McpSchema.Tool tool, GuardedAsyncToolHandler<McpTransportContext> handler) {
        return sdk.guardStatelessAsyncWithContext(tool, handler);
    }

    /**
     * Removes tool {@code name} from {@code server} and forgets it here ({@link #forgetTool}): the way to remove a
     * guarded tool, so that its name is free again and a tool added later under it is checked as a new one.
     */
    public void removeTool(McpSyncServer server, String name) {
        Objects.requireNonNull(server, "server").removeTool(Objects.requireNonNull(name, "name"));
        forgetTool(name);
    }

    /**
     * Tells the guard that its server no longer has tool {@code name} (after {@code removeTool(name)} on an async or
     * stateless server; {@link #removeTool} does both for a sync one): the name is freed in the tool name registry,
     * and a tool added later under it is checked (pins, poisoning, name) as a new one. Without it, the name stays
     * taken and a changed tool re-added under it is refused ({@code tool_name_conflict}).
     */
    public void forgetTool(String name) {
        sdk.forgetTool(name);
    }

    /** A {@code tools/list} filter: a caller sees only the tools policy lets them call (operation {@code LIST}). */
    public McpSyncListFilter<McpSchema.Tool> toolFilter() {
        return sdk.toolFilter();
    }

    /** The same filter for async servers; policy is consulted off the event loop. */
    public McpAsyncListFilter<McpSchema.Tool> asyncToolFilter() {
        return sdk.asyncToolFilter();
    }

    /**
     * Configures an {@link McpGuard}. Not thread-safe; build once. Setters reject nulls; {@link #build()}
     * rejects a missing server name.
     */
    public static final class Builder {
        private String serverName;
        private PolicyEngine policyEngine;
        private DecisionLog decisionLog;
        private AuditSink auditSink;
        private ArgumentSummarizer argumentSummarizer;
        private SessionRegistry sessionRegistry;
        private Throttle throttle = call -> new Throttle.ThrottleResult.Acquired(Throttle.Permit.NONE);
        private Clock clock = Clock.systemUTC();
        private JsonSchemaValidator argumentValidator;
        private CredentialGuard credentialGuard;
        private ToolPins toolPins;
        private Guardrails guardrails;
        private ToolPins.Mode toolPoisoning;
        private ToolNameRegistry toolNames;
        private int unknownToolsPerCaller;
        private int unknownToolsPerWindow;
        private Duration unknownToolWindow;
        private URI resource;
        private String mcpEndpoint = "/mcp";
        private Logger defaultAuditLogger = LoggerFactory.getLogger(Slf4jAuditSink.LOGGER_NAME);
        private final List<GuardChain.Step> extraSteps = new ArrayList<>();
        private final Set<String> enforcedObligations = new TreeSet<>();
        /** An {@code io.opentelemetry.api.OpenTelemetry}, held as Object: this class must load without the API. */
        private Object openTelemetry;
        private boolean openTelemetryEndUserId;

        private Builder() {
        }

        /** The MCP server's name, as policy and audit records see it. Required. */
        public Builder serverName(String serverName) {
            Objects.requireNonNull(serverName, "serverName");
            if (serverName.isBlank()) {
                throw new IllegalArgumentException("serverName must not be blank");
            }
            this.serverName = serverName;
            return this;
        }

        /**
         * OPA decision logs of the policy step: each decision of the request phase and of the result phase that the
         * policy engine evaluated (or its decision cache answered) becomes one event in OPA's decision-log format,
         * under the same decision id as the audit record ({@code docs/policy.md}, "Decision logs"). Writing never
         * delays or fails a call; close the decision log yourself at shutdown. Default none.
         */
        public Builder decisionLog(DecisionLog decisionLog) {
            this.decisionLog = Objects.requireNonNull(decisionLog, "decisionLog");
            return this;
        }

        /** The policy engine; default {@link DenyAllPolicyEngine} (every call denied, fail closed). */
        public Builder policyEngine(PolicyEngine policyEngine) {
            this.policyEngine = Objects.requireNonNull(policyEngine, "policyEngine");
            return this;
        }

        /** Where audit records go; default {@link Slf4jAuditSink} (logger {@code mcp-guard.audit}). */
        public Builder auditSink(AuditSink auditSink) {
            this.auditSink = Objects.requireNonNull(auditSink, "auditSink");
            return this;
        }

        /** How arguments are summarized in audit records; default keyed hashes under a random per-process key. */
        public Builder argumentSummarizer(ArgumentSummarizer argumentSummarizer) {
            this.argumentSummarizer = Objects.requireNonNull(argumentSummarizer, "argumentSummarizer");
            return this;
        }

        /** The registry of session bindings, shared with the HTTP filter; default in-memory. */
        public Builder sessionRegistry(SessionRegistry sessionRegistry) {
            this.sessionRegistry = Objects.requireNonNull(sessionRegistry, "sessionRegistry");
            return this;
        }

        /**
         * Rate and concurrency limits, checked right after policy (for example a
         * {@code dev.mcpguard.core.throttle.TokenBucketThrottle}); default: no limits.
         */
        public Builder throttle(Throttle throttle) {
            this.throttle = Objects.requireNonNull(throttle, "throttle");
            return this;
        }

        /**
         * Validates every call's arguments against the tool's input schema inside the chain (step
         * {@code arguments}, after {@code session}, before {@code policy}), so a malformed call is denied with
         * {@code invalid_arguments} and audited, and policy only sees schema-valid arguments. The SDK's own check
         * runs before the chain, unaudited: {@link McpGuard#syncServer} and {@link McpGuard#asyncServer} turn it
         * off; a server built with {@code McpServer} directly needs {@code validateToolInputs(false)}. Uses the
         * SDK's default validator ({@code McpJsonDefaults}).
         */
        public Builder validateArguments() {
            return validateArguments(McpJsonDefaults.getSchemaValidator());
        }

        /** Like {@link #validateArguments()} with a validator of your choice. */
        public Builder validateArguments(JsonSchemaValidator validator) {
            this.argumentValidator = Objects.requireNonNull(validator, "validator");
            return this;
        }

        /**
         * Runs these guardrail detectors over each request's arguments and each handler's result, and hands what
         * they find to policy ({@code input.guardrails}; see {@link GuardrailsGuard} and {@code docs/guardrails.md}).
         * Without it the {@code guardrails} step is not in the chain.
         */
        public Builder guardrails(Guardrails guardrails) {
            this.guardrails = Objects.requireNonNull(guardrails, "guardrails");
            return this;
        }

        /**
         * Admits only the tool definitions pinned for this server in a pin file ({@code mcp-guard-tools.lock.json},
         * written and updated with {@code dev.mcpguard.core.mcp.ToolPinsCommand}): when a tool is wrapped, at
         * start-up or added at runtime, its canonical definition hash must equal its pin. In
         * {@link ToolPins.Mode#ENFORCE} an unpinned or changed tool is refused (not listed; its calls denied with
         * {@code tool_not_pinned} or {@code tool_definition_changed}, audited with the hash); in
         * {@link ToolPins.Mode#WARN} it is listed and callable, logged and audited as drift. Default: no pins.
         */
        public Builder toolPins(ToolPins toolPins) {
            this.toolPins = Objects.requireNonNull(toolPins, "toolPins");
            return this;
        }

        /**
         * What a tool definition gets when the poisoning scan flags it (hidden instructions such as
         * {@code <IMPORTANT>}, "do not tell the user", references to {@code ~/.ssh} or {@code mcp.json}, invisible
         * characters; over the description, title and every string of the schemas; see
         * {@code docs/guardrails.md}): {@link ToolPins.Mode#ENFORCE} refuses it like an unpinned tool
         * ({@code tool_definition_poisoned}), {@link ToolPins.Mode#WARN} logs it and audits its calls. Default:
         * ENFORCE when {@link #toolPins} are set (definitions are under review), WARN otherwise.
         */
        public Builder toolPoisoning(ToolPins.Mode mode) {
            this.toolPoisoning = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /**
         * Where this guard registers its tools' names, so that no two tools carry the same or a confusable name
         * (equal, equal but for case or the separators {@code _ - . space}, of the same Unicode TR39 skeleton; a
         * non-ASCII mixed-script name is refused on its own): the first registered keeps its name, a later one is
         * refused with {@code tool_name_conflict} (not listed, not callable, audited). Pass one registry to the
         * guards of several servers of this process to check across them. Default: a registry of this guard's own
         * (conflicts within its server). Always enforced.
         */
        public Builder toolNames(ToolNameRegistry toolNames) {
            this.toolNames = Objects.requireNonNull(toolNames, "toolNames");
            return this;
        }

        /** The clock for timestamps, ids and expiry checks; default UTC system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * The credentials step, placed after policy: which downstream credentials each call's handler may use
         * (see {@link McpGuard#guardWithContext}). Without it, handlers are granted no credentials.
         */
        public Builder credentials(CredentialGuard credentialGuard) {
            this.credentialGuard = Objects.requireNonNull(credentialGuard, "credentialGuard");
            return this;
        }

        /**
         * Adds a guard of your own after the built-in controls (so it only sees authenticated, policy-allowed
         * calls), before the handler. Guards added later run further inside.
         */
        public Builder addGuard(String name, ToolGuard guard) {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(guard, "guard");
            if (List.of("audit", "identity", "session", "definitions", "arguments", "guardrails", "policy", "obligations", "throttle",
                    "credentials", GuardTelemetry.REQUEST_STEP, GuardTelemetry.TOOL_STEP).contains(name)
                    || extraSteps.stream().anyMatch(s -> s.name().equals(name))) {
                throw new IllegalArgumentException("a guard named '" + name + "' is already in the chain");
            }
            extraSteps.add(new GuardChain.Step(name, guard));
            return this;
        }

        /**
         * How many calls to unknown tools (seen by {@link McpGuard#guardTransport}) are audited one by one per
         * {@code window}: at most {@code perCaller} per principal and {@code perWindow} in all; the rest are
         * counted in one summary record per principal when the window ends. Default 10 and 1,000 per minute.
         */
        public Builder unknownToolAudit(int perCaller, int perWindow, Duration window) {
            McpSdkAdapter.validateUnknownToolLimits(perCaller, perWindow, window);
            this.unknownToolsPerCaller = perCaller;
            this.unknownToolsPerWindow = perWindow;
            this.unknownToolWindow = window;
            return this;
        }

        /**
         * Declares a policy obligation key that one of your own guards ({@link #addGuard}) enforces. The chain
         * denies a call whose policy allow carries an obligation no control enforces
         * ({@code unsupported_obligation}); declare yours here so calls carrying it pass to your guard.
         */
        public Builder enforcedObligation(String key) {
            Objects.requireNonNull(key, "key");
            if (!key.matches("[a-z][a-z0-9_]{0,63}")) {
                throw new IllegalArgumentException("an obligation key must match [a-z][a-z0-9_]{0,63}, got '"
                        + (key.length() > 64 ? key.substring(0, 64) + "…" : key) + "'");
            }
            enforcedObligations.add(key);
            return this;
        }

        /**
         * This server's resource URI (for example {@code https://orders.example.com/mcp}): the resource the HTTP
         * filter advertises (RFC 9728) and the audience {@link McpGuard#jwtIdentityResolver()} requires. Its
         * path is the MCP endpoint unless {@link #mcpEndpoint} says otherwise. Required for
         * {@link McpGuard#httpFilter()}.
         */
        public Builder resource(URI resource) {
            Objects.requireNonNull(resource, "resource");
            if (!resource.isAbsolute() || resource.getRawFragment() != null) {
                throw new IllegalArgumentException("resource must be an absolute URI without fragment, got '"
                        + resource + "'");
            }
            this.resource = resource;
            String path = resource.getPath();
            if (path != null && path.length() > 1) {
                this.mcpEndpoint = path.endsWith("/") ? path.substring(0, path.length() - 1) : path;
            }
            return this;
        }

        /** The servlet path of the MCP endpoint; default {@code /mcp}, or the path of {@link #resource}. */
        public Builder mcpEndpoint(String path) {
            Objects.requireNonNull(path, "path");
            if (!path.startsWith("/") || path.length() < 2) {
                throw new IllegalArgumentException("mcpEndpoint must start with '/' and name a path, got '" + path + "'");
            }
            this.mcpEndpoint = path;
            return this;
        }

        /**
         * Traces, measures and logs every guarded request through {@code openTelemetry} (the application's, for
         * example {@code GlobalOpenTelemetry.get()} or an {@code OpenTelemetrySdk}; mcp-guard brings only the
         * optional {@code io.opentelemetry:opentelemetry-api}): a SERVER span per request named
         * {@code {mcp.method.name} {target}} ({@code tools/call get_order}), the child of the client's span when
         * the request's {@code params._meta} (or the HTTP request) carries a W3C {@code traceparent}; a
         * {@code mcp_guard.step} event per guard step; an {@code execute_tool {tool}} span around each tool handler;
         * the metrics {@code mcp_guard.decisions}, {@code mcp.server.operation.duration} and
         * {@code mcp_guard.step.duration}; and each audit record the sink accepted as a log record
         * ({@code mcp_guard.audit}) joined to its span. No argument value, result, token or (unless
         * {@link #openTelemetryEndUserId}) subject is emitted. Telemetry never decides or fails a call; the audit
         * sink stays the system of record. Without it, no OpenTelemetry class is loaded. See
         * {@code docs/telemetry.md}.
         */
        public Builder openTelemetry(io.opentelemetry.api.OpenTelemetry openTelemetry) {
            this.openTelemetry = Objects.requireNonNull(openTelemetry, "openTelemetry");
            return this;
        }

        /**
         * Whether request spans carry the caller's subject as {@code enduser.id}; default false: the subject is
         * personal data, and a trace backend is rarely held to the audit trail's access rules.
         */
        public Builder openTelemetryEndUserId(boolean record) {
            this.openTelemetryEndUserId = record;
            return this;
        }

        /** For tests: the logger the default audit sink would write to. */
        Builder defaultAuditLogger(Logger logger) {
            this.defaultAuditLogger = Objects.requireNonNull(logger, "logger");
            return this;
        }

        /**
         * Builds the guard. Fails if the server name is missing, or if no {@link #auditSink} is set and the
         * default one (SLF4J logger {@value Slf4jAuditSink#LOGGER_NAME} at INFO) would record nothing: every
         * call would then be denied with {@code audit_unavailable}.
         */
        public McpGuard build() {
            if (serverName == null) {
                throw new IllegalStateException("serverName is required");
            }
            if (auditSink == null && !defaultAuditLogger.isInfoEnabled()) {
                throw new IllegalStateException("no audit sink is set and the default one, SLF4J logger '"
                        + Slf4jAuditSink.LOGGER_NAME + "', does not record at INFO (no SLF4J provider on the class "
                        + "path, or the logger is turned off), so every call would be denied with "
                        + "audit_unavailable. Add an SLF4J 2 provider such as ch.qos.logback:logback-classic or "
                        + "org.slf4j:slf4j-simple with INFO enabled for that logger, or set "
                        + "auditSink(JsonlFileAuditSink.builder(path).build())");
            }
            return new McpGuard(this, auditSink != null ? auditSink : new Slf4jAuditSink());
        }
    }
}
