package dev.mcpguard.core.policy;

import dev.mcpguard.core.policy.ResilientPolicyEngine.CircuitState;
import java.util.HashSet;
import java.util.Set;
import java.util.function.LongSupplier;

/**
 * A small circuit breaker: CLOSED → OPEN after too many failures, OPEN → HALF_OPEN after the open duration,
 * HALF_OPEN lets exactly one probe through, whose success closes and whose failure re-opens the breaker.
 *
 * <p>Failures carry the caller they happened to. The failure conditions (in a row, or the rate over the window)
 * open the breaker only when the failures they count came from at least
 * {@link CircuitBreakerConfig#minimumDistinctCallers()} distinct callers: for the in-a-row condition the callers of
 * the current run of failures, for the rate the callers of the failures in the window.
 *
 * <p>Every permit carries the generation it was issued in; a result from an older generation (a call that
 * started before the last transition and finished after it) is ignored, so a slow straggler can neither close
 * an open breaker nor count against a freshly closed one. Thread-safe: state changes under this object's lock,
 * held for a few field updates only (never while the engine runs).
 *
 * <p>Why not Resilience4j (issue 9 asked, and io.github.resilience4j:resilience4j-circuitbreaker 2.4.0 resolves):
 * its breaker opens on a failure rate or slow-call rate over a window and nothing else. It has no distinct-callers
 * rule (so one caller whose inputs make the engine fail could open it for everyone, which issue 8 closed), no
 * consecutive-failures condition, no per-caller failure memory that successes cannot reset ({@link CallerBreaker}),
 * and no generation check (a straggler that started before a transition counts in Resilience4j's half-open window
 * and can close it). On Resilience4j all of that would remain our code around its state machine, so the line count
 * would not shrink and the rules above would sit across two locking models. Cost is not the reason either way:
 * {@code PolicyBreakerBenchmark} (mcp-guard-bench, JMH, 1 fork, shared 2-core machine, healthy engine, cache off)
 * measured {@link ResilientPolicyEngine} at about 112 ns per call on one thread and 278 ns on two, against
 * 150 ns and 295 ns for a bare Resilience4j 2.4.0 breaker configured as closely as it allows.
 */
final class CircuitBreaker extends HalfOpenStateMachine {

    /** What a reported result changed. */
    enum Transition { NONE, OPENED, CLOSED }

    private final CircuitBreakerConfig config;
    private final boolean[] window;
    /** The caller of each failed slot of {@link #window} (null for successes). */
    private final String[] windowCallers;
    /** Distinct callers of the current run of consecutive failures, up to the number needed. */
    private final Set<String> runCallers = new HashSet<>();

    private int consecutiveFailures;
    private int windowNext;
    private int windowCount;
    private int windowFailures;

    CircuitBreaker(CircuitBreakerConfig config, LongSupplier nanoTime) {
        super(config, nanoTime);
        this.config = config;
        this.window = new boolean[config.windowSize()];
        this.windowCallers = new String[config.windowSize()];
    }

    /**
     * Reports the result of a permitted call made for {@code caller}, a stable key of the caller (null: the same
     * unnamed caller every time).
     */
    synchronized Transition onResult(Permit permit, boolean success, String caller) {
        if (!permit.permitted() || permit.generation() != generation) {
            return Transition.NONE;
        }
        if (state == CircuitState.HALF_OPEN) {
            if (!permit.probe()) {
                return Transition.NONE;
            }
            if (success) {
                close();
                return Transition.CLOSED;
            }
            open();
            return Transition.OPENED;
        }
        if (state != CircuitState.CLOSED) {
            return Transition.NONE;
        }
        String key = caller == null ? "" : caller;
        record(success, key);
        if (success) {
            consecutiveFailures = 0;
            runCallers.clear();
            return Transition.NONE;
        }
        consecutiveFailures++;
        if (runCallers.size() < config.minimumDistinctCallers()) {
            runCallers.add(key);
        }
        boolean inARow = consecutiveFailures >= config.consecutiveFailures()
                && runCallers.size() >= config.minimumDistinctCallers();
        if (inARow || (rateExceeded() && distinctWindowCallers() >= config.minimumDistinctCallers())) {
            open();
            return Transition.OPENED;
        }
        return Transition.NONE;
    }

    /** Distinct callers of the failures in the window; counted only when the rate condition is met. */
    private int distinctWindowCallers() {
        if (config.minimumDistinctCallers() == 1) {
            return windowFailures > 0 ? 1 : 0;
        }
        Set<String> callers = new HashSet<>();
        for (String caller : windowCallers) {
            if (caller != null && callers.add(caller) && callers.size() >= config.minimumDistinctCallers()) {
                break;
            }
        }
        return callers.size();
    }

    private boolean rateExceeded() {
        return windowCount >= config.minimumCalls()
                && (double) windowFailures / windowCount >= config.failureRateThreshold();
    }

    private void record(boolean success, String caller) {
        if (windowCount == window.length) {
            if (window[windowNext]) {
                windowFailures--;
            }
        } else {
            windowCount++;
        }
        window[windowNext] = !success;
        windowCallers[windowNext] = success ? null : caller;
        if (!success) {
            windowFailures++;
        }
        windowNext = (windowNext + 1) % window.length;
    }

    private void open() {
        openAt(nanoTime.getAsLong());
    }

    private void close() {
        closeNow();
        consecutiveFailures = 0;
        runCallers.clear();
        java.util.Arrays.fill(windowCallers, null);
        windowNext = 0;
        windowCount = 0;
        windowFailures = 0;
        java.util.Arrays.fill(window, false);
    }
}
