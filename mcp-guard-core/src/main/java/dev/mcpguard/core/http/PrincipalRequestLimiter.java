package dev.mcpguard.core.http;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;

/**
 * Per-principal request rate (token buckets) and in-flight counts per principal and per MCP session, for
 * {@link McpGuardHttpFilter}.
 *
 * <p>No shared cap one caller could exhaust for everyone: a bucket is dropped only after it has been idle long
 * enough to be full again (so dropping it loses nothing), and an in-flight counter exists only while its key has
 * requests in flight. Thread-safe.
 */
final class PrincipalRequestLimiter {

    private final HttpRequestLimits limits;
    private final Clock clock;
    private final Cache<String, Bucket> buckets;
    private final ConcurrentMap<String, Integer> inFlightByPrincipal = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Integer> inFlightBySession = new ConcurrentHashMap<>();
    private final ConcurrentMap<String, Boolean> rootsRefreshBySession = new ConcurrentHashMap<>();

    PrincipalRequestLimiter(HttpRequestLimits limits, Clock clock) {
        this.limits = Objects.requireNonNull(limits, "limits");
        this.clock = Objects.requireNonNull(clock, "clock");
        long refillMillis = (long) Math.ceil(limits.requestBurst() * 60_000.0 / limits.requestsPerMinute());
        this.buckets = Caffeine.newBuilder()
                .expireAfterAccess(Duration.ofMillis(refillMillis).plusSeconds(1))
                .ticker(() -> clock.millis() * 1_000_000L)
                .build();
    }

    /**
     * Takes one request from {@code principal}'s bucket.
     *
     * @return zero when allowed, otherwise the seconds until the next request would be (at least 1)
     */
    long tryAcquireRequest(String principal) {
        Bucket bucket = buckets.get(principal, k -> new Bucket(limits.requestBurst(), clock.millis()));
        return bucket.tryTake(clock.millis(), limits.requestBurst(), limits.requestsPerMinute());
    }

    /**
     * Reserves an in-flight slot for {@code principal} and, when not null, {@code sessionId}; the returned permit
     * gives both back once. Null when either bound is reached (nothing is reserved then).
     */
    InFlightPermit tryAcquireInFlight(String principal, String sessionId) {
        if (!increment(inFlightByPrincipal, principal, limits.maxInFlightPerPrincipal())) {
            return null;
        }
        if (sessionId != null && !increment(inFlightBySession, sessionId,
                limits.maxInFlightPerSession())) {
            decrement(inFlightByPrincipal, principal);
            return null;
        }
        return new InFlightPermit(this, principal, sessionId);
    }

    /**
     * Marks a roots refresh ({@code notifications/roots/list_changed}) in flight on {@code sessionId}; false when
     * one already is, so the caller coalesces this one into it.
     */
    boolean tryStartRootsRefresh(String sessionId) {
        return rootsRefreshBySession.putIfAbsent(sessionId, Boolean.TRUE) == null;
    }

    void endRootsRefresh(String sessionId) {
        rootsRefreshBySession.remove(sessionId);
    }

    int inFlight(String principal) {
        return inFlightByPrincipal.getOrDefault(principal, 0);
    }

    private void release(String principal, String sessionId) {
        decrement(inFlightByPrincipal, principal);
        if (sessionId != null) {
            decrement(inFlightBySession, sessionId);
        }
    }

    private static boolean increment(ConcurrentMap<String, Integer> counts, String key, int max) {
        boolean[] acquired = {false};
        counts.compute(key, (k, current) -> {
            int now = current == null ? 0 : current;
            if (now >= max) {
                return current;
            }
            acquired[0] = true;
            return now + 1;
        });
        return acquired[0];
    }

    private static void decrement(ConcurrentMap<String, Integer> counts, String key) {
        counts.computeIfPresent(key, (k, current) -> current <= 1 ? null : current - 1);
    }

    /** One reserved in-flight slot; {@link #release()} is idempotent. Thread-safe. */
    static final class InFlightPermit {
        private final PrincipalRequestLimiter limiter;
        private final String principal;
        private final String sessionId;
        private final java.util.concurrent.atomic.AtomicBoolean released =
                new java.util.concurrent.atomic.AtomicBoolean();

        private InFlightPermit(PrincipalRequestLimiter limiter, String principal, String sessionId) {
            this.limiter = limiter;
            this.principal = principal;
            this.sessionId = sessionId;
        }

        void release() {
            if (released.compareAndSet(false, true)) {
                limiter.release(principal, sessionId);
            }
        }
    }

    /** A token bucket; synchronized because one principal's requests arrive on many threads. */
    private static final class Bucket {
        private double tokens;
        private long lastMillis;

        Bucket(int capacity, long nowMillis) {
            this.tokens = capacity;
            this.lastMillis = nowMillis;
        }

        synchronized long tryTake(long nowMillis, int capacity, int perMinute) {
            if (nowMillis > lastMillis) {
                tokens = Math.min(capacity, tokens + (nowMillis - lastMillis) * perMinute / 60_000.0);
                lastMillis = nowMillis;
            }
            if (tokens >= 1) {
                tokens -= 1;
                return 0;
            }
            double secondsToOne = (1 - tokens) * 60.0 / perMinute;
            return Math.max(1, (long) Math.ceil(secondsToOne));
        }
    }
}
