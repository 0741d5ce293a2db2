package dev.mcpguard.core.mcp;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.core.internal.ClientText;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpStatelessServerHandler;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpStatelessServerTransport;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import reactor.core.publisher.Mono;

import java.util.List;
import java.util.Objects;
import java.util.Optional;

/**
 * The stateless counterpart of {@link GuardedStreamableTransportProvider}, built by
 * {@code McpGuard.guardTransport(McpStatelessServerTransport)}: it sits between the SDK's stateless transport and
 * the SDK's request handler.
 * <ul>
 *   <li>A request or notification whose method (or string id) holds characters {@link ClientText#forLog} would
 *       escape is answered here ({@code -32600}, invalid request) or dropped, with an escaped log line: the SDK
 *       logs methods and ids of requests it cannot handle as they are, and no MCP method holds such
 *       characters.</li>
 *   <li>The SDK's "unknown tool" answer to a {@code tools/call} is audited ({@link UnknownToolAudit}) before it is
 *       returned.</li>
 *   <li>Resource, prompt and completion requests pass the guard chain ({@link GuardedRequests}) before the SDK
 *       dispatches them.</li>
 * </ul>
 *
 * <p>Thread-safe as the delegate is; no state of its own.
 */
final class GuardedStatelessTransport implements McpStatelessServerTransport {

    private static final Logger log = LoggerFactory.getLogger(GuardedStatelessTransport.class);

    private final McpStatelessServerTransport delegate;
    private final UnknownToolAudit unknownTools;
    private final GuardedRequests requests;

    GuardedStatelessTransport(McpStatelessServerTransport delegate, UnknownToolAudit unknownTools,
                              GuardedRequests requests) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.unknownTools = Objects.requireNonNull(unknownTools, "unknownTools");
        this.requests = Objects.requireNonNull(requests, "requests");
    }

    @Override
    public void setMcpHandler(McpStatelessServerHandler handler) {
        Objects.requireNonNull(handler, "handler");
        delegate.setMcpHandler(new AuditingHandler(handler));
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
        return "GuardedStatelessTransport[" + delegate + "]";
    }

    private static boolean logSafe(String text) {
        return text == null || ClientText.forLog(text, Integer.MAX_VALUE).equals(text);
    }

    private final class AuditingHandler implements McpStatelessServerHandler {
        private final McpStatelessServerHandler handler;

        AuditingHandler(McpStatelessServerHandler handler) {
            this.handler = handler;
        }

        @Override
        public Mono<McpSchema.JSONRPCResponse> handleRequest(McpTransportContext context,
                                                             McpSchema.JSONRPCRequest request) {
            if (!logSafe(request.method()) || (request.id() instanceof String id && !logSafe(id))) {
                log.warn("Refused a request with control or format characters in its method '{}' or id",
                        ClientText.forLog(request.method()));
                return Mono.just(McpSchema.JSONRPCResponse.error(request.id(),
                        new McpSchema.JSONRPCResponse.JSONRPCError(McpSchema.ErrorCodes.INVALID_REQUEST,
                                "Invalid request", null)));
            }
            if (GuardedRequests.guards(request.method())) {
                return requests.handle(request, context, Optional.empty(),
                        guarded -> handler.handleRequest(context, guarded));
            }
            return handler.handleRequest(context, request).flatMap(response -> {
                Optional<String> tool = GuardedStreamableTransportProvider.unknownToolOf(response);
                if (tool.isPresent()) {
                    Optional<CallerIdentity> caller = TransportKeys.caller(context);
                    return Mono.fromRunnable(() -> unknownTools.record(caller, Optional.empty(), tool.get()))
                            .thenReturn(response);
                }
                return Mono.just(response);
            });
        }

        @Override
        public Mono<Void> handleNotification(McpTransportContext context, McpSchema.JSONRPCNotification notification) {
            if (!logSafe(notification.method())) {
                log.warn("Dropped notification '{}': the server has no handler for it",
                        ClientText.forLog(notification.method()));
                return Mono.empty();
            }
            return handler.handleNotification(context, notification);
        }
    }
}
