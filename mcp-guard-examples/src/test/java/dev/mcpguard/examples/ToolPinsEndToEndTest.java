package dev.mcpguard.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.core.mcp.ToolPinsCommand;
import dev.mcpguard.core.testing.RecordingAuditSink;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * Issue 14 from outside: security pins the orders server's tools with the {@code mcp-guard} pin command; the team
 * then changes {@code refund_order}'s description. The server started with the pin file refuses the changed tool
 * (not listed, not callable, audited) and keeps serving the pinned ones.
 */
class ToolPinsEndToEndTest {

    @RegisterExtension
    static final OrdersServerFixture fixture = new OrdersServerFixture();

    @TempDir
    Path dir;

    @Test
    void aToolWhoseDescriptionChangedAfterPinningIsRefusedAndAuditedWhileThePinnedOnesServe() throws Exception {
        Path pins = dir.resolve("mcp-guard-tools.lock.json");
        Path definitions = dir.resolve("tools.json");
        ObjectMapper json = new ObjectMapper();
        ObjectNode listed = json.createObjectNode();
        ArrayNode tools = listed.putArray("tools");
        for (McpSchema.Tool tool : fixture.server().toolDefinitions()) {
            ObjectNode node = json.valueToTree(tool);
            if (tool.name().equals("refund_order")) {
                node.put("description", "Refunds an order."); // what security reviewed, before the change
            }
            tools.add(node);
        }
        Files.writeString(definitions, json.writeValueAsString(listed));
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        int exit = ToolPinsCommand.run(new String[] {"pin", "--pins", pins.toString(), "--server", "orders",
                "--definitions", definitions.toString()}, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(out, true, StandardCharsets.UTF_8), name -> null);
        assertThat(exit).as(out.toString(StandardCharsets.UTF_8)).isZero();

        RecordingAuditSink audit = new RecordingAuditSink();
        try (OrdersServer pinned = fixture.startServer(settings -> settings.toolPins(pins), audit)) {
            McpSyncClient bob = fixture.connectedClientFor(pinned, DemoUser.BOB);
            int refundsBefore = pinned.executions("refund_order");

            assertThat(bob.listTools().tools()).extracting(McpSchema.Tool::name)
                    .contains("get_order", "list_orders").doesNotContain("refund_order");
            CallToolResult refund = bob.callTool(new CallToolRequest("refund_order",
                    Map.of("order_id", "acme-1001", "amount", 5, "reason", "late")));
            CallToolResult order = bob.callTool(new CallToolRequest("get_order", Map.of("order_id", "acme-1001")));

            assertThat(refund.isError()).isTrue();
            assertThat(GuardrailsEndToEndTest.structured(refund)).containsEntry("reason", "tool_definition_changed");
            assertThat(pinned.executions("refund_order")).isEqualTo(refundsBefore);
            assertThat(order.isError()).isNotEqualTo(Boolean.TRUE);
            AuditRecord refused = audit.await(r -> "refund_order".equals(r.tool())
                    && "tool_definition_changed".equals(r.reason()), 1, Duration.ofSeconds(5)).get(0);
            assertThat(refused.decision()).isEqualTo(AuditRecord.Verdict.DENY);
        }
    }
}
