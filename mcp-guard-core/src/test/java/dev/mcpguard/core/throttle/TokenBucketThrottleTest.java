package dev.mcpguard.core.throttle;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.GuardKeys;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.Throttle.ThrottleResult;
import dev.mcpguard.core.testing.Callers;
import dev.mcpguard.core.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

class TokenBucketThrottleTest {

    static final CallerIdentity ALICE = Callers.user("alice", "acme");
    static final CallerIdentity BOB = Callers.user("bob", "acme");
    static final CallerIdentity CAROL = Callers.user("carol", "globex");

    final MutableClock clock = MutableClock.startingAt("2026-01-01T00:00:00Z");

    static ToolCall call(CallerIdentity caller, String tool) {
        return new ToolCall("call-" + System.nanoTime(), "orders", ToolDescriptor.named(tool), Map.of(),
                Optional.empty(), Optional.of(caller), Instant.parse("2026-01-01T00:00:00Z"), ToolCall.Attributes.EMPTY);
    }

    static ToolCall withObligations(ToolCall call, Map<String, Object> obligations) {
        return call.withAttribute(GuardKeys.POLICY_DECISION, new Decision.Allow("d-1", obligations));
    }

    static int passed(TokenBucketThrottle throttle, ToolCall call, int attempts) {
        int passed = 0;
        for (int i = 0; i < attempts; i++) {
            if (throttle.tryAcquire(call) instanceof ThrottleResult.Acquired acquired) {
                acquired.permit().close();
                passed++;
            }
        }
        return passed;
    }

    @Test
    void burstOfTenTimesTheLimitLetsThroughOnlyTheBucketCapacityAndOtherCallersAreUnaffected() {
        TokenBucketThrottle throttle = TokenBucketThrottle.builder().clock(clock)
                .limit(RateLimit.perCaller().perTool().capacity(30).refillPerMinute(30).build()).build();

        assertThat(passed(throttle, call(ALICE, "get_order"), 300)).isEqualTo(30);
        assertThat(passed(throttle, call(BOB, "get_order"), 300)).isEqualTo(30);
        assertThat(passed(throttle, call(ALICE, "list_orders"), 300)).isEqualTo(30);
    }

    @Test
    void refillsAtTheConfiguredRateAsTheClockAdvances() {
        TokenBucketThrottle throttle = TokenBucketThrottle.builder().clock(clock)
                .limit(RateLimit.perCaller().capacity(10).refillPerMinute(60).build()).build();
        assertThat(passed(throttle, call(ALICE, "t"), 100)).isEqualTo(10);

        clock.advance(Duration.ofSeconds(5));

        assertThat(passed(throttle, call(ALICE, "t"), 100)).isEqualTo(5);
    }

    @Test
    void rejectsWithRateLimitedAndTheTimeUntilTheNextToken() {
        TokenBucketThrottle throttle = TokenBucketThrottle.builder().clock(clock)
                .limit(RateLimit.perCaller().capacity(1).refillPerMinute(2).build()).build();
        passed(throttle, call(ALICE, "t"), 1);

        ThrottleResult result = throttle.tryAcquire(call(ALICE, "t"));

        assertThat(result).isEqualTo(new ThrottleResult.Rejected(ReasonCode.RATE_LIMITED, Duration.ofSeconds(30)));
    }

    @Test
    void tenantLimitIsSharedByEveryCallerOfTheTenantOnly() {
        TokenBucketThrottle throttle = TokenBucketThrottle.builder().clock(clock)
                .limit(RateLimit.perTenant().capacity(10).refillPerMinute(10).build()).build();

        int acme = passed(throttle, call(ALICE, "t"), 8) + passed(throttle, call(BOB, "t"), 8);

        assertThat(acme).isEqualTo(10);
        assertThat(passed(throttle, call(CAROL, "t"), 20)).isEqualTo(10);
    }

    @Test
    void globalCeilingPerToolProtectsTheDownstreamFromAllCallersTogether() {
        TokenBucketThrottle throttle = TokenBucketThrottle.builder().clock(clock)
                .limit(RateLimit.perCaller().perTool().capacity(30).refillPerMinute(30).build())
                .limit(RateLimit.perTool().capacity(40).refillPerMinute(40).build()).build();

        int total = passed(throttle, call(ALICE, "search"), 30) + passed(throttle, call(BOB, "search"), 30)
                + passed(throttle, call(CAROL, "search"), 30);

        assertThat(total).isEqualTo(40);
    }

    @Test
    void aCallRejectedByOneLimitCostsNothingInTheOthers() {
        TokenBucketThrottle throttle = TokenBucketThrottle.builder().clock(clock)
                .limit(RateLimit.perTenant().capacity(5).refillPerMinute(5).build())
                .limit(RateLimit.perCaller().capacity(2).refillPerMinute(2).build()).build();

        passed(throttle, call(ALICE, "t"), 50); // 2 pass, 48 rejected by the caller limit

        assertThat(passed(throttle, call(BOB, "t"), 50)).isEqualTo(2);
        assertThat(passed(throttle, call(CAROL, "t"), 50)).isEqualTo(2);
        // acme's tenant bucket was charged 2 + 2 = 4 of 5, not 52
        assertThat(passed(throttle, call(Callers.user("dave", "acme"), "t"), 50)).isEqualTo(1);
    }

    @Test
    void policyObligationReplacesTheStaticLimitWithTheSameKey() {
        TokenBucketThrottle throttle = TokenBucketThrottle.builder().clock(clock)
                .limit(RateLimit.perCaller().perTool().capacity(30).refillPerMinute(30).build()).build();
        ToolCall limited = withObligations(call(ALICE, "refund"), Map.of("rate_limit", Map.of("per_minute", 3)));

        assertThat(passed(throttle, limited, 50)).isEqualTo(3);
        assertThat(passed(throttle, call(BOB, "refund"), 50)).isEqualTo(30);
    }

    @Test
    void policyObligationMayNameItsKeyAndCapacity() {
        TokenBucketThrottle throttle = TokenBucketThrottle.builder().clock(clock).build();
        Map<String, Object> perTenant = Map.of("rate_limit",
                Map.of("per_hour", 1, "capacity", 4, "key", List.of("tenant")));

        int acme = passed(throttle, withObligations(call(ALICE, "a"), perTenant), 10)
                + passed(throttle, withObligations(call(BOB, "b"), perTenant), 10);

        assertThat(acme).isEqualTo(4);
    }

    @Test
    void malformedObligationFailsClosedWithPolicyError() {
        TokenBucketThrottle throttle = TokenBucketThrottle.builder().clock(clock).build();
        List<Object> malformed = List.of("ten a minute", Map.of("per_minute", -1), Map.of("per_minute", 1.5),
                Map.of("per_minute", 10, "per_second", 1), Map.of(), Map.of("per_minute", 5, "burst", 9),
                Map.of("per_minute", 5, "key", List.of("ip")), Map.of("per_minute", "10"));

        for (Object obligation : malformed) {
            ThrottleResult result = throttle.tryAcquire(withObligations(call(ALICE, "t"),
                    Map.of("rate_limit", obligation)));
            assertThat(result).as("%s", obligation).isInstanceOfSatisfying(ThrottleResult.Rejected.class,
                    r -> assertThat(r.reason()).isEqualTo(ReasonCode.POLICY_ERROR));
        }
    }

    @Test
    void concurrencyLimitHoldsUnderAParallelBurstAndSlotsComeBackWhenPermitsClose() throws Exception {
        TokenBucketThrottle throttle = TokenBucketThrottle.builder().clock(clock)
                .concurrencyLimit(ConcurrencyLimit.perCaller().maxInFlight(3)).build();
        int threads = 32;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Callable<ThrottleResult>> tasks = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            tasks.add(() -> {
                start.await();
                return throttle.tryAcquire(call(ALICE, "t"));
            });
        }
        List<Future<ThrottleResult>> futures = new ArrayList<>();
        tasks.forEach(t -> futures.add(pool.submit(t)));
        start.countDown();
        List<ThrottleResult> results = new ArrayList<>();
        for (Future<ThrottleResult> f : futures) {
            results.add(f.get(10, TimeUnit.SECONDS));
        }
        pool.shutdown();

        List<ThrottleResult.Acquired> acquired = results.stream()
                .filter(ThrottleResult.Acquired.class::isInstance).map(ThrottleResult.Acquired.class::cast).toList();
        assertThat(acquired).hasSize(3);
        assertThat(results).filteredOn(ThrottleResult.Rejected.class::isInstance)
                .allSatisfy(r -> assertThat(((ThrottleResult.Rejected) r).reason()).isEqualTo(ReasonCode.RATE_LIMITED));
        assertThat(throttle.tryAcquire(call(BOB, "t"))).isInstanceOf(ThrottleResult.Acquired.class);

        acquired.forEach(a -> a.permit().close());
        acquired.forEach(a -> a.permit().close()); // closing twice gives nothing back twice

        assertThat(throttle.permitsInFlight()).isEqualTo(1); // bob's
        assertThat(passedHolding(throttle, call(ALICE, "t"), 10)).isEqualTo(3);
    }

    @Test
    void keepsNoMoreLocalBucketsThanConfigured() {
        TokenBucketThrottle throttle = TokenBucketThrottle.builder().clock(clock).maximumBuckets(50)
                .limit(RateLimit.perCaller().capacity(5).refillPerMinute(5).build()).build();

        for (int i = 0; i < 1_000; i++) {
            throttle.tryAcquire(call(Callers.user("user-" + i, "acme"), "t"));
        }

        assertThat(throttle.localBuckets()).isLessThanOrEqualTo(50);
    }

    @Test
    void dropsIdleBucketsOnceTheyWouldBeFullAgain() {
        TokenBucketThrottle throttle = TokenBucketThrottle.builder().clock(clock)
                .limit(RateLimit.perCaller().capacity(5).refillPerMinute(5).build()).build();
        throttle.tryAcquire(call(ALICE, "t"));

        clock.advance(Duration.ofMinutes(2));

        assertThat(throttle.localBuckets()).isZero();
    }

    @Test
    void builderRejectsBadValuesShowingThem() {
        assertThatThrownBy(() -> RateLimit.perCaller().capacity(0)).hasMessageContaining("got 0");
        assertThatThrownBy(() -> RateLimit.perCaller().refill(5, Duration.ZERO).build()).hasMessageContaining("PT0S");
        assertThatThrownBy(() -> RateLimit.perCaller().capacity(5).build()).hasMessageContaining("refill");
        assertThatThrownBy(() -> ConcurrencyLimit.perTool().maxInFlight(-2)).hasMessageContaining("got -2");
        assertThatThrownBy(() -> TokenBucketThrottle.builder()
                .limit(RateLimit.perCaller().refillPerMinute(5).build())
                .limit(RateLimit.perCaller().refillPerMinute(9).build())).hasMessageContaining("CALLER");
    }

    private static int passedHolding(TokenBucketThrottle throttle, ToolCall call, int attempts) {
        int passed = 0;
        for (int i = 0; i < attempts; i++) {
            if (throttle.tryAcquire(call) instanceof ThrottleResult.Acquired) {
                passed++;
            }
        }
        return passed;
    }
}
