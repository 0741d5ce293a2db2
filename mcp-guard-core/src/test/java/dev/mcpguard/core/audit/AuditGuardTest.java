package dev.mcpguard.core.audit;

import ch.qos.logback.classic.Level;
import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.GuardKeys;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.ToolGuard;
import dev.mcpguard.api.ToolOutcome;
import dev.mcpguard.api.spi.AuditSink;
import dev.mcpguard.core.testing.LogCapture;
import dev.mcpguard.core.testing.MutableClock;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

import static org.assertj.core.api.Assertions.assertThat;

@Timeout(30)
class AuditGuardTest {

    private static final Decision.Allow POLICY_ALLOW = Decision.allow("dec-policy-1");

    private final MutableClock clock = new MutableClock(AuditFixtures.T0);
    private final RecordingSink sink = new RecordingSink();
    private final AuditGuard guard = new AuditGuard(sink, ArgumentSummarizer.withRandomKey(), clock);
    private final ToolCall call = AuditFixtures.call("call-1", Map.of("order_id", "A-17"));

    @Test
    void recordsACompletedCallAsAnAllowedSuccessWithThePolicyDecisionAndItsDuration() {
        ToolOutcome outcome = run(c -> {
            clock.advance(Duration.ofNanos(1_500_000));
            return ToolGuard.done(new ToolOutcome.Completed(allowed(c), "result", false));
        });

        assertThat(outcome).isInstanceOf(ToolOutcome.Completed.class);
        AuditRecord record = sink.single();
        assertThat(record.eventId()).isEqualTo("call-1");
        assertThat(record.time()).isEqualTo(AuditFixtures.T0);
        assertThat(record.decision()).isEqualTo("allow");
        assertThat(record.decisionId()).isEqualTo("dec-policy-1");
        assertThat(record.reason()).isNull();
        assertThat(record.outcome()).isEqualTo(AuditRecord.Outcome.SUCCESS);
        assertThat(record.durationMicros()).isEqualTo(1500);
        assertThat(record.errorType()).isNull();
        assertThat(record.caller().subject()).isEqualTo("alice");
        assertThat(record.caller().tenant()).isEqualTo("acme");
        assertThat(record.sessionId()).isEqualTo("sess-1");
        assertThat(record.server()).isEqualTo("orders");
        assertThat(record.tool()).isEqualTo("refund_order");
        assertThat(record.arguments().get("order_id")).startsWith("hmac-sha256:");
        assertThat(record.details()).isEmpty();
    }

    @Test
    void recordsAToolErrorAsToolError() {
        run(c -> ToolGuard.done(new ToolOutcome.Completed(allowed(c), "result", true)));

        assertThat(sink.single().outcome()).isEqualTo(AuditRecord.Outcome.TOOL_ERROR);
    }

    @Test
    void recordsADenialWithItsDecisionIdAndReason() {
        ToolOutcome outcome = run(c -> ToolGuard.done(new ToolOutcome.Denied(c,
                Decision.deny("dec-deny-1", ReasonCode.RATE_LIMITED, "Slow down."))));

        assertThat(outcome).isInstanceOf(ToolOutcome.Denied.class);
        AuditRecord record = sink.single();
        assertThat(record.decision()).isEqualTo("deny");
        assertThat(record.decisionId()).isEqualTo("dec-deny-1");
        assertThat(record.reason()).isEqualTo("rate_limited");
        assertThat(record.outcome()).isEqualTo(AuditRecord.Outcome.DENIED);
    }

    @Test
    void recordsAHandlerFailureAfterAnAllowWithTheExceptionTypeButNotItsMessage() {
        ToolOutcome outcome = run(c -> ToolGuard.done(
                new ToolOutcome.Failed(allowed(c), new IllegalStateException("card 4111-1111 declined"))));

        assertThat(outcome).isInstanceOf(ToolOutcome.Failed.class);
        AuditRecord record = sink.single();
        assertThat(record.decision()).isEqualTo("allow");
        assertThat(record.decisionId()).isEqualTo("dec-policy-1");
        assertThat(record.reason()).isEqualTo("handler_error");
        assertThat(record.outcome()).isEqualTo(AuditRecord.Outcome.FAILED);
        assertThat(record.errorType()).isEqualTo("java.lang.IllegalStateException");
        assertThat(AuditRecordJson.toJsonLine(record)).doesNotContain("4111");
    }

    @Test
    void recordsAFailureBeforeAnyPolicyDecisionAsADeniedGuardError() {
        run(c -> ToolGuard.done(new ToolOutcome.Failed(c, new IllegalArgumentException("x"))));

        AuditRecord record = sink.single();
        assertThat(record.decision()).isEqualTo("deny");
        assertThat(record.decisionId()).isNull();
        assertThat(record.reason()).isEqualTo("guard_error");
    }

    @Test
    void recordsExactlyOneFailureWhenTheChainThrows() {
        ToolOutcome outcome = run(c -> {
            throw new UnsupportedOperationException("boom");
        });

        assertThat(outcome).isInstanceOf(ToolOutcome.Failed.class);
        assertThat(sink.single().errorType()).isEqualTo("java.lang.UnsupportedOperationException");
        assertThat(sink.single().outcome()).isEqualTo(AuditRecord.Outcome.FAILED);
    }

    @Test
    void recordsExactlyOneFailureWhenTheStageCompletesExceptionally() {
        ToolOutcome outcome = run(c -> CompletableFuture.failedFuture(
                new CompletionException(new IllegalStateException("broken guard"))));

        assertThat(outcome).isInstanceOfSatisfying(ToolOutcome.Failed.class,
                f -> assertThat(f.cause()).isInstanceOf(IllegalStateException.class));
        assertThat(sink.single().errorType()).isEqualTo("java.lang.IllegalStateException");
    }

    @Test
    void recordsAFailureWhenTheChainReturnsNullOrANullOutcome() {
        run(c -> null);
        run(c -> CompletableFuture.completedFuture(null));

        assertThat(sink.records).hasSize(2).allMatch(r -> r.outcome() == AuditRecord.Outcome.FAILED);
    }

    @Test
    void recordsACallThatCompletesLaterOnAnotherThread() throws Exception {
        CompletableFuture<ToolOutcome> later = new CompletableFuture<>();
        CompletionStage<ToolOutcome> stage = guard.intercept(new TestChain(call, c -> later));
        assertThat(sink.records).isEmpty();

        Thread handler = new Thread(() -> later.complete(new ToolOutcome.Completed(allowed(call), "r", false)));
        handler.start();
        ToolOutcome outcome = stage.toCompletableFuture().get(10, TimeUnit.SECONDS);
        handler.join();

        assertThat(outcome).isInstanceOf(ToolOutcome.Completed.class);
        assertThat(sink.single().outcome()).isEqualTo(AuditRecord.Outcome.SUCCESS);
    }

    @Test
    void recordsTheDetailsControlsAttached() {
        run(c -> ToolGuard.done(new ToolOutcome.Completed(
                allowed(c).withAttribute(AuditDetails.KEY, AuditDetails.of(c).with("policy_revision", "42")),
                "r", false)));

        assertThat(sink.single().details()).containsExactly(Map.entry("policy_revision", "42"));
    }

    @Test
    void withholdsTheResultOfACompletedCallWhenTheRecordCannotBeWritten() {
        sink.failWith = new AuditSink.AuditWriteException("audit queue full; event call-1 not recorded");
        try (LogCapture logs = LogCapture.of(AuditGuard.class.getName())) {
            ToolOutcome outcome = run(c -> ToolGuard.done(new ToolOutcome.Completed(allowed(c), "secret result", false)));

            assertThat(outcome).isInstanceOfSatisfying(ToolOutcome.Denied.class, denied -> {
                assertThat(denied.decision().reason()).isEqualTo(ReasonCode.AUDIT_UNAVAILABLE);
                assertThat(denied.decision().decisionId()).isEqualTo("dec-policy-1");
                assertThat(denied.decision().message()).isEqualTo(AuditGuard.RESULT_WITHHELD_MESSAGE);
            });
            assertThat(logs.events()).singleElement().satisfies(e -> {
                assertThat(e.getLevel()).isEqualTo(Level.ERROR);
                assertThat(e.getFormattedMessage()).contains("call-1", "withheld").doesNotContain("secret result");
            });
        }
    }

    @Test
    void withholdsTheResultWhenTheSinkThrowsAnUnexpectedExceptionAndLogsOnlyItsType() {
        sink.failWithRuntime = new IllegalStateException("leaky message with arg value A-17");
        try (LogCapture logs = LogCapture.of(AuditGuard.class.getName())) {
            ToolOutcome outcome = run(c -> ToolGuard.done(new ToolOutcome.Completed(c, "r", false)));

            assertThat(outcome).isInstanceOfSatisfying(ToolOutcome.Denied.class, denied ->
                    assertThat(denied.decision().reason()).isEqualTo(ReasonCode.AUDIT_UNAVAILABLE));
            assertThat(logs.allText()).contains("call-1", "java.lang.IllegalStateException")
                    .doesNotContain("A-17");
        }
    }

    @Test
    void keepsADenialAsItWasWhenItsRecordCannotBeWritten() {
        sink.failWith = new AuditSink.AuditWriteException("sink closed; event call-1 not recorded");
        Decision.Deny deny = Decision.deny("dec-deny-2", ReasonCode.POLICY_DENIED, "No.");
        try (LogCapture logs = LogCapture.of(AuditGuard.class.getName())) {
            ToolOutcome outcome = run(c -> ToolGuard.done(new ToolOutcome.Denied(c, deny)));

            assertThat(outcome).isInstanceOfSatisfying(ToolOutcome.Denied.class,
                    d -> assertThat(d.decision()).isEqualTo(deny));
            assertThat(logs.events()).singleElement()
                    .satisfies(e -> assertThat(e.getLevel()).isEqualTo(Level.ERROR));
        }
    }

    @Test
    void keepsAFailureAsItWasWhenItsRecordCannotBeWritten() {
        sink.failWith = new AuditSink.AuditWriteException("sink closed; event call-1 not recorded");
        IllegalStateException cause = new IllegalStateException("x");

        ToolOutcome outcome = run(c -> ToolGuard.done(new ToolOutcome.Failed(allowed(c), cause)));

        assertThat(outcome).isInstanceOfSatisfying(ToolOutcome.Failed.class, f -> assertThat(f.cause()).isSameAs(cause));
    }

    @Test
    void neverMeasuresANegativeDurationWhenTheClockStepsBack() {
        run(c -> {
            clock.advance(Duration.ofSeconds(-5));
            return ToolGuard.done(new ToolOutcome.Completed(c, "r", false));
        });

        assertThat(sink.single().durationMicros()).isZero();
    }

    // ---- doubles ------------------------------------------------------------------------------------------------

    private ToolOutcome run(Function<ToolCall, CompletionStage<ToolOutcome>> rest) {
        CompletionStage<ToolOutcome> stage = guard.intercept(new TestChain(call, rest));
        CompletableFuture<ToolOutcome> future = stage.toCompletableFuture();
        assertThat(future).isDone();
        assertThat(future.isCompletedExceptionally()).isFalse();
        return future.join();
    }

    private static ToolCall allowed(ToolCall c) {
        return c.withAttribute(GuardKeys.POLICY_DECISION, POLICY_ALLOW);
    }

    /** The rest of the chain as a function, the way a real chain hands over to the next guard. */
    static final class TestChain implements ToolGuard.Chain {
        private final ToolCall call;
        private final Function<ToolCall, CompletionStage<ToolOutcome>> rest;

        TestChain(ToolCall call, Function<ToolCall, CompletionStage<ToolOutcome>> rest) {
            this.call = call;
            this.rest = rest;
        }

        @Override
        public ToolCall call() {
            return call;
        }

        @Override
        public CompletionStage<ToolOutcome> proceed(ToolCall next) {
            return rest.apply(next);
        }

        @Override
        public CompletionStage<ToolOutcome> deny(Decision.Deny decision) {
            return ToolGuard.done(new ToolOutcome.Denied(call, decision));
        }

        @Override
        public CompletionStage<ToolOutcome> deny(ReasonCode reason, String message) {
            return deny(Decision.deny("dec-chain", reason, message));
        }
    }

    static final class RecordingSink implements AuditSink {
        final List<AuditRecord> records = new ArrayList<>();
        AuditWriteException failWith;
        RuntimeException failWithRuntime;

        @Override
        public synchronized void write(AuditRecord record) throws AuditWriteException {
            if (failWith != null) {
                throw failWith;
            }
            if (failWithRuntime != null) {
                throw failWithRuntime;
            }
            records.add(record);
        }

        synchronized AuditRecord single() {
            assertThat(records).hasSize(1);
            return records.get(0);
        }
    }
}
