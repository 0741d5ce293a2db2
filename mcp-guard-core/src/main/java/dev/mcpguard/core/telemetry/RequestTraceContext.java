package dev.mcpguard.core.telemetry;

import dev.mcpguard.api.AttributeKey;
import java.util.Objects;
import java.util.Optional;

/**
 * What the transport knows about a request that telemetry needs and the chain does not: the JSON-RPC request id,
 * the MCP protocol version, and the W3C trace context the client sent (from the request's {@code params._meta},
 * else from the HTTP {@code traceparent} / {@code tracestate} headers). The SDK integration attaches it to the call
 * under {@link #KEY}; the telemetry step reads it. It holds no OpenTelemetry type, so it loads without the API.
 *
 * <p>Every component is client input, bounded here: a value longer than its limit, or holding characters outside
 * printable ASCII, is dropped (the trace then starts anew; nothing fails). Immutable and thread-safe; components are
 * null when unknown.
 *
 * @param jsonRpcId       the JSON-RPC request id as text ({@code 7}, {@code "req-7"} is {@code req-7}), or null
 * @param protocolVersion the MCP protocol version ({@code 2025-06-18}), or null
 * @param traceparent     the W3C {@code traceparent} value, or null
 * @param tracestate      the W3C {@code tracestate} value, or null
 */
public record RequestTraceContext(String jsonRpcId, String protocolVersion, String traceparent, String tracestate) {

    /** The attribute under which the SDK integration attaches this to a call. */
    public static final AttributeKey<RequestTraceContext> KEY =
            AttributeKey.of("mcp-guard.request-trace-context", RequestTraceContext.class);

    /** The longest JSON-RPC id kept, in characters. */
    public static final int MAX_ID_LENGTH = 128;
    /** The longest {@code traceparent} kept: version 00 is 55 characters; later versions may append fields. */
    public static final int MAX_TRACEPARENT_LENGTH = 128;
    /** The longest {@code tracestate} kept: W3C allows 32 members, 512 characters is what it asks to propagate. */
    public static final int MAX_TRACESTATE_LENGTH = 512;
    private static final int MAX_PROTOCOL_VERSION_LENGTH = 32;

    /** Nothing known. */
    public static final RequestTraceContext NONE = new RequestTraceContext(null, null, null, null);

    public RequestTraceContext {
        jsonRpcId = bounded(jsonRpcId, MAX_ID_LENGTH);
        protocolVersion = bounded(protocolVersion, MAX_PROTOCOL_VERSION_LENGTH);
        traceparent = bounded(traceparent, MAX_TRACEPARENT_LENGTH);
        tracestate = traceparent == null ? null : bounded(tracestate, MAX_TRACESTATE_LENGTH);
    }

    /**
     * The trace context of a request: the {@code traceparent} and {@code tracestate} of its {@code _meta} when it
     * has a {@code traceparent} there (the MCP semantic conventions' carrier, per message), else those of its HTTP
     * request (per POST; on Streamable HTTP one POST carries one request).
     *
     * @param meta the request's {@code params._meta}, or null; only string values are read
     */
    public static RequestTraceContext of(Object jsonRpcId, String protocolVersion, java.util.Map<?, ?> meta,
                                         String headerTraceparent, String headerTracestate) {
        String id = jsonRpcId instanceof String || jsonRpcId instanceof Number ? jsonRpcId.toString() : null;
        Object metaParent = meta == null ? null : meta.get("traceparent");
        if (metaParent instanceof String parent && bounded(parent, MAX_TRACEPARENT_LENGTH) != null) {
            Object metaState = meta.get("tracestate");
            return new RequestTraceContext(id, protocolVersion, parent,
                    metaState instanceof String state ? state : null);
        }
        return new RequestTraceContext(id, protocolVersion, headerTraceparent, headerTracestate);
    }

    /** The trace context attached to {@code call}, if any. */
    static Optional<RequestTraceContext> of(dev.mcpguard.api.ToolCall call) {
        return Objects.requireNonNull(call, "call").attribute(KEY);
    }

    /** {@code value} when it is at most {@code max} printable ASCII characters, else null. */
    static String bounded(String value, int max) {
        if (value == null || value.isEmpty() || value.length() > max) {
            return null;
        }
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c < 0x20 || c > 0x7e) {
                return null;
            }
        }
        return value;
    }

    /** Names which facts are present, never their values (they are client input). */
    @Override
    public String toString() {
        return "RequestTraceContext[jsonRpcId=" + (jsonRpcId != null) + ", protocolVersion=" + protocolVersion
                + ", traceparent=" + (traceparent != null) + ", tracestate=" + (tracestate != null) + "]";
    }
}
