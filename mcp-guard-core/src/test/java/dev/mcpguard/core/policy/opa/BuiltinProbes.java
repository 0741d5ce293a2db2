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
    private final Map<String, String> expressions = new LinkedHashMap<>();
    private final List<JsonNode> inputs = new ArrayList<>();
    private List<OpaDifferential.Pair> lastPairs = List.of();
    private boolean nestedSets;

    /** How deep {@link #nestedSets} looks for set markers. */
    static final int NESTED_SET_DEPTH = 6;

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

    /**
     * Declares a probe {@code name} whose value is the Rego {@code expression}, where {@code $1} ... {@code $n} stand
     * for the operands; for example {@code [r[0], sort(r[1])] | r := json.match_schema($1, $2)} is not Rego, but
     * {@code [json.match_schema($1, $2)[0], sort(json.match_schema($1, $2)[1])]} is.
     */
    BuiltinProbes expression(String name, int arity, String expression) {
        arities.put(name, arity);
        expressions.put(name, expression);
        return this;
    }

    /**
     * Set markers become sets at any depth (up to {@link #NESTED_SET_DEPTH}) inside arrays and objects, not only as
     * a whole operand.
     */
    BuiltinProbes nestedSets() {
        nestedSets = true;
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
        return nestedSets ? module(nestedArgs()) : module(null);
    }

    private static String nestedArgs() {
        StringBuilder rego = new StringBuilder("package probe\n\narg(x) := d0(x)\n\n");
        for (int d = 0; d < NESTED_SET_DEPTH; d++) {
            String next = "d" + (d + 1);
            rego.append("d").append(d).append("(x) := s if {\n\tis_object(x)\n\tx[\"$set\"]\n\ts := {")
                    .append(next).append("(e) | some e in x[\"$set\"]}\n}\n\n");
            rego.append("d").append(d).append("(x) := o if {\n\tis_object(x)\n\tnot x[\"$set\"]\n\to := {k: ")
                    .append(next).append("(v) | some k, v in x}\n}\n\n");
            rego.append("d").append(d).append("(x) := a if {\n\tis_array(x)\n\ta := [").append(next)
                    .append("(v) | some v in x]\n}\n\n");
            rego.append("d").append(d).append("(x) := x if {\n\tnot is_object(x)\n\tnot is_array(x)\n}\n\n");
        }
        rego.append("d").append(NESTED_SET_DEPTH).append("(x) := x\n\n");
        return rego.toString();
    }

    private String module(String preamble) {
        StringBuilder rego = new StringBuilder(preamble != null ? preamble : """
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
            String expression = expressions.get(builtin.getKey());
            if (expression != null) {
                for (int i = builtin.getValue(); i >= 1; i--) {
                    expression = expression.replace("$" + i, "arg(input.args[" + (i - 1) + "])");
                }
                rego.append("out := ").append(expression).append(" if input.f == \"").append(builtin.getKey())
                        .append("\"\n");
                continue;
            }
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
