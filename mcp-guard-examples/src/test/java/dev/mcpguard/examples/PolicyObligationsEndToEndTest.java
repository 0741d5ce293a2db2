package dev.mcpguard.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.AuditRecord;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 8, items 5 and 6, from outside: the orders server with the shipped reference policy, real tokens and the
 * MCP SDK client over Streamable HTTP. The policy's {@code redact_fields} obligation is enforced on results, every
 * tool needs its scope, and the 500 approval limit is a budget per caller and order, not per call.
 */
class PolicyObligationsEndToEndTest {

    /** A support agent whose token grants no scope at all. */
    static final DemoUser NO_SCOPE = new DemoUser("dave", "acme", List.of(), List.of("support"));
    /** A support agent whose token grants reading only. */
    static final DemoUser READ_ONLY_SUPPORT = new DemoUser("frank", "acme", List.of("orders.read"),
            List.of("support", "admin"));

    @RegisterExtension
    static final OrdersServerFixture fixture = new OrdersServerFixture();

    @Test
    void getOrderReachesTheClientWithTheCustomersEmailPhoneAndCardDigitsRedacted() {
        McpSyncClient alice = fixture.connectedClientFor(DemoUser.ALICE);

        CallToolResult result = alice.callTool(new CallToolRequest("get_order", Map.of("order_id", "acme-1001")));

        assertThat(result.isError()).isNotEqualTo(Boolean.TRUE);
        Map<String, Object> structured = structured(result);
        assertThat(structured).containsEntry("order_id", "acme-1001")
                .containsEntry("customer", Map.of("id", "acme-100", "name", "Jane Roe", "email", "[redacted]",
                        "phone", "[redacted]"))
                .containsEntry("payment", Map.of("method", "card", "card_last4", "[redacted]"));
        String everything = result.toString();
        assertThat(everything).doesNotContain("jane.roe@acme.example", "202-555-0143", "4242")
                .contains("Jane Roe");
        assertThat(texts(result)).hasSize(2).last().isEqualTo("Order acme-1001 of [redacted] is shipped.");
        AuditRecord record = fixture.audit().await(r -> true, 1, Duration.ofSeconds(5)).get(0);
        assertThat(record.details()).containsEntry("redacted_paths", "customer.email,customer.phone,payment.card_last4");
        assertThat(record.toString()).doesNotContain("jane.roe@acme.example", "4242");
    }

    @Test
    void listOrdersRedactsEveryOrderOfTheList() {
        McpSyncClient alice = fixture.connectedClientFor(DemoUser.ALICE);

        CallToolResult result = alice.callTool(new CallToolRequest("list_orders", Map.of()));

        assertThat(result.isError()).isNotEqualTo(Boolean.TRUE);
        assertThat(result.toString()).contains("acme-1001", "acme-1002", "Ann Lee")
                .doesNotContain("@acme.example", "202-555", "4242", "1881", "0005");
    }

    @Test
    void threeRefundsOf240OnOneOrderBySupportStopAtTheThirdWithBudgetExceeded() {
        McpSyncClient bob = fixture.connectedClientFor(DemoUser.BOB);
        int before = fixture.server().executions("refund_order");
        Map<String, Object> refund = Map.of("order_id", "acme-1002", "amount", 240, "reason", "damaged");

        CallToolResult first = bob.callTool(new CallToolRequest("refund_order", refund));
        CallToolResult second = bob.callTool(new CallToolRequest("refund_order", refund));
        CallToolResult third = bob.callTool(new CallToolRequest("refund_order", refund));

        assertThat(first.isError()).isNotEqualTo(Boolean.TRUE);
        assertThat(second.isError()).isNotEqualTo(Boolean.TRUE);
        assertThat(structured(second)).containsEntry("refunded_total", 480.0);
        assertThat(third.isError()).isTrue();
        assertThat(structured(third)).containsEntry("reason", "budget_exceeded").containsKey("retry_after_seconds");
        assertThat(fixture.server().executions("refund_order")).isEqualTo(before + 2);
        // What is left of the 500 can still be refunded; a different order has its own budget; an approver has none.
        assertThat(bob.callTool(new CallToolRequest("refund_order",
                Map.of("order_id", "acme-1002", "amount", 20, "reason", "rest"))).isError()).isNotEqualTo(Boolean.TRUE);
        assertThat(bob.callTool(new CallToolRequest("refund_order",
                Map.of("order_id", "acme-1002", "amount", 0.5, "reason", "cents"))).structuredContent())
                .asString().contains("budget_exceeded");
        McpSyncClient carol = fixture.connectedClientFor(DemoUser.CAROL);
        assertThat(carol.callTool(new CallToolRequest("refund_order", refund)).isError()).isNotEqualTo(Boolean.TRUE);
        List<AuditRecord> denied = fixture.audit().await(r -> "budget_exceeded".equals(r.reason()), 2,
                Duration.ofSeconds(5));
        assertThat(denied).allSatisfy(r -> assertThat(r.caller().subject()).isEqualTo("bob"));
    }

    @Test
    void aTokenWithoutAnyScopeCanNeitherSeeNorCallRefundOrder() {
        McpSyncClient dave = fixture.connectedClientFor(NO_SCOPE);
        int before = fixture.server().executions("refund_order");

        assertThat(dave.listTools().tools()).extracting(McpSchema.Tool::name).isEmpty();
        CallToolResult result = dave.callTool(new CallToolRequest("refund_order",
                Map.of("order_id", "acme-1001", "amount", 5, "reason", "x")));

        assertThat(structured(result)).containsEntry("reason", "insufficient_scope");
        assertThat(fixture.server().executions("refund_order")).isEqualTo(before);
    }

    @Test
    void aReadScopeDoesNotOpenTheWriteToolsEvenWithTheirRoles() {
        McpSyncClient frank = fixture.connectedClientFor(READ_ONLY_SUPPORT);

        assertThat(frank.listTools().tools()).extracting(McpSchema.Tool::name).containsExactly("get_order", "list_orders");
        assertThat(structured(frank.callTool(new CallToolRequest("refund_order",
                Map.of("order_id", "acme-1001", "amount", 5, "reason", "x"))))).containsEntry("reason", "insufficient_scope");
        assertThat(structured(frank.callTool(new CallToolRequest("delete_customer",
                Map.of("customer_id", "acme-102"))))).containsEntry("reason", "insufficient_scope");
    }

    private static List<String> texts(CallToolResult result) {
        return result.content().stream().map(c -> ((McpSchema.TextContent) c).text()).toList();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> structured(CallToolResult result) {
        assertThat(result.structuredContent()).isInstanceOf(Map.class);
        return (Map<String, Object>) result.structuredContent();
    }
}
