package dev.mcpguard.core.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpStreamableServerSession;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class GuardedStreamableTransportProviderTest {

    @Test
    void theInspectingSessionOverridesEveryPublicMethodOfTheSdkSessionSoNothingReachesItsEmptyShell() {
        List<String> missing = Arrays.stream(McpStreamableServerSession.class.getMethods())
                .filter(m -> !Modifier.isStatic(m.getModifiers()) && m.getDeclaringClass() != Object.class)
                .filter(m -> !declaredBy(GuardedStreamableTransportProvider.InspectingSession.class, m))
                .map(Method::toGenericString)
                .toList();

        assertThat(missing).as("methods of the SDK session (new in this SDK version?) that must be delegated")
                .isEmpty();
    }

    private static boolean declaredBy(Class<?> type, Method method) {
        try {
            return type.getDeclaredMethod(method.getName(), method.getParameterTypes()) != null;
        } catch (NoSuchMethodException e) {
            return false;
        }
    }

    @Test
    void escapesEveryClientChosenStringOfInitializeThatTheSdkLogs() {
        McpSchema.InitializeRequest hostile = new McpSchema.InitializeRequest("2025-06-18\nforged",
                new McpSchema.ClientCapabilities(Map.of("k\r\n", Map.of("v", List.of("\u202eforged"))), null, null,
                        null, Map.of("ext\n", Map.of("a", "\u200b"))),
                new McpSchema.Implementation("raw\nERROR forged", "t\u2028", "1\u0000", "d\u001b[31m",
                        List.of(new McpSchema.Icon("https://x/\n", "image/png\n", List.of("1x1\n"), "dark\n")),
                        "https://x\n"));

        McpSchema.InitializeRequest safe = GuardedStreamableTransportProvider.logSafe(hostile);

        assertThat(safe.toString()).doesNotContain("\n", "\r", "\u2028", "\u0000", "\u001b", "\u202e", "\u200b")
                .contains("raw\\u000aERROR forged", "2025-06-18\\u000aforged", "\\u202eforged");
    }

    @Test
    void leavesACleanInitializeRequestAsItIs() {
        McpSchema.InitializeRequest clean = new McpSchema.InitializeRequest("2025-06-18",
                new McpSchema.ClientCapabilities(Map.of("feature", Map.of("on", true)), null, null, null),
                new McpSchema.Implementation("claude-desktop", "1.2.3"));

        assertThat(GuardedStreamableTransportProvider.logSafe(clean)).isSameAs(clean);
    }

    @Test
    void recognizesOnlyTheSdksUnknownToolAnswer() {
        McpSchema.JSONRPCResponse unknown = new McpSchema.JSONRPCResponse("2.0", 7, null,
                new McpSchema.JSONRPCResponse.JSONRPCError(McpSchema.ErrorCodes.INVALID_PARAMS,
                        GuardedStreamableTransportProvider.UNKNOWN_TOOL_MESSAGE, "Tool not found: drop_tables"));
        McpSchema.JSONRPCResponse otherError = new McpSchema.JSONRPCResponse("2.0", 8, null,
                new McpSchema.JSONRPCResponse.JSONRPCError(McpSchema.ErrorCodes.INVALID_PARAMS, "bad params", null));
        McpSchema.JSONRPCResponse result = new McpSchema.JSONRPCResponse("2.0", 9, Map.of(), null);

        assertThat(GuardedStreamableTransportProvider.unknownToolOf(unknown)).contains("drop_tables");
        assertThat(GuardedStreamableTransportProvider.unknownToolOf(otherError)).isEmpty();
        assertThat(GuardedStreamableTransportProvider.unknownToolOf(result)).isEqualTo(Optional.empty());
        assertThat(GuardedStreamableTransportProvider.unknownToolOf(
                new McpSchema.JSONRPCNotification("2.0", "notifications/x", null))).isEmpty();
    }
}
