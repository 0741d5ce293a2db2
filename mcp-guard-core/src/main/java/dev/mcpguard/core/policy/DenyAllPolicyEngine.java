package dev.mcpguard.core.policy;

import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.spi.PolicyEngine;

/**
 * The default engine when none is configured: denies every call and hides every tool, with reason
 * {@link ReasonCode#NO_POLICY_CONFIGURED}. A server that forgot its policy is closed, not open. Thread-safe.
 */
public final class DenyAllPolicyEngine implements PolicyEngine {

    /** Creates the engine; it keeps no state. */
    public DenyAllPolicyEngine() {
    }

    @Override
    public Decision decide(PolicyRequest request) {
        return Decision.deny(request.decisionId(), ReasonCode.NO_POLICY_CONFIGURED,
                "No policy is configured for this server; every call is denied.");
    }
}
