package dev.mcpguard.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.core.policy.ResilientPolicyEngine.CircuitState;
import java.time.Duration;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The breaker's own rules that the decorator's tests cannot reach one by one. */
class CircuitBreakerTest {

    private final AtomicLong nanos = new AtomicLong();
    private final CircuitBreaker breaker = new CircuitBreaker(CircuitBreakerConfig.custom().consecutiveFailures(1)
            .windowSize(10).minimumCalls(10).minimumDistinctCallers(2).openDuration(Duration.ofSeconds(5)).build(),
            nanos::get);

    @Test
    void anAbandonedProbeReturnsTheBreakerToOpenAndTheNextCallMayProbeAtOnce() {
        breaker.onResult(breaker.tryAcquire(), false, "a");
        breaker.onResult(breaker.tryAcquire(), false, "b");
        assertThat(breaker.state()).isEqualTo(CircuitState.OPEN);
        nanos.addAndGet(Duration.ofSeconds(5).toNanos());

        CircuitBreaker.Permit probe = breaker.tryAcquire();
        assertThat(probe.probe()).isTrue();
        assertThat(breaker.tryAcquire().permitted()).as("one probe at a time").isFalse();
        breaker.abandon(probe);

        assertThat(breaker.state()).isEqualTo(CircuitState.OPEN);
        CircuitBreaker.Permit next = breaker.tryAcquire();
        assertThat(next.permitted()).isTrue();
        assertThat(next.probe()).isTrue();
        breaker.onResult(next, true, "c");
        assertThat(breaker.state()).isEqualTo(CircuitState.CLOSED);
    }

    @Test
    void abandoningAnOrdinaryPermitChangesNothing() {
        CircuitBreaker.Permit permit = breaker.tryAcquire();

        breaker.abandon(permit);

        assertThat(breaker.state()).isEqualTo(CircuitState.CLOSED);
    }

    @Test
    void failuresOfOneCallerInARowDoNotOpenItButASecondCallersFailureDoes() {
        for (int i = 0; i < 50; i++) {
            breaker.onResult(breaker.tryAcquire(), false, "a");
        }
        assertThat(breaker.state()).isEqualTo(CircuitState.CLOSED);

        breaker.onResult(breaker.tryAcquire(), false, "b");

        assertThat(breaker.state()).isEqualTo(CircuitState.OPEN);
    }

    @Test
    void aSuccessEndsTheRunSoCallersOfEarlierRunsDoNotAddUp() {
        breaker.onResult(breaker.tryAcquire(), false, "a");
        breaker.onResult(breaker.tryAcquire(), true, "c");

        breaker.onResult(breaker.tryAcquire(), false, "b");

        assertThat(breaker.state()).isEqualTo(CircuitState.CLOSED);
    }
}
