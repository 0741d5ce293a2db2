package dev.mcpguard.core.chain;

import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.ToolGuard;
import dev.mcpguard.api.ToolOutcome;
import dev.mcpguard.core.internal.Ids;
import java.time.Clock;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.function.Function;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * An immutable, ordered list of named {@link ToolGuard}s that runs a tool call through each guard in the order
 * declared (first = outermost) and then through a terminal step, the tool handler.
 *
 * <p>The chain enforces the guard contract so one broken guard cannot open the gate: a guard that throws,
 * returns {@code null}, completes exceptionally, proceeds twice or proceeds with another call's id produces a
 * denial with reason {@link ReasonCode#GUARD_ERROR}, or, when it broke after the call had proceeded (so the tool
 * may have run), a {@link ToolOutcome.Failed}; the server log names the guard. Exceptions thrown by the
 * terminal step become {@link ToolOutcome.Failed}. {@link #execute} therefore always returns a stage that
 * completes normally with a non-null outcome.
 *
 * <p>Thread-safe: one chain serves all concurrent calls; per-call state lives in a fresh chain cursor.
 */
public final class GuardChain {

    private static final Logger log = LoggerFactory.getLogger(GuardChain.class);
    private static final String CHECK_FAILED = "The call could not be checked and was not run.";

    private final List<Step> steps;
    private final Clock clock;

    /**
     * A named guard.
     *
     * @param name  how logs and {@link #order()} refer to the guard
     * @param guard the guard
     */
    public record Step(String name, ToolGuard guard) {
        public Step {
            Objects.requireNonNull(name, "name");
            Objects.requireNonNull(guard, "guard");
        }
    }

    /** Creates a chain of {@code steps}, outermost first; {@code clock} supplies decision ids for denials. */
    public GuardChain(List<Step> steps, Clock clock) {
        this.steps = List.copyOf(steps);
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The guard names, outermost first. */
    public List<String> order() {
        return steps.stream().map(Step::name).toList();
    }

    /**
     * Runs {@code call} through every guard and, if all proceed, through {@code terminal}.
     *
     * @param terminal runs the tool handler with the call as the innermost guard passed it
     */
    public CompletionStage<ToolOutcome> execute(ToolCall call, Function<ToolCall, CompletionStage<ToolOutcome>> terminal) {
        Objects.requireNonNull(call, "call");
        Objects.requireNonNull(terminal, "terminal");
        return new Cursor(0, call, terminal).run();
    }

    private final class Cursor implements ToolGuard.Chain {
        private final int index;
        private final ToolCall call;
        private final Function<ToolCall, CompletionStage<ToolOutcome>> terminal;
        private final AtomicBoolean proceeded = new AtomicBoolean();

        Cursor(int index, ToolCall call, Function<ToolCall, CompletionStage<ToolOutcome>> terminal) {
            this.index = index;
            this.call = call;
            this.terminal = terminal;
        }

        CompletionStage<ToolOutcome> run() {
            if (index == steps.size()) {
                return runTerminal();
            }
            Step step = steps.get(index);
            CompletionStage<ToolOutcome> stage;
            try {
                stage = step.guard().intercept(this);
            } catch (RuntimeException | Error e) {
                return contractBroken(step, "threw " + e.getClass().getName(), e);
            }
            if (stage == null) {
                return contractBroken(step, "returned null", null);
            }
            return stage.handle((outcome, error) -> {
                if (error != null) {
                    return brokenOutcome(step, "completed exceptionally", error);
                }
                if (outcome == null) {
                    return brokenOutcome(step, "completed with a null outcome", null);
                }
                return outcome;
            });
        }

        private CompletionStage<ToolOutcome> runTerminal() {
            try {
                CompletionStage<ToolOutcome> stage = terminal.apply(call);
                if (stage == null) {
                    return failed(new IllegalStateException("the tool handler adapter returned null"));
                }
                return stage.handle((outcome, error) -> {
                    if (error != null) {
                        return new ToolOutcome.Failed(call, unwrap(error));
                    }
                    return outcome != null ? outcome
                            : new ToolOutcome.Failed(call, new IllegalStateException("the tool handler produced no outcome"));
                });
            } catch (RuntimeException | Error e) {
                return failed(e);
            }
        }

        private CompletionStage<ToolOutcome> failed(Throwable cause) {
            return CompletableFuture.completedFuture(new ToolOutcome.Failed(call, cause));
        }

        @Override
        public ToolCall call() {
            return call;
        }

        @Override
        public CompletionStage<ToolOutcome> proceed(ToolCall next) {
            String guardName = steps.get(index).name();
            if (next == null || !next.callId().equals(call.callId())) {
                throw new IllegalStateException("guard '" + guardName + "' proceeded with a different call");
            }
            if (!proceeded.compareAndSet(false, true)) {
                throw new IllegalStateException("guard '" + guardName + "' called proceed() more than once");
            }
            return new Cursor(index + 1, next, terminal).run();
        }

        @Override
        public CompletionStage<ToolOutcome> deny(Decision.Deny decision) {
            return CompletableFuture.completedFuture(new ToolOutcome.Denied(call, decision));
        }

        @Override
        public CompletionStage<ToolOutcome> deny(ReasonCode reason, String message) {
            return deny(Decision.deny(Ids.newId(clock), reason, message));
        }

        private CompletionStage<ToolOutcome> contractBroken(Step step, String what, Throwable error) {
            return CompletableFuture.completedFuture(brokenOutcome(step, what, error));
        }

        private ToolOutcome brokenOutcome(Step step, String what, Throwable error) {
            Throwable cause = unwrap(error);
            if (proceeded.get()) {
                // The rest of the chain, and maybe the tool, already ran: saying "denied, not run" would be false
                // and could make an agent retry a non-idempotent tool.
                log.error("Guard '{}' {} on call {} (tool {}) after the call proceeded; reporting a failure",
                        step.name(), what, call.callId(), call.toolName(), cause);
                return new ToolOutcome.Failed(call, cause != null ? cause
                        : new IllegalStateException("guard '" + step.name() + "' " + what));
            }
            log.error("Guard '{}' {} on call {} (tool {}); denying the call", step.name(), what, call.callId(),
                    call.toolName(), cause);
            return new ToolOutcome.Denied(call, Decision.deny(Ids.newId(clock), ReasonCode.GUARD_ERROR, CHECK_FAILED));
        }
    }

    private static Throwable unwrap(Throwable error) {
        Throwable current = error;
        while ((current instanceof java.util.concurrent.CompletionException
                || current instanceof java.util.concurrent.ExecutionException) && current.getCause() != null) {
            current = current.getCause();
        }
        return current;
    }
}
