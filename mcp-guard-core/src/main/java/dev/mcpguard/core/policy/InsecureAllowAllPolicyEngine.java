package dev.mcpguard.core.policy;

import dev.mcpguard.api.Decision;
import dev.mcpguard.api.spi.PolicyEngine;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Allows every call to every authenticated caller. For tests and local experiments only: the name says so,
 * and creating one logs a warning, so it is easy to find in code review and in a production log.
 * Authentication, session binding and audit still apply. Thread-safe.
 */
public final class InsecureAllowAllPolicyEngine implements PolicyEngine {

    private static final Logger log = LoggerFactory.getLogger(InsecureAllowAllPolicyEngine.class);

    public InsecureAllowAllPolicyEngine() {
        log.warn("mcp-guard is using InsecureAllowAllPolicyEngine: every authenticated caller may call every tool. "
                + "Do not use this in production.");
    }

    @Override
    public Decision decide(PolicyRequest request) {
        return Decision.allow(request.decisionId());
    }
}
