package dev.mcpguard.core.testing;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/**
 * Awaits a condition with a deadline, checking it every millisecond while parked (no fixed sleeps, no spinning):
 * the one awaiting helper of the core and examples tests, the test-side answer to Awaitility. To wait for audit
 * records prefer {@link RecordingAuditSink#await}, which wakes on each write.
 *
 * <p>Thread-safe (stateless). The time it returns is an upper bound to the nearest poll, for reports; timing
 * figures that matter are measured in {@code mcp-guard-bench}.
 */
public final class Eventually {

    private static final long POLL_NANOS = 1_000_000;

    private Eventually() {
    }

    /** Checks {@code condition} until true; fails with {@code what} after {@code timeout}. Returns the time taken. */
    public static Duration within(Duration timeout, String what, BooleanSupplier condition) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() - deadline > 0) {
                throw new AssertionError("Not within " + timeout + ": " + what);
            }
            LockSupport.parkNanos(POLL_NANOS);
            if (Thread.interrupted()) {
                Thread.currentThread().interrupt();
                throw new AssertionError("Interrupted while awaiting: " + what);
            }
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /**
     * Checks {@code condition} until true or until {@code timeout} has passed, without failing: for a test that
     * proceeds either way (for example "until the other thread is blocked, or long enough"). True if it held.
     */
    public static boolean atMost(Duration timeout, BooleanSupplier condition) {
        try {
            within(timeout, "condition", condition);
            return true;
        } catch (AssertionError timedOut) {
            return condition.getAsBoolean();
        }
    }
}
