package dev.mcpguard.core.throttle;

import static dev.mcpguard.core.throttle.TokenBucketThrottleTest.call;
import static dev.mcpguard.core.throttle.TokenBucketThrottleTest.withObligations;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.spi.Throttle.ThrottleResult;
import dev.mcpguard.core.testing.Callers;
import dev.mcpguard.core.testing.MutableClock;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.MethodSource;

/**
 * The {@code budget} obligation: a cumulative allowance per caller and policy key that each call spends its
 * amount from (issue 8: three refunds of 240 on one order moved 720 past a 500 approval limit).
 */
class BudgetObligationTest {

    static final CallerIdentity BOB = Callers.user("bob", "acme", "support");
    static final CallerIdentity DAN = Callers.user("dan", "acme", "support");

    final MutableClock clock = MutableClock.startingAt("2026-01-01T00:00:00Z");
    final TokenBucketThrottle throttle = TokenBucketThrottle.builder().clock(clock).build();

    static Map<String, Object> budget(String key, Object amount) {
        return Map.of("budget", Map.of("key", key, "amount", amount, "window", "P1D", "limit", 500));
    }

    static ToolCall refund(CallerIdentity caller, String order, Object amount) {
        return withObligations(call(caller, "refund_order"), budget("refund_order:amount:" + order, amount));
    }

    static ThrottleResult acquire(TokenBucketThrottle throttle, ToolCall call) {
        ThrottleResult result = throttle.tryAcquire(call);
        if (result instanceof ThrottleResult.Acquired acquired) {
            acquired.permit().close();
        }
        return result;
    }

    static void assertRejected(ThrottleResult result, ReasonCode reason) {
        assertThat(result).isInstanceOfSatisfying(ThrottleResult.Rejected.class,
                rejected -> assertThat(rejected.reason()).isEqualTo(reason));
    }

    @Test
    void thirdRefundOf240OnOneOrderExceedsTheBudgetOf500() {
        assertThat(acquire(throttle, refund(BOB, "acme-1002", 240))).isInstanceOf(ThrottleResult.Acquired.class);
        assertThat(acquire(throttle, refund(BOB, "acme-1002", 240))).isInstanceOf(ThrottleResult.Acquired.class);

        ThrottleResult third = acquire(throttle, refund(BOB, "acme-1002", 240));

        assertRejected(third, ReasonCode.BUDGET_EXCEEDED);
        // 220 of 500 must refill at 500 a day: about 10.6 hours, never more than the window.
        Duration retryAfter = ((ThrottleResult.Rejected) third).retryAfter();
        assertThat(retryAfter).isBetween(Duration.ofHours(10), Duration.ofHours(11));
        assertThat(acquire(throttle, refund(BOB, "acme-1002", 20))).as("what is left can still be spent")
                .isInstanceOf(ThrottleResult.Acquired.class);
    }

    @Test
    void budgetsAreKeptPerCallerAndPerPolicyKey() {
        acquire(throttle, refund(BOB, "acme-1002", 500));

        assertRejected(acquire(throttle, refund(BOB, "acme-1002", 1)), ReasonCode.BUDGET_EXCEEDED);
        assertThat(acquire(throttle, refund(BOB, "acme-1001", 500))).isInstanceOf(ThrottleResult.Acquired.class);
        assertThat(acquire(throttle, refund(DAN, "acme-1002", 500))).isInstanceOf(ThrottleResult.Acquired.class);
    }

    @Test
    void budgetRefillsOverItsWindowAsTheClockAdvances() {
        acquire(throttle, refund(BOB, "acme-1002", 500));
        clock.advance(Duration.ofHours(12));

        assertThat(acquire(throttle, refund(BOB, "acme-1002", 250))).isInstanceOf(ThrottleResult.Acquired.class);
        assertRejected(acquire(throttle, refund(BOB, "acme-1002", 1)), ReasonCode.BUDGET_EXCEEDED);
    }

    @Test
    void anAmountAboveTheWholeBudgetIsRejectedWithTheWindowAsRetryAfter() {
        ThrottleResult result = acquire(throttle, refund(BOB, "acme-1002", 501));

        assertRejected(result, ReasonCode.BUDGET_EXCEEDED);
        assertThat(((ThrottleResult.Rejected) result).retryAfter()).isEqualTo(Duration.ofDays(1));
        assertThat(acquire(throttle, refund(BOB, "acme-1002", 500))).as("the rejected call spent nothing")
                .isInstanceOf(ThrottleResult.Acquired.class);
    }

    @Test
    void aZeroAmountSpendsNothingAndWholeNumbersMayArriveAsDoubles() {
        assertThat(acquire(throttle, refund(BOB, "acme-1002", 0))).isInstanceOf(ThrottleResult.Acquired.class);
        assertThat(acquire(throttle, refund(BOB, "acme-1002", 500.0))).isInstanceOf(ThrottleResult.Acquired.class);
        assertRejected(acquire(throttle, refund(BOB, "acme-1002", 1)), ReasonCode.BUDGET_EXCEEDED);
    }

    @Test
    void aCallTheRateLimitRejectsSpendsNoBudgetAndABudgetRejectionGivesTheRateTokenBack() {
        TokenBucketThrottle limited = TokenBucketThrottle.builder().clock(clock)
                .limit(RateLimit.perCaller().perTool().capacity(2).refillPerHour(2).build()).build();

        assertThat(acquire(limited, refund(BOB, "acme-1002", 400))).isInstanceOf(ThrottleResult.Acquired.class);
        assertRejected(acquire(limited, refund(BOB, "acme-1002", 400)), ReasonCode.BUDGET_EXCEEDED);
        // The budget rejection gave its rate token back, so one more call passes the rate limit...
        assertThat(acquire(limited, refund(BOB, "acme-1002", 100))).isInstanceOf(ThrottleResult.Acquired.class);
        // ...and now the rate limit rejects before the budget is touched.
        assertRejected(acquire(limited, refund(BOB, "acme-1001", 100)), ReasonCode.RATE_LIMITED);
        clock.advance(Duration.ofMinutes(30));
        assertThat(acquire(limited, refund(BOB, "acme-1001", 500))).as("acme-1001's budget is untouched")
                .isInstanceOf(ThrottleResult.Acquired.class);
    }

    @Test
    void theThrottleDeclaresTheObligationsItEnforces() {
        assertThat(throttle.enforcedObligations()).containsExactlyInAnyOrder("rate_limit", "budget");
    }

    static Stream<Object> malformedBudgets() {
        Map<String, Object> valid = Map.of("key", "k", "amount", 1, "window", "P1D", "limit", 500);
        return Stream.of("not an object", List.of(1), without(valid, "key"), without(valid, "amount"),
                without(valid, "window"), without(valid, "limit"), with(valid, "key", ""), with(valid, "key", 7),
                with(valid, "key", "k".repeat(257)), with(valid, "amount", -1), with(valid, "amount", 1.5),
                with(valid, "amount", "240"), with(valid, "limit", 0), with(valid, "limit", 2_000_000_000L),
                with(valid, "window", "1d"), with(valid, "window", "PT0S"), with(valid, "window", "P2D"),
                with(valid, "window", 86400), with(valid, "per", "caller"));
    }

    @ParameterizedTest
    @MethodSource("malformedBudgets")
    void aMalformedBudgetFailsClosedWithPolicyError(Object budget) {
        ToolCall call = withObligations(call(BOB, "refund_order"), Map.of("budget", budget));

        assertRejected(acquire(throttle, call), ReasonCode.POLICY_ERROR);
    }

    private static Map<String, Object> without(Map<String, Object> map, String key) {
        Map<String, Object> copy = new HashMap<>(map);
        copy.remove(key);
        return copy;
    }

    private static Map<String, Object> with(Map<String, Object> map, String key, Object value) {
        Map<String, Object> copy = new HashMap<>(map);
        copy.put(key, value);
        return copy;
    }
}
