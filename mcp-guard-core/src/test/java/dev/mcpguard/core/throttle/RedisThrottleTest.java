package dev.mcpguard.core.throttle;

import static dev.mcpguard.core.throttle.TokenBucketThrottleTest.call;
import static dev.mcpguard.core.throttle.TokenBucketThrottleTest.passed;
import static org.assertj.core.api.Assertions.assertThat;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.spi.Throttle.ThrottleResult;
import dev.mcpguard.core.testing.Callers;
import dev.mcpguard.core.testing.MutableClock;
import dev.mcpguard.core.testing.RedisServer;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/** Rate limits shared through a real redis-server by two throttles, as two replicas would share them. */
class RedisThrottleTest {

    static final CallerIdentity ALICE = Callers.user("alice", "acme");
    static final CallerIdentity BOB = Callers.user("bob", "acme");
    static final Duration COMMAND_TIMEOUT = Duration.ofMillis(300);
    /** For tests not about timeouts: a loaded machine can take longer than 300 ms for a first script load. */
    static final Duration GENEROUS_TIMEOUT = Duration.ofSeconds(3);

    final MutableClock clock = MutableClock.startingAt("2026-01-01T00:00:00Z");
    final List<AutoCloseable> toClose = new ArrayList<>();
    RedisServer redis;

    @BeforeEach
    void startRedis() throws Exception {
        redis = RedisServer.start();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        redis.close();
    }

    RedisRateLimitStore store() {
        return store(GENEROUS_TIMEOUT);
    }

    RedisRateLimitStore store(Duration commandTimeout) {
        RedisRateLimitStore store = RedisRateLimitStore.builder(redis.uri()).clock(clock)
                .commandTimeout(commandTimeout).retryInterval(Duration.ofSeconds(5)).build();
        toClose.add(store);
        return store;
    }

    TokenBucketThrottle replica(StoreFailureMode mode) {
        return replica(mode, store());
    }

    TokenBucketThrottle replica(StoreFailureMode mode, RedisRateLimitStore store) {
        return TokenBucketThrottle.builder().clock(clock)
                .limit(RateLimit.perCaller().perTool().capacity(10).refillPerMinute(10).build())
                .sharedStore(store, mode).build();
    }

    @Test
    void limitsHoldAcrossTwoInstancesSharingOneRedis() {
        TokenBucketThrottle first = replica(StoreFailureMode.FAIL_CLOSED);
        TokenBucketThrottle second = replica(StoreFailureMode.FAIL_CLOSED);

        int passed = 0;
        for (int i = 0; i < 50; i++) { // 100 calls, 10x the limit, alternating between the replicas
            passed += passed(first, call(ALICE, "search"), 1) + passed(second, call(ALICE, "search"), 1);
        }

        assertThat(passed).isEqualTo(10);
        assertThat(passed(second, call(BOB, "search"), 100)).isEqualTo(10);
        ThrottleResult rejected = first.tryAcquire(call(ALICE, "search"));
        assertThat(rejected).isInstanceOfSatisfying(ThrottleResult.Rejected.class,
                r -> assertThat(r.reason()).isEqualTo(ReasonCode.RATE_LIMITED));

        clock.advance(Duration.ofSeconds(30));
        assertThat(passed(first, call(ALICE, "search"), 10) + passed(second, call(ALICE, "search"), 10)).isEqualTo(5);
    }

    @Test
    void budgetsAreSharedAcrossTwoInstancesAndSpendTheirWholeAmountAtOnce() {
        TokenBucketThrottle first = replica(StoreFailureMode.FAIL_CLOSED);
        TokenBucketThrottle second = replica(StoreFailureMode.FAIL_CLOSED);

        assertThat(BudgetObligationTest.acquire(first, BudgetObligationTest.refund(BOB, "acme-1002", 240)))
                .isInstanceOf(ThrottleResult.Acquired.class);
        assertThat(BudgetObligationTest.acquire(second, BudgetObligationTest.refund(BOB, "acme-1002", 240)))
                .isInstanceOf(ThrottleResult.Acquired.class);
        ThrottleResult third = BudgetObligationTest.acquire(first, BudgetObligationTest.refund(BOB, "acme-1002", 240));

        assertThat(third).isInstanceOfSatisfying(ThrottleResult.Rejected.class,
                r -> assertThat(r.reason()).isEqualTo(ReasonCode.BUDGET_EXCEEDED));
        assertThat(BudgetObligationTest.acquire(second, BudgetObligationTest.refund(BOB, "acme-1002", 20)))
                .as("the 20 left are still there, on either replica").isInstanceOf(ThrottleResult.Acquired.class);
        assertThat(BudgetObligationTest.acquire(first, BudgetObligationTest.refund(BOB, "acme-1002", 1)))
                .isInstanceOf(ThrottleResult.Rejected.class);
        clock.advance(Duration.ofHours(12));
        assertThat(BudgetObligationTest.acquire(second, BudgetObligationTest.refund(BOB, "acme-1002", 250)))
                .as("half the budget refilled in half the window").isInstanceOf(ThrottleResult.Acquired.class);
    }

    @Test
    void aBudgetFailsClosedWhenRedisIsDown() {
        TokenBucketThrottle throttle = replica(StoreFailureMode.FAIL_CLOSED);
        redis.kill();

        ThrottleResult result = BudgetObligationTest.acquire(throttle, BudgetObligationTest.refund(BOB, "acme-1002", 1));

        assertThat(result).isInstanceOfSatisfying(ThrottleResult.Rejected.class,
                r -> assertThat(r.reason()).isEqualTo(ReasonCode.THROTTLE_UNAVAILABLE));
    }

    @Test
    void redisKilledMidTestFailsClosedWithinTheCommandTimeout() {
        TokenBucketThrottle throttle = replica(StoreFailureMode.FAIL_CLOSED, store(COMMAND_TIMEOUT));
        assertThat(passed(throttle, call(ALICE, "search"), 3)).isEqualTo(3);

        redis.kill();

        ThrottleResult result = assertTimeoutPreemptively(COMMAND_TIMEOUT.plusSeconds(3),
                () -> throttle.tryAcquire(call(ALICE, "search")));
        assertThat(result).isEqualTo(new ThrottleResult.Rejected(ReasonCode.THROTTLE_UNAVAILABLE, Duration.ofSeconds(5)));
        // Within the retry interval later calls are refused at once, without waiting on Redis again.
        for (int i = 0; i < 100; i++) {
            ThrottleResult next = assertTimeoutPreemptively(Duration.ofSeconds(2),
                    () -> throttle.tryAcquire(call(BOB, "search")));
            assertThat(next).isInstanceOfSatisfying(ThrottleResult.Rejected.class,
                    r -> assertThat(r.reason()).isEqualTo(ReasonCode.THROTTLE_UNAVAILABLE));
        }
    }

    @Test
    void redisKilledMidTestFallsBackToLocalLimitsWhenSoConfigured() {
        // A generous timeout: on a loaded machine the first commands could time out and fall back before the kill.
        TokenBucketThrottle throttle = replica(StoreFailureMode.FALL_BACK_TO_LOCAL, store(GENEROUS_TIMEOUT));
        assertThat(passed(throttle, call(ALICE, "search"), 3)).isEqualTo(3);
        assertThat(throttle.localBuckets()).as("the first calls were counted in Redis, not locally").isZero();

        redis.kill();

        int passed = assertTimeoutPreemptively(Duration.ofSeconds(8),
                () -> passed(throttle, call(ALICE, "search"), 100));
        // The local bucket starts full: the limit still holds per replica, calls do not hang.
        assertThat(passed).isEqualTo(10);
        assertThat(throttle.tryAcquire(call(ALICE, "search"))).isInstanceOfSatisfying(ThrottleResult.Rejected.class,
                r -> assertThat(r.reason()).isEqualTo(ReasonCode.RATE_LIMITED));
    }

    @Test
    void redisUnreachableAtStartupIsRetriedAfterTheInterval() throws Exception {
        redis.kill();
        TokenBucketThrottle throttle = replica(StoreFailureMode.FAIL_CLOSED);
        assertThat(throttle.tryAcquire(call(ALICE, "search"))).isInstanceOf(ThrottleResult.Rejected.class);

        redis = RedisServer.startOnPort(redis.port());
        clock.advance(Duration.ofSeconds(6));

        assertThat(passed(throttle, call(ALICE, "search"), 20)).isEqualTo(10);
    }
}
