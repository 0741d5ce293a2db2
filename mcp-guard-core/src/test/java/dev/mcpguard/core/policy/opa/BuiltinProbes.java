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
 * Probe suites for builtins: each probe input is {@code {"f": name, "args": [...]}}, answered by one function
 * {@code run(name, args)} with a clause per builtin, so one real {@code opa} process and one embedded engine answer
 * them all ({@link OpaDifferential}); {@link #batched} sends many probes in one evaluation. Values JSON cannot
 * carry are markers, converted inside the module, at any depth up to {@link #MARKER_DEPTH}: {@link #set} becomes a
 * Rego set, {@link #exact} a number literal of the module (its exact text, where the embedded side's input mapper
 * would round a decimal to a double), {@link #object} an object with keys of any type. An argument holding a
 * marker travels as {@code {"$v": value}}; others as they are.
 */
final class BuiltinProbes {

    static final ObjectMapper MAPPER = new ObjectMapper();
    static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);

    /** Markers nest this deep at most (a marker inside a marker inside a marker inside a marker). */
    static final int MARKER_DEPTH = 4;

    /** Sets nested deeper than this in a result are not made canonical, see {@link #canonicalSets}. */
    static final int SET_DEPTH = 6;

    /** The suffix of a probe name compared as text, see {@link #builtinAsText}. */
    static final String TEXT = "#text";

    private final Map<String, Integer> arities = new LinkedHashMap<>();
    private final Map<String, String> expressions = new LinkedHashMap<>();
    private final Map<String, String> rules = new LinkedHashMap<>();
    private final java.util.Set<String> literals = new java.util.TreeSet<>();
    private final List<JsonNode> inputs = new ArrayList<>();
    private boolean canonicalSets;
    private int batchSize = 1;
    private List<OpaDifferential.Pair> lastPairs = List.of();

    /** Declares builtin {@code name} with {@code arity} operands. */
    BuiltinProbes builtin(String name, int arity) {
        return template(name, arity, call(name, arity));
    }

    /**
     * Declares a probe of builtin {@code name} whose value is compared as the text {@code sprintf("%v")} prints
     * inside the module; probes call it as {@code name + TEXT}. For values the engine's result reader would turn
     * into doubles (decimals of more than 17 digits), so that the value the policy sees is what is compared.
     */
    BuiltinProbes builtinAsText(String name, int arity) {
        return template(name + TEXT, arity, "sprintf(\"%v\", [" + call(name, arity) + "])");
    }

    private static String call(String name, int arity) {
        StringBuilder call = new StringBuilder(name).append('(');
        for (int i = 0; i < arity; i++) {
            call.append(i > 0 ? ", @" : "@").append(i);
        }
        return call.append(')').toString();
    }

    /**
     * Declares a probe {@code key} whose value is the Rego expression {@code expression}, in which {@code @0},
     * {@code @1}, ... stand for the operands: for operators ({@code @0 in @1}), relations
     * ({@code {x | walk(@0, x)}}), template strings, and builtins without a result ({@code [1 | print(@0)]}).
     */
    BuiltinProbes template(String key, int arity, String expression) {
        arities.put(key, arity);
        expressions.put(key, expression);
        return this;
    }

    /**
     * Declares a probe {@code key} of {@code arity} operands defined by {@code rules}, Rego rule text that must
     * define {@code out} only when {@code input.f == key}, reading operands as {@code arg(input.args[i], i)}: for
     * annotations ({@code rego.metadata.*}), which belong to a rule. Never batched.
     */
    BuiltinProbes rules(String key, int arity, String rules) {
        arities.put(key, arity);
        this.rules.put(key, rules);
        return this;
    }

    /**
     * Makes every value a probe returns canonical before it is compared: each set, down to {@link #SET_DEPTH}
     * levels, becomes {@code {"$set": [sorted elements]}}. OPA writes a set in JSON sorted, the wasm module in its
     * hash order; so a builtin's set is compared as a set, not as the order the module happens to dump it in.
     */
    BuiltinProbes canonicalSets() {
        canonicalSets = true;
        return this;
    }

    /**
     * Sends up to {@code size} probes in one evaluation ({@code {"batch": [...]}}, answered as {@code [[i, value],
     * ...]}, a missing {@code i} being undefined); a batch that fails or does not finish on either side is asked
     * again one probe at a time, so each probe still gets its own outcome.
     */
    BuiltinProbes batched(int size) {
        if (size < 1) {
            throw new IllegalArgumentException("batch size must be positive: " + size);
        }
        batchSize = size;
        return this;
    }

    /** Adds a probe calling {@code name} with {@code args} (Java values, JsonNodes, or {@link #set}). */
    BuiltinProbes call(String name, Object... args) {
        inputs.add(input(name, args));
        return this;
    }

    /** The input document of a probe calling {@code name} with {@code args}, as {@link #call} adds it. */
    ObjectNode input(String name, Object... args) {
        if (!arities.containsKey(name)) {
            throw new IllegalArgumentException("undeclared builtin " + name);
        }
        if (args.length != arities.get(name)) {
            throw new IllegalArgumentException(name + " takes " + arities.get(name) + " operands, not " + args.length);
        }
        ObjectNode input = NODES.objectNode();
        input.put("f", name);
        ArrayNode array = input.putArray("args");
        for (Object arg : args) {
            JsonNode value = tree(arg);
            int depth = markerDepth(value);
            if (depth > MARKER_DEPTH) {
                throw new IllegalArgumentException("markers nest deeper than " + MARKER_DEPTH + ": " + value);
            }
            if (depth > 0) {
                ObjectNode wrapped = NODES.objectNode();
                wrapped.set("$v", value);
                value = wrapped;
            }
            array.add(value);
        }
        return input;
    }

    /** A set operand. */
    static JsonNode set(Object... elements) {
        ObjectNode marker = NODES.objectNode();
        ArrayNode array = marker.putArray("$set");
        for (Object e : elements) {
            array.add(tree(e));
        }
        return marker;
    }

    /** The number whose Rego literal is {@code literal} ({@code -0}, {@code 1e400}, a long decimal). */
    static JsonNode exact(String literal) {
        if (!literal.matches("-?[0-9]+(\\.[0-9]+)?([eE][-+]?[0-9]+)?")) {
            throw new IllegalArgumentException("not a number literal: " + literal);
        }
        ObjectNode marker = NODES.objectNode();
        marker.put("$num", literal);
        return marker;
    }

    /** An object with keys of any type: {@code keysAndValues} alternate key, value. */
    static JsonNode object(Object... keysAndValues) {
        if (keysAndValues.length % 2 != 0) {
            throw new IllegalArgumentException("keys and values must alternate");
        }
        ObjectNode marker = NODES.objectNode();
        ArrayNode pairs = marker.putArray("$obj");
        for (int i = 0; i < keysAndValues.length; i += 2) {
            pairs.addArray().add(tree(keysAndValues[i])).add(tree(keysAndValues[i + 1]));
        }
        return marker;
    }

    static JsonNode tree(Object value) {
        return value instanceof JsonNode node ? node : MAPPER.valueToTree(value);
    }

    /** The marker of {@code value} ({@code $set}, {@code $num}, {@code $obj}), or null. */
    static String marker(JsonNode value) {
        if (value.isObject() && value.size() == 1) {
            String key = value.fieldNames().next();
            if (key.equals("$set") || key.equals("$num") || key.equals("$obj")) {
                return key;
            }
        }
        return null;
    }

    /**
     * How many levels the module must convert for {@code value}: 0 without markers, else one per container or
     * marker on the way down to the deepest marker. Records the number literals it uses.
     */
    private int markerDepth(JsonNode value) {
        String marker = marker(value);
        if ("$num".equals(marker)) {
            literals.add(value.get("$num").asText());
            return 1;
        }
        int below = 0;
        JsonNode children = marker == null ? value : value.get(marker);
        if ("$obj".equals(marker)) {
            for (JsonNode pair : children) {
                below = Math.max(below, Math.max(markerDepth(pair.get(0)), markerDepth(pair.get(1))));
            }
        } else {
            for (JsonNode child : children) {
                below = Math.max(below, markerDepth(child));
            }
        }
        return marker != null || below > 0 ? below + 1 : 0;
    }

    String module() {
        // Every conversion call carries the probe and operand position (k): OPA caches function results by
        // argument value, and 2 equals 2.0, so without k one probe's 2.0 could come back as another's 2.
        StringBuilder rego = new StringBuilder("""
                package probe

                arg(x, k) := v%d(x["$v"], k) if wrapped(x)

                arg(x, k) := x if not wrapped(x)

                wrapped(x) if {
                	is_object(x)
                	object.keys(x) == {"$v"}
                }

                marked(x, m) if {
                	is_object(x)
                	object.keys(x) == {m}
                }

                plain(x) if {
                	not marked(x, "$set")
                	not marked(x, "$num")
                	not marked(x, "$obj")
                }

                v0(x, k) := x

                """.formatted(MARKER_DEPTH));
        for (int d = 1; d <= MARKER_DEPTH; d++) {
            rego.append("""
                    vD(x, k) := {vC(e, [k, e]) | some e in x["$set"]} if marked(x, "$set")

                    vD(x, k) := nums[x["$num"]] if marked(x, "$num")

                    vD(x, k) := {vC(p[0], [k, 0, j]): vC(p[1], [k, 1, j]) | some j, p in x["$obj"]} if marked(x, "$obj")

                    vD(x, k) := [vC(e, [k, j]) | some j, e in x] if is_array(x)

                    vD(x, k) := {key: vC(e, [k, key]) | some key, e in x} if {
                    	is_object(x)
                    	plain(x)
                    }

                    vD(x, k) := x if {
                    	not is_array(x)
                    	not is_object(x)
                    }

                    """.replace("vD", "v" + d).replace("vC", "v" + (d - 1)));
        }
        for (int d = 1; d <= SET_DEPTH; d++) {
            rego.append("""
                    cD(x) := {"$set": sort([cC(e) | some e in x])} if is_set(x)

                    cD(x) := [cC(e) | some e in x] if is_array(x)

                    cD(x) := {k: cC(e) | some k, e in x} if is_object(x)

                    cD(x) := x if {
                    	not is_set(x)
                    	not is_array(x)
                    	not is_object(x)
                    }

                    """.replace("cD", "c" + d).replace("cC", "c" + (d - 1)));
        }
        rego.append("c0(x) := x\n\n");
        rego.append("nums := {");
        boolean firstLiteral = true;
        for (String literal : literals) {
            rego.append(firstLiteral ? "" : ", ").append('"').append(literal).append("\": ").append(literal);
            firstLiteral = false;
        }
        rego.append("}\n\n");
        rego.append("""
                out := run(input.f, input.args, 0) if input.f

                out := [[i, v] | some i, p in input.batch; v := run(p.f, p.args, i)] if input.batch

                """);
        for (Map.Entry<String, String> expression : expressions.entrySet()) {
            String value = expression.getValue();
            for (int i = arities.get(expression.getKey()) - 1; i >= 0; i--) {
                value = value.replace("@" + i, "arg(a[" + i + "], [id, " + i + "])");
            }
            if (canonicalSets) {
                value = "c" + SET_DEPTH + "(" + value + ")";
            }
            rego.append("run(\"").append(expression.getKey()).append("\", a, id) := ").append(value).append('\n');
        }
        for (String rule : rules.values()) {
            rego.append('\n').append(rule);
        }
        return rego.toString();
    }

    /** Runs every probe on both sides: each probe's input with what opa and the embedded engine made of it. */
    List<OpaDifferential.Pair> run() {
        OpaDifferential harness = OpaDifferential.module(module());
        if (batchSize == 1) {
            return harness.compare(inputs);
        }
        List<JsonNode> asked = new ArrayList<>();
        List<List<Integer>> members = new ArrayList<>();
        List<Integer> batch = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            if (rules.containsKey(inputs.get(i).get("f").asText())) {
                asked.add(inputs.get(i));
                members.add(List.of(i));
                continue;
            }
            batch.add(i);
            if (batch.size() == batchSize) {
                ObjectNode input = NODES.objectNode();
                ArrayNode probes = input.putArray("batch");
                batch.forEach(k -> probes.add(inputs.get(k)));
                asked.add(input);
                members.add(batch);
                batch = new ArrayList<>();
            }
        }
        if (!batch.isEmpty()) {
            ObjectNode input = NODES.objectNode();
            ArrayNode probes = input.putArray("batch");
            batch.forEach(k -> probes.add(inputs.get(k)));
            asked.add(input);
            members.add(batch);
        }
        OpaDifferential.Pair[] pairs = new OpaDifferential.Pair[inputs.size()];
        List<Integer> again = new ArrayList<>();
        List<OpaDifferential.Pair> answers = harness.compare(asked);
        for (int b = 0; b < answers.size(); b++) {
            OpaDifferential.Pair answer = answers.get(b);
            List<Integer> of = members.get(b);
            if (!asked.get(b).has("batch")) {
                pairs[of.get(0)] = renumbered(answer, of.get(0));
            } else if (answer.opa().kind() == OpaDifferential.Outcome.Kind.VALUE
                    && answer.embedded().kind() == OpaDifferential.Outcome.Kind.VALUE) {
                for (int k = 0; k < of.size(); k++) {
                    int index = of.get(k);
                    pairs[index] = new OpaDifferential.Pair(index, inputs.get(index).toString(),
                            member(answer.opa(), k), member(answer.embedded(), k));
                }
            } else {
                again.addAll(of);
            }
        }
        if (!again.isEmpty()) {
            List<OpaDifferential.Pair> alone = harness.compare(again.stream().map(inputs::get).toList());
            for (int k = 0; k < again.size(); k++) {
                pairs[again.get(k)] = renumbered(alone.get(k), again.get(k));
            }
        }
        return java.util.Arrays.asList(pairs);
    }

    private static OpaDifferential.Pair renumbered(OpaDifferential.Pair pair, int index) {
        return new OpaDifferential.Pair(index, pair.input(), pair.opa(), pair.embedded());
    }

    /** Probe {@code k}'s outcome in a batch's value {@code [[i, value], ...]}. */
    private static OpaDifferential.Outcome member(OpaDifferential.Outcome batch, int k) {
        for (JsonNode entry : batch.value()) {
            if (entry.get(0).asInt() == k) {
                return new OpaDifferential.Outcome(OpaDifferential.Outcome.Kind.VALUE, entry.get(1), "");
            }
        }
        return new OpaDifferential.Outcome(OpaDifferential.Outcome.Kind.UNDEFINED,
                com.fasterxml.jackson.databind.node.NullNode.getInstance(), "");
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
        List<OpaDifferential.Pair> pairs = run();
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
