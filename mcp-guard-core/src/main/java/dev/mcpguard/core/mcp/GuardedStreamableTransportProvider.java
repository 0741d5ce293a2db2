package dev.mcpguard.core.mcp;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.core.internal.ClientText;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.TypeRef;
import io.modelcontextprotocol.server.McpRequestHandler;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpStreamableServerSession;
import io.modelcontextprotocol.spec.McpStreamableServerTransport;
import io.modelcontextprotocol.spec.McpStreamableServerTransportProvider;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Flux;
import reactor.core.publisher.Mono;

import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Sits between the MCP SDK server and its Streamable HTTP transport, where every JSON-RPC message of a session
 * passes after the SDK parsed it and before the SDK dispatches it. Built by
 * {@code McpGuard.guardTransport(McpStreamableServerTransportProvider)}. It does three things and otherwise
 * delegates unchanged:
 * <ul>
 *   <li>{@code initialize}: the client-chosen strings the SDK logs at INFO (protocol version, client info,
 *       experimental and extension capabilities) are escaped with {@link ClientText#forLog} first, so a line
 *       break in {@code clientInfo.name} cannot forge a log line;</li>
 *   <li>notifications the SDK has no handler for (which it would log whole, params included) are dropped here
 *       with an escaped WARN line, as the SDK would drop them;</li>
 *   <li>a {@code tools/call} naming a tool the server does not have is audited ({@link UnknownToolAudit}) as the
 *       SDK's "unknown tool" error goes out (the SDK answers it before any guard could run);</li>
 *   <li>resource, prompt and completion requests pass the guard chain ({@link GuardedRequests}) before the SDK's
 *       session dispatches them; the SDK's response is captured on its way to the client, post-processed by the
 *       chain (listing filter, redaction, audit) and only then sent.</li>
 * </ul>
 *
 * <p>Thread-safe as the delegate is; holds no state of its own besides the wrapped sessions the delegate keeps.
 */
final class GuardedStreamableTransportProvider implements McpStreamableServerTransportProvider {

    /** The client notifications the SDK 2.1 server handles; it logs and drops every other. */
    static final Set<String> HANDLED_NOTIFICATIONS = Set.of(
            McpSchema.METHOD_NOTIFICATION_INITIALIZED, McpSchema.METHOD_NOTIFICATION_ROOTS_LIST_CHANGED);

    static final String UNKNOWN_TOOL_MESSAGE = "Unknown tool: invalid_tool_name";
    /** The id a request carries on its way from the dispatching session to the SDK's own (never sent). */
    private static final String INNER_REQUEST_ID = "mcp-guard-dispatch";
    private static final String UNKNOWN_TOOL_DATA_PREFIX = "Tool not found: ";

    private static final Logger log = LoggerFactory.getLogger(GuardedStreamableTransportProvider.class);

    private final McpStreamableServerTransportProvider delegate;
    private final UnknownToolAudit unknownTools;
    private final GuardedRequests requests;
    private final ServerRequestAudit serverRequests;

    GuardedStreamableTransportProvider(McpStreamableServerTransportProvider delegate, UnknownToolAudit unknownTools,
                                       GuardedRequests requests, ServerRequestAudit serverRequests) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.unknownTools = Objects.requireNonNull(unknownTools, "unknownTools");
        this.requests = Objects.requireNonNull(requests, "requests");
        this.serverRequests = Objects.requireNonNull(serverRequests, "serverRequests");
    }

    @Override
    public void setSessionFactory(McpStreamableServerSession.Factory sessionFactory) {
        Objects.requireNonNull(sessionFactory, "sessionFactory");
        delegate.setSessionFactory(initialize -> {
            McpStreamableServerSession.McpStreamableServerSessionInit init =
                    sessionFactory.startSession(logSafe(initialize));
            return new McpStreamableServerSession.McpStreamableServerSessionInit(
                    new InspectingSession(init.session()), init.initResult());
        });
    }

    @Override
    public Mono<Void> notifyClients(String method, Object params) {
        return delegate.notifyClients(method, params);
    }

    @Override
    public Mono<Void> notifyClient(String sessionId, String method, Object params) {
        return delegate.notifyClient(sessionId, method, params);
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public Mono<Void> closeGracefully() {
        return delegate.closeGracefully();
    }

    @Override
    public List<String> protocolVersions() {
        return delegate.protocolVersions();
    }

    @Override
    public String toString() {
        return "GuardedStreamableTransportProvider[" + delegate + "]";
    }

    // ---------------------------------------------------------------- initialize

    /** {@code request} with every client-chosen string the SDK logs escaped; the same object when clean. */
    static McpSchema.InitializeRequest logSafe(McpSchema.InitializeRequest request) {
        if (request == null) {
            return null;
        }
        String version = escaped(request.protocolVersion());
        McpSchema.Implementation info = logSafe(request.clientInfo());
        McpSchema.ClientCapabilities capabilities = logSafe(request.capabilities());
        if (Objects.equals(version, request.protocolVersion()) && info == request.clientInfo()
                && capabilities == request.capabilities()) {
            return request;
        }
        return new McpSchema.InitializeRequest(version, capabilities, info, request.meta());
    }

    private static McpSchema.Implementation logSafe(McpSchema.Implementation info) {
        if (info == null) {
            return null;
        }
        List<McpSchema.Icon> icons = info.icons() == null ? null : info.icons().stream()
                .map(icon -> icon == null ? null : new McpSchema.Icon(escaped(icon.src()), escaped(icon.mimeType()),
                        icon.sizes() == null ? null : icon.sizes().stream().map(GuardedStreamableTransportProvider::escaped).toList(),
                        escaped(icon.theme())))
                .toList();
        McpSchema.Implementation safe = new McpSchema.Implementation(escaped(info.name()), escaped(info.title()),
                escaped(info.version()), escaped(info.description()), icons, escaped(info.websiteUrl()));
        return safe.equals(info) ? info : safe;
    }

    private static McpSchema.ClientCapabilities logSafe(McpSchema.ClientCapabilities capabilities) {
        if (capabilities == null) {
            return null;
        }
        Map<String, Object> experimental = escapedMap(capabilities.experimental());
        Map<String, Map<String, Object>> extensions = null;
        if (capabilities.extensions() != null) {
            extensions = new LinkedHashMap<>();
            for (Map.Entry<String, Map<String, Object>> e : capabilities.extensions().entrySet()) {
                extensions.put(escaped(e.getKey()), escapedMap(e.getValue()));
            }
        }
        if (Objects.equals(experimental, capabilities.experimental())
                && Objects.equals(extensions, capabilities.extensions())) {
            return capabilities;
        }
        return new McpSchema.ClientCapabilities(experimental, capabilities.roots(), capabilities.sampling(),
                capabilities.elicitation(), extensions);
    }

    private static Map<String, Object> escapedMap(Map<String, Object> map) {
        if (map == null) {
            return null;
        }
        Map<String, Object> copy = new LinkedHashMap<>();
        map.forEach((k, v) -> copy.put(escaped(k), escapedValue(v)));
        return copy;
    }

    @SuppressWarnings("unchecked")
    private static Object escapedValue(Object value) {
        if (value instanceof String s) {
            return escaped(s);
        }
        if (value instanceof Map<?, ?> map) {
            Map<String, Object> copy = new LinkedHashMap<>();
            map.forEach((k, v) -> copy.put(escaped(String.valueOf(k)), escapedValue(v)));
            return copy;
        }
        if (value instanceof List<?> list) {
            List<Object> copy = new ArrayList<>(list.size());
            list.forEach(v -> copy.add(escapedValue(v)));
            return copy;
        }
        return value;
    }

    private static String escaped(String text) {
        return text == null ? null : ClientText.forLog(text);
    }

    // ---------------------------------------------------------------- requests and notifications

    /**
     * The SDK's own answer to a {@code tools/call} for a tool it does not have (SDK 2.1: {@code -32602}, message
     * {@value #UNKNOWN_TOOL_MESSAGE}, data {@code "Tool not found: <name>"}): the requested name, or empty when
     * {@code message} is anything else. A test over HTTP pins this against the SDK in use.
     */
    static Optional<String> unknownToolOf(McpSchema.JSONRPCMessage message) {
        if (!(message instanceof McpSchema.JSONRPCResponse response) || response.error() == null) {
            return Optional.empty();
        }
        McpSchema.JSONRPCResponse.JSONRPCError error = response.error();
        if (error.code() != McpSchema.ErrorCodes.INVALID_PARAMS || !UNKNOWN_TOOL_MESSAGE.equals(error.message())) {
            return Optional.empty();
        }
        return Optional.of(error.data() instanceof String data && data.startsWith(UNKNOWN_TOOL_DATA_PREFIX)
                ? data.substring(UNKNOWN_TOOL_DATA_PREFIX.length()) : "");
    }

    private Mono<Void> auditIfUnknownTool(McpSchema.JSONRPCMessage message, String sessionId) {
        Optional<String> tool = unknownToolOf(message);
        if (tool.isEmpty()) {
            return Mono.empty();
        }
        return Mono.deferContextual(ctx -> {
            McpTransportContext context = ctx.getOrDefault(McpTransportContext.KEY, McpTransportContext.EMPTY);
            Optional<CallerIdentity> caller = TransportKeys.caller(context);
            // Written before the error leaves, as the audit record of a guarded call is.
            unknownTools.record(caller, Optional.ofNullable(sessionId), tool.get());
            return Mono.empty();
        });
    }

    /**
     * Audits, when the client's request was a server-to-client request's trigger ({@code trigger} not null), each
     * request the server sends on this stream (sampling, elicitation, roots), and any request's SDK
     * "unknown tool" answer on its way out.
     */
    private Mono<Void> audit(McpSchema.JSONRPCMessage message, String sessionId, McpSchema.JSONRPCRequest trigger,
                             Optional<CallerIdentity> caller) {
        if (trigger != null && message instanceof McpSchema.JSONRPCRequest sent) {
            // The caller as the trigger's context had it: a sync handler's exchange sends without that context.
            return Mono.fromRunnable(() -> serverRequests.record(sent, trigger, caller, Optional.ofNullable(sessionId)));
        }
        return auditIfUnknownTool(message, sessionId);
    }

    /**
     * A response stream's transport that audits the SDK's "unknown tool" answers on their way out, and the
     * requests the server sends the client while answering {@code trigger}.
     */
    private final class AuditingTransport implements McpStreamableServerTransport {
        private final McpStreamableServerTransport transport;
        private final String sessionId;
        private final McpSchema.JSONRPCRequest trigger;
        private final Optional<CallerIdentity> caller;

        AuditingTransport(McpStreamableServerTransport transport, String sessionId, McpSchema.JSONRPCRequest trigger,
                          Optional<CallerIdentity> caller) {
            this.transport = transport;
            this.sessionId = sessionId;
            this.trigger = trigger;
            this.caller = caller;
        }

        @Override
        public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message) {
            return audit(message, sessionId, trigger, caller).then(Mono.defer(() -> transport.sendMessage(message)));
        }

        @Override
        public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message, String messageId) {
            return audit(message, sessionId, trigger, caller)
                    .then(Mono.defer(() -> transport.sendMessage(message, messageId)));
        }

        @Override
        public <T> T unmarshalFrom(Object data, TypeRef<T> typeRef) {
            return transport.unmarshalFrom(data, typeRef);
        }

        @Override
        public Mono<Void> closeGracefully() {
            return transport.closeGracefully();
        }

        @Override
        public void close() {
            transport.close();
        }

        @Override
        public List<String> protocolVersions() {
            return transport.protocolVersions();
        }
    }

    /** The SDK's (or the guard's) error answer, passed back to the stream that sends it; no stack trace. */
    private static final class GuardedError extends McpError {
        private static final long serialVersionUID = 1L;

        GuardedError(McpSchema.JSONRPCResponse.JSONRPCError error) {
            super(error);
        }

        @Override
        public synchronized Throwable fillInStackTrace() {
            return this;
        }
    }

    /**
     * A response stream's transport that keeps the response to one request instead of sending it (the guard sends
     * it after the chain's way out); everything else the handler sends on the stream (progress, logging,
     * server-to-client requests such as sampling or elicitation) goes to the client as it comes. It never closes
     * the stream: the guard does, after sending the response.
     */
    private static final class CapturingTransport implements McpStreamableServerTransport {
        private final McpStreamableServerTransport transport;
        private final Object requestId;
        private volatile McpSchema.JSONRPCResponse response;

        CapturingTransport(McpStreamableServerTransport transport, Object requestId) {
            this.transport = transport;
            this.requestId = requestId;
        }

        Mono<McpSchema.JSONRPCResponse> response() {
            return Mono.justOrEmpty(response);
        }

        private boolean capture(McpSchema.JSONRPCMessage message) {
            if (message instanceof McpSchema.JSONRPCResponse answer && Objects.equals(answer.id(), requestId)) {
                response = answer;
                return true;
            }
            return false;
        }

        @Override
        public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message) {
            return Mono.defer(() -> capture(message) ? Mono.empty() : transport.sendMessage(message));
        }

        @Override
        public Mono<Void> sendMessage(McpSchema.JSONRPCMessage message, String messageId) {
            return Mono.defer(() -> capture(message) ? Mono.empty() : transport.sendMessage(message, messageId));
        }

        @Override
        public <T> T unmarshalFrom(Object data, TypeRef<T> typeRef) {
            return transport.unmarshalFrom(data, typeRef);
        }

        @Override
        public Mono<Void> closeGracefully() {
            return Mono.empty();
        }

        @Override
        public void close() {
            // The guard closes the real stream once its response is sent.
        }

        @Override
        public List<String> protocolVersions() {
            return transport.protocolVersions();
        }
    }

    /**
     * A session that hands every call to the SDK's own session: response streams get an {@link AuditingTransport},
     * notifications without a handler are dropped. It must override every public method of {@link McpStreamableServerSession} (a test
     * asserts it), since its own inherited state is an empty shell.
     */
    final class InspectingSession extends McpStreamableServerSession {
        private final McpStreamableServerSession session;

        InspectingSession(McpStreamableServerSession session) {
            super(session.getId(), null, null, Duration.ofSeconds(1), Map.of(), Map.of());
            this.session = session;
        }

        @Override
        public Mono<Void> responseStream(McpSchema.JSONRPCRequest jsonrpcRequest,
                                         McpStreamableServerTransport transport) {
            return Mono.deferContextual(ctx -> guarded(jsonrpcRequest.method(), jsonrpcRequest.params(),
                            ctx.getOrDefault(McpTransportContext.KEY, McpTransportContext.EMPTY), transport))
                    .map(result -> McpSchema.JSONRPCResponse.result(jsonrpcRequest.id(), result))
                    .onErrorResume(McpError.class, e -> Mono.just(
                            McpSchema.JSONRPCResponse.error(jsonrpcRequest.id(), e.getJsonRpcError())))
                    .flatMap(response -> new AuditingTransport(transport, session.getId(), null, Optional.empty())
                            .sendMessage(response))
                    .then(Mono.defer(transport::closeGracefully));
        }

        /**
         * The SDK servlet transport (2.1) dispatches a request on the stream this returns ({@code handle}), a final
         * SDK class: the stream therefore belongs to a dispatching session made for this one request, whose only
         * handler passes the request to {@link #guarded}; the SDK session's own stream then answers it there.
         */
        @Override
        public McpStreamableServerSessionStream responseStream(McpStreamableServerTransport transport) {
            McpStreamableServerSession dispatching = new McpStreamableServerSession(session.getId(), null, null,
                    Duration.ofSeconds(1), new EveryMethod(transport), Map.of());
            return dispatching.responseStream(new AuditingTransport(transport, session.getId(), null, Optional.empty()));
        }

        /**
         * {@code method} with {@code params}, answered by the SDK's own session: through the guard chain first when
         * {@link GuardedRequests} decides the method, else directly; the result, or an {@link McpError} carrying
         * the JSON-RPC error to send.
         */
        private Mono<Object> guarded(String method, Object params, McpTransportContext context,
                                     McpStreamableServerTransport transport) {
            McpSchema.JSONRPCRequest inner = new McpSchema.JSONRPCRequest(McpSchema.JSONRPC_VERSION, method,
                    INNER_REQUEST_ID, params);
            AuditingTransport auditing = new AuditingTransport(transport, session.getId(), inner,
                    TransportKeys.caller(context));
            Mono<McpSchema.JSONRPCResponse> response = GuardedRequests.guards(method)
                    ? requests.handle(inner, context, Optional.ofNullable(session.getId()),
                            request -> dispatch(request, auditing))
                    : dispatch(inner, auditing);
            return response
                    .switchIfEmpty(Mono.error(() -> new McpError(new McpSchema.JSONRPCResponse.JSONRPCError(
                            McpSchema.ErrorCodes.INTERNAL_ERROR, "The server made no response.", null))))
                    .flatMap(answer -> answer.error() != null ? Mono.error(new GuardedError(answer.error()))
                            : Mono.just(answer.result() != null ? answer.result() : Map.of()));
        }

        /** The SDK session's own answer to {@code request}, captured instead of sent. */
        private Mono<McpSchema.JSONRPCResponse> dispatch(McpSchema.JSONRPCRequest request,
                                                        McpStreamableServerTransport transport) {
            return Mono.defer(() -> {
                CapturingTransport capturing = new CapturingTransport(transport, request.id());
                return session.responseStream(capturing).handle(request).then(Mono.defer(capturing::response));
            });
        }

        /** The request handlers of a dispatching session: one handler for every method, bound to one stream. */
        private final class EveryMethod extends java.util.AbstractMap<String, McpRequestHandler<?>> {
            private final McpStreamableServerTransport transport;

            EveryMethod(McpStreamableServerTransport transport) {
                this.transport = transport;
            }

            @Override
            public McpRequestHandler<?> get(Object method) {
                if (!(method instanceof String name)) {
                    return null;
                }
                return (McpRequestHandler<Object>) (exchange, params) ->
                        guarded(name, params, exchange.transportContext(), transport);
            }

            @Override
            public boolean containsKey(Object method) {
                return method instanceof String;
            }

            @Override
            public java.util.Set<Map.Entry<String, McpRequestHandler<?>>> entrySet() {
                return java.util.Set.of();
            }
        }

        @Override
        public Mono<Void> accept(McpSchema.JSONRPCNotification notification) {
            if (!HANDLED_NOTIFICATIONS.contains(notification.method())) {
                log.warn("Dropped notification '{}' of session {}: the server has no handler for it",
                        ClientText.forLog(notification.method()), ClientText.forLog(session.getId()));
                return Mono.empty();
            }
            return session.accept(notification);
        }

        @Override
        public Mono<Void> accept(McpSchema.JSONRPCResponse response) {
            return session.accept(response);
        }

        @Override
        public void setMinLoggingLevel(McpSchema.LoggingLevel minLoggingLevel) {
            session.setMinLoggingLevel(minLoggingLevel);
        }

        @Override
        public boolean isNotificationForLevelAllowed(McpSchema.LoggingLevel loggingLevel) {
            return session.isNotificationForLevelAllowed(loggingLevel);
        }

        @Override
        public String getId() {
            return session.getId();
        }

        @Override
        public <T> Mono<T> sendRequest(String method, Object requestParams, TypeRef<T> typeRef) {
            return session.sendRequest(method, requestParams, typeRef);
        }

        @Override
        public Mono<Void> sendNotification(String method, Object params) {
            return session.sendNotification(method, params);
        }

        @Override
        public Mono<Void> sendNotification(String method) {
            return session.sendNotification(method);
        }

        @Override
        public Mono<Void> delete() {
            return session.delete();
        }

        @Override
        public boolean hasListeningStream() {
            return session.hasListeningStream();
        }

        @Override
        public boolean hasOpenStream() {
            return session.hasOpenStream();
        }

        @Override
        public McpStreamableServerSessionStream listeningStream(McpStreamableServerTransport transport) {
            return session.listeningStream(transport);
        }

        @Override
        public void releaseListeningStream() {
            session.releaseListeningStream();
        }

        @Override
        public Flux<McpSchema.JSONRPCMessage> replay(Object lastEventId) {
            return session.replay(lastEventId);
        }


        @Override
        public Mono<Void> closeGracefully() {
            return session.closeGracefully();
        }

        @Override
        public void close() {
            session.close();
        }
    }
}
