package dev.mcpguard.core.throttle;

import io.github.bucket4j.TimeMeter;
import java.time.Clock;
import java.time.Instant;
import java.util.Objects;

/** Bucket4j time from an injected {@link Clock}, so tests advance time instead of sleeping. Thread-safe. */
record ClockTimeMeter(Clock clock) implements TimeMeter {

    ClockTimeMeter {
        Objects.requireNonNull(clock, "clock");
    }

    @Override
    public long currentTimeNanos() {
        Instant now = clock.instant();
        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
    }

    @Override
    public boolean isWallClockBased() {
        // Wall-clock time is what replicas sharing one Redis bucket can agree on.
        return true;
    }
}
