package dev.mcpguard.core;

import dev.mcpguard.api.GuardContext;
import dev.mcpguard.api.spi.CredentialProvider.CredentialUnavailableException;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;

/**
 * A synchronous tool handler of a stateful server that also receives the call's {@link GuardContext}: the
 * caller, the call id and the downstream credentials policy granted. Register it with
 * {@link McpGuard#guardWithContext(io.modelcontextprotocol.spec.McpSchema.Tool, GuardedSyncToolHandler)}.
 *
 * <p>A {@link CredentialUnavailableException} that escapes the handler ends the call as a denial carrying the
 * exception's reason code (for example {@code credential_not_permitted}) and message.
 */
@FunctionalInterface
public interface GuardedSyncToolHandler {

    CallToolResult handle(McpSyncServerExchange exchange, CallToolRequest request, GuardContext context)
            throws CredentialUnavailableException;
}
