package dev.mcpguard.core.policy;

import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import org.slf4j.Logger;

/** Asks a policy engine and turns every way it can fail into a denial; shared by calls and list filtering. */
final class PolicyDecisions {

    private PolicyDecisions() {
    }

    static Decision decideSafely(PolicyEngine engine, PolicyRequest request, Logger log) {
        try {
            Decision decision = engine.decide(request);
            if (decision == null) {
                log.error("Policy engine {} returned null for {} of tool {}; denying",
                        engine.getClass().getName(), request.operation(), request.tool().name());
                return Decision.deny(request.decisionId(), ReasonCode.POLICY_ERROR, PolicyGuard.ERROR_MESSAGE);
            }
            return decision;
        } catch (RuntimeException e) {
            log.error("Policy engine {} failed for {} of tool {} (decision {}); denying",
                    engine.getClass().getName(), request.operation(), request.tool().name(), request.decisionId(), e);
            return Decision.deny(request.decisionId(), ReasonCode.POLICY_ERROR, PolicyGuard.ERROR_MESSAGE);
        }
    }
}
