package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.DoubleNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpguard.core.testing.OpaBinary;
import dev.mcpguard.core.testing.OpaDifferential;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.Iterator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeMap;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Every builtin OPA compiles INTO the wasm module (its C runtime) and the engine accepts decides as the real
 * {@code opa} does, whether the module computes it or the host does in its place ({@link WasmHostRewrite}). The list is the one {@link BuiltinStatusTableTest} computes (so a new compiled-in builtin is
 * probed, or this test fails for want of probes); operands are generated from each builtin's declared operand
 * types in {@code opa capabilities --current}, with edge values, domain inputs (regex and glob patterns, CIDRs,
 * base64url, JSON paths, ...) and operands of the wrong type. A builtin known to diverge is refused at load
 * ({@link DivergentBuiltins}) and so not listed here; its divergence is asserted by {@link DivergentBuiltinsTest}.
 *
 * <p>Results are compared as JSON with numbers by value, sets as sets ({@link BuiltinProbes#canonicalSets}: the
 * module writes and iterates them in its hash order, documented once for all builtins, so {@code walk} is
 * compared as a set of pairs too). The engine's result reader reads decimals as doubles (documented), so a probe
 * whose only difference is that rounding is run again with its value printed by {@code sprintf("%v")} inside the
 * module, and that text must match. Probes are seeded; {@code -Dmcpguard.probeSeed=n} runs another sample.
 */
class CompiledBuiltinsProbeTest {

    private static final Logger log = LoggerFactory.getLogger(CompiledBuiltinsProbeTest.class);

    /** Probes per builtin with operands; zero-operand builtins get one probe per annotated variant. */
    private static final int MIN_PROBES = 300;

    /** Operators and internal functions that have no probe, and why. */
    private static final Map<String, String> NOT_PROBED = Map.of(
            "assign", "`:=` itself, used by every probe rule",
            "internal.print", "what print(...) compiles to: probed as print",
            "internal.test_case", "only `opa test` calls it");

    /** Probes per evaluation. */
    private static final int BATCH = 32;

    /** Probes per builtin beyond {@link #MIN_PROBES}, so that a builtin's probes may fail without going short. */
    private static final int TYPED = 40;

    @TempDir
    Path work;

    private record Probe(String key, Object[] args) {
    }

    @Test
    void everyBuiltinCompiledIntoTheModuleDecidesAsOpaDoes() throws Exception {
        List<BuiltinStatusTableTest.Row> rows = BuiltinStatusTableTest.rows(work);
        // -Dmcpguard.probeOnly=plus,minus probes only those builtins (while working on them).
        String only = System.getProperty("mcpguard.probeOnly", "");
        java.util.Set<String> selected = only.isBlank() ? null : java.util.Set.of(only.split(","));
        List<JsonNode> compiled = rows.stream().filter(r -> r.status().equals(BuiltinStatusTableTest.COMPILED)
                        || r.status().startsWith(BuiltinStatusTableTest.REPLACED))
                .filter(r -> selected == null || selected.contains(r.name()))
                .map(BuiltinStatusTableTest.Row::builtin).toList();
        List<String> operators = rows.stream().filter(r -> r.status().equals(BuiltinStatusTableTest.OPERATOR))
                .map(BuiltinStatusTableTest.Row::name)
                .filter(name -> selected == null || selected.contains(name)).toList();

        assertThat(DivergentBuiltins.used(moduleCalling(compiled)))
                .as("known divergences a module calling only accepted builtins is refused for").isEmpty();

        ProbeValues values = new ProbeValues(new Random(Long.getLong("mcpguard.probeSeed", 11_2031L)));
        Map<String, Integer> arities = new LinkedHashMap<>();
        Map<String, String> templates = new LinkedHashMap<>();
        Map<String, String> rules = new LinkedHashMap<>();
        List<Probe> probes = new ArrayList<>();
        for (JsonNode builtin : compiled) {
            generate(builtin, values, arities, templates, rules, probes);
        }
        for (String operator : operators) {
            if (!NOT_PROBED.containsKey(operator)) {
                generateOperator(operator, values, arities, templates, rules, probes);
            }
        }

        BuiltinProbes first = declare(arities, templates, rules, false);
        probes.forEach(p -> first.call(p.key(), p.args()));
        List<OpaDifferential.Pair> pairs = first.run();

        // Mismatches that are only the result reader's double rounding of a long decimal: compare as text.
        List<String> mismatches = new ArrayList<>();
        List<Probe> again = new ArrayList<>();
        for (int i = 0; i < pairs.size(); i++) {
            OpaDifferential.Pair pair = pairs.get(i);
            if (pair.matches()) {
                continue;
            }
            if (roundedByResultReader(pair) && !rules.containsKey(probes.get(i).key())) {
                again.add(probes.get(i));
            } else {
                mismatches.add(pair.toString());
            }
        }
        int textProbes = again.size();
        if (!again.isEmpty()) {
            BuiltinProbes second = declare(arities, templates, rules, true);
            again.forEach(p -> second.call(p.key() + BuiltinProbes.TEXT, p.args()));
            for (OpaDifferential.Pair pair : second.run()) {
                if (!pair.matches()) {
                    mismatches.add(pair.toString());
                }
            }
        }

        Map<String, Integer> perBuiltin = new TreeMap<>();
        Map<String, Integer> definedPerBuiltin = new TreeMap<>();
        for (int i = 0; i < probes.size(); i++) {
            String builtin = builtinOf(probes.get(i).key());
            perBuiltin.merge(builtin, 1, Integer::sum);
            if (pairs.get(i).opa().kind() == OpaDifferential.Outcome.Kind.VALUE) {
                definedPerBuiltin.merge(builtin, 1, Integer::sum);
            }
        }
        log.info("{} compiled-in builtins and {} operators probed with {} probes ({} again as text): {}",
                compiled.size(), operators.size() - NOT_PROBED.size(), probes.size(), textProbes, perBuiltin);
        log.info("probes with a defined value per builtin: {}", definedPerBuiltin);

        assertThat(mismatches).as("probes that differ from opa (of %d)", probes.size()).isEmpty();
        for (JsonNode builtin : compiled) {
            String name = builtin.get("name").asText();
            int min = builtin.path("decl").path("args").isEmpty() ? 6 : MIN_PROBES;
            assertThat(perBuiltin.getOrDefault(name, 0)).as("probes of %s", name).isGreaterThanOrEqualTo(min);
            assertThat(definedPerBuiltin.getOrDefault(name, 0)).as("probes of %s with a value", name)
                    .isGreaterThanOrEqualTo(min / 10);
        }
        assertThat(NOT_PROBED.keySet()).as("operators exempt from probes")
                .allMatch(name -> selected != null || operators.contains(name));
        for (String operator : operators) {
            if (!NOT_PROBED.containsKey(operator)) {
                assertThat(perBuiltin.getOrDefault(operator, 0)).as("probes of %s", operator)
                        .isGreaterThanOrEqualTo(MIN_PROBES);
            }
        }
    }

    /** A wasm module calling every builtin of {@code builtins} on input operands, with set iteration and {@code in}. */
    private byte[] moduleCalling(List<JsonNode> builtins) throws Exception {
        StringBuilder rego = new StringBuilder("package probe\n\nout := [\n");
        for (JsonNode builtin : builtins) {
            String name = builtin.get("name").asText();
            List<String> operands = new ArrayList<>();
            for (int a = 0; a < builtin.path("decl").path("args").size(); a++) {
                operands.add("input.a" + a);
            }
            String call = name + "(" + String.join(", ", operands) + ")";
            rego.append("\t").append(switch (name) {
                case "walk" -> "[x | walk(input.a0, x)]";
                case "print" -> "[1 | print(input.a0)]";
                default -> call;
            }).append(",\n");
        }
        rego.append("\t[x | some x in input.s],\n\tinput.a in input.s,\n\t[k | some k, v in input.o],\n]\n");
        Path src = Files.createDirectories(work.resolve("accepted"));
        Files.writeString(src.resolve("p.rego"), rego);
        Path bundle = work.resolve("accepted.tar.gz");
        OpaBinary.run(work, List.of("build", "-t", "wasm", "-e", "probe/out", "-b",
                src.toString(), "-o", bundle.toString()));
        return OpaBundle.read(Files.readAllBytes(bundle), BundleVerification.insecureUnsigned())
                .policyWasm();
    }

    /** The builtin a probe key stands for: the key up to a variant ({@code @...}) or text suffix. */
    private static String builtinOf(String key) {
        int cut = key.length();
        for (char c : new char[] {'@', '#'}) {
            int at = key.indexOf(c);
            if (at > 0) {
                cut = Math.min(cut, at);
            }
        }
        return key.substring(0, cut);
    }

    private static BuiltinProbes declare(Map<String, Integer> arities, Map<String, String> templates,
            Map<String, String> rules, boolean asText) {
        BuiltinProbes probes = new BuiltinProbes().canonicalSets().batched(BATCH);
        for (Map.Entry<String, Integer> key : arities.entrySet()) {
            String name = key.getKey();
            int arity = key.getValue();
            if (rules.containsKey(name)) {
                probes.rules(name, arity, rules.get(name));
            } else if (templates.containsKey(name)) {
                probes.template(name, arity, templates.get(name));
                if (asText) {
                    probes.template(name + BuiltinProbes.TEXT, arity, "sprintf(\"%v\", [" + templates.get(name) + "])");
                }
            } else {
                probes.builtin(name, arity);
                if (asText) {
                    probes.builtinAsText(name, arity);
                }
            }
        }
        return probes;
    }

    /**
     * Whether the two values are equal once every number in both is rounded to a double: the engine's result
     * reader reads decimals as doubles, so such a pair is compared again as text.
     */
    static boolean roundedByResultReader(OpaDifferential.Pair pair) {
        if (pair.opa().kind() != OpaDifferential.Outcome.Kind.VALUE
                || pair.embedded().kind() != OpaDifferential.Outcome.Kind.VALUE) {
            return false;
        }
        return new OpaDifferential.Outcome(OpaDifferential.Outcome.Kind.VALUE, roundNumbers(pair.opa().value()), "")
                .sameAs(new OpaDifferential.Outcome(OpaDifferential.Outcome.Kind.VALUE,
                        roundNumbers(pair.embedded().value()), ""));
    }

    private static JsonNode roundNumbers(JsonNode value) {
        if (value.isNumber()) {
            return DoubleNode.valueOf(value.isDouble() ? value.doubleValue() : value.decimalValue().doubleValue());
        }
        if (value.isArray()) {
            ArrayNode copy = BuiltinProbes.NODES.arrayNode();
            value.forEach(e -> copy.add(roundNumbers(e)));
            return copy;
        }
        if (value.isObject()) {
            ObjectNode copy = BuiltinProbes.NODES.objectNode();
            for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                copy.set(field.getKey(), roundNumbers(field.getValue()));
            }
            return copy;
        }
        return value;
    }

    // ---- generation --------------------------------------------------------------------------------------------

    private static void generate(JsonNode builtin, ProbeValues values, Map<String, Integer> arities,
            Map<String, String> templates, Map<String, String> rules, List<Probe> probes) {
        String name = builtin.get("name").asText();
        JsonNode args = builtin.path("decl").path("args");
        switch (name) {
            case "print" -> {
                for (int arity = 1; arity <= 3; arity++) {
                    String key = "print@" + arity;
                    StringBuilder call = new StringBuilder();
                    for (int i = 0; i < arity; i++) {
                        call.append(i > 0 ? ", @" : "@").append(i);
                    }
                    templates.put(key, "[1 | print(" + call + ")]");
                    arities.put(key, arity);
                    for (int k = 0; k < 110; k++) {
                        Object[] tuple = new Object[arity];
                        for (int i = 0; i < arity; i++) {
                            tuple[i] = values.any(2);
                        }
                        probes.add(new Probe(key, tuple));
                    }
                }
                return;
            }
            case "rego.metadata.rule", "rego.metadata.chain" -> {
                List<String> annotations = annotations();
                for (int v = 0; v < annotations.size(); v++) {
                    String key = name + "@" + v;
                    rules.put(key, annotations.get(v) + "out := " + name + "() if input.f == \"" + key + "\"\n");
                    arities.put(key, 0);
                    probes.add(new Probe(key, new Object[0]));
                }
                String key = name + "@function";
                rules.put(key, "# METADATA\n# title: in a function\nmeta_" + name.replace('.', '_') + "(x) := [x, "
                        + name + "()]\n\nout := meta_" + name.replace('.', '_') + "(1) if input.f == \"" + key + "\"\n");
                arities.put(key, 0);
                probes.add(new Probe(key, new Object[0]));
                return;
            }
            case "walk" -> {
                // As sets: the order in which the module iterates objects and sets is its own (docs/policy.md).
                templates.put("walk", "{[p, v] | walk(@0, [p, v])}");
                templates.put("walk@values", "{v | walk(@0, [_, v])}");
                arities.put("walk", 1);
                arities.put("walk@values", 1);
                List<Object[]> tuples = tuples(name, args, values);
                for (int i = 0; i < tuples.size(); i++) {
                    probes.add(new Probe(i % 3 == 2 ? "walk@values" : "walk", tuples.get(i)));
                }
                return;
            }
            default -> {
            }
        }
        if (builtin.path("relation").asBoolean(false) || !builtin.path("decl").has("result")) {
            throw new IllegalStateException(name + " is a relation or has no result: give it a probe form");
        }
        arities.put(name, args.size());
        String infix = builtin.path("infix").asText("");
        if (!infix.isEmpty() && args.size() == 2) {
            templates.put(name + "@infix", "@0 " + infix + " @1");
            arities.put(name + "@infix", 2);
        }
        List<Object[]> tuples = tuples(name, args, values);
        for (int i = 0; i < tuples.size(); i++) {
            probes.add(new Probe(!infix.isEmpty() && args.size() == 2 && i % 4 == 3 ? name + "@infix" : name,
                    tuples.get(i)));
        }
    }

    private static void generateOperator(String operator, ProbeValues values, Map<String, Integer> arities,
            Map<String, String> templates, Map<String, String> rules, List<Probe> probes) {
        List<Object[]> tuples = new ArrayList<>();
        switch (operator) {
            case "eq" -> {
                templates.put("eq", "[x | x := @0; x = @1]");
                arities.put("eq", 2);
                tuples.addAll(relatedPairs(values, 520));
            }
            case "internal.member_2" -> {
                templates.put(operator, "@0 in @1");
                arities.put(operator, 2);
                for (int i = 0; i < 480; i++) {
                    Object collection = collection(values);
                    tuples.add(new Object[] {memberOf(values, collection, false), collection});
                }
            }
            case "internal.member_3" -> {
                templates.put(operator, "(@0, @1 in @2)");
                arities.put(operator, 3);
                for (int i = 0; i < 480; i++) {
                    Object collection = collection(values);
                    Object key = memberOf(values, collection, true);
                    Object value = values.random().nextInt(3) == 0 ? values.any(1) : valueAt(collection, key, values);
                    tuples.add(new Object[] {key, value, collection});
                }
            }
            case "internal.template_string" -> {
                templates.put(operator, "$\"{@0}\"");
                templates.put(operator + "@2", "$\"<{@0}|{@1}> é\"");
                arities.put(operator, 1);
                arities.put(operator + "@2", 2);
                for (int i = 0; i < 480; i++) {
                    if (i % 3 == 0) {
                        probes.add(new Probe(operator + "@2", new Object[] {values.any(2), values.any(2)}));
                    } else {
                        probes.add(new Probe(operator, new Object[] {values.any(2)}));
                    }
                }
                return;
            }
            default -> throw new IllegalStateException("operator " + operator + " has no probes: add them, or add "
                    + "it to NOT_PROBED with the reason");
        }
        for (Object[] tuple : distinctTuples(tuples)) {
            probes.add(new Probe(operator, tuple));
        }
    }

    /**
     * Domain and wrong-type operand tuples for {@code name}, then typed ones until there are {@link #TYPED} more
     * than {@link #MIN_PROBES}; without repeats, within size caps.
     */
    private static List<Object[]> tuples(String name, JsonNode args, ProbeValues values) {
        Map<String, Object[]> distinct = new LinkedHashMap<>();
        List<Object[]> seeds = new ArrayList<>(domain(name, values));
        for (int a = 0; a < args.size(); a++) {
            for (int k = 0; k < 6; k++) {
                Object wrong = values.wrong(args.get(a));
                if (wrong == null) {
                    break;
                }
                Object[] tuple = new Object[args.size()];
                for (int b = 0; b < args.size(); b++) {
                    tuple[b] = b == a ? ((ProbeValues.Wrong) wrong).value() : values.of(args.get(b), 2);
                }
                seeds.add(tuple);
            }
        }
        seeds.forEach(tuple -> add(name, tuple, distinct));
        for (int attempt = 0; attempt < 20 * TYPED && distinct.size() < MIN_PROBES + TYPED; attempt++) {
            Object[] tuple = new Object[args.size()];
            for (int a = 0; a < args.size(); a++) {
                tuple[a] = values.of(args.get(a), 2);
            }
            add(name, tuple, distinct);
        }
        return new ArrayList<>(distinct.values());
    }

    private static void add(String name, Object[] tuple, Map<String, Object[]> distinct) {
        if (withinCaps(name, tuple)) {
            distinct.putIfAbsent(BuiltinProbes.tree(Arrays.asList(tuple)).toString(), tuple);
        }
    }

    private static List<Object[]> distinctTuples(List<Object[]> tuples) {
        Map<String, Object[]> distinct = new LinkedHashMap<>();
        for (Object[] tuple : tuples) {
            distinct.putIfAbsent(BuiltinProbes.tree(Arrays.asList(tuple)).toString(), tuple);
        }
        return new ArrayList<>(distinct.values());
    }

    /** No probe allocates without bound: ranges and shifts from numbers are capped. */
    private static boolean withinCaps(String name, Object[] tuple) {
        switch (name) {
            case "numbers.range" -> {
                BigDecimal a = ProbeValues.decimal(tuple[0]);
                BigDecimal b = ProbeValues.decimal(tuple[1]);
                return a == null || b == null || a.subtract(b).abs().compareTo(BigDecimal.valueOf(5000)) <= 0;
            }
            case "bits.lsh" -> {
                BigDecimal shift = ProbeValues.decimal(tuple[1]);
                return shift == null || shift.compareTo(BigDecimal.valueOf(512)) <= 0;
            }
            default -> {
                return true;
            }
        }
    }

    /** Annotation blocks for rego.metadata.*: unicode, numbers, nested custom values, every field kind. */
    private static List<String> annotations() {
        return List.of("",
                "# METADATA\n# title: plain\n",
                "# METADATA\n# title: Ünïcödé 😀 \"quoted\"\n# description: |\n#   two\n#   lines\n",
                "# METADATA\n# custom:\n#   n: 1.5\n#   big: 123456789012345678901234\n#   neg: -0.0\n"
                        + "#   list: [1, \"a\", null, true]\n#   nested: {a: {b: [1.0, 2e3]}}\n",
                "# METADATA\n# authors:\n# - Jane Doe <jane@example.com>\n# organizations:\n# - Acme\n"
                        + "# related_resources:\n# - https://example.com/a\n# - ref: https://example.com/b\n"
                        + "#   description: b\n",
                "# METADATA\n# scope: rule\n# title: scoped\n# custom:\n#   severity: HIGH\n#   empty: {}\n",
                "# METADATA\n# description: \"tab\\tand newline\\n\"\n# custom:\n#   key with spaces: \"\"\n");
    }

    // ---- domains -----------------------------------------------------------------------------------------------

    private static final List<String> GLOB_PATTERNS = List.of("*", "?", "**", "a*", "*a", "a?c", "[abc]", "[a-c]",
            "[!a]", "[^a]", "{a,b}", "{a,b}*", "*.example.com", "**.example.com", "api.*.users", "api.**", "\\*",
            "\\", "[", "[a", "{a", "{a,b", "a]", "*/*", "/api/*", "/api/**", "é*", "*😀*", "", "a", "[[]", "[]]",
            "{}", "{,}", "{a,{b,c}}", "[a-]", "[-a]", "?.?", "*.*.*", "a.b", "a\\.b", "[é-ë]", "{*,?}");
    private static final List<String> REGEX_PATTERNS = List.of("", "a", "^a", "a$", "^a$", ".", ".*", "a+", "a*?",
            "[abc]", "[^abc]", "[a-z]+", "\\d+", "\\w+", "\\s", "\\S+", "\\bfoo\\b", "(a)(b)?", "(?i)abc", "(?s).",
            "(?m)^a", "(?U)a+", "a{2}", "a{2,}", "a{,2}", "a{2,3}", "a{1001}", "(a|b)+", "(?:ab)+", "(?P<n>a)",
            "(?<n>a)", "\\pL", "\\p{Greek}", "\\PL", "\\p{Lu}+", "[[:alpha:]]+", "[[:^digit:]]", "\\Qa.b\\E", "\\x41",
            "\\x{1F600}", "\\u0041", "\\C", "\\z", "\\Z", "\\A", "(?=a)", "(?!a)", "(?<=a)", "\\1", "(a)\\1", "a**",
            "a++", "(", ")", "[", "]", "[a", "a{", "{", "*", "+a", "x{2}{3}", "é+", "😀", "[😀-😂]", "^/api/v[0-9]+/",
            "^[a-z0-9._%+-]+@[a-z0-9.-]+\\.[a-z]{2,}$", "(\\d+)-(\\d+)", "(a*)*", "(a|)+", "\\.", "\\", "\\e", "\\k",
            "(?i)ß", "(?i)K", "[\\d-z]", "\\n", "\\t", "a\\x00b", "\\.\\*", "(?i:a)b", "(?-i)a", "(?x) a b",
            "^$", "$^", "\\B", "(?s:.)+", ".+?", "[^\\x00-\\x7F]", "\\p{Han}");
    private static final List<String> CIDRS = List.of("10.0.0.0/8", "10.1.0.0/16", "10.0.0.1/32", "192.168.1.0/24",
            "192.168.1.128/25", "0.0.0.0/0", "169.254.0.0/16", "169.254.169.254/32", "127.0.0.1/8", "10.0.0.1",
            "::/0", "::1/128", "fe80::/10", "fe80::1/64", "2001:db8::/32", "2001:db8::1/128", "::ffff:0:0/96",
            "::ffff:10.0.0.1/128", "::ffff:a9fe:a9fe/128", "1.2.3.4/33", "1.2.3/24", "1.2.3.4/-1", "1.2.3.4/",
            "256.0.0.0/8", "010.0.0.0/8", " 10.0.0.0/8", "10.0.0.0/8 ", "2001:db8::/129", "", "a.b.c.d/8",
            "10.0.0.0/08", "::/0/1", "fe80::1%eth0/64", "10.0.0.0/8/32", "1.2.3.4", "::");
    private static final List<String> NUMERIC_STRINGS = List.of("0", "1", "-1", "+1", "1.5", "-1.5", ".5", "5.",
            "1e3", "1E3", "1e+3", "1e-3", "-0", "-0.0", "00", "007", "0x10", "0b1", "0o7", "1_000", " 1", "1 ", "",
            "NaN", "Inf", "-Inf", "Infinity", "1e400", "1e-400", "123456789012345678901234.5",
            "9007199254740993", "18446744073709551616", "1.00000000000000000001", "١", "１", "1,5", "--1", "1e",
            "e1", "true", "null", "0.1", "3.14159265358979323846264338327950288", "-9223372036854775809");
    private static final Map<String, Object> NESTED = nested();

    private static Map<String, Object> nested() {
        Map<String, Object> b = new LinkedHashMap<>();
        b.put("c", 1);
        b.put("d", List.of(1, 2));
        Map<String, Object> a = new LinkedHashMap<>();
        a.put("b", b);
        a.put("é", "x");
        Map<String, Object> root = new LinkedHashMap<>();
        root.put("a", a);
        root.put("e", List.of(1, Map.of("f", 3), List.of(4)));
        root.put("g", null);
        root.put("", 0);
        root.put("a/b", "slash");
        return root;
    }

    private static final List<Object> PATHS = List.of("a", "a/b", "a/b/c", "a/b/d/0", "e", "e/1/f", "e/0", "e/2/0",
            "g", "", "/", "/a", "a/", "a//b", "x", "a/b/c/d", "a~1b", List.of("a", "b"), List.of("e", 1),
            List.of("e", "1"), List.of(), List.of("a/b"), List.of("a", List.of("b")), 1, List.of("a", 1.5), "é", "a/é");

    private static List<Object[]> domain(String name, ProbeValues v) {
        Random r = v.random();
        List<Object[]> t = new ArrayList<>();
        Supplier<String> s = v::string;
        switch (name) {
            case "abs", "ceil", "floor", "round" -> {
                for (int i = 0; i < 80; i++) {
                    t.add(new Object[] {i % 2 == 0 ? (r.nextInt(4001) - 2000) / 4.0 : (r.nextInt(201) - 100) / 10.0});
                }
                for (String e : List.of("-0.1", "-0.5", "0.5", "-1.5", "2.5", "-2.5", "2.5000000000000000001",
                        "-2.4999999999999999999", "12345678901234567890123456789.5", "1e20", "-1e20", "9007199254740993")) {
                    t.add(new Object[] {BuiltinProbes.exact(e)});
                }
            }
            case "array.concat" -> {
                for (int i = 0; i < 60; i++) {
                    t.add(new Object[] {smallArray(v), smallArray(v)});
                }
            }
            case "array.flatten", "array.reverse" -> {
                for (int i = 0; i < 60; i++) {
                    List<Object> a = new ArrayList<>();
                    for (int k = 0, n = r.nextInt(5); k < n; k++) {
                        a.add(r.nextBoolean() ? smallArray(v) : v.any(1));
                    }
                    t.add(new Object[] {a});
                }
            }
            case "array.slice" -> {
                for (int i = 0; i < 120; i++) {
                    t.add(new Object[] {smallArray(v), index(v), index(v)});
                }
            }
            case "base64url.decode" -> {
                for (int i = 0; i < 140; i++) {
                    byte[] bytes = i % 3 == 0 ? randomBytes(r) : v.string().getBytes(StandardCharsets.UTF_8);
                    String encoded = Base64.getUrlEncoder().encodeToString(bytes);
                    t.add(new Object[] {switch (i % 7) {
                        case 0 -> encoded.replace("=", "");
                        case 1 -> Base64.getEncoder().encodeToString(bytes);
                        case 2 -> encoded + "=";
                        case 3 -> " " + encoded;
                        case 4 -> encoded.isEmpty() ? "=" : encoded.substring(1);
                        default -> encoded;
                    }});
                }
                for (String e : List.of("YQ", "YQ=", "YQ==", "YQ===", "Y", "====", "_-8", "+/8=", "YWJj\n", "YW Jj",
                        "YWJj!", "w4k", "w4k=", "4pyT", "8J-YgA", "8J-YgA==", "_w", "_w==", "gA==", "wA==", "7aCA")) {
                    t.add(new Object[] {e});
                }
            }
            case "bits.and", "bits.or", "bits.xor", "bits.lsh", "bits.rsh" -> {
                boolean shift = name.endsWith("sh");
                for (int i = 0; i < 120; i++) {
                    t.add(new Object[] {integer(v), shift ? (Object) (long) (r.nextInt(80) - 4) : integer(v)});
                }
            }
            case "bits.negate" -> {
                for (int i = 0; i < 100; i++) {
                    t.add(new Object[] {integer(v)});
                }
            }
            case "concat" -> {
                for (int i = 0; i < 100; i++) {
                    List<Object> parts = new ArrayList<>();
                    for (int k = 0, n = r.nextInt(5); k < n; k++) {
                        parts.add(r.nextInt(12) == 0 ? v.scalar() : s.get());
                    }
                    t.add(new Object[] {r.nextBoolean() ? v.pick(List.of(",", "", ", ", "é", "\n", "😀")) : s.get(),
                            r.nextBoolean() ? parts : BuiltinProbes.set(ProbeValues.distinct(parts).toArray())});
                }
            }
            case "contains", "startswith", "endswith", "indexof", "trim_prefix", "trim_suffix", "split" -> {
                for (int i = 0; i < 140; i++) {
                    String a = s.get();
                    t.add(new Object[] {a, related(v, a)});
                }
            }
            case "trim", "trim_left", "trim_right" -> {
                for (int i = 0; i < 140; i++) {
                    String a = s.get();
                    String cutset = related(v, a);
                    t.add(new Object[] {r.nextBoolean() ? cutset + a + cutset : a, cutset});
                }
            }
            case "trim_space" -> {
                for (int i = 0; i < 100; i++) {
                    String pad = v.randomString(r.nextInt(3));
                    t.add(new Object[] {v.pick(List.of(" ", "\t", "\n", "\u00A0", "\u2028", "\u3000", "\uFEFF",
                            "\u0085", "\u200B", "\u000B", "\r\n", "")) + s.get() + pad});
                }
            }
            case "replace" -> {
                for (int i = 0; i < 140; i++) {
                    String a = s.get();
                    t.add(new Object[] {a, related(v, a), r.nextBoolean() ? s.get() : v.pick(List.of("", "x", "é"))});
                }
            }
            case "strings.replace_n" -> {
                for (int i = 0; i < 140; i++) {
                    String a = s.get();
                    Map<String, Object> patterns = new LinkedHashMap<>();
                    for (int k = 0, n = r.nextInt(4); k < n; k++) {
                        patterns.put(related(v, a), r.nextInt(15) == 0 ? v.scalar() : s.get());
                    }
                    t.add(new Object[] {patterns, a});
                }
            }
            case "substring" -> {
                for (int i = 0; i < 140; i++) {
                    String a = s.get();
                    int n = a.codePointCount(0, a.length());
                    t.add(new Object[] {a, position(v, n), position(v, n)});
                }
            }
            case "lower", "upper", "strings.reverse", "base64.encode", "base64url.encode" -> {
                for (int i = 0; i < 120; i++) {
                    t.add(new Object[] {v.randomString(1 + r.nextInt(20))});
                }
            }
            case "count", "is_array", "is_boolean", "is_null", "is_number", "is_object", "is_set", "is_string",
                    "type_name", "walk", "object.keys" -> {
                for (int i = 0; i < 100; i++) {
                    t.add(new Object[] {name.equals("object.keys") ? smallObject(v) : v.any(2)});
                }
            }
            case "div", "mul", "plus", "rem", "minus" -> {
                for (int i = 0; i < 140; i++) {
                    t.add(new Object[] {arithmetic(v), arithmetic(v)});
                }
                if (name.equals("minus")) {
                    for (int i = 0; i < 40; i++) {
                        t.add(new Object[] {smallSet(v), smallSet(v)});
                    }
                }
            }
            case "equal", "neq", "gt", "gte", "lt", "lte" -> t.addAll(relatedPairs(v, 160));
            case "glob.match" -> {
                for (int i = 0; i < 200; i++) {
                    String pattern = v.pick(GLOB_PATTERNS);
                    Object delimiters = switch (r.nextInt(7)) {
                        case 0 -> null;
                        case 1 -> List.of();
                        case 2 -> List.of(":");
                        case 3 -> List.of(".", "/");
                        case 4 -> List.of("é");
                        case 5 -> List.of("ab");
                        default -> List.of(".");
                    };
                    t.add(new Object[] {pattern, delimiters, globSubject(v, pattern)});
                }
            }
            case "graph.reachable" -> {
                for (int i = 0; i < 120; i++) {
                    t.add(new Object[] {graph(v), r.nextBoolean() ? vertices(v) : BuiltinProbes.set(
                            ProbeValues.distinct(vertices(v)).toArray())});
                }
            }
            case "intersection", "union" -> {
                for (int i = 0; i < 120; i++) {
                    List<Object> sets = new ArrayList<>();
                    for (int k = 0, n = r.nextInt(4); k < n; k++) {
                        sets.add(smallSet(v));
                    }
                    t.add(new Object[] {BuiltinProbes.set(ProbeValues.distinct(sets).toArray())});
                }
            }
            case "and", "or" -> {
                for (int i = 0; i < 100; i++) {
                    t.add(new Object[] {smallSet(v), smallSet(v)});
                }
            }
            case "json.filter", "json.remove" -> {
                for (int i = 0; i < 160; i++) {
                    List<Object> paths = new ArrayList<>();
                    for (int k = 0, n = r.nextInt(4); k < n; k++) {
                        paths.add(v.pick(PATHS));
                    }
                    t.add(new Object[] {r.nextInt(4) == 0 ? smallObject(v) : NESTED,
                            r.nextBoolean() ? paths : BuiltinProbes.set(ProbeValues.distinct(paths).toArray())});
                }
            }
            case "max", "min", "sort", "sum", "product" -> {
                boolean numbers = name.equals("sum") || name.equals("product");
                for (int i = 0; i < 120; i++) {
                    List<Object> elements = new ArrayList<>();
                    for (int k = 0, n = r.nextInt(6); k < n; k++) {
                        elements.add(numbers || r.nextBoolean() ? arithmetic(v) : v.any(1));
                    }
                    t.add(new Object[] {r.nextBoolean() ? elements
                            : BuiltinProbes.set(ProbeValues.distinct(elements).toArray())});
                }
            }
            case "net.cidr_intersects", "net.cidr_contains" -> {
                for (int i = 0; i < 200; i++) {
                    t.add(new Object[] {v.pick(CIDRS), v.pick(CIDRS)});
                }
            }
            case "format_int" -> {
                for (int i = 0; i < 160; i++) {
                    t.add(new Object[] {v.number(), List.of(2, 8, 10, 16).get(i % 4)});
                }
            }
            case "base64.decode", "base64.is_valid" -> {
                for (int i = 0; i < 140; i++) {
                    byte[] bytes = i % 3 == 0 ? randomBytes(r) : v.string().getBytes(StandardCharsets.UTF_8);
                    String encoded = Base64.getEncoder().encodeToString(bytes);
                    t.add(new Object[] {switch (i % 6) {
                        case 0 -> encoded.replace("=", "");
                        case 1 -> Base64.getUrlEncoder().encodeToString(bytes);
                        case 2 -> " " + encoded;
                        case 3 -> encoded + "\n";
                        default -> encoded;
                    }});
                }
            }
            case "json.unmarshal", "json.is_valid" -> {
                for (int i = 0; i < 140; i++) {
                    String json = BuiltinProbes.MAPPER.valueToTree(List.of(v.string(), i, Map.of("k", v.string())))
                            .toString();
                    t.add(new Object[] {switch (i % 7) {
                        case 0 -> json + " x";
                        case 1 -> json.replace("]", ",]");
                        case 2 -> " " + json + "\n";
                        case 3 -> String.valueOf(i % 2 == 0 ? "0" + i : i + ".50");
                        case 4 -> "{\"a\": " + i + ", \"a\": " + (i + 1) + "}";
                        default -> json;
                    }});
                }
                for (String e : List.of("true", "null", "1 null", "\"\\ud800\"", "1e400", "-0", "[]", "{}", "",
                        " ", "[1,]", "{\"a\":1}garbage", "\"\\u00e9\"", "007", "[[[[[[1]]]]]]")) {
                    t.add(new Object[] {e});
                }
            }
            case "numbers.range" -> {
                for (int i = 0; i < 120; i++) {
                    long a = r.nextInt(41) - 20;
                    t.add(new Object[] {a, i % 10 == 0 ? (Object) (a + 0.5) : (Object) (a + r.nextInt(41) - 20)});
                }
                for (Object[] e : List.of(new Object[] {Long.MAX_VALUE - 2, Long.MAX_VALUE},
                        new Object[] {Long.MAX_VALUE, java.math.BigInteger.TWO.pow(63).add(java.math.BigInteger.TWO)},
                        new Object[] {Long.MIN_VALUE, Long.MIN_VALUE + 3}, new Object[] {1.0, 3.0},
                        new Object[] {BuiltinProbes.exact("1.0"), 3}, new Object[] {BuiltinProbes.exact("1e2"), 101},
                        new Object[] {-0.0, 2}, new Object[] {BuiltinProbes.exact("-0"), -2})) {
                    t.add(e);
                }
            }
            case "object.filter", "object.remove" -> {
                for (int i = 0; i < 160; i++) {
                    List<Object> keys = new ArrayList<>();
                    for (int k = 0, n = r.nextInt(4); k < n; k++) {
                        keys.add(r.nextInt(6) == 0 ? v.scalar() : v.pick(List.of("a", "b", "c", "é", "", "x")));
                    }
                    Object keysOperand = switch (r.nextInt(3)) {
                        case 0 -> keys;
                        case 1 -> BuiltinProbes.set(ProbeValues.distinct(keys).toArray());
                        default -> {
                            Map<String, Object> object = new LinkedHashMap<>();
                            keys.forEach(k -> object.put(String.valueOf(k), v.scalar()));
                            yield object;
                        }
                    };
                    t.add(new Object[] {smallObject(v), keysOperand});
                }
            }
            case "object.get" -> {
                for (int i = 0; i < 160; i++) {
                    Object key = switch (r.nextInt(4)) {
                        case 0 -> v.pick(List.of("a", "b", "c", "é", "", "x", "e"));
                        case 1 -> v.pick(PATHS);
                        case 2 -> v.scalar();
                        default -> List.of(v.pick(List.of("a", "e", "x")), v.pick(List.of("b", 0, 1, "c", 2)));
                    };
                    t.add(new Object[] {r.nextBoolean() ? NESTED : smallObject(v), key, v.any(1)});
                }
            }
            case "object.union" -> {
                for (int i = 0; i < 140; i++) {
                    t.add(new Object[] {smallObject(v), smallObject(v)});
                }
            }
            case "object.union_n" -> {
                for (int i = 0; i < 140; i++) {
                    List<Object> objects = new ArrayList<>();
                    for (int k = 0, n = r.nextInt(4); k < n; k++) {
                        objects.add(r.nextInt(10) == 0 ? v.any(1) : smallObject(v));
                    }
                    t.add(new Object[] {objects});
                }
            }
            case "regex.is_valid" -> {
                for (String pattern : REGEX_PATTERNS) {
                    t.add(new Object[] {pattern});
                }
                for (int i = 0; i < 60; i++) {
                    t.add(new Object[] {v.pick(REGEX_PATTERNS) + v.pick(REGEX_PATTERNS)});
                }
            }
            case "regex.match" -> {
                for (int i = 0; i < 220; i++) {
                    String pattern = v.pick(REGEX_PATTERNS);
                    t.add(new Object[] {pattern, regexSubject(v, pattern)});
                }
            }
            case "regex.find_all_string_submatch_n" -> {
                for (int i = 0; i < 200; i++) {
                    String pattern = v.pick(REGEX_PATTERNS);
                    String subject = regexSubject(v, pattern);
                    t.add(new Object[] {pattern, subject + subject, v.pick(List.of(-1L, -1L, 0L, 1L, 2L, 3L, -2L, 1.5,
                            1.0, Long.MAX_VALUE, BuiltinProbes.exact("1e2")))});
                }
            }
            case "to_number" -> {
                for (String e : NUMERIC_STRINGS) {
                    t.add(new Object[] {e});
                }
                for (int i = 0; i < 80; i++) {
                    t.add(new Object[] {String.valueOf(i % 2 == 0 ? r.nextGaussian() * Math.pow(10, r.nextInt(30))
                            : r.nextLong())});
                }
            }
            default -> {
            }
        }
        return t;
    }

    /** A value, and sometimes one equal to it in another form, near it, or of another type: for comparisons. */
    private static List<Object[]> relatedPairs(ProbeValues v, int n) {
        Random r = v.random();
        List<Object[]> t = new ArrayList<>();
        List<Object[]> equalForms = List.of(new Object[] {1L, 1.0}, new Object[] {1L, BuiltinProbes.exact("1.0")},
                new Object[] {100L, BuiltinProbes.exact("1e2")}, new Object[] {0L, -0.0},
                new Object[] {0L, BuiltinProbes.exact("-0")}, new Object[] {2.5, BuiltinProbes.exact("2.50")},
                new Object[] {BuiltinProbes.set(1L, 2L), BuiltinProbes.set(2L, 1L)},
                new Object[] {List.of(1L, 2L), List.of(1L, 2L, 3L)}, new Object[] {"é", "e\u0301"},
                new Object[] {"a", "A"}, new Object[] {"a", "ab"}, new Object[] {List.of(), BuiltinProbes.set()},
                new Object[] {Map.of(), List.of()}, new Object[] {Map.of("a", 1L), Map.of("a", 1.0)},
                new Object[] {Map.of("a", 1L), Map.of("b", 1L)}, new Object[] {null, false},
                new Object[] {false, 0L}, new Object[] {"1", 1L},
                new Object[] {java.math.BigInteger.TWO.pow(64), 1.8446744073709552E19},
                new Object[] {9007199254740993L, 9007199254740992.0},
                new Object[] {BuiltinProbes.exact("0.1000000000000000000001"), 0.1},
                new Object[] {BuiltinProbes.exact("1e400"), Double.MAX_VALUE},
                new Object[] {BuiltinProbes.exact("-1e400"), BuiltinProbes.exact("1e-400")},
                new Object[] {BuiltinProbes.object(1L, "a"), Map.of("1", "a")},
                new Object[] {BuiltinProbes.set(List.of(1L)), BuiltinProbes.set(List.of(1.0))});
        t.addAll(equalForms);
        for (Object[] pair : equalForms) {
            t.add(new Object[] {pair[1], pair[0]});
        }
        while (t.size() < n) {
            Object a = v.any(2);
            Object b = switch (r.nextInt(4)) {
                case 0 -> a;
                case 1 -> v.of(ProbeValues.kindOf(a), 2);
                default -> v.any(2);
            };
            t.add(new Object[] {a, b});
        }
        return t;
    }

    /** {@code a}'s substring, prefix, suffix, itself, the empty string, or another string. */
    private static String related(ProbeValues v, String a) {
        Random r = v.random();
        int[] cps = a.codePoints().toArray();
        int n = cps.length;
        int from = n == 0 ? 0 : r.nextInt(n + 1);
        int to = from + (n - from == 0 ? 0 : r.nextInt(n - from + 1));
        return switch (r.nextInt(8)) {
            case 0 -> "";
            case 1 -> a;
            case 2 -> new String(cps, 0, to);
            case 3 -> new String(cps, from, n - from);
            case 4, 5 -> new String(cps, from, to - from);
            case 6 -> a + "x";
            default -> v.string();
        };
    }

    private static List<Object> smallArray(ProbeValues v) {
        List<Object> a = new ArrayList<>();
        for (int i = 0, n = v.random().nextInt(6); i < n; i++) {
            a.add(v.random().nextInt(3) == 0 ? v.any(1) : v.pick(List.of(1L, 2L, "a", "b", true, List.of(1L))));
        }
        return a;
    }

    private static Object smallSet(ProbeValues v) {
        List<Object> elements = new ArrayList<>();
        for (int i = 0, n = v.random().nextInt(5); i < n; i++) {
            elements.add(v.random().nextInt(4) == 0 ? v.any(1) : v.pick(List.of(1L, 2L, 3L, "a", 1.5, List.of(1L))));
        }
        return BuiltinProbes.set(ProbeValues.distinct(elements).toArray());
    }

    private static Object smallObject(ProbeValues v) {
        Random r = v.random();
        if (r.nextInt(8) == 0) {
            return BuiltinProbes.object(1L, "one", List.of("a"), 2L, "a", Map.of("b", 1L));
        }
        Map<String, Object> object = new LinkedHashMap<>();
        for (int i = 0, n = r.nextInt(5); i < n; i++) {
            String key = v.pick(List.of("a", "b", "c", "é", "", "x"));
            object.put(key, r.nextInt(3) == 0 ? smallObjectLeaf(v) : v.any(1));
        }
        return object;
    }

    private static Object smallObjectLeaf(ProbeValues v) {
        Map<String, Object> inner = new LinkedHashMap<>();
        for (int i = 0, n = v.random().nextInt(3); i < n; i++) {
            inner.put(v.pick(List.of("a", "b", "y")), v.scalar());
        }
        return inner;
    }

    /** An array index: in range mostly, negative, beyond, fractional, huge. */
    private static Object index(ProbeValues v) {
        Random r = v.random();
        return switch (r.nextInt(8)) {
            case 0 -> v.number();
            case 1 -> (r.nextInt(8) - 2) + 0.5;
            case 2 -> (double) (r.nextInt(8) - 2);
            default -> (long) (r.nextInt(9) - 2);
        };
    }

    /** A string position for a string of {@code n} code points. */
    private static Object position(ProbeValues v, int n) {
        Random r = v.random();
        return switch (r.nextInt(10)) {
            case 0 -> v.number();
            case 1 -> r.nextInt(n + 3) + 0.5;
            case 2 -> (double) r.nextInt(n + 2);
            case 3 -> -1L;
            default -> (long) r.nextInt(n + 3);
        };
    }

    private static Object integer(ProbeValues v) {
        Random r = v.random();
        return switch (r.nextInt(6)) {
            case 0 -> v.number();
            case 1 -> r.nextLong();
            case 2 -> new java.math.BigInteger(60 + r.nextInt(20), r).negate();
            default -> (long) (r.nextInt(2001) - 1000);
        };
    }

    private static Object arithmetic(ProbeValues v) {
        Random r = v.random();
        return switch (r.nextInt(7)) {
            case 0, 1 -> v.number();
            case 2 -> (r.nextInt(2001) - 1000) / 10.0;
            case 3 -> (long) (r.nextInt(21) - 10);
            case 4 -> r.nextLong() / (1L << r.nextInt(60));
            case 5 -> BuiltinProbes.exact(new BigDecimal(new java.math.BigInteger(40 + r.nextInt(40), r),
                    r.nextInt(30)).toPlainString());
            default -> (long) r.nextInt(1000);
        };
    }

    private static byte[] randomBytes(Random r) {
        byte[] bytes = new byte[r.nextInt(10)];
        r.nextBytes(bytes);
        return bytes;
    }

    /** A string likely to match {@code pattern}'s glob, or not. */
    private static String globSubject(ProbeValues v, String pattern) {
        Random r = v.random();
        StringBuilder s = new StringBuilder();
        for (char c : pattern.toCharArray()) {
            switch (c) {
                case '*' -> s.append(v.pick(List.of("", "x", "ab", "a.b", "é", "a/b")));
                case '?' -> s.append(v.pick(List.of("x", ".", "é", "😀")));
                case '[', ']', '{', '}', ',', '!', '^', '\\' -> {
                    if (r.nextBoolean()) {
                        s.append(c);
                    }
                }
                default -> s.append(c);
            }
        }
        return r.nextInt(4) == 0 ? v.string() : s.toString();
    }

    /** A string built from {@code pattern}'s literal characters, or another string. */
    private static String regexSubject(ProbeValues v, String pattern) {
        Random r = v.random();
        if (r.nextInt(3) == 0) {
            return v.string();
        }
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < pattern.length(); i++) {
            char c = pattern.charAt(i);
            if (Character.isLetterOrDigit(c) || c == ' ' || c == '/' || c == '-' || c == '@' || Character.isSurrogate(c)
                    || c > 0x7f) {
                s.append(c);
                if (r.nextInt(4) == 0) {
                    s.append(c);
                }
            } else if (c == '.' && r.nextBoolean()) {
                s.append('x');
            }
        }
        return r.nextBoolean() ? s.toString() : v.pick(List.of("", " ", "\n")) + s + v.pick(List.of("", "a", "\n"));
    }

    private static final List<Object> VERTICES = List.of("a", "b", "c", "d", "e", 1L, "é");

    private static Object graph(ProbeValues v) {
        Random r = v.random();
        Map<String, Object> graph = new LinkedHashMap<>();
        for (int i = 0, n = r.nextInt(6); i < n; i++) {
            List<Object> edges = vertices(v);
            Object neighbours = switch (r.nextInt(6)) {
                case 0 -> BuiltinProbes.set(ProbeValues.distinct(edges).toArray());
                case 1 -> v.scalar();
                default -> edges;
            };
            graph.put(String.valueOf(v.pick(VERTICES)), neighbours);
        }
        if (r.nextInt(8) == 0) {
            return BuiltinProbes.object(1L, List.of("a"), "a", List.of(1L));
        }
        return graph;
    }

    private static List<Object> vertices(ProbeValues v) {
        List<Object> vertices = new ArrayList<>();
        for (int i = 0, n = v.random().nextInt(4); i < n; i++) {
            vertices.add(v.pick(VERTICES));
        }
        return vertices;
    }

    /** A collection for {@code in}: an array, set, object or (wrongly) a scalar. */
    private static Object collection(ProbeValues v) {
        return switch (v.random().nextInt(5)) {
            case 0 -> smallArray(v);
            case 1 -> smallSet(v);
            case 2 -> smallObject(v);
            case 3 -> v.scalar();
            default -> v.any(2);
        };
    }

    /** Often an element (or key, when {@code key}) of {@code collection}, else any value. */
    private static Object memberOf(ProbeValues v, Object collection, boolean key) {
        JsonNode node = BuiltinProbes.tree(collection);
        Random r = v.random();
        if (r.nextInt(3) == 0) {
            return v.any(1);
        }
        if (node.isArray() && !node.isEmpty()) {
            int i = r.nextInt(node.size());
            return key ? (Object) (long) i : node.get(i);
        }
        String marker = BuiltinProbes.marker(node);
        if ("$set".equals(marker) && !node.get("$set").isEmpty()) {
            return node.get("$set").get(r.nextInt(node.get("$set").size()));
        }
        if (node.isObject() && marker == null && !node.isEmpty()) {
            List<String> keys = new ArrayList<>();
            node.fieldNames().forEachRemaining(keys::add);
            String k = keys.get(r.nextInt(keys.size()));
            return key ? k : node.get(k);
        }
        return v.scalar();
    }

    private static Object valueAt(Object collection, Object key, ProbeValues v) {
        JsonNode node = BuiltinProbes.tree(collection);
        JsonNode k = BuiltinProbes.tree(key);
        if (node.isArray() && k.isIntegralNumber() && k.asInt() < node.size()) {
            return node.get(k.asInt());
        }
        if (node.isObject() && BuiltinProbes.marker(node) == null && k.isTextual() && node.has(k.asText())) {
            return node.get(k.asText());
        }
        if ("$set".equals(BuiltinProbes.marker(node))) {
            return key;
        }
        return v.scalar();
    }
}
