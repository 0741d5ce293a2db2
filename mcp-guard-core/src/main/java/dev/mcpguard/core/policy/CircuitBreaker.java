package dev.mcpguard.core.policy;

import dev.mcpguard.core.policy.ResilientPolicyEngine.CircuitState;
import java.util.function.LongSupplier;

/**
 * A small circuit breaker: CLOSED → OPEN after too many failures, OPEN → HALF_OPEN after the open duration,
 * HALF_OPEN lets exactly one probe through, whose success closes and whose failure re-opens the breaker.
 *
 * <p>Every permit carries the generation it was issued in; a result from an older generation (a call that
 * started before the last transition and finished after it) is ignored, so a slow straggler can neither close
 * an open breaker nor count against a freshly closed one. Thread-safe: state changes under this object's lock,
 * held for a few field updates only (never while the engine runs).
 */
final class CircuitBreaker {

    /** Whether a call may go to the engine; {@code probe} marks the single half-open trial. */
    record Permit(boolean permitted, long generation, boolean probe) {
        static final Permit DENIED = new Permit(false, -1, false);
    }

    /** What a reported result changed. */
    enum Transition { NONE, OPENED, CLOSED }

    private final CircuitBreakerConfig config;
    private final LongSupplier nanoTime;
    private final long openNanos;
    private final boolean[] window;

    private CircuitState state = CircuitState.CLOSED;
    private long generation;
    private long openedAt;
    private int consecutiveFailures;
    private int windowNext;
    private int windowCount;
    private int windowFailures;

    CircuitBreaker(CircuitBreakerConfig config, LongSupplier nanoTime) {
        this.config = config;
        this.nanoTime = nanoTime;
        this.openNanos = config.openDuration().toNanos();
        this.window = new boolean[config.windowSize()];
    }

    synchronized CircuitState state() {
        return state;
    }

    synchronized Permit tryAcquire() {
        switch (state) {
            case CLOSED:
                return new Permit(true, generation, false);
            case OPEN:
                if (nanoTime.getAsLong() - openedAt >= openNanos) {
                    state = CircuitState.HALF_OPEN;
                    generation++;
                    return new Permit(true, generation, true);
                }
                return Permit.DENIED;
            default:
                return Permit.DENIED; // HALF_OPEN: the one probe is already in flight
        }
    }

    synchronized Transition onResult(Permit permit, boolean success) {
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
        record(success);
        consecutiveFailures = success ? 0 : consecutiveFailures + 1;
        if (!success && (consecutiveFailures >= config.consecutiveFailures() || rateExceeded())) {
            open();
            return Transition.OPENED;
        }
        return Transition.NONE;
    }

    private boolean rateExceeded() {
        return windowCount >= config.minimumCalls()
                && (double) windowFailures / windowCount >= config.failureRateThreshold();
    }

    private void record(boolean success) {
        if (windowCount == window.length) {
            if (window[windowNext]) {
                windowFailures--;
            }
        } else {
            windowCount++;
        }
        window[windowNext] = !success;
        if (!success) {
            windowFailures++;
        }
        windowNext = (windowNext + 1) % window.length;
    }

    private void open() {
        state = CircuitState.OPEN;
        openedAt = nanoTime.getAsLong();
        generation++;
    }

    private void close() {
        state = CircuitState.CLOSED;
        generation++;
        consecutiveFailures = 0;
        windowNext = 0;
        windowCount = 0;
        windowFailures = 0;
        java.util.Arrays.fill(window, false);
    }
}
