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

    /** Support agent in training at acme: may read orders, nothing else. */
    public static final DemoUser ALICE = new DemoUser("alice", "acme", List.of("orders.read"), List.of());
    /** Support agent at acme: may read orders and refund up to the support limit. */
    public static final DemoUser BOB = new DemoUser("bob", "acme", List.of("orders.read"), List.of("support"));
    /** Administrator at acme: may do everything in acme. */
    public static final DemoUser CAROL = new DemoUser("carol", "acme", List.of("orders.read"), List.of("admin"));
    /** Support agent at globex. */
    public static final DemoUser GRACE = new DemoUser("grace", "globex", List.of("orders.read"), List.of("support"));

    public DemoUser {
        Objects.requireNonNull(subject, "subject");
        scopes = List.copyOf(scopes);
        roles = List.copyOf(roles);
    }
}
