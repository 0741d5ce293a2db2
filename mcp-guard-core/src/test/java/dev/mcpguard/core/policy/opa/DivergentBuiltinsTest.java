package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.core.testing.OpaBinary;
import dev.mcpguard.core.testing.OpaDifferential;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The natively compiled builtins that decide differently from {@code opa eval}: each difference reproduced
 * against the real opa (so the list cannot hold a builtin that has become correct, nor miss its reason), and each
 * detected in a compiled module and refused at load unless accepted.
 */
class DivergentBuiltinsTest {

    /** One call per known divergence, on an input where OPA and the wasm runtime differ, in {@code KNOWN} order. */
    private static final Map<String, String> CALLS = calls(
            "json.marshal", "json.marshal({\"b\": 1, \"a\": \"<&>\"})",
            "json.unmarshal", "json.unmarshal(\"{} x\")",
            "json.is_valid", "json.is_valid(\"[1,]\")",
            "base64.decode", "base64.decode(\"YQ\")",
            "base64.is_valid", "base64.is_valid(\"YQ\")",
            "net.cidr_contains", "net.cidr_contains(\"169.254.0.0/16\", \"::ffff:169.254.169.254\")",
            "format_int", "format_int(18446744073709551616, 10)",
            "abs", "abs(12345678901234567890123456789)",
            "array.slice", "array.slice([1, 2], 0, 1.0)",
            "base64url.decode", "base64url.decode(\"\")",
            "bits.and", "bits.and(2.0, 3)",
            "bits.lsh", "bits.lsh(2.0, 1)",
            "bits.negate", "bits.negate(1.0)",
            "bits.or", "bits.or(2.0, 1)",
            "bits.rsh", "bits.rsh(4, 2.0)",
            "bits.xor", "bits.xor(2.0, 1)",
            "ceil", "ceil(-0.1)",
            "concat", "concat(\",\", {\"A\", \"a\", \"aa\", \"b\", \"c\", \"é\"})",
            "div", "div(1162283116176929405, 2)",
            "floor", "floor(-0.5)",
            "glob.match", "glob.match(\"{a\", [\".\"], \"a\")",
            "indexof", "indexof(\"abc\", \"\")",
            "internal.template_string", "[y | v := {\"b\": 1, \"a\": [\"\\u200d\"]}; y := $\"{v}\"][0]",
            "json.filter", "json.filter({\"a\": 1}, [[]])",
            "json.remove", "json.remove({\"a\": 1}, [[]])",
            "lower", "lower(\"\\ua7c0\")",
            "minus", "minus(9007199254740993, 0.5)",
            "mul", "mul(0.5, 9007199254740993)",
            "net.cidr_intersects", "net.cidr_intersects(\"::ffff:0:0/96\", \"192.168.1.128/25\")",
            "numbers.range", "sprintf(\"%v\", [numbers.range(1e400, 1e400)])",
            "object.union_n", "object.union_n([])",
            "plus", "plus(0.5, 9007199254740993)",
            "product", "product([-18.9, 5362])",
            "regex.find_all_string_submatch_n", "regex.find_all_string_submatch_n(\"a\", \"aa\", 1.0)",
            "regex.is_valid", "regex.is_valid(\"(?<n>a)\")",
            "regex.match", "regex.match(\"(?<n>a)\", \"a\")",
            "rem", "rem(38104675038723484618.0, 12345678901234567890123456789)",
            "replace", "replace(\"\", \"\", \"x\")",
            "round", "round(-2.4999999999999999999)",
            "substring", "substring(\"abc\", 1.0, 1)",
            "sum", "sum([0.5, 9007199254740993])",
            "to_number", "to_number(\"1e400\")",
            "upper", "upper(\"\\ua7c1\")");

    private static Map<String, String> calls(String... builtinsAndCalls) {
        Map<String, String> calls = new LinkedHashMap<>();
        for (int i = 0; i < builtinsAndCalls.length; i += 2) {
            calls.put(builtinsAndCalls[i], builtinsAndCalls[i + 1]);
        }
        return calls;
    }

    @TempDir
    Path work;

    @Test
    void everyListedDivergenceIsReproducedAgainstOpa() {
        assertThat(List.copyOf(CALLS.keySet()))
                .isEqualTo(DivergentBuiltins.KNOWN.stream().map(DivergentBuiltins.Divergence::builtin).toList());
        List<String> calls = List.copyOf(CALLS.values());
        StringBuilder rego = new StringBuilder("package probe\n\n");
        List<String> inputs = new ArrayList<>();
        for (int i = 0; i < calls.size(); i++) {
            // As json.marshal text: the engine's result reader reads long decimals as doubles, which would hide
            // (or fake) a difference in the digits.
            rego.append("out := x if { input.e == ").append(i).append("; x := json.marshal([")
                    .append(calls.get(i)).append("]) }\n");
            inputs.add("{\"e\": " + i + "}");
        }
        List<OpaDifferential.Pair> pairs = OpaDifferential.module(rego.toString()).compareJson(inputs);

        // The module's own runtime differs on each; where the host supplies the builtin instead, the engine agrees.
        for (int i = 0; i < calls.size(); i++) {
            String builtin = DivergentBuiltins.KNOWN.get(i).builtin();
            assertThat(pairs.get(i).matches()).as("%s: %s", builtin, pairs.get(i))
                    .isEqualTo(DivergentBuiltins.REPLACED.containsKey(builtin));
        }
    }

    @Test
    void theModulesOwnRuntimeFunctionStillDiffersWhereTheHostReplacesIt() throws Exception {
        // Each replaced divergence, evaluated on the module as opa build wrote it (no rewrite), still differs:
        // so REPLACED never hides a divergence that is gone, and the rewrite is what makes the engine agree.
        for (DivergentBuiltins.Divergence divergence : DivergentBuiltins.KNOWN) {
            if (!DivergentBuiltins.REPLACED.containsKey(divergence.builtin())) {
                continue;
            }
            byte[] wasm = build("out := json.marshal([x]) if { x := " + CALLS.get(divergence.builtin()) + " }\n",
                    "native-" + divergence.builtin());
            String unrewritten = nativeResult(wasm);
            String expected = OpaBinary.run(work, List.of("eval", "--format", "json", "-d",
                    work.resolve("native-" + divergence.builtin()).toString(), "data.probe.out"));
            assertThat(unrewritten).as(divergence.builtin()).isNotEqualTo(opaValue(expected));
        }
    }

    private static String nativeResult(byte[] wasm) {
        try {
            com.fasterxml.jackson.databind.ObjectMapper mapper = new com.fasterxml.jackson.databind.ObjectMapper();
            WasmPolicyInstance instance = new WasmPolicyInstance(wasm, mapper, 64,
                    WasmBuiltins.forInstance(() -> 0L, new BuiltinCache()), "probe/out", "{}", false);
            com.fasterxml.jackson.databind.JsonNode results = mapper.readTree(instance.evaluate("{}"));
            return results.isEmpty() ? "undefined" : results.get(0).get("result").toString();
        } catch (RuntimeException | java.io.IOException | StackOverflowError e) {
            return "failed: " + e.getClass().getSimpleName();
        }
    }

    private static String opaValue(String evalJson) throws java.io.IOException {
        com.fasterxml.jackson.databind.JsonNode result = new com.fasterxml.jackson.databind.ObjectMapper()
                .readTree(evalJson).path("result");
        return result.isEmpty() ? "undefined" : result.get(0).get("expressions").get(0).get("value").toString();
    }

    @Test
    void aModuleUsingOneIsRefusedAtLoadNamingItUnlessAccepted() throws Exception {
        for (int i = 0; i < DivergentBuiltins.KNOWN.size(); i++) {
            String builtin = DivergentBuiltins.KNOWN.get(i).builtin();
            byte[] wasm = build("out := " + CALLS.get(builtin) + " if input.go\n", "m" + i);
            if (DivergentBuiltins.REPLACED.containsKey(builtin)) {
                assertThat(DivergentBuiltins.used(wasm)).as("%s is supplied by the host", builtin).isEmpty();
            } else {
                assertThat(DivergentBuiltins.used(wasm)).extracting(DivergentBuiltins.Divergence::builtin)
                        .as(builtin).containsExactly(builtin);
            }
        }
        java.util.Optional<String> refused = DivergentBuiltins.KNOWN.stream()
                .map(DivergentBuiltins.Divergence::builtin)
                .filter(name -> !DivergentBuiltins.REPLACED.containsKey(name)).findFirst();
        if (refused.isEmpty()) {
            return; // every known divergence is supplied by the host: nothing is refused any more
        }
        String builtin = refused.get();
        byte[] clean = build("out := input.x == 1\nother := sprintf(\"%v\", [input.x])\n", "clean");
        assertThat(DivergentBuiltins.used(clean)).isEmpty();

        Path bundle = bundle("out := " + CALLS.get(builtin) + " if input.go\n", "engine");
        OpaWasmPolicyEngine refusing = OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).bundleSource(BundleSource.file(bundle))
                .verification(BundleVerification.insecureUnsigned()).entrypoint("probe/out").poolSize(1).build();
        try (refusing) {
            assertThat(refusing.pollNow()).isNotEqualTo(OpaWasmPolicyEngine.LoadOutcome.LOADED);
            assertThat(refusing.lastLoadError()).hasValueSatisfying(error -> assertThat(error)
                    .contains(builtin).contains("acceptDivergentBuiltins"));
        }
        OpaWasmPolicyEngine accepting = OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).bundleSource(BundleSource.file(bundle))
                .verification(BundleVerification.insecureUnsigned()).entrypoint("probe/out").poolSize(1)
                .acceptDivergentBuiltins(Set.of(builtin)).build();
        try (accepting) {
            assertThat(accepting.pollNow()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.LOADED);
        }
        assertThatThrownBy(() -> OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).acceptDivergentBuiltins(Set.of("sprintf")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("sprintf");
    }

    private byte[] build(String rules, String name) throws Exception {
        Path bundle = bundle(rules, name);
        return OpaBundle.read(Files.readAllBytes(bundle), BundleVerification.insecureUnsigned()).policyWasm();
    }

    private Path bundle(String rules, String name) throws Exception {
        Path src = Files.createDirectories(work.resolve(name));
        Files.writeString(src.resolve("p.rego"), "package probe\n\n" + rules);
        Path bundle = work.resolve(name + ".tar.gz");
        OpaBinary.run(work, List.of("build", "-t", "wasm", "-e", "probe/out", "-b", src.toString(), "-o",
                bundle.toString()));
        return bundle;
    }
}
