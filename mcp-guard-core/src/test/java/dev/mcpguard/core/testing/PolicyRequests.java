package dev.mcpguard.core.testing;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.PolicyEngine.Operation;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.UUID;

/** Policy requests for policy-engine tests. */
public final class PolicyRequests {

    public static final Instant NOON = Instant.parse("2026-03-02T12:00:00Z");

    private PolicyRequests() {
    }

    public static CallerIdentity caller(String subject, String tenant, Set<String> scopes, Set<String> roles) {
        return CallerIdentity.builder(Callers.ISSUER, subject).tenant(tenant).clientId("agent")
                .scopes(scopes).roles(roles).build();
    }

    public static PolicyRequest call(CallerIdentity caller, String tool, Map<String, Object> arguments) {
        return call(caller, tool, arguments, NOON);
    }

    public static PolicyRequest call(CallerIdentity caller, String tool, Map<String, Object> arguments, Instant time) {
        return new PolicyRequest(Operation.CALL, UUID.randomUUID().toString(), caller, "orders",
                ToolDescriptor.named(tool), arguments, Optional.of("session-1"), time);
    }

    /** A viewer of tenant acme with orders.read calling get_order: allowed by the test policy. */
    public static PolicyRequest allowedCall() {
        return call(caller("alice", "acme", Set.of("orders.read"), Set.of("viewer")), "get_order",
                Map.of("order_id", "A-1"));
    }
}
