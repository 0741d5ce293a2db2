package dev.mcpguard.core.testing;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.ToolDescriptor;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/** Ready-made identities and calls for tests. */
public final class Callers {

    public static final String ISSUER = "https://issuer.test";

    private Callers() {
    }

    public static CallerIdentity user(String subject, String tenant, String... roles) {
        return CallerIdentity.builder(ISSUER, subject).tenant(tenant).clientId("test-client")
                .scopes(Set.of("orders.read")).roles(Set.of(roles)).build();
    }

    public static ToolCall call(String tool, Optional<CallerIdentity> caller) {
        return new ToolCall("call-1", "orders", ToolDescriptor.named(tool), Map.of("order_id", "A-1"),
                Optional.empty(), caller, Instant.parse("2026-01-01T00:00:00Z"), ToolCall.Attributes.EMPTY);
    }
}
