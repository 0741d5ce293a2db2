package dev.mcpguard.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import dev.mcpguard.core.policy.ResilientPolicyEngine.CircuitState;
import dev.mcpguard.core.testing.MutableClock;
import dev.mcpguard.core.testing.PolicyRequests;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
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

    /** The state machine, with every failure counted whoever the caller (these tests use one caller). */
    private static CircuitBreakerConfig consecutive(int failures) {
        return CircuitBreakerConfig.custom().consecutiveFailures(failures).windowSize(100).minimumCalls(100)
                .minimumDistinctCallers(1).openDuration(OPEN).build();
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
                .windowSize(10).minimumCalls(10).failureRateThreshold(0.5).minimumDistinctCallers(1)
                .openDuration(OPEN).build());

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
        assertThat(metrics.shortCircuited() + metrics.callerShortCircuited())
                .isEqualTo(threadCount * callsPerThread - engine.calls());
    }

    // --- Failures are attributed to callers (issue 8, item 1) ---

    private static final CallerIdentity MALLORY = PolicyRequests.caller("mallory", "initech", Set.of(), Set.of());

    private static PolicyRequest callBy(CallerIdentity caller) {
        return PolicyRequests.call(caller, "get_order", Map.of("order_id", "A-1"));
    }

    private static CallerIdentity victim(int i) {
        return PolicyRequests.caller("victim-" + i, "globex", Set.of("orders.read"), Set.of());
    }

    /** The engine fails on mallory's calls only, as it would on inputs only mallory sends. */
    private void failingForMallory() {
        engine.answer(request -> request.caller().subject().equals("mallory")
                ? ScriptedPolicyEngineFakeForTests.error(request) : ScriptedPolicyEngineFakeForTests.allow(request));
    }

    @Test
    void oneCallerWhoseCallsMakeTheEngineFailCannotOpenTheSharedBreakerAndOthersKeepBeingAllowed() {
        ResilientPolicyEngine policy = resilient(CircuitBreakerConfig.custom().openDuration(OPEN).build()); // defaults
        failingForMallory();
        int victimAllowed = 0;

        for (int i = 0; i < 200; i++) {
            policy.decide(callBy(MALLORY));
            policy.decide(callBy(MALLORY)); // a second stream of the same caller
            if (i % 4 == 0) {
                victimAllowed += policy.decide(callBy(victim(1))).allowed() ? 1 : 0;
            }
            clock.advance(Duration.ofMillis(100)); // 20 s in all: mallory's breaker cycles through its open intervals
        }

        assertThat(victimAllowed).isEqualTo(50);
        assertThat(policy.circuitState()).isEqualTo(CircuitState.CLOSED);
        assertThat(policy.metrics().snapshot().breakerOpened()).isZero();
        assertThat(policy.circuitStateOf(MALLORY)).isEqualTo(CircuitState.OPEN);
        // 5 failures open mallory's breaker, then one probe per 5 s open interval: 20 s -> at most 4 more.
        assertThat(engine.calls() - 50).as("calls of mallory that reached the engine").isBetween(5, 9);
        assertThat(reasonOf(policy.decide(callBy(MALLORY)))).isEqualTo(ReasonCode.POLICY_UNAVAILABLE);
        assertThat(policy.metrics().snapshot().callerBreakerOpened()).isGreaterThanOrEqualTo(1);
    }

    @Test
    void withoutTheFixTheSameFloodOpensTheSharedBreakerForEveryone() {
        // minimumDistinctCallers(1) is the old rule: any caller's failures count. Kept as an explicit opt-in.
        ResilientPolicyEngine policy = resilient(CircuitBreakerConfig.custom().minimumDistinctCallers(1)
                .openDuration(OPEN).build());
        failingForMallory();

        for (int i = 0; i < 5; i++) {
            policy.decide(callBy(MALLORY));
        }

        assertThat(policy.circuitState()).isEqualTo(CircuitState.OPEN);
        assertThat(reasonOf(policy.decide(callBy(victim(1))))).isEqualTo(ReasonCode.POLICY_UNAVAILABLE);
    }

    @Test
    void twoCallersFailingAreNotEnoughByDefaultButEachIsDeniedAloneOnItsOwnBreaker() {
        ResilientPolicyEngine policy = resilient(CircuitBreakerConfig.custom().openDuration(OPEN).build());
        engine.answer(request -> request.caller().subject().equals("victim-3")
                ? ScriptedPolicyEngineFakeForTests.allow(request) : ScriptedPolicyEngineFakeForTests.error(request));

        for (int i = 0; i < 20; i++) {
            policy.decide(callBy(MALLORY));
            policy.decide(callBy(victim(2)));
        }

        assertThat(policy.circuitState()).isEqualTo(CircuitState.CLOSED);
        assertThat(policy.circuitStateOf(MALLORY)).isEqualTo(CircuitState.OPEN);
        assertThat(policy.circuitStateOf(victim(2))).isEqualTo(CircuitState.OPEN);
        assertThat(policy.decide(callBy(victim(3))).allowed()).isTrue();
        assertThat(engine.calls()).as("five calls of each failing caller, then their own breakers").isEqualTo(11);
    }

    @Test
    void theSharedBreakerOpensWhenTheEngineFailsForSeveralDistinctCallers() {
        ResilientPolicyEngine policy = resilient(CircuitBreakerConfig.custom().openDuration(OPEN).build());
        engine.answer(ScriptedPolicyEngineFakeForTests::unavailable);

        for (int i = 0; i < 5; i++) {
            policy.decide(callBy(victim(i % 3)));
        }

        assertThat(policy.circuitState()).isEqualTo(CircuitState.OPEN);
        Decision newcomer = policy.decide(callBy(victim(7)));
        assertThat(reasonOf(newcomer)).isEqualTo(ReasonCode.POLICY_UNAVAILABLE);
        assertThat(engine.calls()).isEqualTo(5);
        assertThat(policy.metrics().snapshot().shortCircuited()).isEqualTo(1);
    }

    @Test
    void theFailureRateAlsoNeedsDistinctCallers() {
        ResilientPolicyEngine policy = resilient(CircuitBreakerConfig.custom().consecutiveFailures(1000)
                .windowSize(10).minimumCalls(10).failureRateThreshold(0.5).minimumDistinctCallers(2)
                .openDuration(OPEN).build());
        failingForMallory();

        for (int i = 0; i < 10; i++) { // 5 of 10 fail, all mallory's
            policy.decide(callBy(i % 2 == 0 ? MALLORY : victim(1)));
        }
        assertThat(policy.circuitState()).isEqualTo(CircuitState.CLOSED);
        engine.answer(ScriptedPolicyEngineFakeForTests::error);
        policy.decide(callBy(victim(1)));

        assertThat(policy.circuitState()).as("a second caller's failure in the window").isEqualTo(CircuitState.OPEN);
    }

    @Test
    void aCallersBreakerLetsOneProbeThroughAfterTheOpenDurationAndClosesOnSuccess() {
        ResilientPolicyEngine policy = resilient(CircuitBreakerConfig.custom().openDuration(OPEN).build());
        failingForMallory();
        for (int i = 0; i < 5; i++) {
            policy.decide(callBy(MALLORY));
        }
        assertThat(reasonOf(policy.decide(callBy(MALLORY)))).isEqualTo(ReasonCode.POLICY_UNAVAILABLE);
        assertThat(engine.calls()).isEqualTo(5);

        clock.advance(OPEN);
        engine.answer(ScriptedPolicyEngineFakeForTests::allow);

        assertThat(policy.decide(callBy(MALLORY)).allowed()).isTrue();
        assertThat(policy.circuitStateOf(MALLORY)).isEqualTo(CircuitState.CLOSED);
    }

    @Test
    void aCallerProbeStoppedByTheOpenSharedBreakerIsGivenBackSoTheCallerIsNotStuck() {
        // Shared breaker: one failure each of two callers opens it. Mallory's own breaker: one failure opens it.
        ResilientPolicyEngine policy = resilient(CircuitBreakerConfig.custom().consecutiveFailures(1).windowSize(10)
                .minimumCalls(10).minimumDistinctCallers(2).openDuration(OPEN).build());
        engine.answer(ScriptedPolicyEngineFakeForTests::error);
        policy.decide(callBy(MALLORY));            // t=0: mallory's breaker opens
        clock.advance(Duration.ofSeconds(2));
        policy.decide(callBy(victim(1)));          // t=2: second distinct caller, the shared breaker opens
        assertThat(policy.circuitState()).isEqualTo(CircuitState.OPEN);

        clock.advance(Duration.ofSeconds(3));      // t=5: mallory may probe, the shared breaker is still open
        assertThat(reasonOf(policy.decide(callBy(MALLORY)))).isEqualTo(ReasonCode.POLICY_UNAVAILABLE);
        clock.advance(Duration.ofSeconds(2));      // t=7: both may probe; the engine has recovered
        engine.answer(ScriptedPolicyEngineFakeForTests::allow);

        assertThat(policy.decide(callBy(MALLORY)).allowed()).isTrue();
        assertThat(policy.circuitStateOf(MALLORY)).isEqualTo(CircuitState.CLOSED);
        assertThat(policy.circuitState()).isEqualTo(CircuitState.CLOSED);
    }

    @Test
    void aCallerMixingGoodCallsWithFailingOnesIsStillBoundedByItsOwnBreaker() {
        ResilientPolicyEngine policy = resilient(CircuitBreakerConfig.custom().openDuration(OPEN).build());
        AtomicInteger malloryFailures = new AtomicInteger();
        engine.answer(request -> {
            if (request.caller().subject().equals("mallory") && request.arguments().containsKey("trap")) {
                malloryFailures.incrementAndGet();
                return ScriptedPolicyEngineFakeForTests.error(request);
            }
            return ScriptedPolicyEngineFakeForTests.allow(request);
        });

        for (int i = 0; i < 300; i++) { // one failing call in three, over 30 s
            Map<String, Object> arguments = i % 3 == 0 ? Map.of("trap", true) : Map.of("order_id", "A-1");
            policy.decide(PolicyRequests.call(MALLORY, "get_order", arguments));
            clock.advance(Duration.ofMillis(100));
        }

        // 5 failures open mallory's breaker; afterwards about one failed evaluation per 5 s open interval.
        assertThat(malloryFailures.get()).as("failed evaluations mallory caused").isBetween(5, 5 + 30 / 5 + 1);
        assertThat(policy.circuitState()).isEqualTo(CircuitState.CLOSED);
        assertThat(policy.decide(callBy(victim(1))).allowed()).isTrue();
    }

    @Test
    void aCallersBreakerForgetsFailuresOlderThanItsMemory() {
        ResilientPolicyEngine policy = resilient(CircuitBreakerConfig.custom().openDuration(OPEN).build());
        failingForMallory();
        for (int i = 0; i < 4; i++) {
            policy.decide(callBy(MALLORY));
        }

        clock.advance(OPEN.multipliedBy(5)); // the memory: 5 failures x 5 s
        policy.decide(callBy(MALLORY));

        assertThat(policy.circuitStateOf(MALLORY)).isEqualTo(CircuitState.CLOSED);
        policy.decide(callBy(MALLORY));
        assertThat(policy.circuitStateOf(MALLORY)).isEqualTo(CircuitState.CLOSED);
        for (int i = 0; i < 3; i++) {
            policy.decide(callBy(MALLORY));
        }
        assertThat(policy.circuitStateOf(MALLORY)).isEqualTo(CircuitState.OPEN);
    }

    @Test
    void callersAreToldApartByIssuerSubjectAndTenant() {
        ResilientPolicyEngine policy = resilient(CircuitBreakerConfig.custom().openDuration(OPEN).build());
        failingForMallory();
        CallerIdentity malloryElsewhere = PolicyRequests.caller("mallory", "umbrella", Set.of(), Set.of());
        for (int i = 0; i < 5; i++) {
            policy.decide(callBy(MALLORY));
        }

        assertThat(policy.circuitStateOf(MALLORY)).isEqualTo(CircuitState.OPEN);
        assertThat(policy.circuitStateOf(malloryElsewhere)).isEqualTo(CircuitState.CLOSED);
    }

    @Test
    void distinctCallerSettingsOutsideTheirRangeAreRefusedNamingTheValue() {
        assertThatThrownBy(() -> CircuitBreakerConfig.custom().minimumDistinctCallers(0).build())
                .hasMessageContaining("got 0");
        assertThatThrownBy(() -> CircuitBreakerConfig.custom().windowSize(5).minimumCalls(5).minimumDistinctCallers(6)
                .build()).hasMessageContaining("got 6");
        assertThatThrownBy(() -> CircuitBreakerConfig.custom().maxTrackedCallers(0).build())
                .hasMessageContaining("got 0");
    }

    @Test
    void underConcurrencyEveryCallIsCountedOnceAndNothingEscapes() throws Exception {
        ResilientPolicyEngine policy = resilient(CircuitBreakerConfig.custom().consecutiveFailures(4).windowSize(20)
                .minimumCalls(10).failureRateThreshold(0.6).minimumDistinctCallers(1)
                .openDuration(Duration.ofMillis(1)).build());
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
        assertThat(metrics.shortCircuited() + metrics.callerShortCircuited() + engine.calls()).isEqualTo(4000);
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
