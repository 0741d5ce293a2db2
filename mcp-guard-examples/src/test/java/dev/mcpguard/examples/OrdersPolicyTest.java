package dev.mcpguard.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.PolicyEngine.Operation;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class OrdersPolicyTest {

    private final OrdersPolicy policy = new OrdersPolicy();

    private static final CallerIdentity READER = caller("acme", Set.of("orders.read"), Set.of());
    private static final CallerIdentity SUPPORT = caller("acme", Set.of("orders.read"), Set.of("support"));
    private static final CallerIdentity ADMIN = caller("acme", Set.of(), Set.of("admin"));

    @Test
    void readToolsNeedTheReadScope() {
        assertThat(decide(Operation.CALL, READER, "get_order", Map.of()).allowed()).isTrue();
        assertThat(decide(Operation.CALL, READER, "list_orders", Map.of()).allowed()).isTrue();
        assertThat(reason(decide(Operation.CALL, ADMIN, "get_order", Map.of())))
                .isEqualTo(ReasonCode.INSUFFICIENT_SCOPE);
    }

    @Test
    void refundNeedsTheSupportOrAdminRole() {
        assertThat(reason(decide(Operation.CALL, READER, "refund_order", Map.of("amount", 5))))
                .isEqualTo(ReasonCode.POLICY_DENIED);
        assertThat(decide(Operation.CALL, SUPPORT, "refund_order", Map.of("amount", 5)).allowed()).isTrue();
        assertThat(decide(Operation.CALL, ADMIN, "refund_order", Map.of("amount", 5)).allowed()).isTrue();
    }

    @Test
    void refundAboveOneHundredNeedsAdmin() {
        assertThat(decide(Operation.CALL, SUPPORT, "refund_order", Map.of("amount", 100)).allowed()).isTrue();
        assertThat(reason(decide(Operation.CALL, SUPPORT, "refund_order", Map.of("amount", 100.01))))
                .isEqualTo(OrdersPolicy.REFUND_LIMIT_EXCEEDED);
        assertThat(decide(Operation.CALL, ADMIN, "refund_order", Map.of("amount", 5000)).allowed()).isTrue();
    }

    @Test
    void refundWithoutANumericAmountIsDenied() {
        assertThat(reason(decide(Operation.CALL, SUPPORT, "refund_order", Map.of("amount", "99"))))
                .isEqualTo(OrdersPolicy.INVALID_ARGUMENTS);
        assertThat(reason(decide(Operation.CALL, SUPPORT, "refund_order", Map.of())))
                .isEqualTo(OrdersPolicy.INVALID_ARGUMENTS);
    }

    @Test
    void deleteCustomerNeedsAdmin() {
        assertThat(reason(decide(Operation.CALL, SUPPORT, "delete_customer", Map.of())))
                .isEqualTo(ReasonCode.POLICY_DENIED);
        assertThat(decide(Operation.CALL, ADMIN, "delete_customer", Map.of()).allowed()).isTrue();
    }

    @Test
    void listAnswersLikeCallWithoutLookingAtArguments() {
        assertThat(decide(Operation.LIST, READER, "refund_order", Map.of()).allowed()).isFalse();
        assertThat(decide(Operation.LIST, SUPPORT, "refund_order", Map.of()).allowed()).isTrue();
        assertThat(decide(Operation.LIST, SUPPORT, "delete_customer", Map.of()).allowed()).isFalse();
        assertThat(decide(Operation.LIST, READER, "get_order", Map.of()).allowed()).isTrue();
    }

    @Test
    void unknownToolsAndCallersWithoutTenantAreDenied() {
        assertThat(reason(decide(Operation.CALL, ADMIN, "drop_database", Map.of())))
                .isEqualTo(ReasonCode.POLICY_DENIED);
        CallerIdentity noTenant = caller(null, Set.of("orders.read"), Set.of("admin"));
        assertThat(reason(decide(Operation.CALL, noTenant, "get_order", Map.of())))
                .isEqualTo(OrdersPolicy.TENANT_REQUIRED);
    }

    @Test
    void decisionsCarryTheRequestedDecisionId() {
        Decision allow = decide(Operation.CALL, READER, "get_order", Map.of());
        Decision deny = decide(Operation.CALL, READER, "delete_customer", Map.of());

        assertThat(allow.decisionId()).isEqualTo("decision-1");
        assertThat(deny.decisionId()).isEqualTo("decision-1");
    }

    private Decision decide(Operation operation, CallerIdentity caller, String tool, Map<String, Object> args) {
        return policy.decide(new PolicyRequest(operation, "decision-1", caller, "orders", ToolDescriptor.named(tool),
                args, Optional.empty(), Instant.parse("2026-01-01T00:00:00Z")));
    }

    private static ReasonCode reason(Decision decision) {
        assertThat(decision).isInstanceOf(Decision.Deny.class);
        return ((Decision.Deny) decision).reason();
    }

    private static CallerIdentity caller(String tenant, Set<String> scopes, Set<String> roles) {
        return CallerIdentity.builder("https://issuer.example", "someone")
                .tenant(tenant).scopes(scopes).roles(roles).build();
    }
}
