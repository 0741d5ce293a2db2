package dev.mcpguard.core.telemetry;

import static dev.mcpguard.core.telemetry.TelemetryAttributes.*;

import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.ToolGuard;
import dev.mcpguard.api.ToolOutcome;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * One step of the chain, observed: when the step is done with a call, a {@code mcp_guard.step} event goes on the
 * request span with the step's name, what it did ({@code pass}, {@code deny}, {@code fail}, or {@code error} for a
 * guard that broke its contract), the reason of its denial and the time it spent itself (its whole time less that
 * of the steps inside it, so the audit write after the handler counts for {@code audit}), and that time goes into
 * {@code mcp_guard.step.duration}. A call without a request span (telemetry failed to start one) passes untouched.
 * The wrapped guard sees the same calls and returns what it returned. Thread-safe; per-call state lives in a fresh
 * {@link Observed} chain.
 */
final class StepEventGuard implements ToolGuard {

    private final GuardTelemetry telemetry;
    private final String name;
    private final ToolGuard guard;
    /** The metric attributes of each outcome, made once: the step name is fixed, the outcomes are four. */
    private final java.util.Map<String, Attributes> metricAttributes;

    StepEventGuard(GuardTelemetry telemetry, String name, ToolGuard guard) {
        this.telemetry = telemetry;
        this.name = TelemetryNames.name(name);
        this.guard = guard;
        this.metricAttributes = java.util.Map.of(
                "pass", Attributes.of(STEP_NAME, this.name, STEP_OUTCOME, "pass"),
                "deny", Attributes.of(STEP_NAME, this.name, STEP_OUTCOME, "deny"),
                "fail", Attributes.of(STEP_NAME, this.name, STEP_OUTCOME, "fail"),
                "error", Attributes.of(STEP_NAME, this.name, STEP_OUTCOME, "error"));
    }

    @Override
    public CompletionStage<ToolOutcome> intercept(Chain chain) {
        Optional<RequestSpan> request = chain.call().attribute(RequestSpan.KEY);
        if (request.isEmpty()) {
            return guard.intercept(chain);
        }
        Observed observed = new Observed(chain, telemetry.nanoTime.getAsLong());
        CompletionStage<ToolOutcome> stage;
        try {
            stage = guard.intercept(observed);
        } catch (RuntimeException | Error e) {
            report(request.get(), observed, "error", null);
            throw e;
        }
        if (stage == null) {
            report(request.get(), observed, "error", null);
            return null; // the chain denies it, naming this guard
        }
        return stage.whenComplete((outcome, error) -> {
            if (error != null || outcome == null) {
                report(request.get(), observed, "error", null);
            } else {
                boolean own = !observed.proceeded || outcome != observed.inner;
                if (own && outcome instanceof ToolOutcome.Denied denied) {
                    report(request.get(), observed, "deny", denied.decision().reason());
                } else if (own && outcome instanceof ToolOutcome.Failed) {
                    report(request.get(), observed, "fail", null);
                } else {
                    report(request.get(), observed, "pass", null);
                }
            }
        });
    }

    private void report(RequestSpan request, Observed observed, String outcome, ReasonCode reason) {
        try {
            long end = telemetry.nanoTime.getAsLong();
            long inner = observed.innerDone ? observed.innerEnd - observed.proceedAt : 0;
            double seconds = Math.max(0, end - observed.start - inner) / 1e9;
            if (request.span().isRecording()) { // unsampled: no event to build
                AttributesBuilder event = Attributes.builder().put(STEP_NAME, name).put(STEP_OUTCOME, outcome)
                        .put(STEP_DURATION, seconds);
                if (reason != null) {
                    event.put(STEP_REASON, reason.value());
                }
                request.span().addEvent(STEP_EVENT, event.build());
            }
            telemetry.stepDuration.record(seconds, metricAttributes.get(outcome));
        } catch (RuntimeException e) {
            telemetry.telemetryFailed("recording step " + name, e);
        }
    }

    /** The rest of the chain as the observed guard sees it: notes when it proceeded and when the inside ended. */
    private final class Observed implements Chain {
        private final Chain chain;
        final long start;
        volatile boolean proceeded;
        volatile long proceedAt;
        volatile boolean innerDone;
        volatile long innerEnd;
        volatile ToolOutcome inner;

        Observed(Chain chain, long start) {
            this.chain = chain;
            this.start = start;
        }

        @Override
        public ToolCall call() {
            return chain.call();
        }

        @Override
        public CompletionStage<ToolOutcome> proceed(ToolCall call) {
            proceedAt = telemetry.nanoTime.getAsLong();
            proceeded = true;
            return chain.proceed(call).whenComplete((outcome, error) -> {
                inner = outcome;
                innerEnd = telemetry.nanoTime.getAsLong();
                innerDone = true;
            });
        }

        @Override
        public CompletionStage<ToolOutcome> deny(Decision.Deny decision) {
            return chain.deny(decision);
        }

        @Override
        public CompletionStage<ToolOutcome> deny(ReasonCode reason, String message) {
            return chain.deny(reason, message);
        }
    }
}
