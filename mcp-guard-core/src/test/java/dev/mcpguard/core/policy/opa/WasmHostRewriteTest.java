package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.dylibso.chicory.wasm.Parser;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.styra.opa.wasm.OpaBuiltin;
import dev.mcpguard.core.testing.OpaBinary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@link WasmHostRewrite} on modules built by the real {@code opa build -t wasm}: a compiled-in builtin's runtime
 * function then calls the host, everywhere it is called, while the module's own host imports keep their ids.
 */
class WasmHostRewriteTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @TempDir
    Path work;

    @Test
    void aCompiledInBuiltinIsAnsweredByTheHostAndTheModulesOwnImportsStillWork() throws Exception {
        // sprintf is a host import (id 0); plus and sum are compiled in, and sum's runtime function is separate.
        byte[] wasm = build("""
                package p

                out := {"plus": input.a + input.b, "text": sprintf("%d", [input.a]), "minus": input.a - input.b}
                """);
        Map<String, Integer> mapping = WasmBuiltins.mapping(wasm, MAPPER);
        assertThat(mapping).containsOnlyKeys("sprintf");

        WasmHostRewrite.Rewritten rewritten = WasmHostRewrite.rewrite(wasm, mapping,
                Map.of("plus", "opa_arith_plus", "absent.builtin", "opa_no_such_function"));
        assertThat(rewritten.mapping()).containsEntry("sprintf", mapping.get("sprintf"))
                .containsEntry("plus", mapping.get("sprintf") + 1).hasSize(2);
        assertThat(WasmBuiltins.mapping(rewritten.wasm(), MAPPER)).isEqualTo(rewritten.mapping());
        Parser.parse(rewritten.wasm()); // still a valid module

        AtomicInteger calls = new AtomicInteger();
        OpaBuiltin.Builtin plus = HostBuiltin.of2("plus", (a, b) -> {
            calls.incrementAndGet();
            return RegoValues.NODES.textNode("host:" + a + "+" + b);
        });
        JsonNode result = evaluate(rewritten.wasm(), plus, "{\"a\": 2, \"b\": 3}");
        assertThat(result.get("plus").asText()).isEqualTo("host:2+3");
        assertThat(result.get("minus").asInt()).as("other compiled-in builtins are untouched").isEqualTo(-1);
        assertThat(result.get("text").asText()).as("the module's own host import").isEqualTo("2");
        assertThat(calls).hasValue(1);

        // The host's undefined is the builtin's undefined, as for any host builtin: so out is undefined.
        OpaBuiltin.Builtin undefined = HostBuiltin.of2("plus", (a, b) -> null);
        assertThat(evaluate(rewritten.wasm(), undefined, "{\"a\": 2, \"b\": 3}")).isNull();
    }

    @Test
    void aModuleWithoutTheBuiltinOrWithoutHostImportsIsLeftAsItIs() throws Exception {
        byte[] wasm = build("package p\n\nout := count(input.x)\n");
        WasmHostRewrite.Rewritten rewritten = WasmHostRewrite.rewrite(wasm, Map.of(),
                Map.of("absent.builtin", "opa_no_such_function"));
        assertThat(rewritten.wasm()).isSameAs(wasm);
        assertThat(rewritten.mapping()).isEmpty();
    }

    @Test
    void aModuleWithoutFunctionNamesOrCutShortIsRefused() throws Exception {
        byte[] wasm = build("package p\n\nout := input.a + 1\n");
        assertThatThrownBy(() -> WasmHostRewrite.rewrite(Arrays.copyOf(wasm, wasm.length / 2), Map.of(),
                Map.of("plus", "opa_arith_plus"))).isInstanceOf(BundleException.class);
        assertThatThrownBy(() -> WasmHostRewrite.rewrite(withoutCustomSections(wasm), Map.of(),
                Map.of("plus", "opa_arith_plus"))).isInstanceOf(BundleException.class)
                .hasMessageContaining("name section");
    }

    private JsonNode evaluate(byte[] wasm, OpaBuiltin.Builtin override, String input) throws Exception {
        OpaBuiltin.Builtin[] builtins = WasmBuiltins.forInstance(() -> 0L, new BuiltinCache());
        builtins = Arrays.copyOf(builtins, builtins.length + 1);
        builtins[builtins.length - 1] = override;
        WasmPolicyInstance instance = new WasmPolicyInstance(wasm, MAPPER, 64, builtins, "p/out", "{}", false);
        JsonNode results = MAPPER.readTree(instance.evaluate(input));
        return results.isEmpty() ? null : results.get(0).get("result");
    }

    private byte[] build(String rego) throws Exception {
        Path src = Files.createDirectories(work.resolve("src" + System.nanoTime()));
        Files.writeString(src.resolve("p.rego"), rego);
        Path bundle = src.resolve("b.tar.gz");
        OpaBinary.run(work, List.of("build", "-t", "wasm", "-e", "p/out", "-b", src.toString(), "-o",
                bundle.toString()));
        return OpaBundle.read(Files.readAllBytes(bundle), BundleVerification.insecureUnsigned()).policyWasm();
    }

    /** {@code wasm} without its custom sections (the name section among them). */
    private static byte[] withoutCustomSections(byte[] wasm) {
        java.io.ByteArrayOutputStream out = new java.io.ByteArrayOutputStream();
        out.write(wasm, 0, 8);
        int position = 8;
        while (position < wasm.length) {
            int start = position;
            int id = wasm[position++] & 0xff;
            int size = 0;
            for (int shift = 0; ; shift += 7) {
                int b = wasm[position++] & 0xff;
                size |= (b & 0x7f) << shift;
                if ((b & 0x80) == 0) {
                    break;
                }
            }
            position += size;
            if (id != 0) {
                out.write(wasm, start, position - start);
            }
        }
        return out.toByteArray();
    }
}
