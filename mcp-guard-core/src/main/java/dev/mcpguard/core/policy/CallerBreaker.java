package dev.mcpguard.core.policy;

import dev.mcpguard.core.policy.ResilientPolicyEngine.CircuitState;
import java.util.function.LongSupplier;

/**
 * One caller's own breaker: it opens when {@code threshold} of the caller's calls failed within the failure
 * memory ({@code threshold × openDuration}), whatever succeeded in between, so a caller cannot keep it closed by
 * mixing good calls with calls that make the engine fail. While open the caller is denied at once; after the open
 * duration one probe goes through (half-open): success closes the breaker, failure opens it again. A close keeps
 * the failure history, so a caller whose failures are still remembered re-opens it at its next failure: over
 * time, at most one failed evaluation per open duration, after the first {@code threshold}.
 *
 * <p>Thread-safe: state changes under this object's lock, held for a few field updates only.
 */
final class CallerBreaker extends HalfOpenStateMachine {

    private final long memoryNanos;
    /** The times of the caller's last {@code threshold} failures, a ring. */
    private final long[] failureTimes;

    private int storedFailures;
    private int nextFailure;

    CallerBreaker(CircuitBreakerConfig config, LongSupplier nanoTime) {
        super(config, nanoTime);
        long openNanos = config.openDuration().toNanos();
        this.failureTimes = new long[config.consecutiveFailures()];
        int threshold = config.consecutiveFailures();
        this.memoryNanos = openNanos > Long.MAX_VALUE / threshold ? Long.MAX_VALUE : openNanos * threshold;
    }

    /** Reports a permitted call's result; true when this result opened the breaker. */
    synchronized boolean onResult(Permit permit, boolean success) {
        if (!permit.permitted()) {
            return false;
        }
        long now = nanoTime.getAsLong();
        if (!success) {
            remember(now); // a failure is the caller's, even from a call that started before a state change
        }
        if (permit.generation() != generation) {
            return false;
        }
        if (state == CircuitState.HALF_OPEN) {
            if (!permit.probe()) {
                return false;
            }
            if (success) {
                closeNow();
                return false;
            }
            openAt(now);
            return true;
        }
        if (state == CircuitState.CLOSED && !success && remembered(now) >= failureTimes.length) {
            openAt(now);
            return true;
        }
        return false;
    }

    private void remember(long now) {
        failureTimes[nextFailure] = now;
        nextFailure = (nextFailure + 1) % failureTimes.length;
        storedFailures = Math.min(storedFailures + 1, failureTimes.length);
    }

    /** Failures within the memory, among the last {@code threshold}. */
    private int remembered(long now) {
        int count = 0;
        for (int i = 0; i < storedFailures; i++) {
            if (now - failureTimes[i] < memoryNanos) {
                count++;
            }
        }
        return count;
    }
}
