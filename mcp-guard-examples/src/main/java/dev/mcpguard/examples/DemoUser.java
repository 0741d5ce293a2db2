package dev.mcpguard.examples;

import java.util.List;
import java.util.Objects;

/**
 * A user of the demo, as its token describes it. Immutable and thread-safe.
 *
 * @param subject the {@code sub}
 * @param tenant  the {@code tid}; null for a token without a tenant
 * @param scopes  granted scopes ({@code scope})
 * @param roles   roles ({@code roles})
 */
public record DemoUser(String subject, String tenant, List<String> scopes, List<String> roles) {

    /** Support agent in training at acme: may read acme's orders, nothing else. */
    public static final DemoUser ALICE = new DemoUser("alice", "acme", List.of("orders.read"), List.of());
    /**
     * Support agent at acme: may read orders and refund up to the policy's approval limit (500 per order and day,
     * however it is split).
     */
    public static final DemoUser BOB = new DemoUser("bob", "acme", List.of("orders.read", "orders.refund"),
            List.of("support"));
    /**
     * Senior support agent and administrator at acme: {@code support} to use {@code refund_order},
     * {@code refund_approver} to refund above the limit, {@code admin} to delete customers (outside production, or
     * with a break-glass exception). The reference policy needs a tool role and an approver role separately.
     */
    public static final DemoUser CAROL = new DemoUser("carol", "acme",
            List.of("orders.read", "orders.refund", "customers.delete"),
            List.of("admin", "refund_approver", "support"));
    /** Support agent in training at globex: may read globex's orders. */
    public static final DemoUser GRACE = new DemoUser("grace", "globex", List.of("orders.read"), List.of());

    public DemoUser {
        Objects.requireNonNull(subject, "subject");
        scopes = List.copyOf(scopes);
        roles = List.copyOf(roles);
    }
}
