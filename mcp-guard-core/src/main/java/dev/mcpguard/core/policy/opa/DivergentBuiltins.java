package dev.mcpguard.core.policy.opa;

import com.dylibso.chicory.wasm.Parser;
import com.dylibso.chicory.wasm.WasmModule;
import com.dylibso.chicory.wasm.types.Instruction;
import com.dylibso.chicory.wasm.types.NameCustomSection;
import com.dylibso.chicory.wasm.types.OpCode;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Pattern;
import java.util.stream.Collectors;

/**
 * Builtins that OPA compiles INTO the wasm module (its C runtime, not a host function) and that decide
 * differently from {@code opa eval} on some inputs, each reproduced against OPA 1.22.2. The host cannot replace
 * them, so a bundle using one is refused at load, naming the builtin and the difference, unless the embedder
 * accepted that builtin knowingly ({@code OpaWasmPolicyEngine.Builder#acceptDivergentBuiltins}).
 *
 * <p>Use is read from the module's code and name section: a builtin is used when a function compiled from the
 * policy (named {@code g<n>.data...}) calls its runtime function ({@code opa_json_marshal} for {@code json.marshal})
 * directly. Presence alone would not do: runtime functions call each other ({@code json.filter}'s calls
 * {@code format_int}'s, {@code glob.match}'s calls {@code regex.match}'s), and a policy calling only the first must
 * not be refused for the second. This reads modules as {@code opa build} writes them (a hand-made module could
 * hide a call; bundles are signed by their publisher). A module without a name section cannot be checked and is
 * refused. Thread-safe (stateless).
 */
final class DivergentBuiltins {

    /** One natively compiled builtin with a known difference from OPA's Go builtin. */
    record Divergence(String builtin, String runtimeFunction, String difference) {
    }

    /**
     * Every known divergence: first those found by hand and the differential suite, then, alphabetically, those
     * found by {@code CompiledBuiltinsProbeTest} (each reproduced in {@code DivergentBuiltinsTest}).
     */
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
            new Divergence("format_int", "opa_strings_format_int",
                    "numbers of 2^64 and more abort the evaluation (OPA formats them)"),
            new Divergence("abs", "opa_arith_abs",
                    "exact beyond 19 digits, where OPA rounds (abs(12345678901234567890123456789): OPA "
                            + "12345678901234567890000000000)"),
            new Divergence("array.slice", "opa_array_slice",
                    "an index written with a fraction part (1.0) or beyond int64 makes it undefined (OPA: sliced)"),
            new Divergence("base64url.decode", "opa_base64_url_decode",
                    "\"\" is undefined (OPA: \"\") and characters outside the alphabet are skipped (OPA: undefined)"),
            new Divergence("bits.and", "opa_bits_and",
                    "an integer written 2.0, or beyond int64, is undefined or aborts (OPA: computed)"),
            new Divergence("bits.lsh", "opa_bits_shiftleft",
                    "an integer written 2.0, or beyond int64, is undefined (OPA: computed)"),
            new Divergence("bits.negate", "opa_bits_negate",
                    "an integer written 1.0, or beyond int64, is undefined (OPA: computed)"),
            new Divergence("bits.or", "opa_bits_or",
                    "an integer written 2.0, or beyond int64, is undefined or aborts (OPA: computed)"),
            new Divergence("bits.rsh", "opa_bits_shiftright",
                    "an integer written 2.0, or beyond int64, and shifts of 64 and more differ from OPA"),
            new Divergence("bits.xor", "opa_bits_xor",
                    "an integer written 2.0, or beyond int64, is undefined or aborts (OPA: computed)"),
            new Divergence("ceil", "opa_arith_ceil",
                    "OPA 1.22.2 gives 1 for ceil(-0.1) (embedded: 0) and rounds beyond 2^53 through a float"),
            new Divergence("concat", "opa_strings_concat",
                    "a set is joined in the module's hash order (OPA: sorted)"),
            new Divergence("div", "opa_arith_divide",
                    "results beyond 2^53 are float64 (div(1162283116176929405, 2): 581141558088464703, OPA "
                            + "581141558088464702.5)"),
            new Divergence("floor", "opa_arith_floor",
                    "OPA 1.22.2 gives 0 for floor(-0.5) (embedded: -1) and rounds beyond 2^53 through a float"),
            new Divergence("glob.match", "opa_glob_match",
                    "malformed patterns ({a, a trailing \\) match or not (OPA: undefined), and ) is undefined "
                            + "(OPA: matched)"),
            new Divergence("indexof", "opa_strings_indexof",
                    "an empty needle gives 0 (OPA 1.22.2: undefined)"),
            new Divergence("internal.template_string", "opa_template_string",
                    "a template string prints collections with keys in hash order and strings unescaped "
                            + "(OPA: sorted, Go-quoted)"),
            new Divergence("json.filter", "builtin_json_filter",
                    "an empty path ([]) aborts or traps the module (OPA: filtered)"),
            new Divergence("json.remove", "builtin_json_remove",
                    "an empty path ([]) traps the module (OPA: nothing removed)"),
            new Divergence("lower", "opa_strings_lower",
                    "letters cased since Unicode 14 (U+A7C0) are kept (OPA: lowered)"),
            new Divergence("minus", "opa_arith_minus",
                    "with a fraction the result is float64 beyond 2^53 (OPA: exact)"),
            new Divergence("mul", "opa_arith_multiply",
                    "with a fraction the result is float64 beyond 2^53 (OPA: exact)"),
            new Divergence("net.cidr_intersects", "opa_cidr_intersects",
                    "IPv4-mapped IPv6 is compared as IPv6 (::ffff:a9fe:a9fe/128 does not intersect 169.254.0.0/16);"
                            + " a prefix of other than digits (/8.0, /+8, /24/32) or /-0, a NUL byte, a colon after"
                            + " eight groups are accepted (OPA: undefined)"),
            new Divergence("numbers.range", "opa_numbers_range",
                    "an integer beyond int64 in exponent form comes back as 1e+400 (OPA: its digits), which "
                            + "sprintf shows"),
            new Divergence("object.union_n", "builtin_object_union_n",
                    "an empty array is undefined (OPA: {})"),
            new Divergence("plus", "opa_arith_plus",
                    "with a fraction the result is float64 beyond 2^53 (OPA: exact)"),
            new Divergence("product", "opa_agg_product",
                    "exact where OPA multiplies in float64 (product([-18.9, 5362]): OPA -101341.79999999999), "
                            + "float64 beyond 2^53 where OPA is exact"),
            new Divergence("regex.find_all_string_submatch_n", "opa_regex_find_all_string_submatch",
                    "RE2 syntax, not Go's ((?<name>), \\C differ); a count written 1.0 or below -1 differs"),
            new Divergence("regex.is_valid", "opa_regex_is_valid",
                    "RE2 syntax, not Go's: (?<name>x) is invalid, \\C valid (OPA: the opposite)"),
            new Divergence("regex.match", "opa_regex_match",
                    "RE2 syntax, not Go's: (?<name>x) is undefined, \\C matches any byte (OPA: the opposite)"),
            new Divergence("rem", "opa_arith_rem",
                    "a dividend beyond 2^53 written with a fraction part (38104675038723484618.0) can give a float64 "
                            + "(OPA: exact)"),
            new Divergence("replace", "opa_strings_replace",
                    "an empty old string is not inserted (OPA: between every character) and loops forever on a "
                            + "non-empty string"),
            new Divergence("round", "opa_arith_round",
                    "exact, where OPA rounds through a float (round(-2.4999999999999999999): OPA -3)"),
            new Divergence("substring", "opa_strings_substring",
                    "an offset or length written with a fraction part (1.0) or beyond int64 is undefined (OPA: "
                            + "taken)"),
            new Divergence("sum", "opa_agg_sum",
                    "with a fraction the result is float64 beyond 2^53 (OPA: exact)"),
            new Divergence("to_number", "opa_to_number",
                    "a number beyond float64 (\"1e400\") is converted (OPA: undefined)"),
            new Divergence("upper", "opa_strings_upper",
                    "letters cased since Unicode 14 (U+A7C1) are kept (OPA: uppered)"));

    /**
     * The divergent builtins the host supplies instead ({@link CompiledBuiltinOverrides}), by builtin name, with
     * the runtime function {@link WasmHostRewrite} makes call the host; these are never refused.
     */
    static final Map<String, String> REPLACED = KNOWN.stream()
            .filter(d -> CompiledBuiltinOverrides.BY_NAME.containsKey(d.builtin()))
            .collect(Collectors.toUnmodifiableMap(Divergence::builtin, Divergence::runtimeFunction));

    /** The names of {@link #KNOWN}. */
    static final Set<String> NAMES = KNOWN.stream().map(Divergence::builtin).collect(Collectors.toUnmodifiableSet());

    /** Functions {@code opa build} compiles from the policy's rules and functions: {@code g0.data.pkg.rule}. */
    private static final Pattern PLAN_FUNCTION = Pattern.compile("g[0-9]+\\..*");

    private DivergentBuiltins() {
    }

    /**
     * The known divergences {@code wasm} uses that the host does not replace ({@link #REPLACED}), in
     * {@link #KNOWN} order.
     *
     * @throws BundleException when the module has no function names to check
     */
    static List<Divergence> used(byte[] wasm) throws BundleException {
        Set<String> called = new HashSet<>();
        try {
            WasmModule module = Parser.parse(wasm);
            NameCustomSection names = module.nameSection();
            if (names == null) {
                throw new BundleException("policy.wasm has no name section, so the embedded engine cannot tell "
                        + "whether it uses " + NAMES.stream().sorted().toList() + "; build it with opa build -t wasm");
            }
            int imported = module.importSection().count(com.dylibso.chicory.wasm.types.ExternalType.FUNCTION);
            for (int i = 0; i < module.codeSection().functionBodyCount(); i++) {
                String name = names.nameOfFunction(imported + i);
                if (name == null || !PLAN_FUNCTION.matcher(name).matches()) {
                    continue;
                }
                for (Instruction instruction : module.codeSection().getFunctionBody(i).instructions()) {
                    if (instruction.opcode() == OpCode.CALL) {
                        String callee = names.nameOfFunction((int) instruction.operand(0));
                        if (callee != null) {
                            called.add(callee);
                        }
                    }
                }
            }
        } catch (RuntimeException e) {
            throw new BundleException("policy.wasm is not a valid wasm module: " + e.getClass().getSimpleName(), e);
        }
        return KNOWN.stream().filter(d -> called.contains(d.runtimeFunction()))
                .filter(d -> !REPLACED.containsKey(d.builtin())).toList();
    }
}
