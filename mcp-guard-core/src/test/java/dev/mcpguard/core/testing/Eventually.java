package dev.mcpguard.core.testing;

import java.time.Duration;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;

/** Awaits a condition by polling with a deadline (no fixed sleeps): the test-side answer to Awaitility. */
public final class Eventually {

    private Eventually() {
    }

    /** Polls {@code condition} until true; fails with {@code what} after {@code timeout}. Returns the time taken. */
    public static Duration within(Duration timeout, String what, BooleanSupplier condition) {
        long start = System.nanoTime();
        long deadline = start + timeout.toNanos();
        while (!condition.getAsBoolean()) {
            if (System.nanoTime() > deadline) {
                throw new AssertionError("Not within " + timeout + ": " + what);
            }
            LockSupport.parkNanos(100_000); // poll every 0.1 ms: fine-grained enough to measure propagation
        }
        return Duration.ofNanos(System.nanoTime() - start);
    }
}
