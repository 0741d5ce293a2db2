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

    private TransportKeys() {
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
