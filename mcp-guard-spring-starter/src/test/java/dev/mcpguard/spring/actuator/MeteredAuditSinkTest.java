package dev.mcpguard.spring.actuator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.spi.AuditSink;
import dev.mcpguard.core.testing.RecordingAuditSink;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import java.time.Instant;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

class MeteredAuditSinkTest {

    private final SimpleMeterRegistry registry = new SimpleMeterRegistry();
    private final RecordingAuditSink recording = new RecordingAuditSink();
    private final AuditSink sink = MeteredAuditSink.decorate(recording, registry);

    @Test
    void countsDecisionsByOutcomeAndReasonAndTimesEachTool() throws Exception {
        sink.write(record("alice", "get_order", AuditRecord.Verdict.ALLOW, null, AuditRecord.Outcome.SUCCESS, 1500));
        sink.write(record("bob", "get_order", AuditRecord.Verdict.ALLOW, null, AuditRecord.Outcome.SUCCESS, 500));
        sink.write(record("bob", "delete_order", AuditRecord.Verdict.DENY, "policy_denied",
                AuditRecord.Outcome.DENIED, 20));

        assertThat(registry.get(MeteredAuditSink.CALLS).tags("tool", "get_order", "decision", "allow",
                "outcome", "success", "reason", "none").counter().count()).isEqualTo(2);
        assertThat(registry.get(MeteredAuditSink.CALLS).tags("tool", "delete_order", "decision", "deny",
                "outcome", "denied", "reason", "policy_denied").counter().count()).isEqualTo(1);
        assertThat(registry.get(MeteredAuditSink.DURATION).tags("tool", "get_order", "outcome", "success").timer()
                .totalTime(java.util.concurrent.TimeUnit.MICROSECONDS)).isEqualTo(2000);
        assertThat(recording.records()).hasSize(3);
    }

    @Test
    void countsThrottledCallsByReason() throws Exception {
        sink.write(record("alice", "get_order", AuditRecord.Verdict.DENY, "rate_limited", AuditRecord.Outcome.DENIED, 1));
        sink.write(record("alice", "get_order", AuditRecord.Verdict.DENY, "budget_exceeded", AuditRecord.Outcome.DENIED, 1));
        sink.write(record("alice", "get_order", AuditRecord.Verdict.DENY, "policy_denied", AuditRecord.Outcome.DENIED, 1));

        assertThat(registry.get(MeteredAuditSink.THROTTLED).counters()).hasSize(2);
        assertThat(registry.get(MeteredAuditSink.THROTTLED).tags("reason", "rate_limited").counter().count())
                .isEqualTo(1);
    }

    @Test
    void noTagCarriesASubjectSessionOrClientChosenToolNameAfterManyCallers() throws Exception {
        for (int i = 0; i < 100; i++) {
            String subject = "subject-" + i;
            sink.write(record(subject, "get_order", AuditRecord.Verdict.ALLOW, null, AuditRecord.Outcome.SUCCESS, i));
            // A probe for a tool the server does not have: the name is the client's.
            sink.write(record(subject, "probe-" + subject, AuditRecord.Verdict.DENY, "unknown_tool",
                    AuditRecord.Outcome.DENIED, 1));
            // A policy that invents a reason code per call.
            sink.write(record(subject, "get_order", AuditRecord.Verdict.DENY, "limit_" + i, AuditRecord.Outcome.DENIED, 1));
        }

        Set<String> tagValues = registry.getMeters().stream().map(Meter::getId)
                .flatMap(id -> id.getTags().stream()).map(Tag::getValue).collect(Collectors.toSet());
        assertThat(tagValues).noneMatch(v -> v.contains("subject-") || v.contains("session-"));
        assertThat(tagValues).contains("unknown", BoundedTagValues.OTHER);
        Set<String> reasons = registry.find(MeteredAuditSink.CALLS).counters().stream()
                .map(c -> c.getId().getTag("reason")).collect(Collectors.toSet());
        assertThat(reasons).hasSizeLessThanOrEqualTo(MeteredAuditSink.MAX_REASONS + 2); // plus none, other
        assertThat(registry.getMeters()).hasSizeLessThan(MeteredAuditSink.MAX_REASONS + 10);
    }

    @Test
    void aRequestThatIsNotAToolCallIsTaggedByItsMethodWithToolNoneAndNeverByItsTarget() throws Exception {
        for (int i = 0; i < 50; i++) {
            sink.write(request("resources/read", "orders://acme/" + i + "?card=4111111111111111",
                    AuditRecord.Verdict.DENY, "policy_denied", AuditRecord.Outcome.DENIED));
            sink.write(request("prompts/get", "prompt-" + i, AuditRecord.Verdict.ALLOW, null,
                    AuditRecord.Outcome.SUCCESS));
        }
        sink.write(request("resources/list", null, AuditRecord.Verdict.ALLOW, null, AuditRecord.Outcome.SUCCESS));
        sink.write(request("sampling/createMessage", null, AuditRecord.Verdict.ALLOW, null,
                AuditRecord.Outcome.SUCCESS));
        sink.write(record("alice", "get_order", AuditRecord.Verdict.ALLOW, null, AuditRecord.Outcome.SUCCESS, 1));

        assertThat(registry.get(MeteredAuditSink.CALLS).tags("method", "resources/read", "tool", "none",
                "decision", "deny", "reason", "policy_denied").counter().count()).isEqualTo(50);
        assertThat(registry.get(MeteredAuditSink.CALLS).tags("method", "prompts/get", "tool", "none").counter()
                .count()).isEqualTo(50);
        assertThat(registry.get(MeteredAuditSink.DURATION).tags("method", "resources/read", "tool", "none")
                .timer().count()).isEqualTo(50);
        assertThat(registry.get(MeteredAuditSink.CALLS).tags("method", "sampling/createMessage").counter().count())
                .isEqualTo(1);
        assertThat(registry.get(MeteredAuditSink.CALLS).tags("method", "tools/call", "tool", "get_order").counter()
                .count()).isEqualTo(1);
        Set<String> tagValues = registry.getMeters().stream().map(Meter::getId)
                .flatMap(id -> id.getTags().stream()).map(Tag::getValue).collect(Collectors.toSet());
        assertThat(tagValues).noneMatch(v -> v.contains("orders://") || v.contains("4111") || v.contains("prompt-"));
        // Every meter of a name has the same tag keys (Prometheus requires it).
        assertThat(registry.find(MeteredAuditSink.CALLS).counters()).allSatisfy(c -> assertThat(c.getId().getTags())
                .extracting(Tag::getKey).containsExactlyInAnyOrder("server", "method", "tool", "decision", "outcome",
                        "reason"));
        assertThat(registry.getMeters()).hasSizeLessThan(12);
    }

    @Test
    void aMethodOutsideTheKnownSetIsTaggedOther() throws Exception {
        sink.write(request("x-vendor/" + "a".repeat(40), null, AuditRecord.Verdict.DENY, "invalid_arguments",
                AuditRecord.Outcome.DENIED));

        assertThat(registry.get(MeteredAuditSink.CALLS).tags("method", BoundedTagValues.OTHER, "tool", "none")
                .counter().count()).isEqualTo(1);
    }

    @Test
    void aRecordTheSinkCannotTakeIsCountedAsTheDenialTheClientGotAndRethrown() {
        AuditSink failing = MeteredAuditSink.decorate(record -> {
            throw new AuditSink.AuditWriteException("disk full");
        }, registry);

        assertThatThrownBy(() -> failing.write(record("alice", "get_order", AuditRecord.Verdict.ALLOW, null,
                AuditRecord.Outcome.SUCCESS, 1))).isInstanceOf(AuditSink.AuditWriteException.class);
        assertThat(registry.get(MeteredAuditSink.AUDIT_FAILURES).counter().count()).isEqualTo(1);
        assertThat(registry.get(MeteredAuditSink.CALLS).tags("decision", "deny", "reason", "audit_unavailable")
                .counter().count()).isEqualTo(1);
    }

    @Test
    void decoratingTwiceMetersOnce() {
        assertThat(MeteredAuditSink.decorate(sink, registry)).isSameAs(sink);
        assertThat(((MeteredAuditSink) sink).delegate()).isSameAs(recording);
    }

    static AuditRecord request(String method, String target, AuditRecord.Verdict verdict, String reason,
                               AuditRecord.Outcome outcome) {
        return new AuditRecord(AuditRecord.SCHEMA_VERSION, "call-" + method + target, Instant.EPOCH, "decision-1",
                new AuditRecord.Caller("https://issuer.test", "alice", "acme", null, null, "JWT"), "session-1",
                "orders", null, method, target, Map.of(), verdict,
                reason == null ? null : ReasonCode.of(reason).value(), outcome, 3, null, Map.of());
    }

    static AuditRecord record(String subject, String tool, AuditRecord.Verdict verdict, String reason,
                              AuditRecord.Outcome outcome, long micros) {
        return new AuditRecord(AuditRecord.SCHEMA_VERSION, "call-" + subject + tool, Instant.EPOCH, "decision-1",
                new AuditRecord.Caller("https://issuer.test", subject, "tenant-" + subject, null, null, "JWT"),
                "session-" + subject, "orders", tool, Map.of("order_id", "hmac-sha256:00"), verdict,
                reason == null ? null : ReasonCode.of(reason).value(), outcome, micros, null,
                Map.of("policy_revision", "r1"));
    }
}
