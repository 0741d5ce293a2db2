package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.core.policy.ToolListEvaluation;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;

/**
 * Reads the value of a list entrypoint ({@code mcp/authz/visible_tools}) as the set of visible tools, as
 * {@code docs/policy.md} ("Operation list") states it: an array of strings (OPA writes a set as one) names the
 * visible tools; a name given twice counts once and a name that was not offered is ignored (the guard never shows a
 * tool it did not offer). Undefined (no value) shows nothing. Anything else (an object, a number, an array holding
 * a non-string) shows nothing and is a failure ({@code failed}), as {@code policy_error} is for a decision.
 *
 * <p>Stateless and thread-safe.
 */
final class VisibleToolsResultReader {

    private VisibleToolsResultReader() {
    }

    /** The answer for {@code value} (a missing node when undefined), about {@code offered}, from {@code revision}. */
    static ToolListEvaluation.Answer read(JsonNode value, List<ToolDescriptor> offered, Optional<String> revision) {
        if (value == null || value.isMissingNode()) {
            return ToolListEvaluation.Answer.nothing(revision);
        }
        if (!value.isArray()) {
            return ToolListEvaluation.Answer.failure();
        }
        Set<String> named = new HashSet<>(value.size() * 2);
        for (JsonNode name : value) {
            if (!name.isTextual()) {
                return ToolListEvaluation.Answer.failure();
            }
            named.add(name.textValue());
        }
        Set<String> visible = new HashSet<>();
        for (ToolDescriptor tool : offered) {
            if (named.contains(tool.name())) {
                visible.add(tool.name());
            }
        }
        return new ToolListEvaluation.Answer(visible, false, revision);
    }
}
