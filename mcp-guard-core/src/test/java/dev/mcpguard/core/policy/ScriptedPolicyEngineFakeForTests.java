package dev.mcpguard.core.policy;

import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.spi.PolicyEngine;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;

/**
 * A policy engine whose answers the test scripts (allow, deny, fail, throw, block), counting the calls that reach
 * it: the decorator is engine-agnostic, and these tests are about its state machine, not about a policy.
 */
final class ScriptedPolicyEngineFakeForTests implements PolicyEngine {

    private final AtomicInteger calls = new AtomicInteger();
    private volatile Function<PolicyRequest, Decision> behaviour = request -> Decision.allow(request.decisionId());

    static Decision allow(PolicyRequest request) {
        return Decision.allow(request.decisionId());
    }

    static Decision allowAt(PolicyRequest request, String revision) {
        return new Decision.Allow(request.decisionId(), java.util.Map.of(), Optional.of(revision));
    }

    static Decision denied(PolicyRequest request) {
        return Decision.deny(request.decisionId(), ReasonCode.POLICY_DENIED, "Not for you.");
    }

    static Decision error(PolicyRequest request) {
        return Decision.deny(request.decisionId(), ReasonCode.POLICY_ERROR, "broken");
    }

    static Decision unavailable(PolicyRequest request) {
        return Decision.deny(request.decisionId(), ReasonCode.POLICY_UNAVAILABLE, "down");
    }

    void answer(Function<PolicyRequest, Decision> behaviour) {
        this.behaviour = behaviour;
    }

    int calls() {
        return calls.get();
    }

    @Override
    public Decision decide(PolicyRequest request) {
        calls.incrementAndGet();
        return behaviour.apply(request);
    }

    @Override
    public String toString() {
        return "ScriptedPolicyEngineFakeForTests";
    }
}
