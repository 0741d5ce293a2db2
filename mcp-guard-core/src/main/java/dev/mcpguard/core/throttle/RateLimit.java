package dev.mcpguard.core.throttle;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * A token-bucket limit: a bucket of {@code capacity} calls, refilled with {@code refillTokens} every
 * {@code refillPeriod} (greedily, a token at a time), one bucket per combination of the {@link LimitKey}s.
 * A burst may use the whole capacity at once; after that calls pass at the refill rate.
 *
 * <pre>{@code
 * RateLimit perCallerPerTool = RateLimit.perCaller().perTool().capacity(30).refillPerMinute(30).build();
 * RateLimit perTenant = RateLimit.perTenant().capacity(1_000).refillPerMinute(1_000).build();
 * RateLimit toolCeiling = RateLimit.perTool().capacity(200).refillPerSecond(50).build(); // protects the downstream
 * }</pre>
 *
 * <p>Immutable and thread-safe; components are never null.
 *
 * @param keyedBy      the dimensions buckets are kept by; empty means one bucket for all calls
 * @param capacity     the most calls a bucket holds (the burst), at least 1
 * @param refillTokens tokens added per {@code refillPeriod}, at least 1
 * @param refillPeriod the refill period, at least one millisecond
 */
public record RateLimit(Set<LimitKey> keyedBy, long capacity, long refillTokens, Duration refillPeriod) {

    /** The largest accepted capacity or refill amount. */
    public static final long MAX_TOKENS = 1_000_000_000L;

    public RateLimit {
        Objects.requireNonNull(keyedBy, "keyedBy");
        keyedBy = keyedBy.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(keyedBy));
        requireTokens("capacity", capacity);
        requireTokens("refillTokens", refillTokens);
        Objects.requireNonNull(refillPeriod, "refillPeriod");
        if (refillPeriod.compareTo(Duration.ofMillis(1)) < 0 || refillPeriod.compareTo(Duration.ofDays(1)) > 0) {
            throw new IllegalArgumentException("refillPeriod must be between 1ms and 1 day, got " + refillPeriod);
        }
    }

    /** Starts a limit keyed by caller. */
    public static Builder perCaller() {
        return new Builder().perCaller();
    }

    /** Starts a limit keyed by tenant. */
    public static Builder perTenant() {
        return new Builder().perTenant();
    }

    /** Starts a limit keyed by tool. */
    public static Builder perTool() {
        return new Builder().perTool();
    }

    /** Starts a limit keyed by server. */
    public static Builder perServer() {
        return new Builder().perServer();
    }

    /** Starts a limit with one bucket for every call (add dimensions with the {@code per...} methods). */
    public static Builder global() {
        return new Builder();
    }

    /** How long an idle bucket takes to fill up again from empty, rounded up; how long its state is worth keeping. */
    public Duration timeToFill() {
        long periods = (capacity + refillTokens - 1) / refillTokens;
        return refillPeriod.multipliedBy(periods);
    }

    private static void requireTokens(String name, long value) {
        if (value < 1 || value > MAX_TOKENS) {
            throw new IllegalArgumentException(name + " must be between 1 and " + MAX_TOKENS + ", got " + value);
        }
    }

    /** Builds a {@link RateLimit}. Not thread-safe. */
    public static final class Builder {
        private final EnumSet<LimitKey> keyedBy = EnumSet.noneOf(LimitKey.class);
        private Long capacity;
        private Long refillTokens;
        private Duration refillPeriod;

        private Builder() {
        }

        /** Also keyed by caller (issuer and subject). */
        public Builder perCaller() {
            keyedBy.add(LimitKey.CALLER);
            return this;
        }

        /** Also keyed by tenant. */
        public Builder perTenant() {
            keyedBy.add(LimitKey.TENANT);
            return this;
        }

        /** Also keyed by tool. */
        public Builder perTool() {
            keyedBy.add(LimitKey.TOOL);
            return this;
        }

        /** Also keyed by server. */
        public Builder perServer() {
            keyedBy.add(LimitKey.SERVER);
            return this;
        }

        /** The burst size; default the refill amount. */
        public Builder capacity(long capacity) {
            requireTokens("capacity", capacity);
            this.capacity = capacity;
            return this;
        }

        /** Refills {@code tokens} every {@code period}. */
        public Builder refill(long tokens, Duration period) {
            requireTokens("refillTokens", tokens);
            Objects.requireNonNull(period, "period");
            this.refillTokens = tokens;
            this.refillPeriod = period;
            return this;
        }

        /** Refills {@code tokens} per second. */
        public Builder refillPerSecond(long tokens) {
            return refill(tokens, Duration.ofSeconds(1));
        }

        /** Refills {@code tokens} per minute. */
        public Builder refillPerMinute(long tokens) {
            return refill(tokens, Duration.ofMinutes(1));
        }

        /** Refills {@code tokens} per hour. */
        public Builder refillPerHour(long tokens) {
            return refill(tokens, Duration.ofHours(1));
        }

        /** Builds the limit; a refill rate is required. */
        public RateLimit build() {
            if (refillTokens == null) {
                throw new IllegalStateException("a refill rate is required (refillPerMinute, refillPerSecond, refill)");
            }
            return new RateLimit(keyedBy, capacity != null ? capacity : refillTokens, refillTokens, refillPeriod);
        }
    }
}
