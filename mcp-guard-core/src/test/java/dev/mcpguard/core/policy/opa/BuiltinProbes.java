package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpguard.core.testing.OpaDifferential;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * Probe suites for host builtins: each probe input is {@code {"f": name, "args": [...]}} and the module has one
 * {@code out} rule per builtin, so one real {@code opa} process and one embedded engine answer them all
 * ({@link OpaDifferential}). Arguments marked {@code {"$set": [...]}} become Rego sets.
 */
final class BuiltinProbes {

    static final ObjectMapper MAPPER = new ObjectMapper();
    static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);

    private final Map<String, Integer> arities = new LinkedHashMap<>();
    private final List<JsonNode> inputs = new ArrayList<>();
    private List<OpaDifferential.Pair> lastPairs = List.of();

    /** Declares builtin {@code name} with {@code arity} operands. */
    BuiltinProbes builtin(String name, int arity) {
        arities.put(name, arity);
        return this;
    }

    /**
     * Declares a probe of builtin {@code name} whose value is compared as the text {@code sprintf("%v")} prints
     * inside the module; probes call it as {@code name + TEXT}. For values the engine's result reader would turn
     * into doubles (decimals of more than 17 digits), so that the value the policy sees is what is compared.
     */
    BuiltinProbes builtinAsText(String name, int arity) {
        arities.put(name + TEXT, arity);
        return this;
    }

    /** The suffix of a probe name compared as text, see {@link #builtinAsText}. */
    static final String TEXT = "#text";

    /** Adds a probe calling {@code name} with {@code args} (Java values, JsonNodes, or {@link #set}). */
    BuiltinProbes call(String name, Object... args) {
        if (!arities.containsKey(name)) {
            throw new IllegalArgumentException("undeclared builtin " + name);
        }
        ObjectNode input = NODES.objectNode();
        input.put("f", name);
        ArrayNode array = input.putArray("args");
        for (Object arg : args) {
            array.add(arg instanceof JsonNode node ? node : MAPPER.valueToTree(arg));
        }
        inputs.add(input);
        return this;
    }

    /** A set operand. */
    static JsonNode set(Object... elements) {
        ObjectNode marker = NODES.objectNode();
        ArrayNode array = marker.putArray("$set");
        for (Object e : elements) {
            array.add(e instanceof JsonNode node ? node : MAPPER.valueToTree(e));
        }
        return marker;
    }

    String module() {
        StringBuilder rego = new StringBuilder("""
                package probe

                arg(x) := s if {
                	is_object(x)
                	x["$set"]
                	s := {e | some e in x["$set"]}
                }

                arg(x) := x if {
                	is_object(x)
                	not x["$set"]
                }

                arg(x) := x if not is_object(x)

                """);
        for (Map.Entry<String, Integer> builtin : arities.entrySet()) {
            boolean text = builtin.getKey().endsWith(TEXT);
            String function = text ? builtin.getKey().substring(0, builtin.getKey().length() - TEXT.length())
                    : builtin.getKey();
            StringBuilder call = new StringBuilder(function).append('(');
            for (int i = 0; i < builtin.getValue(); i++) {
                call.append(i > 0 ? ", " : "").append("arg(input.args[").append(i).append("])");
            }
            call.append(')');
            if (text) {
                call.insert(0, "sprintf(\"%v\", [").append("])");
            }
            rego.append("out := ").append(call).append(" if input.f == \"").append(builtin.getKey()).append("\"\n");
        }
        return rego.toString();
    }

    /** Runs every probe, asserts no mismatch, and returns the number of probes per builtin. */
    Map<String, Integer> assertSameAsOpa() {
        return assertSameAsOpa(pair -> false, 0);
    }

    /**
     * As {@link #assertSameAsOpa()}, but mismatches that {@code documented} recognises (a divergence written in
     * docs/policy.md) are allowed, up to {@code maxDocumented} of them; any other mismatch fails.
     */
    Map<String, Integer> assertSameAsOpa(java.util.function.Predicate<OpaDifferential.Pair> documented,
            int maxDocumented) {
        List<OpaDifferential.Pair> pairs = OpaDifferential.module(module()).compare(inputs);
        lastPairs = List.copyOf(pairs);
        List<OpaDifferential.Pair> mismatches = OpaDifferential.mismatches(pairs);
        assertThat(mismatches.stream().filter(documented.negate()).toList())
                .as("probes that differ from opa (of %d)", pairs.size()).isEmpty();
        assertThat(mismatches).as("documented divergences").hasSizeLessThanOrEqualTo(maxDocumented);
        Map<String, Integer> counts = new TreeMap<>();
        long defined = 0;
        for (JsonNode input : inputs) {
            counts.merge(input.get("f").asText(), 1, Integer::sum);
        }
        for (OpaDifferential.Pair pair : pairs) {
            if (pair.opa().kind() == OpaDifferential.Outcome.Kind.VALUE) {
                defined++;
            }
        }
        assertThat(defined).as("probes with a defined value").isGreaterThan(pairs.size() / 4);
        return counts;
    }

    /** The pairs of the last {@link #assertSameAsOpa} run, in probe order. */
    List<OpaDifferential.Pair> lastPairs() {
        return lastPairs;
    }

    int size() {
        return inputs.size();
    }
}
