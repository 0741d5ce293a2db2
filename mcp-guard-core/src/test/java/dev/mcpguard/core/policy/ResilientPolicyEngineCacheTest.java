package dev.mcpguard.core.policy;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import dev.mcpguard.core.testing.MutableClock;
import dev.mcpguard.core.testing.PolicyRequests;
import java.time.Duration;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

class ResilientPolicyEngineCacheTest {

    private static final Duration TTL = Duration.ofSeconds(1);

    private final MutableClock clock = MutableClock.startingAt("2026-03-02T12:00:00Z");
    private final ScriptedPolicyEngineFakeForTests engine = new ScriptedPolicyEngineFakeForTests();
    private final ResilientPolicyEngine policy = ResilientPolicyEngine.decorate(engine)
            .decisionCache(DecisionCacheConfig.of(100, TTL)).clock(clock).build();
    private final dev.mcpguard.api.CallerIdentity alice = PolicyRequests.caller("alice", "acme", Set.of("orders.read"), Set.of("viewer"));

    private PolicyRequest getOrder(String orderId) {
        return PolicyRequests.call(alice, "get_order", Map.of("order_id", orderId), clock.instant());
    }

    @Test
    void anEqualRequestIsServedFromTheCacheUnderItsOwnDecisionId() {
        PolicyRequest first = getOrder("A-1");
        PolicyRequest second = getOrder("A-1");

        Decision fresh = policy.decide(first);
        Decision cached = policy.decide(second);

        assertThat(engine.calls()).isEqualTo(1);
        assertThat(fresh.decisionId()).isEqualTo(first.decisionId());
        assertThat(cached.decisionId()).isEqualTo(second.decisionId()).isNotEqualTo(first.decisionId());
        assertThat(cached.allowed()).isTrue();
        assertThat(policy.metrics().snapshot()).satisfies(m -> {
            assertThat(m.cacheHits()).isEqualTo(1);
            assertThat(m.cacheMisses()).isEqualTo(1);
            assertThat(m.allow()).isEqualTo(2);
        });
    }

    @Test
    void aCachedDenialKeepsItsReasonMessageAndRevision() {
        engine.answer(request -> new Decision.Deny(request.decisionId(), ReasonCode.of("cross_tenant"), "Nope.",
                Optional.of("rev-1")));
        policy.decide(getOrder("A-1"));

        PolicyRequest again = getOrder("A-1");
        Decision cached = policy.decide(again);

        assertThat(engine.calls()).isEqualTo(1);
        assertThat(cached).isEqualTo(new Decision.Deny(again.decisionId(), ReasonCode.of("cross_tenant"), "Nope.",
                Optional.of("rev-1")));
    }

    @Test
    void differentArgumentsCallersOrOperationsMiss() {
        policy.decide(getOrder("A-1"));
        policy.decide(getOrder("A-2"));
        policy.decide(PolicyRequests.call(PolicyRequests.caller("alice", "globex", Set.of("orders.read"),
                Set.of("viewer")), "get_order", Map.of("order_id", "A-1"), clock.instant()));
        PolicyRequest call = getOrder("A-1");
        policy.decide(new PolicyRequest(dev.mcpguard.api.spi.PolicyEngine.Operation.LIST, "list-1", call.caller(),
                call.server(), call.tool(), call.arguments(), call.sessionId(), call.time()));

        assertThat(engine.calls()).isEqualTo(4);
    }

    @Test
    void differentGuardrailFindingsOrTheResultPhaseMissSoAFindingIsNeverAnsweredByACleanCallsDecision() {
        PolicyRequest clean = getOrder("A-1");
        dev.mcpguard.api.ContentScan injected = new dev.mcpguard.api.ContentScan(List.of(new dev.mcpguard.api.Finding(
                "prompt_injection", "injection.instruction_override", "$.arguments.note", 0.9)), true);
        dev.mcpguard.api.GuardrailFindings scanned = dev.mcpguard.api.GuardrailFindings.ofArguments(
                dev.mcpguard.api.ContentScan.CLEAN);

        policy.decide(clean);
        policy.decide(clean.withGuardrails(scanned, "g-1", clean.time()));
        policy.decide(clean.withGuardrails(dev.mcpguard.api.GuardrailFindings.ofArguments(injected), "g-2", clean.time()));
        policy.decide(clean.withGuardrails(scanned.withResult(injected), "g-3", clean.time()));
        policy.decide(clean.withGuardrails(scanned.withResult(new dev.mcpguard.api.ContentScan(List.of(), false)), "g-4",
                clean.time()));
        policy.decide(clean.withGuardrails(dev.mcpguard.api.GuardrailFindings.ofArguments(injected), "g-5", clean.time()));

        assertThat(engine.calls()).isEqualTo(5);
    }

    @Test
    void argumentKeyOrderDoesNotMatter() {
        Map<String, Object> xy = new LinkedHashMap<>();
        xy.put("x", 1);
        xy.put("y", 2);
        Map<String, Object> yx = new LinkedHashMap<>();
        yx.put("y", 2);
        yx.put("x", 1);
        Map<String, Object> ab = new LinkedHashMap<>();
        ab.put("a", 1);
        ab.put("b", xy);
        Map<String, Object> ba = new LinkedHashMap<>();
        ba.put("b", yx);
        ba.put("a", 1);

        policy.decide(PolicyRequests.call(alice, "get_order", ab, clock.instant()));
        policy.decide(PolicyRequests.call(alice, "get_order", ba, clock.instant()));

        assertThat(engine.calls()).isEqualTo(1);
    }

    @Test
    void aDecisionExpiresAfterTheTimeToLive() {
        policy.decide(getOrder("A-1"));

        clock.advance(TTL.minusMillis(1));
        policy.decide(PolicyRequests.call(alice, "get_order", Map.of("order_id", "A-1"), PolicyRequests.NOON));
        assertThat(engine.calls()).isEqualTo(1);
        clock.advance(Duration.ofMillis(1));
        policy.decide(PolicyRequests.call(alice, "get_order", Map.of("order_id", "A-1"), PolicyRequests.NOON));

        assertThat(engine.calls()).isEqualTo(2);
    }

    @Test
    void requestTimesInDifferentTimeToLiveBucketsMiss() {
        policy.decide(PolicyRequests.call(alice, "get_order", Map.of(), PolicyRequests.NOON));
        policy.decide(PolicyRequests.call(alice, "get_order", Map.of(), PolicyRequests.NOON.plusMillis(999)));
        assertThat(engine.calls()).as("same one-second bucket").isEqualTo(1);

        policy.decide(PolicyRequests.call(alice, "get_order", Map.of(), PolicyRequests.NOON.plusMillis(1000)));

        assertThat(engine.calls()).as("next bucket").isEqualTo(2);
    }

    @Test
    void failuresAreNeverCached() {
        engine.answer(ScriptedPolicyEngineFakeForTests::error);
        policy.decide(getOrder("A-1"));
        engine.answer(ScriptedPolicyEngineFakeForTests::unavailable);
        policy.decide(getOrder("A-1"));
        engine.answer(request -> { throw new IllegalStateException("boom"); });
        policy.decide(getOrder("A-1"));
        engine.answer(ScriptedPolicyEngineFakeForTests::allow);

        Decision recovered = policy.decide(getOrder("A-1"));

        assertThat(engine.calls()).isEqualTo(4);
        assertThat(recovered.allowed()).isTrue();
        assertThat(policy.cachedDecisions()).isEqualTo(1);
    }

    @Test
    void flushDropsEveryDecision() {
        policy.decide(getOrder("A-1"));

        policy.flush();
        policy.decide(getOrder("A-1"));

        assertThat(engine.calls()).isEqualTo(2);
    }

    @Test
    void aBundleChangeFlushesTheCache() {
        policy.decide(getOrder("A-1"));

        policy.onBundleChange("rev-2");
        policy.decide(getOrder("A-1"));

        assertThat(engine.calls()).isEqualTo(2);
    }

    @Test
    void aDecisionFromANewRevisionFlushesDecisionsOfTheOldOne() {
        engine.answer(request -> ScriptedPolicyEngineFakeForTests.allowAt(request, "rev-1"));
        policy.decide(getOrder("A-1"));
        policy.decide(getOrder("A-1"));
        assertThat(engine.calls()).isEqualTo(1);

        engine.answer(request -> ScriptedPolicyEngineFakeForTests.allowAt(request, "rev-2"));
        policy.decide(getOrder("B-1"));
        Decision afterChange = policy.decide(getOrder("A-1"));

        assertThat(engine.calls()).isEqualTo(3);
        assertThat(afterChange.policyRevision()).contains("rev-2");
    }

    @Test
    void aDecisionInFlightDuringAFlushIsNotStored() {
        AtomicReference<ResilientPolicyEngine> self = new AtomicReference<>();
        engine.answer(request -> {
            self.get().flush(); // a bundle change lands while this decision is being made
            return Decision.allow(request.decisionId());
        });
        self.set(policy);

        policy.decide(getOrder("A-1"));
        engine.answer(ScriptedPolicyEngineFakeForTests::allow);
        policy.decide(getOrder("A-1"));

        assertThat(engine.calls()).isEqualTo(2);
    }

    @Test
    void cachedDecisionsAreServedWhileTheBreakerIsOpen() {
        ResilientPolicyEngine fragile = ResilientPolicyEngine.decorate(engine)
                .circuitBreaker(CircuitBreakerConfig.custom().consecutiveFailures(1).minimumDistinctCallers(1).build())
                .decisionCache(DecisionCacheConfig.of(100, TTL)).clock(clock).build();
        fragile.decide(getOrder("A-1"));
        engine.answer(ScriptedPolicyEngineFakeForTests::unavailable);
        fragile.decide(getOrder("B-1"));
        assertThat(fragile.circuitState()).isEqualTo(ResilientPolicyEngine.CircuitState.OPEN);

        assertThat(fragile.decide(getOrder("A-1")).allowed()).isTrue();
        assertThat(((Decision.Deny) fragile.decide(getOrder("C-1"))).reason()).isEqualTo(ReasonCode.POLICY_UNAVAILABLE);
        assertThat(engine.calls()).isEqualTo(2);
    }

    @Test
    void argumentsThatDifferOnlyInALoneSurrogateOrInTypeDoNotShareADecision() {
        policy.decide(PolicyRequests.call(alice, "get_order", Map.of("order_id", "A\uD800"), clock.instant()));
        policy.decide(PolicyRequests.call(alice, "get_order", Map.of("order_id", "A\uD801"), clock.instant()));
        policy.decide(PolicyRequests.call(alice, "get_order", Map.of("order_id", "A?"), clock.instant()));
        policy.decide(PolicyRequests.call(alice, "get_order", Map.of("\uDC00", "A"), clock.instant()));
        policy.decide(PolicyRequests.call(alice, "get_order", Map.of("\uDC01", "A"), clock.instant()));
        policy.decide(PolicyRequests.call(alice, "get_order", Map.of("amount", Double.NaN), clock.instant()));
        policy.decide(PolicyRequests.call(alice, "get_order", Map.of("amount", "NaN"), clock.instant()));
        policy.decide(PolicyRequests.call(alice, "get_order", Map.of("amount", 1), clock.instant()));
        policy.decide(PolicyRequests.call(alice, "get_order", Map.of("amount", "1"), clock.instant()));

        assertThat(engine.calls()).isEqualTo(9);
    }

    @Test
    void callersThatDifferOnlyInTokenExpiryOrActorDoNotShareADecision() {
        dev.mcpguard.api.CallerIdentity later = new dev.mcpguard.api.CallerIdentity(alice.issuer(), alice.subject(),
                alice.tenant(), alice.clientId(), alice.scopes(), alice.roles(), alice.actor(), alice.method(),
                alice.tokenId(), Optional.of(PolicyRequests.NOON.plusSeconds(3600)), alice.tokenType());
        dev.mcpguard.api.CallerIdentity delegated = new dev.mcpguard.api.CallerIdentity(alice.issuer(),
                alice.subject(), alice.tenant(), alice.clientId(), alice.scopes(), alice.roles(),
                Optional.of(new dev.mcpguard.api.CallerIdentity.Actor("agent-7", Optional.empty())), alice.method(),
                alice.tokenId(), alice.expiresAt(), alice.tokenType());

        policy.decide(getOrder("A-1"));
        policy.decide(PolicyRequests.call(later, "get_order", Map.of("order_id", "A-1"), clock.instant()));
        policy.decide(PolicyRequests.call(delegated, "get_order", Map.of("order_id", "A-1"), clock.instant()));

        assertThat(engine.calls()).isEqualTo(3);
    }

    @Test
    void argumentsThatCannotBeEncodedAreDecidedButNotCached() {
        PolicyRequest odd = PolicyRequests.call(alice, "get_order", Map.of("thing", new Object()), clock.instant());

        policy.decide(odd);
        policy.decide(odd);

        assertThat(engine.calls()).isEqualTo(2);
    }

    @Test
    void argumentsThatDifferOnlyAtTheEndOfALargeValueDoNotShareADecision() {
        String big = "z".repeat(256 * 1024);

        policy.decide(PolicyRequests.call(alice, "get_order", Map.of("note", big + "1"), clock.instant()));
        policy.decide(PolicyRequests.call(alice, "get_order", Map.of("note", big + "2"), clock.instant()));
        policy.decide(PolicyRequests.call(alice, "get_order", Map.of("note", big + "1"), clock.instant()));

        assertThat(engine.calls()).isEqualTo(2);
    }

    @Test
    void aChangedToolDescriptionOrHintDoesNotShareADecision() {
        PolicyRequest call = getOrder("A-1");
        dev.mcpguard.api.ToolDescriptor tool = call.tool();
        dev.mcpguard.api.ToolDescriptor redescribed = new dev.mcpguard.api.ToolDescriptor(tool.name(),
                tool.description() + " Also deletes it.", tool.readOnlyHint(), tool.destructiveHint(),
                tool.idempotentHint(), tool.openWorldHint());
        dev.mcpguard.api.ToolDescriptor destructive = new dev.mcpguard.api.ToolDescriptor(tool.name(),
                tool.description(), tool.readOnlyHint(), !tool.destructiveHint(), tool.idempotentHint(),
                tool.openWorldHint());

        policy.decide(call);
        policy.decide(new PolicyRequest(call.operation(), "d-2", call.caller(), call.server(), redescribed,
                call.arguments(), call.sessionId(), call.time()));
        policy.decide(new PolicyRequest(call.operation(), "d-3", call.caller(), call.server(), destructive,
                call.arguments(), call.sessionId(), call.time()));

        assertThat(engine.calls()).isEqualTo(3);
    }

    @Test
    void argumentsNestedTooDeeplyOrCyclicAreDecidedButNotCached() {
        Map<String, Object> cyclic = new java.util.HashMap<>();
        cyclic.put("self", cyclic);
        PolicyRequest odd = PolicyRequests.call(alice, "get_order", cyclic, clock.instant());

        policy.decide(odd);
        policy.decide(odd);

        assertThat(engine.calls()).isEqualTo(2);
    }

    @Test
    void aDisabledCacheAsksTheEngineEveryTime() {
        ResilientPolicyEngine uncached = ResilientPolicyEngine.decorate(engine)
                .decisionCache(DecisionCacheConfig.DISABLED).clock(clock).build();

        uncached.decide(getOrder("A-1"));
        uncached.decide(getOrder("A-1"));

        assertThat(engine.calls()).isEqualTo(2);
        assertThat(uncached.metrics().snapshot().cacheMisses()).isZero();
    }

    @Test
    void metricsHaveStableExportNames() {
        policy.decide(getOrder("A-1"));
        policy.decide(getOrder("A-1"));

        assertThat(policy.metrics().snapshot().asMap())
                .containsEntry("mcp_guard_policy_decisions_total{outcome=\"allow\"}", 2L)
                .containsEntry("mcp_guard_policy_cache_total{result=\"hit\"}", 1L)
                .containsEntry("mcp_guard_policy_cache_total{result=\"miss\"}", 1L)
                .containsEntry("mcp_guard_policy_breaker_opened_total", 0L)
                .hasSize(10);
    }

    @Test
    void configRejectsBadValuesShowingThem() {
        assertThatThrownBy(() -> DecisionCacheConfig.of(0, TTL)).hasMessageContaining("0");
        assertThatThrownBy(() -> DecisionCacheConfig.of(10, Duration.ofHours(1))).hasMessageContaining("PT1H");
    }
}
