package dev.mcpguard.core.policy.opa;

import com.styra.opa.wasm.OpaBuiltin;
import com.styra.opa.wasm.OpaWasm;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.List;

/**
 * OPA's {@code sprintf} for the embedded engine, replacing opa-java-wasm's {@code String.format}-based one: the
 * arguments are converted exactly as OPA's Go builtin converts them (a number with {@code . e E} in its text is
 * a {@code float64}, or its text when out of range; other numbers an {@code int64} or a {@code *big.Int}; strings
 * as themselves; anything else its Rego text, {@code [1, "a"]}, {@code {"a": 1}}, {@code {1, 2}}) and then
 * formatted with Go's {@code fmt} rules ({@link GoFormat}). The arguments are read with {@code opa_value_dump},
 * so sets stay sets and numbers keep their exact text.
 *
 * <p>Stateless and thread-safe; each call runs on the thread evaluating its policy instance.
 */
final class SprintfBuiltin implements OpaBuiltin.Builtin {

    static final String NAME = "sprintf";

    @Override
    public String name() {
        return NAME;
    }

    @Override
    public int asBuiltin2(OpaWasm instance, int formatAddr, int argsAddr) {
        RegoValue format = WasmValues.read(instance, formatAddr);
        RegoValue args = WasmValues.read(instance, argsAddr);
        if (!(format instanceof RegoValue.Str text) || !(args instanceof RegoValue.Arr array)) {
            // The compiler's type check makes this unreachable for literal calls; fail the evaluation.
            throw new IllegalArgumentException("sprintf: operand 1 must be a string and operand 2 an array");
        }
        return WasmValues.writeString(instance, format(text.value(), array.elements()));
    }

    /** {@code sprintf(format, values)} as OPA computes it. */
    static String format(String format, List<RegoValue> values) {
        List<Object> args = new ArrayList<>(values.size());
        for (RegoValue value : values) {
            args.add(goArgument(value));
        }
        return GoFormat.sprintf(format, args);
    }

    /** The Go value OPA's builtin passes to {@code fmt.Sprintf} for {@code value}. */
    static Object goArgument(RegoValue value) {
        if (value instanceof RegoValue.Str s) {
            return s.value();
        }
        if (!(value instanceof RegoValue.Num n)) {
            return value.goText();
        }
        String text = n.text();
        if (text.indexOf('.') >= 0 || text.indexOf('e') >= 0 || text.indexOf('E') >= 0) {
            try {
                double d = Double.parseDouble(text);
                return Double.isInfinite(d) ? text : (Object) d;
            } catch (NumberFormatException e) {
                return text;
            }
        }
        String digits = text.startsWith("-") || text.startsWith("+") ? text.substring(1) : text;
        if (digits.isEmpty() || !digits.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return text;
        }
        BigInteger big = new BigInteger(text.startsWith("+") ? digits : text);
        // util.Atoi64: at most 19 digits and within int64; otherwise big.Int.
        if (digits.length() <= 19 && big.bitLength() < 64) {
            return big.longValue();
        }
        return big;
    }
}
