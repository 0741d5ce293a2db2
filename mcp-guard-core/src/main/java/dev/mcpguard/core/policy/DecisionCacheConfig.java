package dev.mcpguard.core.policy;

import java.time.Duration;
import java.util.Objects;

/**
 * The decision cache of a {@link ResilientPolicyEngine}: how many decisions it holds and for how long.
 *
 * <p>The time to live bounds staleness: after a policy or data change that the engine does not announce (see
 * {@link ResilientPolicyEngine#onBundleChange(String)}), an old decision may still be served for up to
 * {@code timeToLive}. The same bound applies to policies that read {@code input.time}: the request time is part
 * of the cache key only to the granularity of {@code timeToLive}, so a time window (business hours, a break-glass
 * grant) may be judged up to {@code timeToLive} late. Keep it short; one second absorbs bursts (an agent calling
 * the same tool in a loop, {@code tools/list} asking about every tool) without changing what a policy means.
 *
 * @param enabled     false turns the cache off (every call asks the engine)
 * @param maximumSize most decisions held; 1 to 1,000,000
 * @param timeToLive  how long a decision is served after it was made; 1 ms to 5 minutes
 */
public record DecisionCacheConfig(boolean enabled, long maximumSize, Duration timeToLive) {

    /** Defaults: on, 10,000 decisions, one second. */
    public static final DecisionCacheConfig DEFAULTS = new DecisionCacheConfig(true, 10_000, Duration.ofSeconds(1));
    /** No caching: every call asks the engine. */
    public static final DecisionCacheConfig DISABLED = new DecisionCacheConfig(false, 1, Duration.ofSeconds(1));

    public DecisionCacheConfig {
        if (maximumSize < 1 || maximumSize > 1_000_000) {
            throw new IllegalArgumentException("maximumSize must be within [1, 1000000], got " + maximumSize);
        }
        Objects.requireNonNull(timeToLive, "timeToLive");
        if (timeToLive.compareTo(Duration.ofMillis(1)) < 0 || timeToLive.compareTo(Duration.ofMinutes(5)) > 0) {
            throw new IllegalArgumentException("timeToLive must be within [1ms, 5m], got " + timeToLive);
        }
    }

    /** The defaults ({@link #DEFAULTS}). */
    public static DecisionCacheConfig ofDefaults() {
        return DEFAULTS;
    }

    /** An enabled cache of {@code maximumSize} decisions, each served for {@code timeToLive}. */
    public static DecisionCacheConfig of(long maximumSize, Duration timeToLive) {
        return new DecisionCacheConfig(true, maximumSize, timeToLive);
    }
}
