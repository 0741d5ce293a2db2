package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.styra.opa.wasm.OpaBuiltin;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.List;

/**
 * OPA's {@code numbers.range_step} (topdown/numbers.go): from {@code a} to {@code b} inclusive by {@code step},
 * descending when {@code a > b}, {@code b} left out when the step jumps over it; a step below 1 is an error. The
 * operands are OPA's {@code BigIntOperand}: any number whose exact value is an integer, however large; so
 * {@code 1.0} and {@code 1e3} are taken, {@code 1.5} is not.
 *
 * <p>A range of more than {@value #MAX_NUMBERS} numbers halts the evaluation (the engine denies): OPA would build
 * it however large (until its query is cancelled), but here it would have to fit the module's memory. Thread-safe
 * (stateless).
 */
final class NumbersBuiltins {

    /** The largest range built (2^20 numbers, some MiB of module memory). */
    static final int MAX_NUMBERS = 1 << 20;

    private NumbersBuiltins() {
    }

    static List<OpaBuiltin.Builtin> all() {
        return List.of(HostBuiltin.of3("numbers.range_step", (a, b, step) -> {
            BigInteger from = bigIntOperand(a);
            BigInteger to = bigIntOperand(b);
            BigInteger by = bigIntOperand(step);
            if (by.signum() <= 0) {
                throw new HostBuiltin.Undefined("numbers.range_step: step must be a positive integer");
            }
            BigInteger count = from.subtract(to).abs().divide(by).add(BigInteger.ONE);
            if (count.compareTo(BigInteger.valueOf(MAX_NUMBERS)) > 0) {
                throw new HostBuiltin.Halt("numbers.range_step: more than " + MAX_NUMBERS + " numbers");
            }
            BigInteger delta = from.compareTo(to) > 0 ? by.negate() : by;
            ArrayNode out = RegoValues.NODES.arrayNode();
            BigInteger i = from;
            for (long k = count.longValueExact(); k > 0; k--) {
                out.add(RegoValues.integer(i));
                i = i.add(delta);
            }
            return out;
        }));
    }

    /** OPA's {@code BigIntOperand}: a number whose exact value is an integer ({@code 1.0} and {@code 1e3} too). */
    static BigInteger bigIntOperand(JsonNode value) throws HostBuiltin.Undefined {
        if (!value.isNumber()) {
            throw new HostBuiltin.Undefined("operand must be a number");
        }
        BigDecimal exact = value.decimalValue().stripTrailingZeros();
        if (exact.scale() > 0) {
            throw new HostBuiltin.Undefined("must be integer number but got floating-point number");
        }
        return exact.toBigIntegerExact();
    }
}
