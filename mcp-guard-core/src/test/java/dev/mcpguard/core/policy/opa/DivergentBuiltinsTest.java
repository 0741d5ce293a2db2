package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.core.testing.OpaBinary;
import dev.mcpguard.core.testing.OpaDifferential;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The natively compiled builtins that decide differently from {@code opa eval}: each difference reproduced
 * against the real opa (so the list cannot hold a builtin that has become correct, nor miss its reason), and each
 * detected in a compiled module and refused at load unless accepted.
 */
class DivergentBuiltinsTest {

    /** One call per known divergence, on an input where OPA and the wasm runtime differ. */
    private static final List<String> CALLS = List.of("json.marshal({\"b\": 1, \"a\": \"<&>\"})",
            "json.unmarshal(\"{} x\")", "json.is_valid(\"[1,]\")", "base64.decode(\"YQ\")", "base64.is_valid(\"YQ\")",
            "net.cidr_contains(\"169.254.0.0/16\", \"::ffff:169.254.169.254\")",
            "net.cidr_intersects(\"169.254.0.0/16\", \"::ffff:a9fe:a9fe/128\")",
            "format_int(18446744073709551616, 10)", "ceil(-0.5)", "floor(-0.5)");

    @TempDir
    Path work;

    @Test
    void everyListedDivergenceIsReproducedAgainstOpa() {
        assertThat(CALLS).hasSameSizeAs(DivergentBuiltins.KNOWN);
        StringBuilder rego = new StringBuilder("package probe\n\n");
        List<String> inputs = new ArrayList<>();
        for (int i = 0; i < CALLS.size(); i++) {
            assertThat(CALLS.get(i)).startsWith(DivergentBuiltins.KNOWN.get(i).builtin() + "(");
            rego.append("out := x if { input.e == ").append(i).append("; x := ").append(CALLS.get(i)).append(" }\n");
            inputs.add("{\"e\": " + i + "}");
        }
        List<OpaDifferential.Pair> pairs = OpaDifferential.module(rego.toString()).compareJson(inputs);

        assertThat(pairs).noneMatch(OpaDifferential.Pair::matches);
    }

    @Test
    void aModuleUsingOneIsRefusedAtLoadNamingItUnlessAccepted() throws Exception {
        for (int i = 0; i < CALLS.size(); i++) {
            String builtin = DivergentBuiltins.KNOWN.get(i).builtin();
            byte[] wasm = build("out := " + CALLS.get(i) + " if input.go\n", "m" + i);
            assertThat(DivergentBuiltins.used(wasm)).extracting(DivergentBuiltins.Divergence::builtin)
                    .as(builtin).containsExactly(builtin);
        }
        byte[] clean = build("out := input.x == 1\nother := sprintf(\"%v\", [input.x])\n", "clean");
        assertThat(DivergentBuiltins.used(clean)).isEmpty();

        Path bundle = bundle("out := json.marshal(input)\n", "engine");
        OpaWasmPolicyEngine refusing = OpaWasmPolicyEngine.builder().bundleSource(BundleSource.file(bundle))
                .verification(BundleVerification.insecureUnsigned()).entrypoint("probe/out").poolSize(1).build();
        try (refusing) {
            assertThat(refusing.pollNow()).isNotEqualTo(OpaWasmPolicyEngine.LoadOutcome.LOADED);
            assertThat(refusing.lastLoadError()).hasValueSatisfying(error -> assertThat(error)
                    .contains("json.marshal").contains("acceptDivergentBuiltins"));
        }
        OpaWasmPolicyEngine accepting = OpaWasmPolicyEngine.builder().bundleSource(BundleSource.file(bundle))
                .verification(BundleVerification.insecureUnsigned()).entrypoint("probe/out").poolSize(1)
                .acceptDivergentBuiltins(Set.of("json.marshal")).build();
        try (accepting) {
            assertThat(accepting.pollNow()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.LOADED);
        }
        assertThatThrownBy(() -> OpaWasmPolicyEngine.builder().acceptDivergentBuiltins(Set.of("sprintf")))
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
