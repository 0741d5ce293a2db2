package dev.mcpguard.core.policy;

import dev.mcpguard.core.policy.ResilientPolicyEngine.CircuitState;
import java.util.function.LongSupplier;

/**
 * The state machine both breakers share: CLOSED → OPEN when the subclass decides, OPEN → HALF_OPEN after the
 * open duration, HALF_OPEN lets exactly one probe through. Every permit carries the generation it was issued in,
 * so a subclass can ignore a result from before the last transition. What opens and what a result does is the
 * subclass's: {@link CircuitBreaker} (the shared breaker, with its distinct-callers rule) and
 * {@link CallerBreaker} (one caller's own).
 *
 * <p>Thread-safe: every method is synchronized on the breaker, as the subclasses' are; the lock is held for a few
 * field updates only.
 */
abstract class HalfOpenStateMachine {

    /** Whether a call may go on; {@code probe} marks the single half-open trial. */
    record Permit(boolean permitted, long generation, boolean probe) {
        static final Permit DENIED = new Permit(false, -1, false);
    }

    final LongSupplier nanoTime;
    private final long openNanos;

    CircuitState state = CircuitState.CLOSED;
    long generation;
    private long openedAt;

    HalfOpenStateMachine(CircuitBreakerConfig config, LongSupplier nanoTime) {
        this.nanoTime = nanoTime;
        this.openNanos = config.openDuration().toNanos();
    }

    final synchronized CircuitState state() {
        return state;
    }

    final synchronized Permit tryAcquire() {
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

    /**
     * Gives back a permit whose call never reached the engine (another control denied it first), so a half-open
     * probe is not left in flight forever: the breaker returns to open, and the next call may probe at once.
     */
    final synchronized void abandon(Permit permit) {
        if (permit.permitted() && permit.probe() && permit.generation() == generation
                && state == CircuitState.HALF_OPEN) {
            state = CircuitState.OPEN;
            generation++;
        }
    }

    /** Opens the breaker as of {@code now} (caller holds the lock). */
    final void openAt(long now) {
        state = CircuitState.OPEN;
        openedAt = now;
        generation++;
    }

    /** Closes the breaker (caller holds the lock). */
    final void closeNow() {
        state = CircuitState.CLOSED;
        generation++;
    }
}
