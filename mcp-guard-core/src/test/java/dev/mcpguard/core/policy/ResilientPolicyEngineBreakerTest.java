package dev.mcpguard.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.core.policy.ResilientPolicyEngine.CircuitState;
import dev.mcpguard.core.testing.MutableClock;
import dev.mcpguard.core.testing.PolicyRequests;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

@Timeout(value = 30, unit = TimeUnit.SECONDS) // a safety net against deadlocks, not a latency assertion
class ResilientPolicyEngineBreakerTest {

    private static final Duration OPEN = Duration.ofSeconds(5);

    private final MutableClock clock = MutableClock.startingAt("2026-03-02T12:00:00Z");
    private final ScriptedPolicyEngineFakeForTests engine = new ScriptedPolicyEngineFakeForTests();
    private final ExecutorService threads = Executors.newFixedThreadPool(8);

    @AfterEach
    void stopThreads() {
        threads.shutdownNow();
    }

    /** No cache, so every call is a question for the breaker. */
    private ResilientPolicyEngine resilient(CircuitBreakerConfig breaker) {
        return ResilientPolicyEngine.decorate(engine).circuitBreaker(breaker)
                .decisionCache(DecisionCacheConfig.DISABLED).clock(clock).build();
    }

    private static CircuitBreakerConfig consecutive(int failures) {
        return CircuitBreakerConfig.custom().consecutiveFailures(failures).windowSize(100).minimumCalls(100)
                .openDuration(OPEN).build();
    }

    private static ReasonCode reasonOf(Decision decision) {
        assertThat(decision).isInstanceOf(Decision.Deny.class);
        return ((Decision.Deny) decision).reason();
    }

    @Test
    void opensAfterConsecutiveFailuresAndThenDeniesWithoutAskingTheEngine() {
        ResilientPolicyEngine policy = resilient(consecutive(3));
        engine.answer(ScriptedPolicyEngineFakeForTests::unavailable);

        for (int i = 0; i < 3; i++) {
            policy.decide(PolicyRequests.allowedCall());
        }
        var request = PolicyRequests.allowedCall();
        Decision shortCircuited = policy.decide(request);

        assertThat(policy.circuitState()).isEqualTo(CircuitState.OPEN);
        assertThat(engine.calls()).isEqualTo(3);
        assertThat(reasonOf(shortCircuited)).isEqualTo(ReasonCode.POLICY_UNAVAILABLE);
        assertThat(shortCircuited.decisionId()).isEqualTo(request.decisionId());
        assertThat(policy.metrics().snapshot()).satisfies(m -> {
            assertThat(m.unavailable()).isEqualTo(4);
            assertThat(m.shortCircuited()).isEqualTo(1);
            assertThat(m.breakerOpened()).isEqualTo(1);
        });
    }

    @Test
    void aSuccessResetsTheConsecutiveCount() {
        ResilientPolicyEngine policy = resilient(consecutive(3));

        for (int i = 0; i < 5; i++) {
            engine.answer(ScriptedPolicyEngineFakeForTests::error);
            policy.decide(PolicyRequests.allowedCall());
            policy.decide(PolicyRequests.allowedCall());
            engine.answer(ScriptedPolicyEngineFakeForTests::allow);
            policy.decide(PolicyRequests.allowedCall());
        }

        assertThat(policy.circuitState()).isEqualTo(CircuitState.CLOSED);
    }

    @Test
    void opensWhenTheFailureRateOverTheWindowIsReached() {
        ResilientPolicyEngine policy = resilient(CircuitBreakerConfig.custom().consecutiveFailures(100)
                .windowSize(10).minimumCalls(10).failureRateThreshold(0.5).openDuration(OPEN).build());

        for (int i = 0; i < 9; i++) {
            engine.answer(i % 2 == 0 ? ScriptedPolicyEngineFakeForTests::allow : ScriptedPolicyEngineFakeForTests::error);
            policy.decide(PolicyRequests.allowedCall());
        }
        assertThat(policy.circuitState()).as("4 failures in 9 calls, below the minimum").isEqualTo(CircuitState.CLOSED);
        engine.answer(ScriptedPolicyEngineFakeForTests::error);
        policy.decide(PolicyRequests.allowedCall());

        assertThat(policy.circuitState()).as("5 failures in 10 calls").isEqualTo(CircuitState.OPEN);
    }

    @Test
    void normalPolicyDenialsAreNotFailures() {
        ResilientPolicyEngine policy = resilient(consecutive(2));
        engine.answer(ScriptedPolicyEngineFakeForTests::denied);

        for (int i = 0; i < 10; i++) {
            assertThat(reasonOf(policy.decide(PolicyRequests.allowedCall()))).isEqualTo(ReasonCode.POLICY_DENIED);
        }

        assertThat(policy.circuitState()).isEqualTo(CircuitState.CLOSED);
        assertThat(policy.metrics().snapshot().deny()).isEqualTo(10);
    }

    @Test
    void anEngineThatThrowsOrReturnsNullFailsAndIsDeniedAsPolicyError() {
        ResilientPolicyEngine policy = resilient(consecutive(2));

        engine.answer(request -> { throw new IllegalStateException("engine bug"); });
        Decision thrown = policy.decide(PolicyRequests.allowedCall());
        engine.answer(request -> null);
        Decision nothing = policy.decide(PolicyRequests.allowedCall());

        assertThat(reasonOf(thrown)).isEqualTo(ReasonCode.POLICY_ERROR);
        assertThat(reasonOf(nothing)).isEqualTo(ReasonCode.POLICY_ERROR);
        assertThat(policy.circuitState()).isEqualTo(CircuitState.OPEN);
        assertThat(policy.metrics().snapshot().error()).isEqualTo(2);
    }

    @Test
    void afterTheOpenDurationOneProbeGoesThroughAndItsSuccessCloses() {
        ResilientPolicyEngine policy = resilient(consecutive(1));
        engine.answer(ScriptedPolicyEngineFakeForTests::error);
        policy.decide(PolicyRequests.allowedCall());

        clock.advance(OPEN.minusMillis(1));
        assertThat(reasonOf(policy.decide(PolicyRequests.allowedCall()))).isEqualTo(ReasonCode.POLICY_UNAVAILABLE);
        assertThat(engine.calls()).isEqualTo(1);

        clock.advance(Duration.ofMillis(1));
        engine.answer(ScriptedPolicyEngineFakeForTests::allow);
        Decision probe = policy.decide(PolicyRequests.allowedCall());

        assertThat(probe.allowed()).isTrue();
        assertThat(engine.calls()).isEqualTo(2);
        assertThat(policy.circuitState()).isEqualTo(CircuitState.CLOSED);
        assertThat(policy.decide(PolicyRequests.allowedCall()).allowed()).isTrue();
    }

    @Test
    void aFailedProbeReopensForAnotherOpenDuration() {
        ResilientPolicyEngine policy = resilient(consecutive(1));
        engine.answer(ScriptedPolicyEngineFakeForTests::error);
        policy.decide(PolicyRequests.allowedCall());

        clock.advance(OPEN);
        policy.decide(PolicyRequests.allowedCall()); // the probe, failing
        assertThat(policy.circuitState()).isEqualTo(CircuitState.OPEN);
        clock.advance(OPEN.minusMillis(1));
        policy.decide(PolicyRequests.allowedCall());

        assertThat(engine.calls()).as("initial failure and one probe").isEqualTo(2);
        assertThat(policy.metrics().snapshot().breakerOpened()).isEqualTo(2);
    }

    @Test
    void aProbeThatEscapesWithAnErrorStillReopensTheBreakerSoALaterProbeCanClose() {
        ResilientPolicyEngine policy = resilient(consecutive(1));
        engine.answer(ScriptedPolicyEngineFakeForTests::error);
        policy.decide(PolicyRequests.allowedCall());
        clock.advance(OPEN);
        engine.answer(request -> { throw new StackOverflowError("deep policy input"); });

        assertThatThrownBy(() -> policy.decide(PolicyRequests.allowedCall())).isInstanceOf(StackOverflowError.class);
        assertThat(policy.circuitState()).isEqualTo(CircuitState.OPEN);
        clock.advance(OPEN);
        engine.answer(ScriptedPolicyEngineFakeForTests::allow);

        assertThat(policy.decide(PolicyRequests.allowedCall()).allowed()).isTrue();
        assertThat(policy.circuitState()).isEqualTo(CircuitState.CLOSED);
    }

    @Test
    void whileTheProbeIsInFlightOtherCallsAreDeniedAtOnce() throws Exception {
        ResilientPolicyEngine policy = resilient(consecutive(1));
        engine.answer(ScriptedPolicyEngineFakeForTests::error);
        policy.decide(PolicyRequests.allowedCall());
        clock.advance(OPEN);
        CountDownLatch probeEntered = new CountDownLatch(1);
        CountDownLatch releaseProbe = new CountDownLatch(1);
        engine.answer(request -> {
            probeEntered.countDown();
            await(releaseProbe);
            return Decision.allow(request.decisionId());
        });

        Future<Decision> probe = threads.submit(() -> policy.decide(PolicyRequests.allowedCall()));
        assertThat(probeEntered.await(10, TimeUnit.SECONDS)).isTrue();
        Decision concurrent = policy.decide(PolicyRequests.allowedCall());
        releaseProbe.countDown();

        assertThat(policy.circuitState()).isIn(CircuitState.HALF_OPEN, CircuitState.CLOSED);
        assertThat(reasonOf(concurrent)).isEqualTo(ReasonCode.POLICY_UNAVAILABLE);
        assertThat(probe.get(10, TimeUnit.SECONDS).allowed()).isTrue();
        assertThat(policy.circuitState()).isEqualTo(CircuitState.CLOSED);
        assertThat(engine.calls()).isEqualTo(2);
    }

    @Test
    void aSlowSuccessThatStartedBeforeTheBreakerOpenedDoesNotCloseIt() throws Exception {
        ResilientPolicyEngine policy = resilient(consecutive(2));
        CountDownLatch slowEntered = new CountDownLatch(1);
        CountDownLatch releaseSlow = new CountDownLatch(1);
        engine.answer(request -> {
            slowEntered.countDown();
            await(releaseSlow);
            return Decision.allow(request.decisionId());
        });
        Future<Decision> slow = threads.submit(() -> policy.decide(PolicyRequests.allowedCall()));
        assertThat(slowEntered.await(10, TimeUnit.SECONDS)).isTrue();

        engine.answer(ScriptedPolicyEngineFakeForTests::error);
        policy.decide(PolicyRequests.allowedCall());
        policy.decide(PolicyRequests.allowedCall());
        assertThat(policy.circuitState()).isEqualTo(CircuitState.OPEN);
        releaseSlow.countDown();

        assertThat(slow.get(10, TimeUnit.SECONDS).allowed()).isTrue();
        assertThat(policy.circuitState()).isEqualTo(CircuitState.OPEN);
    }

    @Test
    void underConcurrencyTheBreakerOpensOnceAndBoundsCallsToAFailingEngine() throws Exception {
        ResilientPolicyEngine policy = resilient(consecutive(3));
        engine.answer(ScriptedPolicyEngineFakeForTests::unavailable);
        int threadCount = 8;
        int callsPerThread = 500;
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger notUnavailable = new AtomicInteger();
        List<Future<?>> done = new ArrayList<>();

        for (int t = 0; t < threadCount; t++) {
            done.add(threads.submit(() -> {
                await(start);
                for (int i = 0; i < callsPerThread; i++) {
                    Decision decision = policy.decide(PolicyRequests.allowedCall());
                    if (!(decision instanceof Decision.Deny deny && deny.reason().equals(ReasonCode.POLICY_UNAVAILABLE))) {
                        notUnavailable.incrementAndGet();
                    }
                }
            }));
        }
        start.countDown();
        for (Future<?> f : done) {
            f.get(20, TimeUnit.SECONDS);
        }

        var metrics = policy.metrics().snapshot();
        assertThat(notUnavailable).hasValue(0);
        assertThat(engine.calls()).as("threshold plus calls already in flight").isBetween(3, 3 + threadCount - 1);
        assertThat(metrics.breakerOpened()).isEqualTo(1);
        assertThat(metrics.decisions()).isEqualTo(threadCount * callsPerThread);
        assertThat(metrics.shortCircuited()).isEqualTo(threadCount * callsPerThread - engine.calls());
    }

    @Test
    void underConcurrencyEveryCallIsCountedOnceAndNothingEscapes() throws Exception {
        ResilientPolicyEngine policy = resilient(CircuitBreakerConfig.custom().consecutiveFailures(4).windowSize(20)
                .minimumCalls(10).failureRateThreshold(0.6).openDuration(Duration.ofMillis(1)).build());
        AtomicInteger sequence = new AtomicInteger();
        engine.answer(request -> switch (sequence.incrementAndGet() % 5) {
            case 0 -> throw new IllegalStateException("flaky");
            case 1 -> ScriptedPolicyEngineFakeForTests.error(request);
            case 2 -> ScriptedPolicyEngineFakeForTests.denied(request);
            default -> ScriptedPolicyEngineFakeForTests.allow(request);
        });
        List<Future<?>> done = new ArrayList<>();

        for (int t = 0; t < 8; t++) {
            done.add(threads.submit(() -> {
                for (int i = 0; i < 500; i++) {
                    clock.advance(Duration.ofMillis(1)); // lets the breaker cycle through open and half-open
                    assertThat(policy.decide(PolicyRequests.allowedCall())).isNotNull();
                }
            }));
        }
        for (Future<?> f : done) {
            f.get(20, TimeUnit.SECONDS);
        }

        var metrics = policy.metrics().snapshot();
        assertThat(metrics.decisions()).isEqualTo(4000);
        assertThat(metrics.shortCircuited() + engine.calls()).isEqualTo(4000);
    }

    @Test
    void configRejectsBadValuesShowingThem() {
        assertThatThrownBy(() -> CircuitBreakerConfig.custom().consecutiveFailures(0).build()).hasMessageContaining("0");
        assertThatThrownBy(() -> CircuitBreakerConfig.custom().failureRateThreshold(1.5).build()).hasMessageContaining("1.5");
        assertThatThrownBy(() -> CircuitBreakerConfig.custom().windowSize(5).minimumCalls(6).build()).hasMessageContaining("6");
        assertThatThrownBy(() -> CircuitBreakerConfig.custom().openDuration(Duration.ofSeconds(-1)).build())
                .hasMessageContaining("PT-1S");
    }

    private static void await(CountDownLatch latch) {
        try {
            latch.await(10, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
