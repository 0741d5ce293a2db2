package dev.mcpguard.core.policy.opa;

import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.NameCustomSection;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;

/**
 * Builtins that OPA compiles INTO the wasm module (its C runtime, not a host function) and that decide
 * differently from {@code opa eval} on some inputs, each reproduced against OPA 1.22.2. The host cannot replace
 * them, so a bundle using one is refused at load, naming the builtin and the difference, unless the embedder
 * accepted that builtin knowingly ({@code OpaWasmPolicyEngine.Builder#acceptDivergentBuiltins}).
 *
 * <p>Use is read from the module's name section: {@code opa build} drops the runtime functions a policy does not
 * reach, so {@code opa_json_marshal} is present exactly when the policy calls {@code json.marshal}. A module
 * without a name section cannot be checked and is refused. Thread-safe (stateless).
 */
final class DivergentBuiltins {

    /** One natively compiled builtin with a known difference from OPA's Go builtin. */
    record Divergence(String builtin, String runtimeFunction, String difference) {
    }

    /** Every known divergence, in the order of the table in docs/policy.md. */
    static final List<Divergence> KNOWN = List.of(
            new Divergence("json.marshal", "opa_json_marshal",
                    "object keys are not sorted and <, >, &, U+2028 are not escaped as OPA's encoder does"),
            new Divergence("json.unmarshal", "opa_json_unmarshal",
                    "bytes after the JSON value are accepted (OPA: undefined)"),
            new Divergence("json.is_valid", "opa_json_is_valid",
                    "bytes after the value, leading zeroes and trailing commas are valid; \"true\" traps the module"),
            new Divergence("base64.decode", "opa_base64_decode",
                    "missing padding and a leading space are accepted (OPA: undefined)"),
            new Divergence("base64.is_valid", "opa_base64_is_valid",
                    "missing padding is accepted (OPA: false)"),
            new Divergence("net.cidr_contains", "opa_cidr_contains",
                    "IPv4-mapped IPv6 is compared as IPv6 (::ffff:169.254.169.254 is not in 169.254.0.0/16 but is in"
                            + " ::/0); a prefix of other than digits (/8.0, /+8, /24/32) or /-0, a NUL byte, a colon"
                            + " after eight groups are accepted (OPA: undefined)"),
            new Divergence("net.cidr_intersects", "opa_cidr_intersects",
                    "IPv4-mapped IPv6 is compared as IPv6 (::ffff:a9fe:a9fe/128 does not intersect 169.254.0.0/16);"
                            + " a prefix of other than digits (/8.0, /+8, /24/32) or /-0, a NUL byte, a colon after"
                            + " eight groups are accepted (OPA: undefined)"),
            new Divergence("format_int", "opa_strings_format_int",
                    "numbers of 2^64 and more abort the evaluation (OPA formats them)"),
            new Divergence("ceil", "opa_arith_ceil",
                    "a number between -1 and 0 gives 0 (OPA: 1); beyond 2^64 it is exact (OPA: a 64-bit float)"),
            new Divergence("floor", "opa_arith_floor",
                    "a number between -1 and 0 gives -1 (OPA: 0); beyond 2^64 it is exact (OPA: a 64-bit float)"));

    /** The names of {@link #KNOWN}. */
    static final Set<String> NAMES = KNOWN.stream().map(Divergence::builtin).collect(Collectors.toUnmodifiableSet());

    private DivergentBuiltins() {
    }

    /**
     * The known divergences {@code wasm} uses, in {@link #KNOWN} order.
     *
     * @throws BundleException when the module has no function names to check
     */
    static List<Divergence> used(byte[] wasm) throws BundleException {
        Set<String> functions = new HashSet<>();
        try {
            WasmModule module = Parser.parse(wasm);
            NameCustomSection names = module.nameSection();
            if (names == null) {
                throw new BundleException("policy.wasm has no name section, so the embedded engine cannot tell "
                        + "whether it uses " + NAMES.stream().sorted().toList() + "; build it with opa build -t wasm");
            }
            int imported = module.importSection().count(com.dylibso.chicory.wasm.types.ExternalType.FUNCTION);
            int total = imported + module.functionSection().functionCount();
            for (int i = 0; i < total; i++) {
                String name = names.nameOfFunction(i);
                if (name != null) {
                    functions.add(name);
                }
            }
        } catch (RuntimeException e) {
            throw new BundleException("policy.wasm is not a valid wasm module: " + e.getClass().getSimpleName(), e);
        }
        return KNOWN.stream().filter(d -> functions.contains(d.runtimeFunction())).toList();
    }
}
