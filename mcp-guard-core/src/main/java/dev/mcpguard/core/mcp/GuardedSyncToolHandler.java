package dev.mcpguard.core.mcp;

import dev.mcpguard.api.GuardContext;
import dev.mcpguard.api.spi.CredentialProvider.CredentialUnavailableException;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;

/**
 * A synchronous tool handler that receives, besides what the SDK gives it, the call's {@link GuardContext}: the
 * verified caller, the call id and the downstream credentials policy granted. This is the one typed way a
 * handler learns who called; never read the caller from the transport context by key.
 *
 * <p>{@code E} is what the SDK hands the handler: {@code McpSyncServerExchange} on a stateful server
 * ({@code McpGuard.guardWithContext}), {@code McpTransportContext} on a stateless one
 * ({@code McpGuard.guardStatelessWithContext}).
 *
 * <p>A {@link CredentialUnavailableException} that escapes the handler ends the call as a denial carrying the
 * exception's reason code (for example {@code credential_not_permitted}) and a cleaned message; any other
 * exception is audited and answered as a generic failure. Implementations must be thread-safe (calls run
 * concurrently); the arguments are never null.
 *
 * @param <E> the SDK's exchange or transport context type
 */
@FunctionalInterface
public interface GuardedSyncToolHandler<E> {

    CallToolResult handle(E exchange, CallToolRequest request, GuardContext context)
            throws CredentialUnavailableException;
}
