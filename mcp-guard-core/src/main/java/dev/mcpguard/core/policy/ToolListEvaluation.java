package dev.mcpguard.core.policy;

import dev.mcpguard.api.spi.PolicyEngine.ToolListRequest;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * A policy engine that can answer a whole {@code tools/list} in one evaluation of its policy (the OPA engines, with
 * an entrypoint such as {@code mcp/authz/visible_tools}), and says when the policy now loaded cannot, so that
 * {@link ResilientPolicyEngine} asks per tool through its decision cache and circuit breaker instead.
 *
 * <p>Implementations are thread-safe and fail closed: an error is an {@link Answer} with no names and
 * {@code failed} set, never an exception.
 */
public interface ToolListEvaluation {

    /**
     * The visible tools of {@code request} in one evaluation, or empty when the policy now loaded has no list
     * entrypoint (then ask {@link dev.mcpguard.api.spi.PolicyEngine#decide} per tool).
     */
    Optional<Answer> evaluateToolList(ToolListRequest request);

    /**
     * One evaluation's answer.
     *
     * @param visible the names of the offered tools the policy lets the caller see (never a name not offered)
     * @param failed  whether the evaluation failed (an engine error, a result of the wrong shape): then
     *                {@code visible} is empty and the failure counts against the circuit breaker
     * @param policyRevision the revision of the policy that answered, when known (the cache flushes on a change)
     */
    record Answer(Set<String> visible, boolean failed, Optional<String> policyRevision) {

        public Answer {
            visible = Set.copyOf(Objects.requireNonNull(visible, "visible"));
            Objects.requireNonNull(policyRevision, "policyRevision");
            if (failed && !visible.isEmpty()) {
                throw new IllegalArgumentException("a failed answer shows nothing, got " + visible.size() + " names");
            }
        }

        /** A successful answer that shows nothing (undefined, no policy loaded, input too large). */
        public static Answer nothing(Optional<String> policyRevision) {
            return new Answer(Set.of(), false, policyRevision);
        }

        /** A failure: nothing is shown. */
        public static Answer failure() {
            return new Answer(Set.of(), true, Optional.empty());
        }
    }
}
