package dev.mcpguard.core.credentials;

import dev.mcpguard.core.McpGuard;
import java.nio.file.Path;
import java.util.function.Function;

/**
 * Runs one step as user code would (direct calls, no reflection, which would load every signature's types), in
 * the class loader of {@link CredentialsWithoutTinkTest}; answers what the step returned or threw.
 */
public final class WithoutTinkProbe implements Function<String, Object> {

    @Override
    public Object apply(String step) {
        try {
            return switch (step) {
                case "guard" -> McpGuard.builder().serverName("orders").build().serverName();
                case "in-memory keyset" -> CredentialKeyset.inMemory();
                case "keyset file" -> CredentialKeyset.loadOrCreate(Path.of(System.getProperty("java.io.tmpdir"),
                        "mcp-guard-without-tink-" + System.nanoTime() + ".json"),
                        KeysetProtection.insecureCleartextForDevelopment());
                case "local key" -> KeysetProtection.localKeyFromEnvironment("MCP_GUARD_KEK_THAT_IS_NOT_SET");
                default -> throw new IllegalArgumentException("unknown step " + step);
            };
        } catch (RuntimeException | LinkageError e) {
            return e;
        }
    }
}
