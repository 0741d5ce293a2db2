package dev.mcpguard.core.audit;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.ToolDescriptor;

import java.time.Instant;
import java.util.Map;
import java.util.Optional;

/** Shared test data. */
final class AuditFixtures {

    static final Instant T0 = Instant.parse("2026-03-01T10:15:30.123456Z");

    private AuditFixtures() {
    }

    static AuditRecord record(String eventId) {
        return new AuditRecord(AuditRecord.SCHEMA_VERSION, eventId, T0, "dec-1",
                new AuditRecord.Caller("https://issuer.example", "alice", "acme", "agent-app", "bot-7", "BEARER_JWT"),
                "sess-1", "orders", "refund_order", Map.of("order_id", "A-17", "amount", "hmac-sha256:00ff"),
                "allow", null, AuditRecord.Outcome.SUCCESS, 1234, null, Map.of("policy_revision", "42"));
    }

    static ToolCall call(String callId, Map<String, Object> arguments) {
        CallerIdentity alice = CallerIdentity.builder("https://issuer.example", "alice")
                .tenant("acme").clientId("agent-app").build();
        return new ToolCall(callId, "orders", ToolDescriptor.named("refund_order"), arguments,
                Optional.of("sess-1"), Optional.of(alice), T0, ToolCall.Attributes.EMPTY);
    }
}
