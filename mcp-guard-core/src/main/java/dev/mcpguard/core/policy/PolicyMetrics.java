package dev.mcpguard.core.policy;

import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.atomic.LongAdder;

/**
 * Counters of policy decisions made through a {@link ResilientPolicyEngine}, for an operator to export (as
 * Prometheus counters, Micrometer functions, JMX attributes...). Counting is cheap ({@link LongAdder}) and never
 * fails; read the values with {@link #snapshot()}.
 *
 * <p>Every decision the decorator returns counts once under exactly one of {@code allow}, {@code deny} (a normal
 * policy denial, including {@code policy_undefined}), {@code error} ({@code policy_error}: the engine threw,
 * returned nothing, or answered malformed) or {@code unavailable} ({@code policy_unavailable}: the engine was
 * unreachable or the breaker was open). Independently it counts cache hits and misses, calls short-circuited by
 * the open breaker, and the number of times the breaker opened, and the same two for the breakers kept per caller.
 *
 * <p>Thread-safe. One instance may be shared by several engines to count them together.
 */
public final class PolicyMetrics {

    private final LongAdder allow = new LongAdder();
    private final LongAdder deny = new LongAdder();
    private final LongAdder error = new LongAdder();
    private final LongAdder unavailable = new LongAdder();
    private final LongAdder cacheHits = new LongAdder();
    private final LongAdder cacheMisses = new LongAdder();
    private final LongAdder shortCircuited = new LongAdder();
    private final LongAdder breakerOpened = new LongAdder();
    private final LongAdder callerShortCircuited = new LongAdder();
    private final LongAdder callerBreakerOpened = new LongAdder();

    /** Creates counters that all start at zero. */
    public PolicyMetrics() {
    }

    void recordAllow() {
        allow.increment();
    }

    void recordDeny() {
        deny.increment();
    }

    void recordError() {
        error.increment();
    }

    void recordUnavailable() {
        unavailable.increment();
    }

    void recordCacheHit() {
        cacheHits.increment();
    }

    void recordCacheMiss() {
        cacheMisses.increment();
    }

    void recordShortCircuited() {
        shortCircuited.increment();
    }

    void recordBreakerOpened() {
        breakerOpened.increment();
    }

    void recordCallerShortCircuited() {
        callerShortCircuited.increment();
    }

    void recordCallerBreakerOpened() {
        callerBreakerOpened.increment();
    }

    /** The current values. Each counter is read atomically, the set is not: fine for monitoring. */
    public Snapshot snapshot() {
        return new Snapshot(allow.sum(), deny.sum(), error.sum(), unavailable.sum(), cacheHits.sum(),
                cacheMisses.sum(), shortCircuited.sum(), breakerOpened.sum(), callerShortCircuited.sum(),
                callerBreakerOpened.sum());
    }

    /**
     * Counter values at one moment. Immutable.
     *
     * @param allow          decisions that allowed
     * @param deny           normal policy denials
     * @param error          denials because the engine failed ({@code policy_error})
     * @param unavailable    denials because the engine was unreachable or the breaker open ({@code policy_unavailable})
     * @param cacheHits      decisions served from the cache
     * @param cacheMisses    lookups that had to ask the engine
     * @param shortCircuited calls denied by the open breaker without asking the engine (also in {@code unavailable})
     * @param breakerOpened  times the breaker went from closed or half-open to open
     * @param callerShortCircuited calls denied because <em>their caller's</em> breaker was open (the engine kept
     *                       failing on that caller's calls); also in {@code unavailable}, not in
     *                       {@code shortCircuited}
     * @param callerBreakerOpened times a caller's own breaker opened
     */
    public record Snapshot(long allow, long deny, long error, long unavailable, long cacheHits, long cacheMisses,
                           long shortCircuited, long breakerOpened, long callerShortCircuited,
                           long callerBreakerOpened) {

        /** All decisions counted: allow + deny + error + unavailable. */
        public long decisions() {
            return allow + deny + error + unavailable;
        }

        /**
         * The counters under stable names an exporter can use as they are (Prometheus style, monotonic totals):
         * {@code mcp_guard_policy_decisions_total{outcome=allow|deny|error|unavailable}},
         * {@code mcp_guard_policy_cache_total{result=hit|miss}}, {@code mcp_guard_policy_breaker_short_circuited_total},
         * {@code mcp_guard_policy_breaker_opened_total}.
         */
        public Map<String, Long> asMap() {
            Map<String, Long> values = new LinkedHashMap<>();
            values.put("mcp_guard_policy_decisions_total{outcome=\"allow\"}", allow);
            values.put("mcp_guard_policy_decisions_total{outcome=\"deny\"}", deny);
            values.put("mcp_guard_policy_decisions_total{outcome=\"error\"}", error);
            values.put("mcp_guard_policy_decisions_total{outcome=\"unavailable\"}", unavailable);
            values.put("mcp_guard_policy_cache_total{result=\"hit\"}", cacheHits);
            values.put("mcp_guard_policy_cache_total{result=\"miss\"}", cacheMisses);
            values.put("mcp_guard_policy_breaker_short_circuited_total", shortCircuited);
            values.put("mcp_guard_policy_breaker_opened_total", breakerOpened);
            values.put("mcp_guard_policy_caller_breaker_short_circuited_total", callerShortCircuited);
            values.put("mcp_guard_policy_caller_breaker_opened_total", callerBreakerOpened);
            return Collections.unmodifiableMap(values);
        }
    }
}
