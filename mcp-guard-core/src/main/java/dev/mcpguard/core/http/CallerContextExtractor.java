package dev.mcpguard.core.http;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Secret;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpTransportContextExtractor;
import jakarta.servlet.http.HttpServletRequest;
import java.util.Map;

/**
 * Copies the caller that {@link McpGuardHttpFilter} verified from the servlet request into the SDK's
 * {@link McpTransportContext}, which the SDK hands to tool handlers on whatever thread runs them.
 *
 * <pre>{@code
 * HttpServletStreamableServerTransportProvider.builder()
 *         .mcpEndpoint("/mcp")
 *         .contextExtractor(new CallerContextExtractor())
 *         .build();
 * }</pre>
 *
 * <p>Only a {@link CallerIdentity} object set as a request attribute is copied (with the inbound token, when the
 * filter was told to expose it for token exchange): a client can send headers but cannot set servlet attributes.
 * Stateless and thread-safe.
 */
public final class CallerContextExtractor implements McpTransportContextExtractor<HttpServletRequest> {

    @Override
    public McpTransportContext extract(HttpServletRequest request) {
        Object caller = request.getAttribute(GuardRequestAttributes.CALLER);
        if (!(caller instanceof CallerIdentity identity)) {
            return McpTransportContext.EMPTY;
        }
        if (request.getAttribute(GuardRequestAttributes.INBOUND_TOKEN) instanceof Secret token) {
            return McpTransportContext.create(Map.of(GuardRequestAttributes.CALLER, identity,
                    GuardRequestAttributes.INBOUND_TOKEN, token));
        }
        return McpTransportContext.create(Map.of(GuardRequestAttributes.CALLER, identity));
    }
}
