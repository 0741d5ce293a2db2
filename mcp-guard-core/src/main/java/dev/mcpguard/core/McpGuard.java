package dev.mcpguard.core;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.GuardContext;
import dev.mcpguard.api.GuardKeys;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.ToolGuard;
import dev.mcpguard.api.ToolOutcome;
import dev.mcpguard.api.spi.AuditSink;
import dev.mcpguard.api.spi.CredentialProvider.CredentialUnavailableException;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.api.spi.SessionRegistry;
import dev.mcpguard.api.spi.Throttle;
import dev.mcpguard.core.audit.ArgumentSummarizer;
import dev.mcpguard.core.audit.AuditGuard;
import dev.mcpguard.core.audit.Slf4jAuditSink;
import dev.mcpguard.core.chain.GuardChain;
import dev.mcpguard.core.credentials.CallCredentials;
import dev.mcpguard.core.credentials.CredentialGuard;
import dev.mcpguard.core.guardrails.ArgumentsGuard;
import dev.mcpguard.core.http.GuardRequestAttributes;
import dev.mcpguard.core.identity.CallerRequiredGuard;
import dev.mcpguard.core.internal.ClientText;
import dev.mcpguard.core.internal.Ids;
import dev.mcpguard.core.obligations.ObligationsGuard;
import dev.mcpguard.core.policy.DenyAllPolicyEngine;
import dev.mcpguard.core.policy.PolicyGuard;
import dev.mcpguard.core.policy.ToolVisibility;
import dev.mcpguard.core.session.InMemorySessionRegistry;
import dev.mcpguard.core.session.SessionBindingGuard;
import dev.mcpguard.core.throttle.ThrottleGuard;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import io.modelcontextprotocol.server.McpAsyncListFilter;
import io.modelcontextprotocol.server.McpAsyncServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpStatelessAsyncServer;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.server.McpStatelessSyncServer;
import io.modelcontextprotocol.server.McpSyncListFilter;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpStatelessServerTransport;
import io.modelcontextprotocol.spec.McpStreamableServerTransportProvider;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.function.BiFunction;
import java.util.function.Supplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * The entry point of mcp-guard for a server on the MCP Java SDK: it builds the guard chain, in one place and
 * in one documented order, and wraps the server's tool specifications so that every tool call passes through it.
 *
 * <p>The chain, outermost first:
 * <ol>
 *   <li>{@code audit}: records every call, allowed, denied or failed (outermost, so it sees everything);</li>
 *   <li>{@code identity}: a verified caller with an unexpired credential is required;</li>
 *   <li>{@code session}: the MCP session, if any, is live and bound to this caller;</li>
 *   <li>{@code arguments}, when enabled ({@link Builder#validateArguments()}): the arguments match the tool's
 *       input schema;</li>
 *   <li>{@code policy}: the policy engine allows this caller to call this tool with these arguments;</li>
 *   <li>{@code obligations}: every obligation on the policy's allow is one a control of this chain enforces
 *       (otherwise {@code unsupported_obligation}); on the way out, the result's {@code redact_fields} are
 *       redacted, so nothing the later steps or the handler return leaves unredacted;</li>
 *   <li>{@code throttle}: the caller, tenant and tool are within their rate and concurrency limits;</li>
 *   <li>{@code credentials}, when configured: which downstream credentials the handler may use
 *       ({@link Builder#credentials});</li>
 *   <li>then the guards added with {@link Builder#addGuard}, in the order added;</li>
 *   <li>then the team's own tool handler.</li>
 * </ol>
 * A denied call never runs the handler: the client receives a {@link CallToolResult} with {@code isError=true},
 * a short message and {@code structuredContent} holding {@code error}, {@code reason} and {@code decision_id}
 * (plus {@code retry_after_seconds} when the denial says when to retry).
 * An exception in the handler is logged with the call id, audited, and returned as a generic error result.
 *
 * <pre>{@code
 * McpGuard guard = McpGuard.builder()
 *         .serverName("orders")
 *         .policyEngine(policyEngine)
 *         .auditSink(JsonlFileAuditSink.builder(Path.of("audit.jsonl")).build())
 *         .build();
 *
 * McpServer.sync(transport)
 *         .tools(guard.guardSyncTools(myTools))       // every call checked
 *         .addToolFilter(guard.toolFilter())           // tools/list shows only permitted tools
 *         .build();
 * }</pre>
 *
 * <p>Thread-safe and immutable once built; share one instance per MCP server.
 */
public final class McpGuard {

    private static final Logger log = LoggerFactory.getLogger(McpGuard.class);
    static final int MAX_CREDENTIAL_MESSAGE_LENGTH = 200;
    private static final String CREDENTIAL_UNAVAILABLE_MESSAGE = "The credential is unavailable.";

    private final String serverName;
    private final GuardChain chain;
    private final ToolVisibility visibility;
    private final SessionRegistry sessionRegistry;
    private final Clock clock;
    private final JsonSchemaValidator argumentValidator;
    private final UnknownToolAudit unknownTools;

    private McpGuard(Builder builder) {
        this.serverName = builder.serverName;
        this.clock = builder.clock;
        this.argumentValidator = builder.argumentValidator;
        this.sessionRegistry = builder.sessionRegistry != null ? builder.sessionRegistry : InMemorySessionRegistry.ofDefaults();
        PolicyEngine engine = builder.policyEngine != null ? builder.policyEngine : new DenyAllPolicyEngine();
        if (builder.policyEngine == null) {
            log.warn("mcp-guard for server '{}' has no policy engine: every tool call will be denied "
                    + "with reason no_policy_configured", serverName);
        }
        AuditSink sink = builder.auditSink != null ? builder.auditSink : new Slf4jAuditSink();
        ArgumentSummarizer summarizer = builder.argumentSummarizer != null
                ? builder.argumentSummarizer : ArgumentSummarizer.withRandomKey();

        // The one place the chain is assembled. Order matters and is asserted by McpGuardChainOrderTest.
        List<GuardChain.Step> steps = new ArrayList<>();
        steps.add(new GuardChain.Step("audit", new AuditGuard(sink, summarizer, clock)));
        steps.add(new GuardChain.Step("identity", new CallerRequiredGuard(clock)));
        steps.add(new GuardChain.Step("session", new SessionBindingGuard(sessionRegistry)));
        if (argumentValidator != null) {
            steps.add(new GuardChain.Step("arguments", new ArgumentsGuard()));
        }
        steps.add(new GuardChain.Step("policy", new PolicyGuard(engine, clock)));
        steps.add(new GuardChain.Step("obligations", new ObligationsGuard(enforcedObligations(builder), clock)));
        steps.add(new GuardChain.Step("throttle", new ThrottleGuard(builder.throttle, clock)));
        if (builder.credentialGuard != null) {
            steps.add(new GuardChain.Step("credentials", builder.credentialGuard));
        }
        steps.addAll(builder.extraSteps);
        this.chain = new GuardChain(steps, clock);
        this.visibility = new ToolVisibility(engine, serverName, clock);
        this.unknownTools = new UnknownToolAudit(sink, serverName, clock, builder.unknownToolLimits);
    }

    /** Every obligation key some control of this chain enforces; the obligations step denies any other. */
    private static Set<String> enforcedObligations(Builder builder) {
        Set<String> keys = new TreeSet<>(builder.enforcedObligations);
        keys.add(CredentialGuard.OBLIGATION); // a grant: without the credentials step nothing is granted
        Set<String> throttleKeys = builder.throttle.enforcedObligations();
        keys.addAll(Objects.requireNonNull(throttleKeys, "throttle.enforcedObligations()"));
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

    /** The session registry shared with the HTTP filter (pass it to {@code McpGuardHttpFilter}). */
    public SessionRegistry sessionRegistry() {
        return sessionRegistry;
    }

    // ---------------------------------------------------------------- wrapping, one spec

    /** Wraps a synchronous tool of a stateful (session) server. */
    public McpServerFeatures.SyncToolSpecification guard(McpServerFeatures.SyncToolSpecification spec) {
        Objects.requireNonNull(spec, "spec");
        requireUnguarded(spec.callHandler(), spec.tool());
        GuardedTool descriptor = GuardedTool.of(spec.tool());
        var handler = spec.callHandler();
        return McpServerFeatures.SyncToolSpecification.builder()
                .tool(spec.tool())
                .callHandler(new GuardedSyncHandler<>((exchange, request) -> runSync(descriptor, request,
                        exchange.transportContext(), Optional.ofNullable(exchange.sessionId()),
                        () -> handler.apply(exchange, request))))
                .build();
    }

    /** Wraps an asynchronous tool of a stateful (session) server. */
    public McpServerFeatures.AsyncToolSpecification guard(McpServerFeatures.AsyncToolSpecification spec) {
        Objects.requireNonNull(spec, "spec");
        requireUnguarded(spec.callHandler(), spec.tool());
        GuardedTool descriptor = GuardedTool.of(spec.tool());
        var handler = spec.callHandler();
        return McpServerFeatures.AsyncToolSpecification.builder()
                .tool(spec.tool())
                .callHandler(new GuardedAsyncHandler<>((exchange, request) -> runAsync(descriptor, request,
                        exchange.transportContext(), Optional.ofNullable(exchange.sessionId()),
                        () -> handler.apply(exchange, request))))
                .build();
    }

    /** Wraps a synchronous tool of a stateless server. */
    public McpStatelessServerFeatures.SyncToolSpecification guard(McpStatelessServerFeatures.SyncToolSpecification spec) {
        Objects.requireNonNull(spec, "spec");
        requireUnguarded(spec.callHandler(), spec.tool());
        GuardedTool descriptor = GuardedTool.of(spec.tool());
        var handler = spec.callHandler();
        return McpStatelessServerFeatures.SyncToolSpecification.builder()
                .tool(spec.tool())
                .callHandler(new GuardedSyncHandler<>((context, request) -> runSync(descriptor, request, context,
                        Optional.empty(), () -> handler.apply(context, request))))
                .build();
    }

    /** Wraps an asynchronous tool of a stateless server. */
    public McpStatelessServerFeatures.AsyncToolSpecification guard(McpStatelessServerFeatures.AsyncToolSpecification spec) {
        Objects.requireNonNull(spec, "spec");
        requireUnguarded(spec.callHandler(), spec.tool());
        GuardedTool descriptor = GuardedTool.of(spec.tool());
        var handler = spec.callHandler();
        return McpStatelessServerFeatures.AsyncToolSpecification.builder()
                .tool(spec.tool())
                .callHandler(new GuardedAsyncHandler<>((context, request) -> runAsync(descriptor, request, context,
                        Optional.empty(), () -> handler.apply(context, request))))
                .build();
    }

    // ---------------------------------------------------------------- handlers that use the guard context

    /**
     * A guarded synchronous tool of a stateful server whose handler receives the call's {@link GuardContext}
     * (caller, call id, granted downstream credentials).
     *
     * <pre>{@code
     * guard.guardWithContext(refundTool, (exchange, request, context) -> {
     *     HttpRequest call = context.authorizeRequest("payments-api")
     *             .apply(HttpRequest.newBuilder(paymentsUri)).build();
     *     ...
     * });
     * }</pre>
     */
    public McpServerFeatures.SyncToolSpecification guardWithContext(McpSchema.Tool tool, GuardedSyncToolHandler handler) {
        Objects.requireNonNull(tool, "tool");
        Objects.requireNonNull(handler, "handler");
        GuardedTool descriptor = GuardedTool.of(tool);
        return McpServerFeatures.SyncToolSpecification.builder()
                .tool(tool)
                .callHandler(new GuardedSyncHandler<>((exchange, request) -> runSyncWithContext(descriptor, request,
                        exchange.transportContext(), Optional.ofNullable(exchange.sessionId()),
                        context -> handler.handle(exchange, request, context))))
                .build();
    }

    /** As {@link #guardWithContext}, for a synchronous tool of a stateless server. */
    public McpStatelessServerFeatures.SyncToolSpecification guardStatelessWithContext(
            McpSchema.Tool tool, GuardedStatelessSyncToolHandler handler) {
        Objects.requireNonNull(tool, "tool");
        Objects.requireNonNull(handler, "handler");
        GuardedTool descriptor = GuardedTool.of(tool);
        return McpStatelessServerFeatures.SyncToolSpecification.builder()
                .tool(tool)
                .callHandler(new GuardedSyncHandler<>((transport, request) -> runSyncWithContext(descriptor, request,
                        transport, Optional.empty(), context -> handler.handle(transport, request, context))))
                .build();
    }

    @FunctionalInterface
    private interface ContextHandler {
        CallToolResult handle(GuardContext context) throws CredentialUnavailableException;
    }

    private CallToolResult runSyncWithContext(GuardedTool descriptor, CallToolRequest request,
                                              McpTransportContext context, Optional<String> sessionId,
                                              ContextHandler handler) {
        ToolCall call = newCall(descriptor, request, context, sessionId);
        ToolOutcome outcome = chain.execute(call, guarded -> {
            try {
                CallToolResult result = handler.handle(CallCredentials.contextFor(guarded));
                return CompletableFuture.completedFuture(completed(guarded, result));
            } catch (CredentialUnavailableException e) {
                return CompletableFuture.completedFuture(new ToolOutcome.Denied(guarded,
                        Decision.deny(Ids.newId(clock), e.reason(), clientMessageOf(e))));
            }
        }).toCompletableFuture().join();
        return toResult(outcome);
    }

    /**
     * The message of a credential failure as the client may see it: it can come from a third-party provider, so
     * control and format characters (terminal escapes, bidi overrides, line breaks) become spaces and it is cut
     * at {@value #MAX_CREDENTIAL_MESSAGE_LENGTH} characters, as policy messages are.
     */
    static String clientMessageOf(CredentialUnavailableException e) {
        String cleaned = ClientText.forClient(e.getMessage(), MAX_CREDENTIAL_MESSAGE_LENGTH);
        return cleaned.isEmpty() ? CREDENTIAL_UNAVAILABLE_MESSAGE : cleaned;
    }

    // ---------------------------------------------------------------- wrapping, lists

    /** Wraps every synchronous tool of a stateful server. */
    public List<McpServerFeatures.SyncToolSpecification> guardSyncTools(List<McpServerFeatures.SyncToolSpecification> specs) {
        return specs.stream().map(this::guard).toList();
    }

    /** Wraps every asynchronous tool of a stateful server. */
    public List<McpServerFeatures.AsyncToolSpecification> guardAsyncTools(List<McpServerFeatures.AsyncToolSpecification> specs) {
        return specs.stream().map(this::guard).toList();
    }

    /** Wraps every synchronous tool of a stateless server. */
    public List<McpStatelessServerFeatures.SyncToolSpecification> guardStatelessSyncTools(
            List<McpStatelessServerFeatures.SyncToolSpecification> specs) {
        return specs.stream().map(this::guard).toList();
    }

    /** Wraps every asynchronous tool of a stateless server. */
    public List<McpStatelessServerFeatures.AsyncToolSpecification> guardStatelessAsyncTools(
            List<McpStatelessServerFeatures.AsyncToolSpecification> specs) {
        return specs.stream().map(this::guard).toList();
    }

    // ---------------------------------------------------------------- tools added at runtime

    /** Guards {@code spec} and adds it to a running server. */
    public void addTool(McpSyncServer server, McpServerFeatures.SyncToolSpecification spec) {
        server.addTool(guard(spec));
    }

    /** Guards {@code spec} and adds it to a running server; subscribe to the result. */
    public Mono<Void> addTool(McpAsyncServer server, McpServerFeatures.AsyncToolSpecification spec) {
        return server.addTool(guard(spec));
    }

    /** Guards {@code spec} and adds it to a running stateless server. */
    public void addTool(McpStatelessSyncServer server, McpStatelessServerFeatures.SyncToolSpecification spec) {
        server.addTool(guard(spec));
    }

    /** Guards {@code spec} and adds it to a running stateless server; subscribe to the result. */
    public Mono<Void> addTool(McpStatelessAsyncServer server, McpStatelessServerFeatures.AsyncToolSpecification spec) {
        return server.addTool(guard(spec));
    }

    // ---------------------------------------------------------------- the transport

    /**
     * Wraps the server's Streamable HTTP transport; give the result to {@code McpServer.sync(..)} (or
     * {@code async}) and register the original as the servlet. Between the SDK's parsing and its dispatch it
     * audits {@code tools/call} requests for tools the server does not have (reason {@code unknown_tool}, sampled
     * per principal with summary records, see {@code docs/audit.md}), escapes the client-chosen strings of
     * {@code initialize} that the SDK logs, and drops notifications the SDK has no handler for before the SDK
     * logs them raw.
     *
     * <pre>{@code
     * var transport = HttpServletStreamableServerTransportProvider.builder()...build();
     * McpServer.sync(guard.guardTransport(transport))...build();
     * tomcat.addServlet(context, "mcp", transport);
     * }</pre>
     */
    public McpStreamableServerTransportProvider guardTransport(McpStreamableServerTransportProvider transport) {
        Objects.requireNonNull(transport, "transport");
        return new GuardedStreamableTransportProvider(transport, unknownTools);
    }

    /**
     * The same for a stateless server's transport: audits the SDK's "unknown tool" answers (no session) and
     * answers requests whose method or id holds control or format characters itself, before the SDK logs them.
     */
    public McpStatelessServerTransport guardTransport(McpStatelessServerTransport transport) {
        Objects.requireNonNull(transport, "transport");
        return new GuardedStatelessTransport(transport, unknownTools);
    }

    // ---------------------------------------------------------------- tools/list

    /**
     * A {@code tools/list} filter for sync servers: a caller sees only the tools policy lets them call (asked
     * with operation {@code LIST}). Hidden tools are still enforced when called by name.
     */
    public McpSyncListFilter<McpSchema.Tool> toolFilter() {
        return (context, tool) -> visibility.visibleTo(callerOf(context), describe(tool));
    }

    /** The same filter for async servers; policy is consulted off the event loop. */
    public McpAsyncListFilter<McpSchema.Tool> asyncToolFilter() {
        return McpAsyncListFilter.fromSync(toolFilter(), false);
    }

    // ---------------------------------------------------------------- execution

    private CallToolResult runSync(GuardedTool descriptor, CallToolRequest request, McpTransportContext context,
                                   Optional<String> sessionId, Supplier<CallToolResult> handler) {
        ToolCall call = newCall(descriptor, request, context, sessionId);
        ToolOutcome outcome = chain.execute(call, guarded -> {
            CallToolResult result = handler.get();
            return CompletableFuture.completedFuture(completed(guarded, result));
        }).toCompletableFuture().join();
        return toResult(outcome);
    }

    private Mono<CallToolResult> runAsync(GuardedTool descriptor, CallToolRequest request,
                                          McpTransportContext context, Optional<String> sessionId,
                                          Supplier<Mono<CallToolResult>> handler) {
        return Mono.defer(() -> {
            ToolCall call = newCall(descriptor, request, context, sessionId);
            CompletionStage<ToolOutcome> stage = chain.execute(call, guarded -> {
                Mono<CallToolResult> result = handler.get();
                if (result == null) {
                    throw new IllegalStateException("tool handler returned a null Mono");
                }
                return result.map(r -> completed(guarded, r))
                        .switchIfEmpty(Mono.fromSupplier(() -> new ToolOutcome.Failed(guarded,
                                new IllegalStateException("tool handler completed without a result"))))
                        .toFuture();
            });
            return Mono.fromCompletionStage(stage);
        }).map(this::toResult);
    }

    private static ToolOutcome completed(ToolCall call, CallToolResult result) {
        if (result == null) {
            return new ToolOutcome.Failed(call, new IllegalStateException("tool handler returned null"));
        }
        return new ToolOutcome.Completed(call, result, Boolean.TRUE.equals(result.isError()));
    }

    private ToolCall newCall(GuardedTool tool, CallToolRequest request, McpTransportContext context,
                             Optional<String> sessionId) {
        ToolCall call = new ToolCall(Ids.newId(clock), serverName, tool.descriptor(), request.arguments(), sessionId,
                callerOf(context), clock.instant(), ToolCall.Attributes.EMPTY);
        // Present only when the HTTP filter was told to expose it for RFC 8693 token exchange.
        if (context != null && context.get(GuardRequestAttributes.INBOUND_TOKEN) instanceof Secret token) {
            call = call.withAttribute(GuardKeys.INBOUND_TOKEN, token);
        }
        if (argumentValidator != null) {
            call = ArgumentsGuard.check(argumentValidator, tool.inputSchema(), call);
        }
        return call;
    }

    private static Optional<CallerIdentity> callerOf(McpTransportContext context) {
        if (context == null) {
            return Optional.empty();
        }
        return context.get(GuardRequestAttributes.CALLER) instanceof CallerIdentity identity
                ? Optional.of(identity) : Optional.empty();
    }

    private CallToolResult toResult(ToolOutcome outcome) {
        if (outcome instanceof ToolOutcome.Completed completed) {
            return (CallToolResult) completed.result();
        }
        if (outcome instanceof ToolOutcome.Denied denied) {
            Decision.Deny deny = denied.decision();
            Map<String, Object> structured = new LinkedHashMap<>();
            structured.put("error", "denied");
            structured.put("reason", deny.reason().value());
            structured.put("decision_id", deny.decisionId());
            structured.put("message", deny.message());
            denied.call().attribute(GuardKeys.RETRY_AFTER).ifPresent(retryAfter ->
                    structured.put("retry_after_seconds", Math.max(1, (retryAfter.toMillis() + 999) / 1000)));
            return CallToolResult.builder()
                    .isError(true)
                    .addTextContent("Denied: " + deny.message() + " (reason: " + deny.reason().value()
                            + ", decision: " + deny.decisionId() + ")")
                    .structuredContent(structured)
                    .build();
        }
        ToolOutcome.Failed failed = (ToolOutcome.Failed) outcome;
        String callId = failed.call().callId();
        log.warn("Tool '{}' failed on call {}", ClientText.forLog(failed.call().toolName()), callId, failed.cause());
        Map<String, Object> structured = new LinkedHashMap<>();
        structured.put("error", "failed");
        structured.put("reason", "tool_failed");
        structured.put("call_id", callId);
        return CallToolResult.builder()
                .isError(true)
                .addTextContent("The tool failed. Reference: " + callId)
                .structuredContent(structured)
                .build();
    }

    /** A wrapped tool as the chain needs it: its descriptor for policy, its input schema for validation. */
    private record GuardedTool(ToolDescriptor descriptor, Map<String, Object> inputSchema) {
        static GuardedTool of(McpSchema.Tool tool) {
            return new GuardedTool(describe(tool), tool.inputSchema() == null ? Map.of() : tool.inputSchema());
        }
    }

    static ToolDescriptor describe(McpSchema.Tool tool) {
        McpSchema.ToolAnnotations hints = tool.annotations();
        return new ToolDescriptor(
                tool.name(),
                tool.description() == null ? "" : tool.description(),
                hints != null && Boolean.TRUE.equals(hints.readOnlyHint()),
                hints == null || hints.destructiveHint() == null || hints.destructiveHint(),
                hints != null && Boolean.TRUE.equals(hints.idempotentHint()),
                hints == null || hints.openWorldHint() == null || hints.openWorldHint());
    }

    private static void requireUnguarded(Object handler, McpSchema.Tool tool) {
        if (handler instanceof Guarded) {
            throw new IllegalArgumentException("tool '" + tool.name() + "' is already guarded; wrap it once");
        }
    }

    /** Marks handlers this class produced, so a tool is never wrapped (and audited) twice. */
    private interface Guarded {
    }

    private record GuardedSyncHandler<C>(BiFunction<C, CallToolRequest, CallToolResult> delegate)
            implements BiFunction<C, CallToolRequest, CallToolResult>, Guarded {
        @Override
        public CallToolResult apply(C context, CallToolRequest request) {
            return delegate.apply(context, request);
        }
    }

    private record GuardedAsyncHandler<C>(BiFunction<C, CallToolRequest, Mono<CallToolResult>> delegate)
            implements BiFunction<C, CallToolRequest, Mono<CallToolResult>>, Guarded {
        @Override
        public Mono<CallToolResult> apply(C context, CallToolRequest request) {
            return delegate.apply(context, request);
        }
    }

    /**
     * Configures an {@link McpGuard}. Not thread-safe; build once. Setters reject nulls; {@link #build()}
     * rejects a missing server name.
     */
    public static final class Builder {
        private String serverName;
        private PolicyEngine policyEngine;
        private AuditSink auditSink;
        private ArgumentSummarizer argumentSummarizer;
        private SessionRegistry sessionRegistry;
        private Throttle throttle = call -> new Throttle.ThrottleResult.Acquired(Throttle.Permit.NONE);
        private Clock clock = Clock.systemUTC();
        private JsonSchemaValidator argumentValidator;
        private CredentialGuard credentialGuard;
        private UnknownToolAudit.Limits unknownToolLimits = UnknownToolAudit.Limits.DEFAULTS;
        private final List<GuardChain.Step> extraSteps = new ArrayList<>();
        private final Set<String> enforcedObligations = new TreeSet<>();

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
         * {@code invalid_arguments} and audited, and policy only sees schema-valid arguments. The SDK validates
         * before the chain and unaudited unless you build the server with {@code validateToolInputs(false)};
         * do that when you enable this. Uses the SDK's default validator ({@code McpJsonDefaults}).
         */
        public Builder validateArguments() {
            return validateArguments(McpJsonDefaults.getSchemaValidator());
        }

        /** Like {@link #validateArguments()} with a validator of your choice. */
        public Builder validateArguments(JsonSchemaValidator validator) {
            this.argumentValidator = Objects.requireNonNull(validator, "validator");
            return this;
        }

        /** The clock for timestamps, ids and expiry checks; default UTC system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * The credentials step, placed after policy: which downstream credentials each call's handler may use
         * (see {@link #guardWithContext}). Without it, handlers are granted no credentials.
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
            if (List.of("audit", "identity", "session", "arguments", "policy", "obligations", "throttle", "credentials").contains(name)
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
            this.unknownToolLimits = new UnknownToolAudit.Limits(perCaller, perWindow,
                    UnknownToolAudit.Limits.DEFAULTS.trackedCallers(), window);
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

        /** Builds the guard; fails if the server name is missing. */
        public McpGuard build() {
            if (serverName == null) {
                throw new IllegalStateException("serverName is required");
            }
            return new McpGuard(this);
        }
    }
}
