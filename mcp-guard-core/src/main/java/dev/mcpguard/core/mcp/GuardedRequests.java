package dev.mcpguard.core.mcp;

import dev.mcpguard.api.AuditDetails;
import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.GuardKeys;
import dev.mcpguard.api.McpTarget;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.ToolOutcome;
import dev.mcpguard.api.spi.AuditSink;
import dev.mcpguard.core.chain.GuardChain;
import dev.mcpguard.core.internal.ClientText;
import dev.mcpguard.core.internal.Ids;
import dev.mcpguard.core.policy.ToolVisibility;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.JSONRPCRequest;
import io.modelcontextprotocol.spec.McpSchema.JSONRPCResponse;
import io.modelcontextprotocol.spec.McpSchema.JSONRPCResponse.JSONRPCError;
import io.modelcontextprotocol.util.DefaultMcpUriTemplateManagerFactory;
import io.modelcontextprotocol.util.McpUriTemplateManagerFactory;
import java.time.Clock;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletionStage;
import java.util.function.Predicate;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

/**
 * Puts every resource, prompt and completion request through the guard chain at the JSON-RPC level, where the
 * guarded transports ({@link GuardedStreamableTransportProvider}, {@link GuardedStatelessTransport}) see a request
 * after the SDK parsed it and before the SDK dispatches it:
 * <ul>
 *   <li>the request's target ({@link McpTarget}: the resource URI with the server's matching template, name and
 *       MIME type; the prompt name and arguments; the completion reference and argument) is read from its params,
 *       bounded; params that do not fit the method are refused with {@code -32602} and audited
 *       ({@code invalid_arguments}) without dispatching;</li>
 *   <li>the chain decides it as it decides a tool call (audit, identity, session, policy with the method's
 *       operation, obligations, throttle, credentials, your guards); only when every step proceeds does the SDK
 *       dispatch the request to the server's handler;</li>
 *   <li>on the way out, listings ({@code resources/list}, {@code resources/templates/list}, {@code prompts/list})
 *       keep only the items policy lets the caller list (operation {@code list}, one question per item), and the
 *       obligations step redacts resource contents and prompt messages;</li>
 *   <li>a denial is a JSON-RPC error {@value #DENIED} whose message and {@code data} carry the reason and decision
 *       id; a failure (the handler threw: the SDK's {@code -32603}) is a generic error with the call id; any other
 *       error the SDK answers (unknown resource or prompt, invalid params) goes to the client as the SDK made it,
 *       after its audit record ({@code tool_error}).</li>
 * </ul>
 * Tool calls are not handled here: they pass the chain in their wrapped specifications, at no extra cost.
 *
 * <p>Thread-safe and immutable; per-request state lives in the Reactor pipeline of each request.
 */
final class GuardedRequests {

    /** The methods decided here; {@code tools/*} are decided in the wrapped tool specifications. */
    static final Set<String> METHODS = Set.of(McpSchema.METHOD_RESOURCES_LIST,
            McpSchema.METHOD_RESOURCES_TEMPLATES_LIST, McpSchema.METHOD_RESOURCES_READ,
            McpSchema.METHOD_RESOURCES_SUBSCRIBE, McpSchema.METHOD_RESOURCES_UNSUBSCRIBE,
            McpSchema.METHOD_PROMPT_LIST, McpSchema.METHOD_PROMPT_GET, McpSchema.METHOD_COMPLETION_COMPLETE);
    /** The JSON-RPC error code of a denial (server-defined range). */
    static final int DENIED = -32001;
    /** The longest resource URI accepted, in characters. */
    static final int MAX_URI_LENGTH = 4096;
    /** The longest prompt name, argument name or completion value accepted, in characters. */
    static final int MAX_NAME_LENGTH = 1024;
    /** The most prompt arguments accepted. */
    static final int MAX_ARGUMENTS = 64;
    /** Audit detail: how many listed items policy hid. */
    static final String ITEMS_HIDDEN = "items_hidden";
    /** Audit detail: how many listed items the caller saw. */
    static final String ITEMS_SHOWN = "items_shown";

    private static final Logger log = LoggerFactory.getLogger(GuardedRequests.class);
    private static final McpUriTemplateManagerFactory TEMPLATES = new DefaultMcpUriTemplateManagerFactory();
    private static final String CATALOG_ID_PREFIX = "mcp-guard-catalog-";

    /** Hands a request to the SDK's own dispatch and yields the response it made, without sending it. */
    @FunctionalInterface
    interface Sdk {
        Mono<JSONRPCResponse> dispatch(JSONRPCRequest request);
    }

    private final GuardChain chain;
    private final ToolVisibility visibility;
    private final AuditSink sink;
    private final String serverName;
    private final Clock clock;
    private final McpSdkAdapter adapter;

    GuardedRequests(GuardChain chain, ToolVisibility visibility, AuditSink sink, String serverName, Clock clock,
                    McpSdkAdapter adapter) {
        this.chain = Objects.requireNonNull(chain, "chain");
        this.visibility = Objects.requireNonNull(visibility, "visibility");
        this.sink = Objects.requireNonNull(sink, "sink");
        this.serverName = Objects.requireNonNull(serverName, "serverName");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.adapter = Objects.requireNonNull(adapter, "adapter");
    }

    /** Whether {@code method} is decided here. */
    static boolean guards(String method) {
        return method != null && METHODS.contains(method);
    }

    /**
     * The response to send for {@code request} (a method {@link #guards}): decided by the chain, dispatched to
     * {@code sdk} only when allowed, filtered and redacted on the way out. Completes with a response; never errors.
     *
     * @param context   the request's transport context (caller, extractor mark)
     * @param sessionId the MCP session, empty on stateless transports
     */
    Mono<JSONRPCResponse> handle(JSONRPCRequest request, McpTransportContext context, Optional<String> sessionId,
                                 Sdk sdk) {
        return Mono.deferContextual(reactorContext -> {
            String callId = Ids.newId(clock);
            java.time.Instant receivedAt = clock.instant();
            Parsed parsed;
            try {
                parsed = Parsed.of(request);
            } catch (InvalidParams e) {
                return Mono.just(refuseInvalid(request, callId, receivedAt, context, sessionId, e.getMessage()));
            }
            Mono<McpTarget> target = parsed.uri() == null ? Mono.just(parsed.target())
                    : catalog(sdk).map(catalog -> catalog.resolve(parsed.target().method(), parsed.uri()));
            return target.flatMap(resolved -> {
                // The JSON-RPC id comes from the HTTP filter (on Streamable HTTP this request's id is an inner one).
                ToolCall call = adapter.withTransportFacts(ToolCall.of(resolved, callId, serverName,
                        parsed.arguments(), sessionId, TransportKeys.caller(context), receivedAt), context, null,
                        meta(request));
                CompletionStage<ToolOutcome> stage = chain.execute(call, guarded -> sdk.dispatch(request)
                        .map(response -> outcomeOf(guarded, response))
                        .switchIfEmpty(Mono.fromSupplier(() -> new ToolOutcome.Failed(guarded,
                                new IllegalStateException("the server made no response"))))
                        .contextWrite(reactorContext)
                        .toFuture());
                return Mono.fromCompletionStage(stage).map(outcome -> render(request.id(), outcome));
            }).onErrorResume(e -> {
                // Not reached in practice: the chain completes normally. Still never let an error reach the SDK,
                // which would send its message to the client.
                log.error("Request {} ({}) could not be guarded; answering with a generic error", callId,
                        request.method(), e);
                return Mono.just(failure(request.id(), callId));
            });
        });
    }

    /** The request's {@code params._meta}, or null. */
    private static Map<?, ?> meta(JSONRPCRequest request) {
        return request.params() instanceof Map<?, ?> params && params.get("_meta") instanceof Map<?, ?> meta
                ? meta : null;
    }

    // ---------------------------------------------------------------- the SDK's answer as an outcome

    private ToolOutcome outcomeOf(ToolCall call, JSONRPCResponse response) {
        JSONRPCError error = response.error();
        if (error == null) {
            if (response.result() == null) {
                return new ToolOutcome.Failed(call, new IllegalStateException("the server's response has no result"));
            }
            return call.target().isListing() ? filtered(call, response.result())
                    : new ToolOutcome.Completed(call, response.result(), false);
        }
        if (error.code() != null && error.code() == McpSchema.ErrorCodes.INTERNAL_ERROR) {
            // The handler threw; the SDK put the exception's message into the error: keep it on the server.
            return new ToolOutcome.Failed(call, new HandlerFailure(ClientText.forLog(String.valueOf(error.message()), 500)));
        }
        return new ToolOutcome.Completed(call, error, true);
    }

    /** The listing with only the items policy lets the caller list; the counts go into the audit record. */
    private ToolOutcome filtered(ToolCall call, Object result) {
        CallerIdentity caller = call.caller().orElseThrow(() -> new IllegalStateException("no caller past identity"));
        Optional<String> session = call.sessionId();
        int[] hidden = new int[1];
        Object shown;
        int count;
        if (result instanceof McpSchema.ListResourcesResult list) {
            List<McpSchema.Resource> kept = keep(list.resources(), hidden, resource -> visibility.listable(caller,
                    McpTarget.resource(McpSchema.METHOD_RESOURCES_LIST, new McpTarget.Resource(resource.uri(), null,
                            resource.name(), resource.mimeType())), session));
            count = kept.size();
            shown = new McpSchema.ListResourcesResult(kept, list.nextCursor(), list.meta());
        } else if (result instanceof McpSchema.ListResourceTemplatesResult list) {
            List<McpSchema.ResourceTemplate> kept = keep(list.resourceTemplates(), hidden, template ->
                    visibility.listable(caller, McpTarget.resource(McpSchema.METHOD_RESOURCES_TEMPLATES_LIST,
                            new McpTarget.Resource(null, template.uriTemplate(), template.name(),
                                    template.mimeType())), session));
            count = kept.size();
            shown = new McpSchema.ListResourceTemplatesResult(kept, list.nextCursor(), list.meta());
        } else if (result instanceof McpSchema.ListPromptsResult list) {
            List<McpSchema.Prompt> kept = keep(list.prompts(), hidden, prompt -> prompt.name() != null
                    && visibility.listable(caller, McpTarget.prompt(McpSchema.METHOD_PROMPT_LIST,
                            new McpTarget.Prompt(prompt.name())), session));
            count = kept.size();
            shown = new McpSchema.ListPromptsResult(kept, list.nextCursor(), list.meta());
        } else {
            return new ToolOutcome.Failed(call, new IllegalStateException("the listing is a "
                    + result.getClass().getName() + ", which this guard cannot filter"));
        }
        ToolCall recorded = call.withAttribute(AuditDetails.KEY, AuditDetails.of(call)
                .with(ITEMS_SHOWN, Integer.toString(count)).with(ITEMS_HIDDEN, Integer.toString(hidden[0])));
        return new ToolOutcome.Completed(recorded, shown, false);
    }

    private static <T> List<T> keep(List<T> items, int[] hidden, Predicate<T> visible) {
        if (items == null) {
            return List.of();
        }
        List<T> kept = new ArrayList<>(items.size());
        for (T item : items) {
            if (item != null && visible.test(item)) {
                kept.add(item);
            } else {
                hidden[0]++;
            }
        }
        return kept;
    }

    // ---------------------------------------------------------------- the outcome as a response

    private static JSONRPCResponse render(Object id, ToolOutcome outcome) {
        if (outcome instanceof ToolOutcome.Completed completed) {
            return completed.result() instanceof JSONRPCError error
                    ? new JSONRPCResponse(McpSchema.JSONRPC_VERSION, id, null, error)
                    : new JSONRPCResponse(McpSchema.JSONRPC_VERSION, id, completed.result(), null);
        }
        if (outcome instanceof ToolOutcome.Denied denied) {
            Decision.Deny deny = denied.decision();
            Map<String, Object> data = new LinkedHashMap<>();
            data.put("error", "denied");
            data.put("reason", deny.reason().value());
            data.put("decision_id", deny.decisionId());
            data.put("message", deny.message());
            denied.call().attribute(GuardKeys.RETRY_AFTER).ifPresent(retryAfter ->
                    data.put("retry_after_seconds", Math.max(1, (retryAfter.toMillis() + 999) / 1000)));
            return new JSONRPCResponse(McpSchema.JSONRPC_VERSION, id, null, new JSONRPCError(DENIED,
                    "Denied: " + deny.message() + " (reason: " + deny.reason().value() + ", decision: "
                            + deny.decisionId() + ")", data));
        }
        ToolOutcome.Failed failed = (ToolOutcome.Failed) outcome;
        log.warn("Request {} ({}) failed", failed.call().callId(), failed.call().target().method(), failed.cause());
        return failure(id, failed.call().callId());
    }

    private static JSONRPCResponse failure(Object id, String callId) {
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("error", "failed");
        data.put("call_id", callId);
        return new JSONRPCResponse(McpSchema.JSONRPC_VERSION, id, null, new JSONRPCError(
                McpSchema.ErrorCodes.INTERNAL_ERROR, "The request failed. Reference: " + callId, data));
    }

    /** Audits params that do not fit the method, and refuses them; the SDK never sees the request. */
    private JSONRPCResponse refuseInvalid(JSONRPCRequest request, String callId, java.time.Instant receivedAt,
                                          McpTransportContext context, Optional<String> sessionId, String problem) {
        try {
            sink.write(new AuditRecord(AuditRecord.SCHEMA_VERSION, callId, receivedAt, callId,
                    TransportKeys.caller(context).map(AuditRecord.Caller::of).orElse(null), sessionId.orElse(null),
                    serverName, null, request.method(), null, Map.of(), AuditRecord.Verdict.DENY,
                    ReasonCode.INVALID_ARGUMENTS.value(), AuditRecord.Outcome.DENIED, 0, null, Map.of()));
        } catch (AuditSink.AuditWriteException | RuntimeException e) {
            log.error("Audit record of refused request {} ({}) could not be written ({})", callId, request.method(),
                    e.getClass().getName());
        }
        log.debug("Refused {} request {}: {}", request.method(), callId, problem);
        Map<String, Object> data = new LinkedHashMap<>();
        data.put("error", "denied");
        data.put("reason", ReasonCode.INVALID_ARGUMENTS.value());
        data.put("decision_id", callId);
        data.put("message", problem);
        return new JSONRPCResponse(McpSchema.JSONRPC_VERSION, request.id(), null, new JSONRPCError(
                McpSchema.ErrorCodes.INVALID_PARAMS, "Invalid params: " + problem, data));
    }

    // ---------------------------------------------------------------- the server's resources, for a URI

    /** The server's resources and templates, as its own listing handlers answer (the SDK's order). */
    private static Mono<Catalog> catalog(Sdk sdk) {
        Mono<List<McpSchema.Resource>> resources = sdk.dispatch(catalogRequest(McpSchema.METHOD_RESOURCES_LIST))
                .map(response -> response.result() instanceof McpSchema.ListResourcesResult list
                        && list.resources() != null ? list.resources() : List.<McpSchema.Resource>of())
                .onErrorReturn(List.of())
                .defaultIfEmpty(List.of());
        Mono<List<McpSchema.ResourceTemplate>> templates = sdk.dispatch(
                        catalogRequest(McpSchema.METHOD_RESOURCES_TEMPLATES_LIST))
                .map(response -> response.result() instanceof McpSchema.ListResourceTemplatesResult list
                        && list.resourceTemplates() != null ? list.resourceTemplates()
                        : List.<McpSchema.ResourceTemplate>of())
                .onErrorReturn(List.of())
                .defaultIfEmpty(List.of());
        return Mono.zip(resources, templates, Catalog::new);
    }

    private static JSONRPCRequest catalogRequest(String method) {
        return new JSONRPCRequest(McpSchema.JSONRPC_VERSION, method, CATALOG_ID_PREFIX + UUID.randomUUID(), null);
    }

    /** What the server offers, to describe a requested URI as the contract asks. */
    private record Catalog(List<McpSchema.Resource> resources, List<McpSchema.ResourceTemplate> templates) {

        McpTarget resolve(String method, String uri) {
            McpSchema.Resource resource = resources.stream()
                    .filter(r -> r != null && uri.equals(r.uri())).findFirst().orElse(null);
            McpSchema.ResourceTemplate template = templates.stream()
                    .filter(t -> t != null && matches(t.uriTemplate(), uri)).findFirst().orElse(null);
            String name = resource != null ? resource.name() : template != null ? template.name() : null;
            String mimeType = resource != null ? resource.mimeType() : template != null ? template.mimeType() : null;
            return McpTarget.resource(method, new McpTarget.Resource(uri,
                    template == null ? null : template.uriTemplate(), name, mimeType));
        }

        /** As the SDK matches a URI to a template when it dispatches a read. */
        private static boolean matches(String uriTemplate, String uri) {
            if (uriTemplate == null || uriTemplate.isBlank()) {
                return false;
            }
            try {
                return TEMPLATES.create(uriTemplate).matches(uri);
            } catch (RuntimeException e) {
                return false;
            }
        }
    }

    // ---------------------------------------------------------------- params

    /** Params that do not fit the method; the message is fixed text, never the client's. */
    static final class InvalidParams extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidParams(String message) {
            super(message, null, false, false);
        }
    }

    /**
     * What a request asks, read from its params: the target (for a resource URI, still to be resolved against the
     * server's catalog, then {@code uri} is set) and the arguments policy sees.
     */
    record Parsed(McpTarget target, String uri, Map<String, Object> arguments) {

        static Parsed of(JSONRPCRequest request) throws InvalidParams {
            Map<?, ?> params = params(request.params());
            String method = request.method();
            return switch (method) {
                case McpSchema.METHOD_RESOURCES_LIST, McpSchema.METHOD_RESOURCES_TEMPLATES_LIST,
                     McpSchema.METHOD_PROMPT_LIST ->
                        new Parsed(new McpTarget(method, null, null, null), null, Map.of());
                case McpSchema.METHOD_RESOURCES_READ, McpSchema.METHOD_RESOURCES_SUBSCRIBE,
                     McpSchema.METHOD_RESOURCES_UNSUBSCRIBE -> {
                    String uri = text(params.get("uri"), "uri", MAX_URI_LENGTH);
                    yield new Parsed(McpTarget.resource(method, new McpTarget.Resource(uri, null, null, null)), uri,
                            Map.of());
                }
                case McpSchema.METHOD_PROMPT_GET -> new Parsed(McpTarget.prompt(method,
                        new McpTarget.Prompt(text(params.get("name"), "name", MAX_NAME_LENGTH))), null,
                        promptArguments(params.get("arguments")));
                case McpSchema.METHOD_COMPLETION_COMPLETE -> completion(params);
                default -> throw new InvalidParams("the method is not guarded here");
            };
        }

        private static Parsed completion(Map<?, ?> params) throws InvalidParams {
            Map<?, ?> ref = params(params.get("ref"));
            Map<?, ?> argument = params(params.get("argument"));
            Object type = ref.get("type");
            String target;
            if ("ref/prompt".equals(type)) {
                target = text(ref.get("name"), "ref.name", MAX_NAME_LENGTH);
            } else if ("ref/resource".equals(type)) {
                target = text(ref.get("uri"), "ref.uri", MAX_URI_LENGTH);
            } else {
                throw new InvalidParams("ref.type must be ref/prompt or ref/resource");
            }
            String name = text(argument.get("name"), "argument.name", MAX_NAME_LENGTH);
            Object value = argument.get("value");
            if (value != null && !(value instanceof String)) {
                throw new InvalidParams("argument.value must be a string");
            }
            String partial = value == null ? "" : (String) value;
            if (partial.length() > MAX_NAME_LENGTH) {
                throw new InvalidParams("argument.value is longer than " + MAX_NAME_LENGTH + " characters");
            }
            Map<String, Object> arguments = new LinkedHashMap<>();
            arguments.put(name, partial);
            return new Parsed(McpTarget.completion(new McpTarget.Completion((String) type, target, name)), null,
                    arguments);
        }

        private static Map<String, Object> promptArguments(Object value) throws InvalidParams {
            if (value == null) {
                return Map.of();
            }
            if (!(value instanceof Map<?, ?> map)) {
                throw new InvalidParams("arguments must be an object");
            }
            if (map.size() > MAX_ARGUMENTS) {
                throw new InvalidParams("at most " + MAX_ARGUMENTS + " arguments are accepted");
            }
            Map<String, Object> arguments = new LinkedHashMap<>();
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                if (!(entry.getKey() instanceof String key) || key.length() > MAX_NAME_LENGTH) {
                    throw new InvalidParams("argument names must be strings of at most " + MAX_NAME_LENGTH
                            + " characters");
                }
                arguments.put(key, entry.getValue());
            }
            return arguments;
        }

        private static Map<?, ?> params(Object params) throws InvalidParams {
            if (params == null) {
                return Map.of();
            }
            if (!(params instanceof Map<?, ?> map)) {
                throw new InvalidParams("params must be an object");
            }
            return map;
        }

        private static String text(Object value, String field, int maxLength) throws InvalidParams {
            if (!(value instanceof String text) || text.isEmpty()) {
                throw new InvalidParams(field + " must be a non-empty string");
            }
            if (text.length() > maxLength) {
                throw new InvalidParams(field + " is longer than " + maxLength + " characters");
            }
            return text;
        }
    }

    /** The server's handler failed (the SDK answered {@code -32603}); the message is escaped, for the server log. */
    static final class HandlerFailure extends RuntimeException {
        private static final long serialVersionUID = 1L;

        HandlerFailure(String message) {
            super("the handler failed: " + message, null, false, false);
        }
    }
}
