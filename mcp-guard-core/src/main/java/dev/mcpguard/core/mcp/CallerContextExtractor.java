package dev.mcpguard.core.mcp;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Secret;
import dev.mcpguard.core.http.GuardRequestAttributes;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpTransportContextExtractor;
import jakarta.servlet.http.HttpServletRequest;
import java.util.HashMap;
import java.util.Map;

/**
 * Copies the caller that {@code McpGuardHttpFilter} verified from the servlet request into the SDK's
 * {@link McpTransportContext}, which the SDK hands to tool handlers on whatever thread runs them. Obtained with
 * {@code McpGuard.contextExtractor()}.
 *
 * <p>Only a {@link CallerIdentity} object set as a request attribute is copied (with the inbound token, when the
 * filter was told to expose it for token exchange): a client can send headers but cannot set servlet attributes.
 * Every context it makes carries {@link TransportKeys#EXTRACTOR_MARK}, so the guard can tell "no caller" from
 * "extractor not installed". Stateless and thread-safe.
 */
final class CallerContextExtractor implements McpTransportContextExtractor<HttpServletRequest> {

    static final CallerContextExtractor INSTANCE = new CallerContextExtractor();
    /** The longest header value copied; {@code RequestTraceContext} bounds each more tightly. */
    private static final int MAX_HEADER_COPIED = 1024;

    private CallerContextExtractor() {
    }

    @Override
    public McpTransportContext extract(HttpServletRequest request) {
        Map<String, Object> values = new HashMap<>(8);
        values.put(TransportKeys.EXTRACTOR_MARK, Boolean.TRUE);
        if (request.getAttribute(GuardRequestAttributes.CALLER) instanceof CallerIdentity identity) {
            values.put(GuardRequestAttributes.CALLER, identity);
            if (request.getAttribute(GuardRequestAttributes.INBOUND_TOKEN) instanceof Secret token) {
                values.put(GuardRequestAttributes.INBOUND_TOKEN, token);
            }
        }
        // For telemetry (bounded where read): the trace context of the POST, the protocol version, the JSON-RPC id.
        copyHeader(request, "traceparent", TransportKeys.TRACEPARENT, values);
        copyHeader(request, "tracestate", TransportKeys.TRACESTATE, values);
        copyHeader(request, "MCP-Protocol-Version", TransportKeys.PROTOCOL_VERSION, values);
        if (request.getAttribute(GuardRequestAttributes.JSONRPC_REQUEST_ID) instanceof String id) {
            values.put(TransportKeys.JSONRPC_ID, id);
        }
        return McpTransportContext.create(Map.copyOf(values));
    }

    private static void copyHeader(HttpServletRequest request, String header, String key, Map<String, Object> values) {
        String value = request.getHeader(header);
        if (value != null && value.length() <= MAX_HEADER_COPIED) {
            values.put(key, value);
        }
    }
}
