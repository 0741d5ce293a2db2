package dev.mcpguard.core.mcp;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Secret;
import dev.mcpguard.core.http.GuardRequestAttributes;
import io.modelcontextprotocol.common.McpTransportContext;
import java.util.Optional;

/**
 * The keys under which {@link CallerContextExtractor} puts verified facts into the SDK's
 * {@link McpTransportContext}, and typed reads of them: the only place in the SDK integration that reads the
 * context by key. The caller and token keys are the servlet attribute names of {@link GuardRequestAttributes}.
 * Stateless.
 */
final class TransportKeys {

    /**
     * Present (value {@code true}) in every context the extractor made, with or without a caller: a context
     * without it comes from a transport that was built without {@code contextExtractor(guard.contextExtractor())}.
     */
    static final String EXTRACTOR_MARK = "dev.mcpguard.context-extractor";

    /** The HTTP request's W3C {@code traceparent} header (client text, bounded where read). */
    static final String TRACEPARENT = "dev.mcpguard.http.traceparent";
    /** The HTTP request's W3C {@code tracestate} header. */
    static final String TRACESTATE = "dev.mcpguard.http.tracestate";
    /** The HTTP request's {@code MCP-Protocol-Version} header. */
    static final String PROTOCOL_VERSION = "dev.mcpguard.http.protocol-version";
    /** The JSON-RPC id of the POSTed request, as the HTTP filter read it (attribute of the same name). */
    static final String JSONRPC_ID = GuardRequestAttributes.JSONRPC_REQUEST_ID;

    private TransportKeys() {
    }

    /** The string under {@code key} in {@code context}, or null. */
    static String text(McpTransportContext context, String key) {
        return context != null && context.get(key) instanceof String value ? value : null;
    }

    static Optional<CallerIdentity> caller(McpTransportContext context) {
        return context != null && context.get(GuardRequestAttributes.CALLER) instanceof CallerIdentity identity
                ? Optional.of(identity) : Optional.empty();
    }

    static Optional<Secret> inboundToken(McpTransportContext context) {
        return context != null && context.get(GuardRequestAttributes.INBOUND_TOKEN) instanceof Secret token
                ? Optional.of(token) : Optional.empty();
    }

    /** Whether the transport that made {@code context} runs mcp-guard's extractor. */
    static boolean extractorInstalled(McpTransportContext context) {
        return context != null && Boolean.TRUE.equals(context.get(EXTRACTOR_MARK));
    }
}
