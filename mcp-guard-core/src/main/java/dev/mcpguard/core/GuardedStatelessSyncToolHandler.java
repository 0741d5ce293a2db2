package dev.mcpguard.core;

import dev.mcpguard.api.GuardContext;
import dev.mcpguard.api.spi.CredentialProvider.CredentialUnavailableException;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;

/**
 * A synchronous tool handler of a stateless server that also receives the call's {@link GuardContext}. Register
 * it with {@link McpGuard#guardStatelessWithContext(io.modelcontextprotocol.spec.McpSchema.Tool,
 * GuardedStatelessSyncToolHandler)}. Exceptions as for {@link GuardedSyncToolHandler}.
 */
@FunctionalInterface
public interface GuardedStatelessSyncToolHandler {

    CallToolResult handle(McpTransportContext transportContext, CallToolRequest request, GuardContext context)
            throws CredentialUnavailableException;
}
