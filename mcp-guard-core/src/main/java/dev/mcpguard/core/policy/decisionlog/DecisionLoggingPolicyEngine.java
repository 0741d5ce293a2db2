package dev.mcpguard.core.policy.decisionlog;

import dev.mcpguard.api.Decision;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.core.internal.PolicyEvaluationRecorder;
import java.util.Objects;
import java.util.Set;

/**
 * An engine whose every decision made by an evaluation (fresh or from the decision cache) is handed to a
 * {@link DecisionLog}; the decision itself is returned unchanged, whatever the decision log does. Thread-safe.
 */
final class DecisionLoggingPolicyEngine implements PolicyEngine {

    private final PolicyEngine engine;
    private final DecisionLog decisionLog;

    DecisionLoggingPolicyEngine(PolicyEngine engine, DecisionLog decisionLog) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.decisionLog = Objects.requireNonNull(decisionLog, "decisionLog");
    }

    @Override
    public Decision decide(PolicyRequest request) {
        PolicyEvaluationRecorder.Recording recording = PolicyEvaluationRecorder.begin();
        Decision decision;
        try {
            decision = engine.decide(request);
        } finally {
            PolicyEvaluationRecorder.end(recording);
        }
        if (decision != null) {
            decisionLog.record(decision, request, recording);
        }
        return decision;
    }

    /** Not logged (yet): a listing's decisions are not decision-log events. */
    @Override
    public Set<String> visibleTools(ToolListRequest request) {
        return engine.visibleTools(request);
    }

    @Override
    public String toString() {
        return "DecisionLogging[" + engine + "]";
    }
}
