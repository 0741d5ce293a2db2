package dev.mcpguard.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.spi.ILoggingEvent;
import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.core.audit.AuditRecordJson;
import dev.mcpguard.core.testing.LogCapture;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Item 8 of the hostile-caller review, over real Streamable HTTP: client-chosen text cannot forge server log
 * lines, and calls to tools that do not exist are audited, bounded per principal.
 */
class HostileCallerHygieneEndToEndTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);
    /** What an attacker appends to forge a second log line. */
    private static final String FORGED = "\n12:00:00.000 ERROR [main] d.m.core.audit.AuditGuard - forged";

    @RegisterExtension
    static final OrdersServerFixture fixture = new OrdersServerFixture();

    @Test
    void newlinesInTheTokenSubjectClientNameAndAnUnknownNotificationDoNotForgeLogLines() {
        DemoUser mallory = new DemoUser("mallory" + FORGED, "acme", List.of("orders.read"), List.of());
        String token = fixture.tokenFor(mallory);
        // One line each: the SDK logs raw bodies at DEBUG before anything of ours sees them (see docs/threat-model.md).
        String initialize = "{\"jsonrpc\": \"2.0\", \"id\": 1, \"method\": \"initialize\", \"params\": {"
                + "\"protocolVersion\": \"2025-06-18\\nERROR forged\","
                + "\"capabilities\": {\"experimental\": {\"x\\nERROR forged\": {\"y\": \"\\u202eforged\"}}},"
                + "\"clientInfo\": {\"name\": \"raw\\n12:00:00.000 ERROR [main] AuditGuard - forged\","
                + "\"version\": \"1\\u2028forged\"}}}";
        String unknownNotification = "{\"jsonrpc\": \"2.0\", \"method\": \"notifications/x\\nERROR forged\","
                + " \"params\": {\"a\": \"\\nERROR forged\"}}";

        List<ILoggingEvent> events;
        try (LogCapture logs = LogCapture.everythingWithDebugOf("io.modelcontextprotocol")) {
            HttpResponse<String> opened = fixture.rawPost(token, null, initialize);
            String sessionId = opened.headers().firstValue("Mcp-Session-Id").orElse(null);
            fixture.rawPost(token, sessionId, OrdersServerFixture.INITIALIZED);
            fixture.rawPost(token, sessionId, unknownNotification);
            fixture.rawPost(token, sessionId, OrdersServerFixture.toolsCall(2, "get_order",
                    "{\"order_id\": \"acme-1001\"}"));
            fixture.audit().await(r -> r.tool().equals("get_order"), 1, TIMEOUT);
            events = logs.events();
        }

        List<String> mentioningForgery = events.stream().map(ILoggingEvent::getFormattedMessage)
                .filter(m -> m.contains("forged")).toList();
        assertThat(mentioningForgery).as("the hostile text reached the logs (escaped), so the test means something")
                .isNotEmpty();
        assertThat(mentioningForgery).allSatisfy(message -> assertThat(message)
                .doesNotContain("\n", "\r", "\u2028", "\u2029", "\u202e"));
    }

    @Test
    void callsToUnknownToolsAreAuditedAndAFloodIsSampledPerPrincipalWithoutSilencingOthers() {
        McpSyncClient alice = fixture.connectedClientFor(DemoUser.ALICE);
        McpSyncClient bob = fixture.connectedClientFor(DemoUser.BOB);
        int flood = 50;

        for (int i = 0; i < flood; i++) {
            String name = "admin_" + i + "\u200b\nERROR forged";
            assertThatThrownBy(() -> alice.callTool(new CallToolRequest(name, Map.of())))
                    .isInstanceOf(McpError.class);
        }
        assertThatThrownBy(() -> bob.callTool(new CallToolRequest("delete_all_orders", Map.of())))
                .isInstanceOf(McpError.class);

        List<AuditRecord> bobs = fixture.audit().await(r -> "unknown_tool".equals(r.reason())
                && r.caller() != null && r.caller().subject().equals("bob"), 1, TIMEOUT);
        List<AuditRecord> alices = fixture.audit().records().stream()
                .filter(r -> "unknown_tool".equals(r.reason()) && r.caller().subject().equals("alice")).toList();
        // Default limit: 10 records per principal and minute; the other 40 calls are counted for the summary.
        assertThat(alices).hasSize(10);
        System.out.printf("unknown-tool flood: %d calls by one principal -> %d audit records; "
                + "the other principal's call recorded: %s%n", flood, alices.size(), !bobs.isEmpty());
        assertThat(bobs).singleElement().satisfies(record -> {
            assertThat(record.tool()).isEqualTo("delete_all_orders");
            assertThat(record.decision()).isEqualTo("deny");
            assertThat(record.outcome()).isEqualTo(AuditRecord.Outcome.DENIED);
            assertThat(record.sessionId()).isNotNull();
            assertThat(record.server()).isEqualTo("orders");
        });
        AuditRecord first = alices.get(0);
        assertThat(first.tool()).isEqualTo("admin_0\u200b\nERROR forged");
        assertThat(AuditRecordJson.toJsonLine(first)).contains("\"tool\":\"admin_0\\u200b\\nERROR forged\"");
    }

    @Test
    void zeroWidthAndBidiCharactersOfATokenSubjectAndTenantAreEscapedInTheAuditFile(@TempDir Path dir)
            throws Exception {
        Path file = dir.resolve("audit.jsonl");
        String subject = "admin\u200b\u2060\u202egnp.exe";
        DemoUser lookalike = new DemoUser(subject, "acme\u200d", List.of("orders.read"), List.of());
        try (OrdersServer server = fixture.startServer(settings -> settings, OrdersServer.auditSink(file))) {
            McpSyncClient client = fixture.connectedClientFor(server, lookalike);
            try {
                client.callTool(new CallToolRequest("get_order", Map.of("order_id", "acme-1001")));
            } finally {
                client.closeGracefully();
            }
        }

        String raw = Files.readString(file, StandardCharsets.UTF_8);
        assertThat(raw.chars().allMatch(c -> c == '\n' || (c >= 0x20 && c < 0x7f)))
                .as("the audit file is printable ASCII: nothing invisible or reordering").isTrue();
        assertThat(raw).contains("\"subject\":\"admin\\u200b\\u2060\\u202egnp.exe\"", "\"tenant\":\"acme\\u200d\"");
        assertThat(AuditRecordJson.readAll(file)).isNotEmpty().allSatisfy(r -> {
            assertThat(r.caller().subject()).isEqualTo(subject);
        });
    }
}
