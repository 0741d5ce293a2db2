package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.JsonNode;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.Map;
import java.util.Optional;

/**
 * Finds the first value of an input document that a policy engine provably cannot take: a non-finite number
 * ({@code NaN}, {@code Infinity}; JSON has none, and Jackson would silently turn them into strings the policy
 * would misread). Such an input is the call's own fault: the engine denies it before evaluating, instead of
 * failing (which would rebuild a policy instance and count against the shared circuit breaker). Lone UTF-16
 * surrogates are not a finding: {@link PolicyInputDocument} replaces them with U+FFFD as OPA does
 * ({@link LoneSurrogates}).
 *
 * <p>The walk is iterative (no stack overflow on deep documents) and visits each node once. Stateless and
 * thread-safe.
 */
final class UnrepresentableInput {

    /**
     * What is wrong and where: {@code where} is the top-level field of the input document, or
     * {@code arguments.<name>} for a tool argument ({@code name} is client-supplied: escape it before logging).
     */
    record Finding(String where, boolean inArguments, String problem) {
    }

    private UnrepresentableInput() {
    }

    /** The first unrepresentable value in {@code document}, if any. */
    static Optional<Finding> find(JsonNode document) {
        for (Map.Entry<String, JsonNode> section : document.properties()) {
            if (section.getKey().equals("arguments") && section.getValue().isObject()) {
                for (Map.Entry<String, JsonNode> argument : section.getValue().properties()) {
                    String where = "arguments." + argument.getKey();
                    Optional<String> problem = problemIn(argument.getValue());
                    if (problem.isPresent()) {
                        return Optional.of(new Finding(where, true, problem.get()));
                    }
                }
            } else {
                Optional<String> problem = problemIn(section.getValue());
                if (problem.isPresent()) {
                    return Optional.of(new Finding(section.getKey(), false, problem.get()));
                }
            }
        }
        return Optional.empty();
    }

    /** Iterative (no stack overflow on deep values); each node visited once. */
    private static Optional<String> problemIn(JsonNode value) {
        Deque<JsonNode> pending = new ArrayDeque<>();
        pending.push(value);
        while (!pending.isEmpty()) {
            JsonNode node = pending.pop();
            if (node.isFloatingPointNumber()) {
                if (!node.isBigDecimal() && !Double.isFinite(node.doubleValue())) {
                    return Optional.of("a non-finite number");
                }
            } else if (node.isObject()) {
                for (Map.Entry<String, JsonNode> field : node.properties()) {
                    pending.push(field.getValue());
                }
            } else if (node.isArray()) {
                for (JsonNode element : node) {
                    pending.push(element);
                }
            }
        }
        return Optional.empty();
    }
}
