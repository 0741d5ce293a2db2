package dev.mcpguard.core.mcp;

import dev.mcpguard.api.ToolCall;
import dev.mcpguard.core.telemetry.RequestTraceContext;
import io.modelcontextprotocol.common.McpTransportContext;
import java.util.Map;

/**
 * Attaches a {@link RequestTraceContext} to a call when the chain traces requests: the JSON-RPC id (given, or the
 * one the HTTP filter read from the POST body), the MCP protocol version header, and the W3C trace context of the
 * request's {@code _meta}, else of its HTTP headers, as {@link CallerContextExtractor} copied them. All bounded by
 * {@code RequestTraceContext}. Stateless.
 */
final class RequestTraceFacts {

    private RequestTraceFacts() {
    }

    static ToolCall attach(ToolCall call, Object jsonRpcId, Map<?, ?> meta, McpTransportContext context) {
        Object id = jsonRpcId != null ? jsonRpcId : TransportKeys.text(context, TransportKeys.JSONRPC_ID);
        RequestTraceContext trace = RequestTraceContext.of(id, TransportKeys.text(context, TransportKeys.PROTOCOL_VERSION),
                meta, TransportKeys.text(context, TransportKeys.TRACEPARENT),
                TransportKeys.text(context, TransportKeys.TRACESTATE));
        return call.withAttribute(RequestTraceContext.KEY, trace);
    }
}
