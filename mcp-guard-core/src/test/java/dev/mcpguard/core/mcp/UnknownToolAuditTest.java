package dev.mcpguard.core.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.spi.AuditSink;
import dev.mcpguard.core.testing.Callers;
import dev.mcpguard.core.testing.MutableClock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

class UnknownToolAuditTest {

    private final MutableClock clock = MutableClock.startingAt("2026-03-01T10:00:00Z");
    private final List<AuditRecord> written = new CopyOnWriteArrayList<>();
    private final AuditSink sink = written::add;
    private final List<Runnable> scheduled = new ArrayList<>();
    private final List<Duration> delays = new ArrayList<>();

    private UnknownToolAudit audit(UnknownToolAudit.Limits limits) {
        return new UnknownToolAudit(sink, "orders", clock, limits, (delay, task) -> {
            delays.add(delay);
            scheduled.add(task);
        });
    }

    private static Optional<CallerIdentity> caller(String subject) {
        return Optional.of(Callers.user(subject, "acme"));
    }

    @Test
    void recordsTheFirstCallsOfAPrincipalAndSummarizesTheSuppressedOnesWhenTheWindowEnds() {
        UnknownToolAudit audit = audit(new UnknownToolAudit.Limits(3, 100, 100, Duration.ofMinutes(1)));

        for (int i = 0; i < 50; i++) {
            audit.record(caller("mallory"), Optional.of("sess-1"), "probe_" + i);
        }

        assertThat(written).extracting(AuditRecord::tool).containsExactly("probe_0", "probe_1", "probe_2");
        assertThat(written).allSatisfy(r -> {
            assertThat(r.reason()).isEqualTo("unknown_tool");
            assertThat(r.decision()).isEqualTo(AuditRecord.Verdict.DENY);
            assertThat(r.outcome()).isEqualTo(AuditRecord.Outcome.DENIED);
            assertThat(r.caller().subject()).isEqualTo("mallory");
            assertThat(r.sessionId()).isEqualTo("sess-1");
            assertThat(r.decisionId()).isEqualTo(r.eventId());
        });
        assertThat(scheduled).as("one timer per window, not one per suppressed call").hasSize(1);
        assertThat(delays.get(0)).isEqualTo(Duration.ofMinutes(1));

        scheduled.get(0).run();
        assertThat(written).as("the window has not ended by the clock").hasSize(3);
        assertThat(scheduled).as("rescheduled for the window's end").hasSize(2);

        clock.advance(Duration.ofMinutes(1));
        scheduled.get(1).run();

        assertThat(written).hasSize(4);
        AuditRecord summary = written.get(3);
        assertThat(summary.tool()).isEqualTo(UnknownToolAudit.SUMMARY_TOOL);
        assertThat(summary.reason()).isEqualTo("unknown_tool");
        assertThat(summary.caller().subject()).isEqualTo("mallory");
        assertThat(summary.decisionId()).isNull();
        assertThat(summary.details()).containsEntry("unknown_tool_calls_suppressed", "47")
                .containsEntry("last_tool", "probe_49")
                .containsEntry("window_start", "2026-03-01T10:00:00Z")
                .containsEntry("window_end", "2026-03-01T10:01:00Z");
    }

    @Test
    void theNextCallAfterTheWindowWritesThePendingSummaryAndStartsAFreshAllowance() {
        UnknownToolAudit audit = audit(new UnknownToolAudit.Limits(1, 100, 100, Duration.ofMinutes(1)));
        audit.record(caller("mallory"), Optional.empty(), "a");
        audit.record(caller("mallory"), Optional.empty(), "b");

        clock.advance(Duration.ofSeconds(61));
        audit.record(caller("mallory"), Optional.empty(), "c");

        assertThat(written).extracting(AuditRecord::tool).containsExactly("a", UnknownToolAudit.SUMMARY_TOOL, "c");
        assertThat(written.get(1).details()).containsEntry("unknown_tool_calls_suppressed", "1");
    }

    @Test
    void aFloodByOnePrincipalDoesNotSilenceTheRecordsOfAnother() {
        UnknownToolAudit audit = audit(new UnknownToolAudit.Limits(10, 1_000, 1_000, Duration.ofMinutes(1)));

        for (int i = 0; i < 10_000; i++) {
            audit.record(caller("mallory"), Optional.empty(), "probe");
        }
        audit.record(caller("victim"), Optional.empty(), "typo_tool");

        assertThat(written.stream().filter(r -> r.caller().subject().equals("mallory"))).hasSize(10);
        assertThat(written.stream().filter(r -> r.caller().subject().equals("victim")))
                .singleElement().extracting(AuditRecord::tool).isEqualTo("typo_tool");
    }

    @Test
    void theWindowTotalBoundsRecordsAcrossPrincipalsAndEveryPrincipalStillGetsItsCount() {
        UnknownToolAudit audit = audit(new UnknownToolAudit.Limits(2, 4, 100, Duration.ofMinutes(1)));

        for (String subject : List.of("a", "b", "c")) {
            for (int i = 0; i < 3; i++) {
                audit.record(caller(subject), Optional.empty(), "x");
            }
        }
        assertThat(written).hasSize(4);

        clock.advance(Duration.ofMinutes(1));
        audit.flushEndedWindow();

        assertThat(written.subList(4, written.size())).extracting(r -> r.caller().subject() + "="
                + r.details().get("unknown_tool_calls_suppressed")).containsExactly("a=1", "b=1", "c=3");
    }

    @Test
    void principalsBeyondTheTrackedOnesAreCountedTogetherInOneSummaryWithoutACaller() {
        UnknownToolAudit audit = audit(new UnknownToolAudit.Limits(1, 1, 2, Duration.ofMinutes(1)));

        for (int i = 0; i < 10; i++) {
            audit.record(caller("user-" + i), Optional.empty(), "x");
        }
        clock.advance(Duration.ofMinutes(1));
        audit.flushEndedWindow();

        assertThat(written).hasSize(1 + 1 + 1);
        assertThat(written.get(1).caller().subject()).isEqualTo("user-1");
        assertThat(written.get(2).caller()).isNull();
        assertThat(written.get(2).details()).containsEntry("unknown_tool_calls_suppressed", "8")
                .doesNotContainKey("last_tool");
    }

    @Test
    void cutsAnOverlongRequestedNameAndKeepsTheCallerless() {
        UnknownToolAudit audit = audit(UnknownToolAudit.Limits.DEFAULTS);

        audit.record(Optional.empty(), Optional.empty(), "n".repeat(100_000));

        assertThat(written).singleElement().satisfies(r -> {
            assertThat(r.caller()).isNull();
            assertThat(r.tool()).hasSizeLessThan(200).startsWith("n".repeat(128)).endsWith("...(+99872 chars)");
        });
    }

    @Test
    void aFailingSinkIsLoggedNotThrownSinceTheSdkRefusesTheCallAnyway() {
        UnknownToolAudit audit = new UnknownToolAudit(record -> {
            throw new AuditSink.AuditWriteException("disk full");
        }, "orders", clock, UnknownToolAudit.Limits.DEFAULTS, (delay, task) -> { });

        audit.record(caller("alice"), Optional.empty(), "x");
    }

    @Test
    void rejectsLimitsThatCannotWorkNamingTheValue() {
        assertThatThrownBy(() -> new UnknownToolAudit.Limits(0, 10, 10, Duration.ofMinutes(1)))
                .hasMessageContaining("got 0");
        assertThatThrownBy(() -> new UnknownToolAudit.Limits(5, 4, 10, Duration.ofMinutes(1)))
                .hasMessageContaining("got 4");
        assertThatThrownBy(() -> new UnknownToolAudit.Limits(1, 1, 0, Duration.ofMinutes(1)))
                .hasMessageContaining("got 0");
        assertThatThrownBy(() -> new UnknownToolAudit.Limits(1, 1, 1, Duration.ZERO))
                .hasMessageContaining("PT0S");
    }
}
