package dev.mcpguard.spring;

import dev.mcpguard.core.McpGuard;

/**
 * Adds to the guard's builder before the starter builds it, for integrations that are present only with an optional
 * library (OpenTelemetry), so that the guard's bean method names none of their types. Package-private: the starter's
 * own seam, not an extension point. Implementations are called once, on the starting thread.
 */
@FunctionalInterface
interface McpGuardBuilderCustomizer {

    void customize(McpGuard.Builder builder);
}
