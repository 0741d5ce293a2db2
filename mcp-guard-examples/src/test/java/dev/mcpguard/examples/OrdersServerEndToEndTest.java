package dev.mcpguard.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.tuple;

import dev.mcpguard.api.AuditRecord;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The orders server end to end on loopback: the real MCP Java SDK client over Streamable HTTP, real signed JWTs
 * from an in-process OAuth server, the guard chain, the team's handlers and the audit sink.
 */
class OrdersServerEndToEndTest {

    @RegisterExtension
    static final OrdersServerFixture fixture = new OrdersServerFixture();

    @Test
    void allowedCallRunsTheHandlerOnceAndReturnsTheOrder() {
        McpSyncClient alice = fixture.connectedClientFor(DemoUser.ALICE);
        int before = fixture.server().executions("get_order");

        CallToolResult result = alice.callTool(new CallToolRequest("get_order", Map.of("order_id", "acme-1001")));

        assertThat(result.isError()).isNotEqualTo(Boolean.TRUE);
        assertThat(structured(result)).containsEntry("order_id", "acme-1001").containsEntry("status", "shipped");
        assertThat(fixture.server().executions("get_order")).isEqualTo(before + 1);
    }

    @Test
    void deniedCallNeverRunsTheHandlerAndTellsTheClientWhyWithADecisionId() {
        McpSyncClient alice = fixture.connectedClientFor(DemoUser.ALICE);
        int before = fixture.server().executions("refund_order");

        CallToolResult result = alice.callTool(new CallToolRequest("refund_order",
                Map.of("order_id", "acme-1001", "amount", 10, "reason", "late")));

        assertThat(result.isError()).isTrue();
        assertThat(structured(result))
                .containsEntry("error", "denied")
                .containsEntry("reason", "insufficient_scope")
                .containsEntry("message", "The caller lacks a scope this tool requires.")
                .hasEntrySatisfying("decision_id", id -> assertThat(id.toString()).isNotBlank());
        assertThat(fixture.server().executions("refund_order")).isEqualTo(before);
    }

    @Test
    void refundAboveTheApprovalLimitIsDeniedWithItsOwnReasonAndNotExecuted() {
        McpSyncClient bob = fixture.connectedClientFor(DemoUser.BOB);
        int before = fixture.server().executions("refund_order");

        CallToolResult result = bob.callTool(new CallToolRequest("refund_order",
                Map.of("order_id", "acme-1002", "amount", 900, "reason", "damaged")));

        assertThat(result.isError()).isTrue();
        assertThat(structured(result)).containsEntry("reason", "refund_limit_exceeded");
        assertThat(fixture.server().executions("refund_order")).isEqualTo(before);
    }

    @Test
    void supportRoleMayRefundWithinTheLimit() {
        McpSyncClient bob = fixture.connectedClientFor(DemoUser.BOB);
        int before = fixture.server().executions("refund_order");

        CallToolResult result = bob.callTool(new CallToolRequest("refund_order",
                Map.of("order_id", "acme-1002", "amount", 20, "reason", "damaged box")));

        assertThat(result.isError()).isNotEqualTo(Boolean.TRUE);
        assertThat(structured(result)).containsEntry("order_id", "acme-1002");
        assertThat(fixture.server().executions("refund_order")).isEqualTo(before + 1);
    }

    @Test
    void toolsListShowsEachCallerOnlyTheToolsPolicyLetsThemCall() {
        McpSyncClient alice = fixture.connectedClientFor(DemoUser.ALICE);
        McpSyncClient bob = fixture.connectedClientFor(DemoUser.BOB);
        McpSyncClient carol = fixture.connectedClientFor(DemoUser.CAROL);

        assertThat(toolNames(alice)).containsExactlyInAnyOrder("get_order", "list_orders");
        assertThat(toolNames(bob)).containsExactlyInAnyOrder("get_order", "list_orders", "refund_order");
        // In production even an admin does not see the destructive tool: no break-glass exception is active.
        assertThat(toolNames(carol)).containsExactlyInAnyOrder("get_order", "list_orders", "refund_order");
    }

    @Test
    void hiddenToolCalledByNameIsDeniedAndNotExecuted() {
        McpSyncClient alice = fixture.connectedClientFor(DemoUser.ALICE);
        int before = fixture.server().executions("delete_customer");

        CallToolResult result = alice.callTool(new CallToolRequest("delete_customer", Map.of("customer_id", "acme-100")));

        assertThat(result.isError()).isTrue();
        assertThat(structured(result)).containsEntry("error", "denied").containsEntry("reason", "insufficient_scope");
        assertThat(fixture.server().executions("delete_customer")).isEqualTo(before);
    }

    @Test
    void callerCannotReadAnotherTenantsOrderEvenByNamingIt() {
        McpSyncClient alice = fixture.connectedClientFor(DemoUser.ALICE);
        McpSyncClient grace = fixture.connectedClientFor(DemoUser.GRACE);
        int before = fixture.server().executions("get_order");

        CallToolResult fromAcme = alice.callTool(new CallToolRequest("get_order", Map.of("order_id", "globex-2001")));

        assertThat(fromAcme.isError()).isTrue();
        assertThat(structured(fromAcme)).containsEntry("reason", "cross_tenant");
        assertThat(fixture.server().executions("get_order")).isEqualTo(before);

        CallToolResult fromGlobex = grace.callTool(new CallToolRequest("get_order", Map.of("order_id", "globex-2001")));
        assertThat(structured(fromGlobex)).containsEntry("order_id", "globex-2001");
    }

    @Test
    void handlersStillScopeByTheVerifiedTenantWhenAnIdPassesThePolicy() {
        McpSyncClient alice = fixture.connectedClientFor(DemoUser.ALICE);

        // "acme-2001" names alice's tenant, so policy allows it; the book has no such acme order.
        CallToolResult result = alice.callTool(new CallToolRequest("get_order", Map.of("order_id", "acme-2001")));

        assertThat(result.isError()).isTrue();
        assertThat(structured(result)).containsEntry("error", "not_found");
    }

    @Test
    void exceptionInAHandlerReachesTheClientAsAGenericErrorWithoutInternals() {
        McpSyncClient bob = fixture.connectedClientFor(DemoUser.BOB);
        int before = fixture.server().executions("refund_order");

        CallToolResult result = bob.callTool(new CallToolRequest("refund_order",
                Map.of("order_id", OrderBook.FLAKY_PAYMENT_ORDER, "amount", 5, "reason", "goodwill")));

        assertThat(result.isError()).isTrue();
        assertThat(structured(result)).containsEntry("error", "failed").containsKey("call_id");
        String everythingTheClientSaw = text(result) + structured(result);
        assertThat(everythingTheClientSaw)
                .doesNotContain("psp-eu-1", "Exception", "at dev.mcpguard", "OrderBook");
        assertThat(fixture.server().executions("refund_order")).isEqualTo(before + 1);
    }

    @Test
    void auditHoldsExactlyOneRecordPerCallWithItsDecisionAndOutcome() {
        McpSyncClient bob = fixture.connectedClientFor(DemoUser.BOB);

        bob.callTool(new CallToolRequest("get_order", Map.of("order_id", "acme-1001")));
        bob.callTool(new CallToolRequest("get_order", Map.of("order_id", "acme-9999")));
        CallToolResult denied = bob.callTool(new CallToolRequest("delete_customer", Map.of("customer_id", "acme-100")));
        CallToolResult failed = bob.callTool(new CallToolRequest("refund_order",
                Map.of("order_id", OrderBook.FLAKY_PAYMENT_ORDER, "amount", 1, "reason", "x")));

        List<AuditRecord> records = fixture.audit().await(r -> true, 4, Duration.ofSeconds(5));
        assertThat(records).hasSize(4);
        assertThat(records).extracting(AuditRecord::tool, AuditRecord::decision, AuditRecord::outcome)
                .containsExactly(
                        tuple("get_order", AuditRecord.Verdict.ALLOW, AuditRecord.Outcome.SUCCESS),
                        tuple("get_order", AuditRecord.Verdict.ALLOW, AuditRecord.Outcome.TOOL_ERROR),
                        tuple("delete_customer", AuditRecord.Verdict.DENY, AuditRecord.Outcome.DENIED),
                        tuple("refund_order", AuditRecord.Verdict.ALLOW, AuditRecord.Outcome.FAILED));
        assertThat(records).allSatisfy(record -> {
            assertThat(record.caller()).isNotNull();
            assertThat(record.caller().subject()).isEqualTo("bob");
            assertThat(record.caller().tenant()).isEqualTo("acme");
            assertThat(record.server()).isEqualTo(OrdersServer.SERVER_NAME);
            assertThat(record.sessionId()).isNotBlank();
            assertThat(record.decisionId()).isNotBlank();
        });
        // Bob's token grants no customers.delete: the scope check comes before the role check.
        assertThat(records.get(2).reason()).isEqualTo("insufficient_scope");
        assertThat(records.get(2).decisionId()).isEqualTo(structured(denied).get("decision_id"));
        assertThat(records.get(3).eventId()).isEqualTo(structured(failed).get("call_id"));
        assertThat(records.get(3).errorType()).isEqualTo(OrderBook.PaymentProviderException.class.getName());
    }

    private static List<String> toolNames(McpSyncClient client) {
        return client.listTools().tools().stream().map(McpSchema.Tool::name).collect(Collectors.toList());
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> structured(CallToolResult result) {
        assertThat(result.structuredContent()).isInstanceOf(Map.class);
        return (Map<String, Object>) result.structuredContent();
    }

    private static String text(CallToolResult result) {
        return result.content().stream()
                .map(content -> content instanceof McpSchema.TextContent t ? t.text() : content.type())
                .collect(Collectors.joining("\n"));
    }
}
