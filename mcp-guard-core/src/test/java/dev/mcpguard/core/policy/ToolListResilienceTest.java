package dev.mcpguard.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.api.spi.PolicyEngine.ToolListRequest;
import dev.mcpguard.core.testing.MutableClock;
import dev.mcpguard.core.testing.PolicyRequests;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

/** {@link ResilientPolicyEngine#visibleTools}: one evaluation per list, cached no longer than its decisions, behind the breaker. */
class ToolListResilienceTest {

    private static final Duration TTL = Duration.ofSeconds(1);

    /** An engine that answers lists at once as scripted (empty: no list entrypoint) and allows every tool per tool. */
    static final class ListingEngine implements PolicyEngine, ToolListEvaluation {
        final AtomicInteger lists = new AtomicInteger();
        final AtomicInteger decisions = new AtomicInteger();
        final AtomicReference<Function<ToolListRequest, Optional<Answer>>> script = new AtomicReference<>(
                request -> Optional.of(new Answer(Set.of(request.tools().get(0).name()), false, Optional.of("rev-1"))));

        @Override
        public Decision decide(PolicyRequest request) {
            decisions.incrementAndGet();
            return Decision.allow(request.decisionId());
        }

        @Override
        public Optional<Answer> evaluateToolList(ToolListRequest request) {
            lists.incrementAndGet();
            return script.get().apply(request);
        }
    }

    private final MutableClock clock = MutableClock.startingAt("2026-03-02T12:00:00Z");
    private final ListingEngine engine = new ListingEngine();
    private final ResilientPolicyEngine policy = ResilientPolicyEngine.decorate(engine)
            .decisionCache(DecisionCacheConfig.of(100, TTL))
            .circuitBreaker(CircuitBreakerConfig.custom().consecutiveFailures(2).minimumDistinctCallers(2).build())
            .clock(clock).build();
    private final CallerIdentity alice = PolicyRequests.caller("alice", "acme", Set.of("orders.read"), Set.of("viewer"));
    private final CallerIdentity bob = PolicyRequests.caller("bob", "acme", Set.of("orders.read"), Set.of("viewer"));

    private ToolListRequest list(CallerIdentity caller, String... tools) {
        return new ToolListRequest("list-" + clock.instant(), caller, "orders",
                Arrays.stream(tools).map(ToolDescriptor::named).toList(), Optional.empty(), clock.instant());
    }

    @Test
    void anEqualListIsEvaluatedOnceWithinTheTimeToLive() {
        assertThat(policy.visibleTools(list(alice, "a", "b"))).containsExactly("a");
        assertThat(policy.visibleTools(list(alice, "a", "b"))).containsExactly("a");

        assertThat(engine.lists).hasValue(1);
        assertThat(engine.decisions).hasValue(0);
        assertThat(policy.cachedLists()).isEqualTo(1);
    }

    @Test
    void anotherCallerOrAnotherToolListIsEvaluatedAgain() {
        policy.visibleTools(list(alice, "a", "b"));
        policy.visibleTools(list(bob, "a", "b"));
        policy.visibleTools(list(alice, "a", "c"));
        policy.visibleTools(list(alice, "b", "a"));
        policy.visibleTools(new ToolListRequest("x", alice, "orders",
                List.of(new ToolDescriptor("a", "changed description", false, true, false, true),
                        ToolDescriptor.named("b")), Optional.empty(), clock.instant()));

        assertThat(engine.lists).hasValue(5);
    }

    @Test
    void aCachedListNeverOutlivesItsTimeToLive() {
        policy.visibleTools(list(alice, "a", "b"));
        clock.advance(TTL.plusMillis(1));
        policy.visibleTools(list(alice, "a", "b"));

        assertThat(engine.lists).hasValue(2);
    }

    @Test
    void aBundleChangeOrAFlushDropsCachedLists() {
        policy.visibleTools(list(alice, "a", "b"));
        policy.onBundleChange("rev-2");
        policy.visibleTools(list(alice, "a", "b"));
        policy.flush();
        policy.visibleTools(list(alice, "a", "b"));

        assertThat(engine.lists).hasValue(3);
    }

    @Test
    void aListAnsweredByANewRevisionFlushesCachedDecisionsAndLists() {
        policy.visibleTools(list(alice, "a", "b"));
        policy.decide(PolicyRequests.call(alice, "a", java.util.Map.of(), clock.instant()));
        engine.script.set(request -> Optional.of(new ToolListEvaluation.Answer(Set.of("b"), false, Optional.of("rev-2"))));

        assertThat(policy.visibleTools(list(bob, "a", "b"))).containsExactly("b");

        assertThat(policy.cachedDecisions()).isZero();
        assertThat(policy.cachedLists()).isZero();
    }

    @Test
    void failedListsShowNothingAreNotCachedAndOpenTheSharedBreaker() {
        engine.script.set(request -> Optional.of(ToolListEvaluation.Answer.failure()));

        assertThat(policy.visibleTools(list(alice, "a"))).isEmpty();
        assertThat(policy.visibleTools(list(bob, "a"))).isEmpty();
        assertThat(policy.circuitState()).isEqualTo(ResilientPolicyEngine.CircuitState.OPEN);
        engine.script.set(request -> Optional.of(new ToolListEvaluation.Answer(Set.of("a"), false, Optional.empty())));

        assertThat(policy.visibleTools(list(alice, "a"))).as("open: nothing is shown, the engine not asked").isEmpty();
        assertThat(engine.lists).hasValue(2);
        assertThat(policy.cachedLists()).isZero();
    }

    @Test
    void aPolicyWithoutAListEntrypointIsAskedPerToolThroughTheDecisionCache() {
        engine.script.set(request -> Optional.empty());

        assertThat(policy.visibleTools(list(alice, "a", "b"))).containsExactlyInAnyOrder("a", "b");
        assertThat(policy.visibleTools(list(alice, "a", "b"))).containsExactlyInAnyOrder("a", "b");

        assertThat(engine.decisions).as("second list from the decision cache").hasValue(2);
        assertThat(policy.circuitState()).isEqualTo(ResilientPolicyEngine.CircuitState.CLOSED);
    }

    @Test
    void anEngineOfYourOwnThatListsItselfIsAskedOnceAndOneThatOnlyDecidesPerTool() {
        AtomicInteger asked = new AtomicInteger();
        PolicyEngine ownLister = new PolicyEngine() {
            @Override
            public Decision decide(PolicyRequest request) {
                throw new AssertionError("not asked per tool");
            }

            @Override
            public Set<String> visibleTools(ToolListRequest request) {
                asked.incrementAndGet();
                return Set.of("b");
            }
        };
        AtomicInteger decided = new AtomicInteger();
        PolicyEngine decider = request -> {
            decided.incrementAndGet();
            return request.tool().name().equals("a") ? Decision.allow(request.decisionId())
                    : Decision.deny(request.decisionId(), dev.mcpguard.api.ReasonCode.POLICY_DENIED, "no");
        };

        assertThat(ResilientPolicyEngine.ofDefaults(ownLister).visibleTools(list(alice, "a", "b"))).containsExactly("b");
        assertThat(ResilientPolicyEngine.ofDefaults(decider).visibleTools(list(alice, "a", "b"))).containsExactly("a");
        assertThat(asked).hasValue(1);
        assertThat(decided).hasValue(2);
    }

    @Test
    void theSameListOfToolsAskedAgainIsAnsweredFromTheCacheAndAChangedToolIsEvaluatedAgain() {
        List<ToolDescriptor> offered = List.of(ToolDescriptor.named("a"), ToolDescriptor.named("b"));
        List<ToolDescriptor> changed = List.of(ToolDescriptor.named("a"),
                new ToolDescriptor("b", "", true, false, false, true)); // same names, b now read-only
        policy.visibleTools(new ToolListRequest("l1", alice, "orders", offered, Optional.empty(), clock.instant()));
        policy.visibleTools(new ToolListRequest("l2", alice, "orders", offered, Optional.empty(), clock.instant()));
        assertThat(engine.lists).as("the same list object twice").hasValue(1);

        policy.visibleTools(new ToolListRequest("l3", alice, "orders", changed, Optional.empty(), clock.instant()));
        assertThat(engine.lists).as("a changed tool").hasValue(2);
        policy.visibleTools(new ToolListRequest("l4", alice, "orders", offered, Optional.empty(), clock.instant()));
        assertThat(engine.lists).as("back to the first list: its cached answer").hasValue(2);
    }

    @Test
    void aListAskedPerToolGivesEachToolsDecisionAnIdOfItsOwn() {
        List<String> ids = new java.util.concurrent.CopyOnWriteArrayList<>();
        PolicyEngine decider = request -> {
            ids.add(request.decisionId());
            return Decision.allow(request.decisionId());
        };
        ToolListRequest request = list(alice, "a", "b", "c");

        assertThat(ResilientPolicyEngine.ofDefaults(decider).visibleTools(request)).hasSize(3);

        assertThat(ids).hasSize(3).doesNotHaveDuplicates().doesNotContain(request.decisionId());
        assertThat(ids).allSatisfy(id -> {
            java.util.UUID uuid = java.util.UUID.fromString(id);
            assertThat(uuid.version()).isEqualTo(7);
            assertThat(uuid.getMostSignificantBits() >>> 16).isEqualTo(clock.instant().toEpochMilli());
        });
    }
}
