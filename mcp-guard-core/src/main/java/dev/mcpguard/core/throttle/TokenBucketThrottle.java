package dev.mcpguard.core.throttle;

import dev.mcpguard.api.Decision;
import dev.mcpguard.api.GuardKeys;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.spi.Throttle;
import dev.mcpguard.core.internal.ClientText;
import io.github.bucket4j.ConsumptionProbe;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The standard {@link Throttle}: token-bucket rate limits ({@link RateLimit}) and in-flight limits
 * ({@link ConcurrencyLimit}), each keyed by any of caller, tenant, tool and server.
 *
 * <p>How a call is checked, in order:
 * <ol>
 *   <li>The limits in force are the static ones, except that a {@code rate_limit} obligation on the policy's allow
 *       decision ({@link GuardKeys#POLICY_DECISION}) replaces the static limit keyed by the same dimensions (or is
 *       added when there is none). A malformed obligation fails closed: the call is rejected with
 *       {@link ReasonCode#POLICY_ERROR}, because a policy that meant to tighten a limit must not be silently
 *       ignored. See {@code docs/throttling-and-sessions.md} for the obligation shape.</li>
 *   <li>A slot of every concurrency limit is taken; none free is {@link ReasonCode#RATE_LIMITED} with a one-second
 *       retry-after.</li>
 *   <li>A token is taken from the bucket of every rate limit; an empty one is {@link ReasonCode#RATE_LIMITED} with
 *       the time until its next token. Tokens already taken from other buckets for this call are given back, so a
 *       rejected call costs nothing.</li>
 *   <li>A {@code budget} obligation on the allow spends its {@code amount} at once from a bucket of {@code limit}
 *       tokens refilled over {@code window}, keyed by server, caller and the policy's {@code key}; too little left
 *       is {@link ReasonCode#BUDGET_EXCEEDED} with the time until enough has refilled (at most the window), and
 *       the call's rate-limit tokens are given back. A malformed budget is {@link ReasonCode#POLICY_ERROR}. The
 *       budget is spent when the call is let through, and not given back if the tool then fails.</li>
 * </ol>
 * The returned permit gives the concurrency slots back when closed, exactly once.
 *
 * <p>Buckets live in a bounded Caffeine cache in this process, or, with
 * {@link Builder#sharedStore(RedisRateLimitStore, StoreFailureMode)}, in Redis shared by every replica (concurrency
 * stays per process). While Redis is unreachable the {@link StoreFailureMode} decides: deny with
 * {@link ReasonCode#THROTTLE_UNAVAILABLE}, or apply the same limits locally. Time comes from the injected clock.
 *
 * <p>Thread-safe; never throws from {@link #tryAcquire} for a well-formed call; never blocks longer than the shared
 * store's command timeout.
 * <pre>{@code
 * Throttle throttle = TokenBucketThrottle.builder()
 *         .limit(RateLimit.perCaller().perTool().capacity(30).refillPerMinute(30).build())
 *         .limit(RateLimit.perTenant().capacity(1_000).refillPerMinute(1_000).build())
 *         .concurrencyLimit(ConcurrencyLimit.perCaller().maxInFlight(5))
 *         .build();
 * }</pre>
 */
public final class TokenBucketThrottle implements Throttle {

    /** The most local buckets kept when none is configured. */
    public static final long DEFAULT_MAXIMUM_BUCKETS = 100_000;

    private static final Logger log = LoggerFactory.getLogger(TokenBucketThrottle.class);
    private static final Duration CONCURRENCY_RETRY_AFTER = Duration.ofSeconds(1);
    private static final Set<String> ENFORCED_OBLIGATIONS = Set.of(RateLimitObligation.NAME, BudgetObligation.NAME);

    private final List<RateLimit> limits;
    private final List<ConcurrencyLimit> concurrencyLimits;
    // The hashed constant part of each static limit's keys (a policy's rate_limit override gets its own per call).
    private final Map<RateLimit, BucketKeys.Prefix> ratePrefixes = new IdentityHashMap<>();
    private final List<BucketKeys.Prefix> concurrencyPrefixes;
    private final LocalBucketStore local;
    // Budgets in a store of their own: rate-limit buckets churning cannot evict a budget and refill it.
    private final LocalBucketStore localBudgets;
    private final RedisRateLimitStore shared;
    private final StoreFailureMode failureMode;
    private final Duration unavailableRetryAfter;
    private final ConcurrencySlots slots = new ConcurrencySlots();
    private final AtomicInteger permitsOut = new AtomicInteger();

    private TokenBucketThrottle(Builder b) {
        this.limits = List.copyOf(b.limits);
        this.concurrencyLimits = List.copyOf(b.concurrencyLimits);
        for (RateLimit limit : limits) {
            ratePrefixes.put(limit, ratePrefix(limit));
        }
        this.concurrencyPrefixes = concurrencyLimits.stream()
                .map(limit -> new BucketKeys.Prefix("c", limit.keyedBy(), String.valueOf(limit.maxInFlight())))
                .toList();
        this.local = new LocalBucketStore(b.maximumBuckets, b.clock);
        this.localBudgets = new LocalBucketStore(b.maximumBuckets, b.clock);
        this.shared = b.shared;
        this.failureMode = b.failureMode;
        this.unavailableRetryAfter = b.unavailableRetryAfter;
    }

    /** Starts a builder. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public ThrottleResult tryAcquire(ToolCall call) {
        Objects.requireNonNull(call, "call");
        List<RateLimit> inForce;
        Optional<BudgetObligation.Budget> budget;
        try {
            Map<String, Object> obligations = call.attribute(GuardKeys.POLICY_DECISION)
                    .map(Decision.Allow::obligations).orElse(Map.of());
            inForce = limitsFor(obligations);
            budget = obligations.isEmpty() ? Optional.empty() : BudgetObligation.read(obligations);
        } catch (IllegalArgumentException e) {
            log.warn("Call {} to tool '{}': policy obligation is malformed ({}); denying", call.callId(),
                    ClientText.forLog(call.toolName()), ClientText.forLog(e.getMessage()));
            return new ThrottleResult.Rejected(ReasonCode.POLICY_ERROR, Duration.ZERO);
        }

        BucketKeys.CallValues values = new BucketKeys.CallValues(call);
        List<String> taken = new ArrayList<>(concurrencyLimits.size());
        for (int i = 0; i < concurrencyLimits.size(); i++) {
            ConcurrencyLimit limit = concurrencyLimits.get(i);
            String key = concurrencyPrefixes.get(i).keyFor(values);
            if (!slots.tryTake(key, limit.maxInFlight())) {
                taken.forEach(slots::release);
                return new ThrottleResult.Rejected(ReasonCode.RATE_LIMITED, CONCURRENCY_RETRY_AFTER);
            }
            taken.add(key);
        }

        List<Consumed> consumed = new ArrayList<>(inForce.size());
        for (RateLimit limit : inForce) {
            BucketKeys.Prefix prefix = ratePrefixes.get(limit);
            String key = (prefix != null ? prefix : ratePrefix(limit)).keyFor(values);
            Outcome outcome = consume(key, limit, 1, local);
            if (outcome instanceof Outcome.Taken t) {
                consumed.add(new Consumed(key, limit, t.store()));
                continue;
            }
            consumed.forEach(c -> c.store().refund(c.key(), c.limit()));
            taken.forEach(slots::release);
            return outcome instanceof Outcome.Empty empty
                    ? new ThrottleResult.Rejected(ReasonCode.RATE_LIMITED, empty.retryAfter())
                    : new ThrottleResult.Rejected(ReasonCode.THROTTLE_UNAVAILABLE, unavailableRetryAfter);
        }
        // The budget is spent last, so a call another limit rejects spends none of it.
        if (budget.isPresent() && budget.get().amount() > 0) {
            BudgetObligation.Budget b = budget.get();
            Outcome outcome = b.amount() > b.bucket().capacity()
                    ? new Outcome.Empty(b.bucket().refillPeriod()) // more than the whole budget: never fits
                    : consume(budgetKey(call, b), b.bucket(), b.amount(), localBudgets);
            if (!(outcome instanceof Outcome.Taken)) {
                consumed.forEach(c -> c.store().refund(c.key(), c.limit()));
                taken.forEach(slots::release);
                if (outcome instanceof Outcome.Empty empty) {
                    Duration retryAfter = empty.retryAfter().compareTo(b.bucket().refillPeriod()) > 0
                            ? b.bucket().refillPeriod() : empty.retryAfter();
                    return new ThrottleResult.Rejected(ReasonCode.BUDGET_EXCEEDED, retryAfter);
                }
                return new ThrottleResult.Rejected(ReasonCode.THROTTLE_UNAVAILABLE, unavailableRetryAfter);
            }
        }
        if (taken.isEmpty()) {
            return new ThrottleResult.Acquired(Permit.NONE);
        }
        permitsOut.incrementAndGet();
        return new ThrottleResult.Acquired(new SlotPermit(taken));
    }

    /** {@code rate_limit} and {@code budget}: the policy obligations this throttle enforces. */
    @Override
    public Set<String> enforcedObligations() {
        return ENFORCED_OBLIGATIONS;
    }

    /** Permits handed out and not yet closed, across all keys; for metrics and leak checks. */
    public int permitsInFlight() {
        return permitsOut.get();
    }

    /** The static rate limits, in the order given. */
    public List<RateLimit> limits() {
        return limits;
    }

    private List<RateLimit> limitsFor(Map<String, Object> obligations) {
        Optional<RateLimit> override = obligations.isEmpty() ? Optional.empty() : RateLimitObligation.read(obligations);
        if (override.isEmpty()) {
            return limits;
        }
        List<RateLimit> result = new ArrayList<>(limits.size() + 1);
        for (RateLimit limit : limits) {
            if (!limit.keyedBy().equals(override.get().keyedBy())) {
                result.add(limit);
            }
        }
        result.add(override.get());
        return result;
    }

    private Outcome consume(String key, RateLimit limit, long tokens, LocalBucketStore localStore) {
        BucketStore store = localStore;
        if (shared != null) {
            try {
                return outcomeOf(shared.tryConsume(key, limit, tokens), shared);
            } catch (BucketStore.StoreUnavailableException e) {
                if (failureMode == StoreFailureMode.FAIL_CLOSED) {
                    return new Outcome.Unavailable();
                }
                log.debug("Shared rate-limit store unavailable; applying the limit locally");
            }
        }
        return outcomeOf(store.tryConsume(key, limit, tokens), store);
    }

    private static Outcome outcomeOf(ConsumptionProbe probe, BucketStore store) {
        if (probe.isConsumed()) {
            return new Outcome.Taken(store);
        }
        long nanos = Math.max(probe.getNanosToWaitForRefill(), 1);
        return new Outcome.Empty(Duration.ofSeconds((nanos + 999_999_999L) / 1_000_000_000L));
    }

    /** {@code r:hash} keys for {@code limit}; see {@link BucketKeys}. */
    private static BucketKeys.Prefix ratePrefix(RateLimit limit) {
        return new BucketKeys.Prefix("r", limit.keyedBy(), fingerprint(limit));
    }

    /** {@code b:hash}; the hash covers the server, the caller, the policy's key and the budget's size and window. */
    static String budgetKey(ToolCall call, BudgetObligation.Budget budget) {
        String material = "b\u0001" + fingerprint(budget.bucket()) + "\u0001" + call.server() + "\u0001"
                + call.caller().map(BucketKeys::callerValue).orElse("") + "\u0001" + budget.key();
        return "b:" + BucketKeys.sha256Hex(material);
    }

    private static String fingerprint(RateLimit limit) {
        return limit.capacity() + "/" + limit.refillTokens() + "/" + limit.refillPeriod().toNanos();
    }

    private sealed interface Outcome {
        record Taken(BucketStore store) implements Outcome {
        }

        record Empty(Duration retryAfter) implements Outcome {
        }

        record Unavailable() implements Outcome {
        }
    }

    private record Consumed(String key, RateLimit limit, BucketStore store) {
    }

    private final class SlotPermit implements Permit {
        private final List<String> keys;
        private final AtomicBoolean closed = new AtomicBoolean();

        SlotPermit(List<String> keys) {
            this.keys = keys;
        }

        @Override
        public void close() {
            if (closed.compareAndSet(false, true)) {
                keys.forEach(slots::release);
                permitsOut.decrementAndGet();
            }
        }
    }

    /** Configures a {@link TokenBucketThrottle}. Not thread-safe; setters reject nulls and bad values. */
    public static final class Builder {
        private final List<RateLimit> limits = new ArrayList<>();
        private final List<ConcurrencyLimit> concurrencyLimits = new ArrayList<>();
        private long maximumBuckets = DEFAULT_MAXIMUM_BUCKETS;
        private Clock clock = Clock.systemUTC();
        private RedisRateLimitStore shared;
        private StoreFailureMode failureMode = StoreFailureMode.FAIL_CLOSED;
        private Duration unavailableRetryAfter = Duration.ofSeconds(5);

        private Builder() {
        }

        /** Adds a rate limit; every call must find a token in the bucket of each limit. */
        public Builder limit(RateLimit limit) {
            Objects.requireNonNull(limit, "limit");
            if (limits.stream().anyMatch(l -> l.keyedBy().equals(limit.keyedBy()))) {
                throw new IllegalArgumentException("a rate limit keyed by " + limit.keyedBy() + " is already configured");
            }
            limits.add(limit);
            return this;
        }

        /** Adds an in-flight limit. */
        public Builder concurrencyLimit(ConcurrencyLimit limit) {
            concurrencyLimits.add(Objects.requireNonNull(limit, "limit"));
            return this;
        }

        /** The most local buckets kept (least recently used dropped first); default 100,000. */
        public Builder maximumBuckets(long maximumBuckets) {
            if (maximumBuckets < 1 || maximumBuckets > 100_000_000L) {
                throw new IllegalArgumentException("maximumBuckets must be between 1 and 100000000, got " + maximumBuckets);
            }
            this.maximumBuckets = maximumBuckets;
            return this;
        }

        /** The clock buckets refill by; default UTC system clock. Use the same clock as the shared store. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Keeps the buckets in Redis, shared by every replica, and says what to do while Redis is unreachable.
         * The throttle does not close the store.
         */
        public Builder sharedStore(RedisRateLimitStore store, StoreFailureMode whenUnavailable) {
            this.shared = Objects.requireNonNull(store, "store");
            this.failureMode = Objects.requireNonNull(whenUnavailable, "whenUnavailable");
            return this;
        }

        /** The retry-after of a {@code throttle_unavailable} denial; default 5 seconds, 1s to 1h. */
        public Builder unavailableRetryAfter(Duration retryAfter) {
            Objects.requireNonNull(retryAfter, "retryAfter");
            if (retryAfter.compareTo(Duration.ofSeconds(1)) < 0 || retryAfter.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("unavailableRetryAfter must be between 1s and 1h, got " + retryAfter);
            }
            this.unavailableRetryAfter = retryAfter;
            return this;
        }

        /** Builds the throttle. With no limits at all it lets every call through (and logs a warning). */
        public TokenBucketThrottle build() {
            if (limits.isEmpty() && concurrencyLimits.isEmpty()) {
                log.warn("TokenBucketThrottle built without limits: it lets every call through unless a policy "
                        + "obligation sets one");
            }
            return new TokenBucketThrottle(this);
        }
    }

    // Used by tests in this package to look at bucket housekeeping.
    long localBuckets() {
        return local.size();
    }
}
