package dev.mcpguard.core.mcp;

import dev.mcpguard.api.GuardContext;
import dev.mcpguard.api.spi.CredentialProvider.CredentialUnavailableException;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import reactor.core.publisher.Mono;

/**
 * The asynchronous counterpart of {@link GuardedSyncToolHandler}: it receives the call's {@link GuardContext}
 * and returns a {@link Mono} of the result.
 *
 * <p>{@code E} is {@code McpAsyncServerExchange} on a stateful server ({@code McpGuard.guardAsyncWithContext}),
 * {@code McpTransportContext} on a stateless one ({@code McpGuard.guardStatelessAsyncWithContext}).
 *
 * <p>A {@link CredentialUnavailableException}, thrown or emitted as the Mono's error, ends the call as a denial
 * with the exception's reason code; a null or empty Mono, or any other error, is audited and answered as a
 * generic failure. The context stays valid until the Mono completes. Implementations must be thread-safe; the
 * arguments are never null.
 *
 * @param <E> the SDK's exchange or transport context type
 */
@FunctionalInterface
public interface GuardedAsyncToolHandler<E> {

    Mono<CallToolResult> handle(E exchange, CallToolRequest request, GuardContext context)
            throws CredentialUnavailableException;
}
