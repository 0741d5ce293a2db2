package dev.mcpguard.core.mcp;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.GuardContext;
import dev.mcpguard.api.GuardKeys;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.ToolOutcome;
import dev.mcpguard.api.spi.AuditSink;
import dev.mcpguard.api.spi.CredentialProvider.CredentialUnavailableException;
import dev.mcpguard.core.internal.Ids;
import dev.mcpguard.core.chain.GuardChain;
import dev.mcpguard.core.credentials.CallCredentials;
import dev.mcpguard.core.guardrails.ArgumentSchemaValidator;
import dev.mcpguard.core.guardrails.ArgumentsGuard;
import dev.mcpguard.core.guardrails.ToolAdmission;
import dev.mcpguard.core.guardrails.ToolDefinitionGate;
import dev.mcpguard.core.guardrails.ToolDefinitionGuard;
import dev.mcpguard.core.chain.ToolResultAccess;
import dev.mcpguard.core.policy.ToolVisibility;
import dev.mcpguard.core.telemetry.GuardTelemetry;
import dev.mcpguard.core.telemetry.UnknownToolObserver;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import io.modelcontextprotocol.server.McpAsyncListFilter;
import io.modelcontextprotocol.server.McpAsyncServerExchange;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.server.McpSyncListFilter;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.server.McpTransportContextExtractor;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.modelcontextprotocol.spec.McpStatelessServerTransport;
import io.modelcontextprotocol.spec.McpStreamableServerTransportProvider;
import jakarta.servlet.http.HttpServletRequest;
import java.time.Clock;
import java.time.Duration;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.BiFunction;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * The MCP Java SDK integration of one guard chain: wraps the four kinds of tool specification (sync or async,
 * stateful or stateless) so that every call passes the chain, renders the outcome as a {@code CallToolResult},
 * filters {@code tools/list}, wraps the transports and copies the verified caller into the SDK's transport
 * context. Users reach it through {@code dev.mcpguard.core.McpGuard}, which builds one; it is public only
 * because the facade lives in another package.
 *
 * <p>Every handler that needs to know who called receives a {@link GuardContext} ({@link GuardedSyncToolHandler},
 * {@link GuardedAsyncToolHandler}); no handler reads the caller from the transport context by key.
 *
 * <p>Thread-safe and immutable. Arguments must not be null.
 */
public final class McpSdkAdapter {

    static final String MISSING_EXTRACTOR_MESSAGE = "No verified caller reaches the tools: the server's MCP "
            + "transport runs without mcp-guard's context extractor (add .contextExtractor(guard.contextExtractor()) "
            + "to the servlet transport's builder; stdio carries no caller).";

    private static final Logger log = LoggerFactory.getLogger(McpSdkAdapter.class);

    /** The SDK's default validator of {@code mcp-json-jackson2}, which {@link SchemaCompilingValidator} stands in for. */
    private static final String SDK_JACKSON2_VALIDATOR =
            "io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator";
    private final GuardChain chain;
    /** Whether the chain has the telemetry step, which wants each request's trace context and JSON-RPC id. */
    private final boolean tracesRequests;
    private final ToolVisibility visibility;
    private final VisibleToolsFilter visibleTools;
    private final String serverName;
    private final Clock clock;
    private final ArgumentSchemaValidator argumentValidator;
    private final UnknownToolAudit unknownTools;
    private final GuardedRequests requests;
    private final ServerRequestAudit serverRequests;
    private final ToolDefinitions definitions;
    private final AtomicBoolean missingExtractorLogged = new AtomicBoolean();

    private McpSdkAdapter(GuardChain chain, ToolVisibility visibility, AuditSink sink, String serverName,
                          Clock clock, JsonSchemaValidator argumentValidator, UnknownToolAudit.Limits limits,
                          ToolDefinitionGate gate) {
        this.chain = Objects.requireNonNull(chain, "chain");
        this.visibility = Objects.requireNonNull(visibility, "visibility");
        this.visibleTools = new VisibleToolsFilter(visibility, clock);
        this.serverName = Objects.requireNonNull(serverName, "serverName");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.argumentValidator = argumentValidator == null ? null : argumentValidator(argumentValidator);
        this.unknownTools = new UnknownToolAudit(sink, serverName, clock, limits);
        this.tracesRequests = chain.order().contains(GuardTelemetry.REQUEST_STEP);
        this.requests = new GuardedRequests(chain, visibility, sink, serverName, clock, this);
        this.serverRequests = new ServerRequestAudit(sink, serverName, clock);
        this.definitions = new ToolDefinitions(gate, new ToolRegistrationAudit(sink, serverName, clock));
    }

    /**
     * An adapter over {@code chain}. {@code argumentValidator} may be null (no schema check in the chain);
     * {@code unknownToolsPerCaller}, {@code unknownToolsPerWindow} and {@code unknownToolWindow} bound the
     * audit of calls to unknown tools (null window: the defaults, 10 and 1,000 per minute); {@code gate} decides
     * which tool definitions are admitted when they are wrapped (refused ones are not listed, and their calls carry
     * the refusal to the chain's {@code definitions} step).
     */
    public static McpSdkAdapter create(GuardChain chain, ToolVisibility visibility, AuditSink sink, String serverName,
                                       Clock clock, JsonSchemaValidator argumentValidator,
                                       int unknownToolsPerCaller, int unknownToolsPerWindow,
                                       Duration unknownToolWindow, ToolDefinitionGate gate) {
        UnknownToolAudit.Limits limits = unknownToolWindow == null ? UnknownToolAudit.Limits.DEFAULTS
                : new UnknownToolAudit.Limits(unknownToolsPerCaller, unknownToolsPerWindow,
                        UnknownToolAudit.Limits.DEFAULTS.trackedCallers(), unknownToolWindow);
        return new McpSdkAdapter(chain, visibility, sink, serverName, clock, argumentValidator, limits, gate);
    }

    /**
     * The SDK's default validator is replaced by {@link SchemaCompilingValidator}, which gives the same verdicts
     * and messages but compiles each schema once; any other validator (including a DefaultJsonSchemaValidator
     * with its own ObjectMapper, or a subclass) is used as given.
     */
    static ArgumentSchemaValidator argumentValidator(JsonSchemaValidator validator) {
        // By name: a Jackson 3 application (Spring Boot 4) has no mcp-json-jackson2, and so no such class.
        if (validator.getClass().getName().equals(SDK_JACKSON2_VALIDATOR)
                && validator == McpJsonDefaults.getSchemaValidator()) {
            return new SchemaCompilingValidator();
        }
        return new SdkArgumentSchemaValidator(validator);
    }

    /** Rejects limits {@link #create} would reject, with a message showing the bad value. */
    public static void validateUnknownToolLimits(int perCaller, int perWindow, Duration window) {
        new UnknownToolAudit.Limits(perCaller, perWindow, UnknownToolAudit.Limits.DEFAULTS.trackedCallers(), window);
    }

    // ---------------------------------------------------------------- the SDK's own handlers

    public McpServerFeatures.SyncToolSpecification guard(McpServerFeatures.SyncToolSpecification spec) {
        var handler = spec.callHandler();
        return guardWithContext(unguarded(spec.tool(), handler),
                (McpSyncServerExchange exchange, CallToolRequest request, GuardContext ignored) ->
                        handler.apply(exchange, request));
    }

    public McpServerFeatures.AsyncToolSpecification guard(McpServerFeatures.AsyncToolSpecification spec) {
        var handler = spec.callHandler();
        return guardAsyncWithContext(unguarded(spec.tool(), handler),
                (McpAsyncServerExchange exchange, CallToolRequest request, GuardContext ignored) ->
                        handler.apply(exchange, request));
    }

    public McpStatelessServerFeatures.SyncToolSpecification guard(McpStatelessServerFeatures.SyncToolSpecification spec) {
        var handler = spec.callHandler();
        return guardStatelessWithContext(unguarded(spec.tool(), handler),
                (McpTransportContext context, CallToolRequest request, GuardContext ignored) ->
                        handler.apply(context, request));
    }

    public McpStatelessServerFeatures.AsyncToolSpecification guard(McpStatelessServerFeatures.AsyncToolSpecification spec) {
        var handler = spec.callHandler();
        return guardStatelessAsyncWithContext(unguarded(spec.tool(), handler),
                (McpTransportContext context, CallToolRequest request, GuardContext ignored) ->
                        handler.apply(context, request));
    }

    // ---------------------------------------------------------------- handlers with the guard context

    public McpServerFeatures.SyncToolSpecification guardWithContext(
            McpSchema.Tool tool, GuardedSyncToolHandler<McpSyncServerExchange> handler) {
        GuardedTool descriptor = offer(tool);
        Objects.requireNonNull(handler, "handler");
        return McpServerFeatures.SyncToolSpecification.builder()
                .tool(tool)
                .callHandler(new GuardedSyncHandler<>((McpSyncServerExchange exchange, CallToolRequest request) ->
                        runSync(descriptor, request, exchange.transportContext(),
                                Optional.ofNullable(exchange.sessionId()),
                                context -> handler.handle(exchange, request, context))))
                .build();
    }

    public McpServerFeatures.AsyncToolSpecification guardAsyncWithContext(
            McpSchema.Tool tool, GuardedAsyncToolHandler<McpAsyncServerExchange> handler) {
        GuardedTool descriptor = offer(tool);
        Objects.requireNonNull(handler, "handler");
        return McpServerFeatures.AsyncToolSpecification.builder()
                .tool(tool)
                .callHandler(new GuardedAsyncHandler<>((McpAsyncServerExchange exchange, CallToolRequest request) ->
                        runAsync(descriptor, request, exchange.transportContext(),
                                Optional.ofNullable(exchange.sessionId()),
                                context -> handler.handle(exchange, request, context))))
                .build();
    }

    public McpStatelessServerFeatures.SyncToolSpecification guardStatelessWithContext(
            McpSchema.Tool tool, GuardedSyncToolHandler<McpTransportContext> handler) {
        GuardedTool descriptor = offer(tool);
        Objects.requireNonNull(handler, "handler");
        return McpStatelessServerFeatures.SyncToolSpecification.builder()
                .tool(tool)
                .callHandler(new GuardedSyncHandler<>((McpTransportContext transport, CallToolRequest request) ->
                        runSync(descriptor, request, transport, Optional.empty(),
                                context -> handler.handle(transport, request, context))))
                .build();
    }

    public McpStatelessServerFeatures.AsyncToolSpecification guardStatelessAsyncWithContext(
            McpSchema.Tool tool, GuardedAsyncToolHandler<McpTransportContext> handler) {
        GuardedTool descriptor = offer(tool);
        Objects.requireNonNull(handler, "handler");
        return McpStatelessServerFeatures.AsyncToolSpecification.builder()
                .tool(tool)
                .callHandler(new GuardedAsyncHandler<>((McpTransportContext transport, CallToolRequest request) ->
                        runAsync(descriptor, request, transport, Optional.empty(),
                                context -> handler.handle(transport, request, context))))
                .build();
    }

    // ---------------------------------------------------------------- tools/list, transports, extractor

    /**
     * The {@code tools/list} filter: the caller sees the tools policy lets them see, asked once per list about
     * every tool this adapter wraps ({@link VisibleToolsFilter}), and alone about any other tool; a tool whose
     * definition the gate refuses (unpinned, changed, ...) is shown to no one.
     */
    public McpSyncListFilter<McpSchema.Tool> toolFilter() {
        return (context, tool) -> {
            ToolDefinitions.Described described = definitions.described(tool);
            return described.admission().admitted() && visibleTools.isVisible(context, described.descriptor());
        };
    }

    /**
     * The same filter for async servers: policy is asked off the event loop (bounded-elastic), and only when it must
     * be; the other tools of the request are answered at once from its list answer, without a thread hop each.
     */
    public McpAsyncListFilter<McpSchema.Tool> asyncToolFilter() {
        McpAsyncListFilter<McpSchema.Tool> offLoop = McpAsyncListFilter.fromSync(toolFilter(), false);
        return (context, tool) -> {
            ToolDefinitions.Described described = definitions.described(tool);
            if (!described.admission().admitted()) {
                return Mono.just(false);
            }
            Optional<Boolean> known = visibleTools.knownVisibility(context, described.descriptor());
            return known.isPresent() ? Mono.just(known.get()) : offLoop.isVisible(context, tool);
        };
    }

    public McpStreamableServerTransportProvider guardTransport(McpStreamableServerTransportProvider transport) {
        return new GuardedStreamableTransportProvider(Objects.requireNonNull(transport, "transport"), unknownTools,
                requests, serverRequests);
    }

    public McpStatelessServerTransport guardTransport(McpStatelessServerTransport transport) {
        return new GuardedStatelessTransport(Objects.requireNonNull(transport, "transport"), unknownTools, requests);
    }

    /** The extractor the servlet transports need so that the caller the HTTP filter verified reaches the chain. */
    public static McpTransportContextExtractor<HttpServletRequest> contextExtractor() {
        return CallerContextExtractor.INSTANCE;
    }

    /**
     * How the obligations step reads and rewrites the SDK's {@code CallToolResult} to redact it (its
     * {@code structuredContent} and text content); stateless, one shared instance.
     */
    public static ToolResultAccess toolResultAccess() {
        return SdkResultAccess.INSTANCE;
    }

    /**
     * The tool as policy sees it; absent annotations mean the MCP defaults (destructive, open-world). Its
     * definition hash is the canonical hash of the tool as {@code tools/list} shows it.
     */
    public static ToolDescriptor describe(McpSchema.Tool tool) {
        return ToolDefinitions.descriptor(tool, ToolDefinitions.hashOf(tool));
    }

    /**
     * The definition of {@code tool} as {@code tools/list} shows it to a client, as maps and lists (what its
     * canonical hash and pin are computed from); empty when the SDK cannot write it as JSON.
     */
    public static Optional<Map<String, Object>> definitionOf(McpSchema.Tool tool) {
        return ToolDefinitions.definitionOf(Objects.requireNonNull(tool, "tool"));
    }

    /**
     * Tells {@code observer} (telemetry) of every call to a tool the server does not have; called once, by
     * {@code McpGuard}, before the adapter serves requests.
     */
    public void observeUnknownTools(UnknownToolObserver observer) {
        unknownTools.observe(observer);
    }

    /**
     * Forgets tool {@code name}, which the server no longer has ({@code server.removeTool(name)}): its name is
     * freed in the name registry and a tool added later under it is checked as a new one.
     */
    public void forgetTool(String name) {
        definitions.forget(Objects.requireNonNull(name, "name"));
    }

    // ---------------------------------------------------------------- execution

    @FunctionalInterface
    private interface ContextHandler<R> {
        R handle(GuardContext context) throws CredentialUnavailableException;
    }

    private CallToolResult runSync(GuardedTool descriptor, CallToolRequest request, McpTransportContext context,
                                   Optional<String> sessionId, ContextHandler<CallToolResult> handler) {
        ToolCall call = newCall(descriptor, request, context, sessionId);
        ToolOutcome outcome = chain.execute(call, guarded -> {
            try {
                CallToolResult result = handler.handle(CallCredentials.contextFor(guarded));
                return CompletableFuture.completedFuture(ToolResults.completed(guarded, result));
            } catch (CredentialUnavailableException e) {
                return CompletableFuture.completedFuture(
                        ToolResults.credentialDenied(guarded, Ids.newId(clock), e));
            }
        }).toCompletableFuture().join();
        return ToolResults.toResult(outcome);
    }

    private Mono<CallToolResult> runAsync(GuardedTool descriptor, CallToolRequest request,
                                          McpTransportContext context, Optional<String> sessionId,
                                          ContextHandler<Mono<CallToolResult>> handler) {
        return Mono.defer(() -> {
            ToolCall call = newCall(descriptor, request, context, sessionId);
            CompletionStage<ToolOutcome> stage = chain.execute(call, guarded -> {
                Mono<CallToolResult> result;
                try {
                    result = handler.handle(CallCredentials.contextFor(guarded));
                } catch (CredentialUnavailableException e) {
                    return CompletableFuture.completedFuture(
                            ToolResults.credentialDenied(guarded, Ids.newId(clock), e));
                }
                if (result == null) {
                    throw new IllegalStateException("tool handler returned a null Mono");
                }
                return result.map(r -> ToolResults.completed(guarded, r))
                        .switchIfEmpty(Mono.fromSupplier(() -> new ToolOutcome.Failed(guarded,
                                new IllegalStateException("tool handler completed without a result"))))
                        .onErrorResume(CredentialUnavailableException.class, e ->
                                Mono.just(ToolResults.credentialDenied(guarded, Ids.newId(clock), e)))
                        .toFuture();
            });
            return Mono.fromCompletionStage(stage);
        }).map(ToolResults::toResult);
    }

    private ToolCall newCall(GuardedTool tool, CallToolRequest request, McpTransportContext context,
                             Optional<String> sessionId) {
        Optional<CallerIdentity> caller = TransportKeys.caller(context);
        ToolCall call = withTransportFacts(new ToolCall(Ids.newId(clock), serverName, tool.descriptor(),
                request.arguments(), sessionId, caller, clock.instant(), ToolCall.Attributes.EMPTY), context, null,
                request.meta());
        if (argumentValidator != null) {
            call = ArgumentsGuard.check(argumentValidator, tool.inputSchema(), call);
        }
        if (!tool.admission().admitted() || !tool.admission().drift().isEmpty()) {
            call = ToolDefinitionGuard.attach(tool.admission(), call);
        }
        return call;
    }

    /**
     * {@code call} with what the transport context adds: the inbound token when the HTTP filter exposes it, and,
     * when the context comes from a transport without the extractor, the explanation the identity step denies with.
     */
    ToolCall withTransportFacts(ToolCall call, McpTransportContext context) {
        return withTransportFacts(call, context, null, null);
    }

    /**
     * As {@link #withTransportFacts(ToolCall, McpTransportContext)}, and, when the chain traces requests, the
     * request's JSON-RPC id and trace context ({@code _meta} first, then the HTTP headers the extractor copied).
     */
    ToolCall withTransportFacts(ToolCall call, McpTransportContext context, Object jsonRpcId, Map<?, ?> meta) {
        if (tracesRequests) {
            call = RequestTraceFacts.attach(call, jsonRpcId, meta, context);
        }
        // Present only when the HTTP filter was told to expose it for RFC 8693 token exchange.
        Optional<Secret> token = TransportKeys.inboundToken(context);
        if (token.isPresent()) {
            call = call.withAttribute(GuardKeys.INBOUND_TOKEN, token.get());
        }
        if (call.caller().isEmpty() && !TransportKeys.extractorInstalled(context)) {
            call = call.withAttribute(GuardKeys.MISSING_CALLER_EXPLANATION, MISSING_EXTRACTOR_MESSAGE);
            if (missingExtractorLogged.compareAndSet(false, true)) {
                log.error("mcp-guard for server '{}': {} Every call is denied until it is.", serverName,
                        MISSING_EXTRACTOR_MESSAGE);
            }
        }
        return call;
    }

    private static McpSchema.Tool unguarded(McpSchema.Tool tool, Object handler) {
        Objects.requireNonNull(tool, "tool");
        Objects.requireNonNull(handler, "handler");
        if (handler instanceof Guarded) {
            throw new IllegalArgumentException("tool '" + tool.name() + "' is already guarded; wrap it once");
        }
        return tool;
    }

    /**
     * A tool being wrapped: registered with the gate (which may refuse its definition), offered to the
     * {@code tools/list} filter when admitted, described for the chain.
     */
    private GuardedTool offer(McpSchema.Tool tool) {
        Objects.requireNonNull(tool, "tool");
        ToolDefinitions.Described described = definitions.register(tool);
        if (described.admission().admitted()) {
            visibleTools.offer(described.descriptor());
        }
        return new GuardedTool(described.descriptor(), tool.inputSchema() == null ? Map.of() : tool.inputSchema(),
                described.admission());
    }

    /**
     * A wrapped tool as the chain needs it: its descriptor for policy, its input schema for validation, the gate's
     * verdict on its definition.
     */
    private record GuardedTool(ToolDescriptor descriptor, Map<String, Object> inputSchema, ToolAdmission admission) {
    }

    /** Whether {@code spec}, one of the SDK's four tool specification kinds, has a handler this class produced. */
    public static boolean isGuarded(Object spec) {
        Object handler;
        if (spec instanceof McpServerFeatures.SyncToolSpecification sync) {
            handler = sync.callHandler();
        } else if (spec instanceof McpServerFeatures.AsyncToolSpecification async) {
            handler = async.callHandler();
        } else if (spec instanceof McpStatelessServerFeatures.SyncToolSpecification sync) {
            handler = sync.callHandler();
        } else if (spec instanceof McpStatelessServerFeatures.AsyncToolSpecification async) {
            handler = async.callHandler();
        } else {
            return false;
        }
        return handler instanceof Guarded;
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
}
