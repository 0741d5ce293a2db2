package dev.mcpguard.core.policy;

import java.time.Duration;
import java.util.Objects;

/**
 * When the circuit breaker of a {@link ResilientPolicyEngine} opens, and for how long.
 *
 * <p>The shared breaker opens after {@code consecutiveFailures} failures in a row, or when at least
 * {@code minimumCalls} of the last {@code windowSize} calls were made and the share of failures among them
 * reaches {@code failureRateThreshold}, <em>and</em> in both cases only when those failures came from at least
 * {@code minimumDistinctCallers} distinct callers (issuer, subject and tenant): one caller whose own calls make
 * the engine fail cannot switch policy off for everyone. While open it denies at once with
 * {@code policy_unavailable}, without asking the engine, for {@code openDuration}; then one probe call goes
 * through (half-open): success closes the breaker, failure opens it again for another {@code openDuration}.
 *
 * <p>Each caller whose calls fail also gets a breaker of its own, counting only that caller's calls: it opens
 * when {@code consecutiveFailures} of them failed within {@code consecutiveFailures × openDuration} (25 s by
 * default), whatever succeeded in between, and stays open for {@code openDuration}, then lets one probe through.
 * A caller on whose calls the engine keeps failing (a remote OPA down, or inputs that trap the embedded module)
 * is thus denied at once for a while, costing the engine at most {@code consecutiveFailures} failed evaluations
 * and then about one per {@code openDuration}, while other callers go on. At most {@code maxTrackedCallers}
 * callers' breakers are kept (the least recently used are forgotten first).
 *
 * <pre>{@code
 * CircuitBreakerConfig config = CircuitBreakerConfig.custom()
 *         .consecutiveFailures(3)
 *         .openDuration(Duration.ofSeconds(2))
 *         .build();
 * }</pre>
 *
 * @param consecutiveFailures  failures in a row that open the breaker; at least 1
 * @param windowSize           number of most recent calls the failure rate is computed over; at least 1
 * @param minimumCalls         calls in the window before the rate is considered; 1 to {@code windowSize}
 * @param failureRateThreshold share of failures in the window that opens the breaker; in (0, 1]
 * @param openDuration         how long the breaker stays open before a probe; positive
 * @param minimumDistinctCallers distinct callers whose calls must have failed before the shared breaker opens;
 *                             1 to {@code windowSize} (1: any one caller's failures open it)
 * @param maxTrackedCallers    callers whose own breaker is kept at most; 1 to 1,000,000
 */
public record CircuitBreakerConfig(int consecutiveFailures, int windowSize, int minimumCalls,
                                   double failureRateThreshold, Duration openDuration, int minimumDistinctCallers,
                                   int maxTrackedCallers) {

    /**
     * Defaults: 5 failures in a row, or half of the last 20 calls (at least 10 made), from at least 3 distinct
     * callers, open for 5 seconds; per-caller breakers for up to 10,000 callers.
     */
    public static final CircuitBreakerConfig DEFAULTS =
            new CircuitBreakerConfig(5, 20, 10, 0.5, Duration.ofSeconds(5), 3, 10_000);

    public CircuitBreakerConfig {
        if (consecutiveFailures < 1) {
            throw new IllegalArgumentException("consecutiveFailures must be at least 1, got " + consecutiveFailures);
        }
        if (windowSize < 1 || windowSize > 10_000) {
            throw new IllegalArgumentException("windowSize must be within [1, 10000], got " + windowSize);
        }
        if (minimumCalls < 1 || minimumCalls > windowSize) {
            throw new IllegalArgumentException("minimumCalls must be within [1, windowSize=" + windowSize + "], got "
                    + minimumCalls);
        }
        if (!(failureRateThreshold > 0.0 && failureRateThreshold <= 1.0)) {
            throw new IllegalArgumentException("failureRateThreshold must be within (0, 1], got " + failureRateThreshold);
        }
        Objects.requireNonNull(openDuration, "openDuration");
        if (openDuration.isNegative() || openDuration.isZero()) {
            throw new IllegalArgumentException("openDuration must be positive, got " + openDuration);
        }
        if (minimumDistinctCallers < 1 || minimumDistinctCallers > windowSize) {
            throw new IllegalArgumentException("minimumDistinctCallers must be within [1, windowSize=" + windowSize
                    + "], got " + minimumDistinctCallers);
        }
        if (maxTrackedCallers < 1 || maxTrackedCallers > 1_000_000) {
            throw new IllegalArgumentException("maxTrackedCallers must be within [1, 1000000], got "
                    + maxTrackedCallers);
        }
    }

    /** The defaults ({@link #DEFAULTS}). */
    public static CircuitBreakerConfig ofDefaults() {
        return DEFAULTS;
    }

    /** A builder starting from the defaults. */
    public static Builder custom() {
        return new Builder();
    }

    /** Builds a {@link CircuitBreakerConfig}; values are validated by {@link #build()}. Not thread-safe. */
    public static final class Builder {
        private int consecutiveFailures = DEFAULTS.consecutiveFailures;
        private int windowSize = DEFAULTS.windowSize;
        private int minimumCalls = DEFAULTS.minimumCalls;
        private double failureRateThreshold = DEFAULTS.failureRateThreshold;
        private Duration openDuration = DEFAULTS.openDuration;
        private int minimumDistinctCallers = DEFAULTS.minimumDistinctCallers;
        private int maxTrackedCallers = DEFAULTS.maxTrackedCallers;

        private Builder() {
        }

        /** Failures in a row that open the breaker; default 5. */
        public Builder consecutiveFailures(int consecutiveFailures) {
            this.consecutiveFailures = consecutiveFailures;
            return this;
        }

        /** Calls the failure rate is computed over; default 20. */
        public Builder windowSize(int windowSize) {
            this.windowSize = windowSize;
            return this;
        }

        /** Calls in the window before the rate counts; default 10. */
        public Builder minimumCalls(int minimumCalls) {
            this.minimumCalls = minimumCalls;
            return this;
        }

        /** Share of failures that opens the breaker; default 0.5. */
        public Builder failureRateThreshold(double failureRateThreshold) {
            this.failureRateThreshold = failureRateThreshold;
            return this;
        }

        /** How long the breaker denies at once before probing; default 5 seconds. */
        public Builder openDuration(Duration openDuration) {
            this.openDuration = openDuration;
            return this;
        }

        /**
         * Distinct callers (issuer, subject, tenant) whose calls must have failed before the shared breaker opens;
         * default 3. With 1, a single caller can open it for everyone: use it only when every caller is trusted.
         */
        public Builder minimumDistinctCallers(int minimumDistinctCallers) {
            this.minimumDistinctCallers = minimumDistinctCallers;
            return this;
        }

        /** Callers whose own breaker is kept at most (least recently used forgotten first); default 10,000. */
        public Builder maxTrackedCallers(int maxTrackedCallers) {
            this.maxTrackedCallers = maxTrackedCallers;
            return this;
        }

        /** Validates and builds. */
        public CircuitBreakerConfig build() {
            return new CircuitBreakerConfig(consecutiveFailures, windowSize, minimumCalls, failureRateThreshold,
                    openDuration, minimumDistinctCallers, maxTrackedCallers);
        }
    }
}
