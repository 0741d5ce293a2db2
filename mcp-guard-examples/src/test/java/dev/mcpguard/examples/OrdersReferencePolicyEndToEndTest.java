package dev.mcpguard.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.params.provider.Arguments.arguments;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.core.testing.RecordingAuditSink;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * Security's reference OPA policy ({@code policies/mcp/authz}, shipped as the signed bundle in the example's jar)
 * enforced end to end: the real MCP SDK client over Streamable HTTP, real JWTs, the embedded wasm engine. The
 * rules themselves are covered by {@code opa test}; these tests prove that each decision reaches the client, that a
 * denied handler never runs, that {@code tools/list} follows the same policy, that the environment setting
 * matters, and that the audit trail names the policy revision.
 */
class OrdersReferencePolicyEndToEndTest {

    /** A user of acme whose token grants no scope. */
    static final DemoUser NO_SCOPE = new DemoUser("dave", "acme", List.of(), List.of("support"));
    /** A user of acme whose token grants refunds but who holds no role that may use them. */
    static final DemoUser NO_ROLE = new DemoUser("gina", "acme", List.of("orders.read", "orders.refund"), List.of());
    /** A user whose token names no tenant. */
    static final DemoUser NO_TENANT = new DemoUser("erin", null, List.of("orders.read"), List.of("support"));

    @RegisterExtension
    static final OrdersServerFixture fixture = new OrdersServerFixture();

    static Stream<Arguments> denials() {
        return Stream.of(
                arguments(DemoUser.ALICE, "get_order", Map.of("order_id", "globex-2001"), "cross_tenant"),
                arguments(DemoUser.GRACE, "get_order", Map.of("order_id", "acme-1001"), "cross_tenant"),
                arguments(DemoUser.BOB, "refund_order", Map.of("order_id", "globex-2002", "amount", 5, "reason", "x"),
                        "cross_tenant"),
                arguments(DemoUser.ALICE, "refund_order", Map.of("order_id", "acme-1001", "amount", 10, "reason", "x"),
                        "insufficient_scope"),
                arguments(NO_ROLE, "refund_order", Map.of("order_id", "acme-1001", "amount", 10, "reason", "x"),
                        "insufficient_role"),
                arguments(DemoUser.BOB, "delete_customer", Map.of("customer_id", "acme-102"), "insufficient_scope"),
                arguments(DemoUser.BOB, "refund_order", Map.of("order_id", "acme-1002", "amount", 900, "reason", "x"),
                        "refund_limit_exceeded"),
                arguments(DemoUser.BOB, "refund_order", Map.of("order_id", "1002", "amount", 5, "reason", "x"),
                        "invalid_argument"),
                arguments(DemoUser.CAROL, "delete_customer", Map.of("customer_id", "acme-102"), "destructive_in_prod"),
                arguments(NO_SCOPE, "get_order", Map.of("order_id", "acme-1001"), "insufficient_scope"),
                arguments(NO_TENANT, "get_order", Map.of("order_id", "acme-1001"), "tenant_required"));
    }

    @ParameterizedTest(name = "{0} {1} {2} -> {3}")
    @MethodSource("denials")
    void eachDenialOfTheReferencePolicyReachesTheClientAndTheAuditTrailAndTheHandlerNeverRuns(
            DemoUser user, String tool, Map<String, Object> arguments, String reason) {
        McpSyncClient client = fixture.connectedClientFor(user);
        int before = fixture.server().executions(tool);

        CallToolResult result = client.callTool(new CallToolRequest(tool, arguments));

        assertThat(result.isError()).isTrue();
        Map<String, Object> structured = structured(result);
        assertThat(structured).containsEntry("error", "denied").containsEntry("reason", reason);
        assertThat(fixture.server().executions(tool)).isEqualTo(before);
        AuditRecord record = fixture.audit().await(r -> true, 1, Duration.ofSeconds(5)).get(0);
        assertThat(record.decision()).isEqualTo("deny");
        assertThat(record.reason()).isEqualTo(reason);
        assertThat(record.decisionId()).isEqualTo(structured.get("decision_id"));
        assertThat(record.details()).containsEntry("policy_revision", fixture.server().policyRevision());
    }

    @Test
    void argumentsTheToolsInputSchemaRejectsAreDeniedAndAuditedBeforeAnyHandlerRuns() {
        McpSyncClient bob = fixture.connectedClientFor(DemoUser.BOB);
        int before = fixture.server().executions("refund_order");

        // The guard validates against the input schema inside the chain (the SDK's own check is off), so the
        // rejection is a denial with a reason and an audit record.
        CallToolResult negative = bob.callTool(new CallToolRequest("refund_order",
                Map.of("order_id", "acme-1002", "amount", -5, "reason", "x")));
        CallToolResult text = bob.callTool(new CallToolRequest("refund_order",
                Map.of("order_id", "acme-1002", "amount", "50", "reason", "x")));

        assertThat(structured(negative).get("reason")).isEqualTo("invalid_arguments");
        assertThat(structured(text).get("reason")).isEqualTo("invalid_arguments");
        assertThat(fixture.server().executions("refund_order")).isEqualTo(before);
        assertThat(fixture.audit().records()).extracting(AuditRecord::reason)
                .containsExactly("invalid_arguments", "invalid_arguments");
    }

    @Test
    void denialMessagesNameTheArgumentButNeverItsValue() {
        McpSyncClient alice = fixture.connectedClientFor(DemoUser.ALICE);

        CallToolResult result = alice.callTool(new CallToolRequest("get_order", Map.of("order_id", "globex-2001")));

        assertThat(structured(result).get("message").toString())
                .contains("'order_id'")
                .doesNotContain("globex");
    }

    @Test
    void toolsListShowsEachCallerWhatThePolicyWouldLetThemCall() {
        assertThat(toolNames(fixture.connectedClientFor(DemoUser.ALICE))).containsExactly("get_order", "list_orders");
        assertThat(toolNames(fixture.connectedClientFor(DemoUser.GRACE))).containsExactly("get_order", "list_orders");
        assertThat(toolNames(fixture.connectedClientFor(DemoUser.BOB)))
                .containsExactly("get_order", "list_orders", "refund_order");
        assertThat(toolNames(fixture.connectedClientFor(DemoUser.CAROL)))
                .containsExactly("get_order", "list_orders", "refund_order");
        assertThat(toolNames(fixture.connectedClientFor(NO_SCOPE))).isEmpty();
        assertThat(toolNames(fixture.connectedClientFor(NO_TENANT))).isEmpty();
    }

    @Test
    void approverRefundsAboveTheLimitThatStopsSupport() {
        McpSyncClient carol = fixture.connectedClientFor(DemoUser.CAROL);
        int before = fixture.server().executions("refund_order");

        CallToolResult result = carol.callTool(new CallToolRequest("refund_order",
                Map.of("order_id", "acme-1002", "amount", 600, "reason", "damaged")));

        assertThat(result.isError()).isNotEqualTo(Boolean.TRUE);
        assertThat(structured(result)).containsEntry("order_id", "acme-1002");
        assertThat(fixture.server().executions("refund_order")).isEqualTo(before + 1);
    }

    @Test
    void adminMayDeleteACustomerWhenTheServerRunsOutsideProduction() {
        RecordingAuditSink devAudit = new RecordingAuditSink();
        try (OrdersServer dev = fixture.startServer(settings -> settings.environment("dev"), devAudit);
             McpSyncClient carol = fixture.connectedClientFor(dev, DemoUser.CAROL);
             McpSyncClient bob = fixture.connectedClientFor(dev, DemoUser.BOB)) {

            assertThat(toolNames(carol)).containsExactly("get_order", "list_orders", "refund_order", "delete_customer");
            CallToolResult deleted = carol.callTool(new CallToolRequest("delete_customer",
                    Map.of("customer_id", "acme-102")));
            CallToolResult refused = bob.callTool(new CallToolRequest("delete_customer",
                    Map.of("customer_id", "acme-100")));

            assertThat(deleted.isError()).isNotEqualTo(Boolean.TRUE);
            assertThat(structured(deleted)).containsEntry("customer_id", "acme-102").containsEntry("orders_deleted", 1);
            assertThat(structured(refused)).containsEntry("reason", "insufficient_scope");
            assertThat(dev.executions("delete_customer")).isEqualTo(1);
            assertThat(devAudit.await(r -> true, 2, Duration.ofSeconds(5)))
                    .extracting(AuditRecord::decision, AuditRecord::outcome)
                    .containsExactly(
                            org.assertj.core.groups.Tuple.tuple("allow", AuditRecord.Outcome.SUCCESS),
                            org.assertj.core.groups.Tuple.tuple("deny", AuditRecord.Outcome.DENIED));
        }
        // The production server next to it still refuses the same call.
        assertThat(structured(fixture.connectedClientFor(DemoUser.CAROL).callTool(new CallToolRequest(
                "delete_customer", Map.of("customer_id", "acme-102"))))).containsEntry("reason", "destructive_in_prod");
    }

    @Test
    void everyAuditRecordCarriesTheRevisionOfTheBundleTheEngineServes() {
        McpSyncClient alice = fixture.connectedClientFor(DemoUser.ALICE);
        McpSyncClient bob = fixture.connectedClientFor(DemoUser.BOB);

        alice.callTool(new CallToolRequest("get_order", Map.of("order_id", "acme-1001")));
        alice.callTool(new CallToolRequest("list_orders", Map.of()));
        alice.callTool(new CallToolRequest("get_order", Map.of("order_id", "acme-9999")));
        alice.callTool(new CallToolRequest("refund_order", Map.of("order_id", "acme-1001", "amount", 1, "reason", "x")));
        bob.callTool(new CallToolRequest("refund_order",
                Map.of("order_id", OrderBook.FLAKY_PAYMENT_ORDER, "amount", 1, "reason", "x")));

        List<AuditRecord> records = fixture.audit().await(r -> true, 5, Duration.ofSeconds(5));
        assertThat(records).extracting(AuditRecord::outcome).containsExactly(
                AuditRecord.Outcome.SUCCESS, AuditRecord.Outcome.SUCCESS, AuditRecord.Outcome.TOOL_ERROR,
                AuditRecord.Outcome.DENIED, AuditRecord.Outcome.FAILED);
        String revision = fixture.server().policyRevision();
        assertThat(revision).matches("orders-[0-9a-f]{12}");
        assertThat(records).allSatisfy(r -> assertThat(r.details()).containsEntry("policy_revision", revision));
    }

    private static List<String> toolNames(McpSyncClient client) {
        return client.listTools().tools().stream().map(McpSchema.Tool::name).toList();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> structured(CallToolResult result) {
        assertThat(result.structuredContent()).isInstanceOf(Map.class);
        return (Map<String, Object>) result.structuredContent();
    }
}
