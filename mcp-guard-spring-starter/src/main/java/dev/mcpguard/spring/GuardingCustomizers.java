package dev.mcpguard.spring;

import dev.mcpguard.core.McpGuard;
import io.modelcontextprotocol.server.McpServer;
import java.util.Objects;
import java.util.function.Supplier;
import org.springframework.ai.mcp.customizer.McpAsyncServerCustomizer;
import org.springframework.ai.mcp.customizer.McpSyncServerCustomizer;

/**
 * Server customizers that run the one they wrap (Spring AI's or the application's), then add the guard's
 * {@code tools/list} filter with {@link McpGuard#configure}. Immutable and thread-safe.
 */
final class GuardingCustomizers {

    private GuardingCustomizers() {
    }

    /** For sync servers. */
    record Sync(McpSyncServerCustomizer delegate, Supplier<McpGuard> guard) implements McpSyncServerCustomizer {
        Sync {
            Objects.requireNonNull(delegate, "delegate");
            Objects.requireNonNull(guard, "guard");
        }

        @Override
        public void customize(McpServer.SyncSpecification<?> serverBuilder) {
            delegate.customize(serverBuilder);
            guard.get().configure(serverBuilder);
        }
    }

    /** For async servers. */
    record Async(McpAsyncServerCustomizer delegate, Supplier<McpGuard> guard) implements McpAsyncServerCustomizer {
        Async {
            Objects.requireNonNull(delegate, "delegate");
            Objects.requireNonNull(guard, "guard");
        }

        @Override
        public void customize(McpServer.AsyncSpecification<?> serverBuilder) {
            delegate.customize(serverBuilder);
            guard.get().configure(serverBuilder);
        }
    }
}
