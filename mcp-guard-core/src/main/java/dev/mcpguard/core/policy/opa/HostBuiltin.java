package dev.mcpguard.core.policy.opa;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.fasterxml.jackson.databind.JsonNode;
import com.styra.opa.wasm.OpaBuiltin;
import com.styra.opa.wasm.OpaWasm;
import java.nio.charset.StandardCharsets;

/**
 * A builtin the host supplies to the wasm module, with OPA's wasm error rule (non-strict mode, OPA's default): a
 * builtin that fails (bad operand type, malformed string, out of range) is <em>undefined</em>, never an
 * evaluation error. Operands arrive as {@link RegoValues} (sets kept as sets) and the result goes back the same
 * way, so a set result stays a set. Thread-safe when the function is.
 */
final class HostBuiltin implements OpaBuiltin.Builtin {

    /** The value of a builtin, or {@code null} (or any exception) for undefined. */
    @FunctionalInterface
    interface Fn {
        JsonNode apply(JsonNode[] args) throws Exception;
    }

    @FunctionalInterface
    interface Fn1 {
        JsonNode apply(JsonNode a) throws Exception;
    }

    @FunctionalInterface
    interface Fn2 {
        JsonNode apply(JsonNode a, JsonNode b) throws Exception;
    }

    @FunctionalInterface
    interface Fn3 {
        JsonNode apply(JsonNode a, JsonNode b, JsonNode c) throws Exception;
    }

    @FunctionalInterface
    interface Fn4 {
        JsonNode apply(JsonNode a, JsonNode b, JsonNode c, JsonNode d) throws Exception;
    }

    /** Thrown by a builtin for an operand OPA would reject; only ever turned into undefined. */
    static final class Undefined extends Exception {
        private static final long serialVersionUID = 1L;

        Undefined(String why) {
            super(why, null, false, false);
        }
    }

    /**
     * Thrown by a builtin where OPA would not answer at all (it loops or runs out of memory): the evaluation fails,
     * so the engine denies, instead of the call being undefined, which a {@code deny if ...} rule would read as
     * "not denied".
     */
    static final class Halt extends RuntimeException {
        private static final long serialVersionUID = 1L;

        Halt(String why) {
            super(why, null, false, false);
        }
    }

    private final String name;
    private final Fn fn;

    private HostBuiltin(String name, Fn fn) {
        this.name = name;
        this.fn = fn;
    }

    static HostBuiltin of1(String name, Fn1 fn) {
        return new HostBuiltin(name, args -> fn.apply(args[0]));
    }

    static HostBuiltin of2(String name, Fn2 fn) {
        return new HostBuiltin(name, args -> fn.apply(args[0], args[1]));
    }

    static HostBuiltin of3(String name, Fn3 fn) {
        return new HostBuiltin(name, args -> fn.apply(args[0], args[1], args[2]));
    }

    static HostBuiltin of4(String name, Fn4 fn) {
        return new HostBuiltin(name, args -> fn.apply(args[0], args[1], args[2], args[3]));
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int asBuiltin1(OpaWasm wasm, int a) {
        return call(wasm, a);
    }

    @Override
    public int asBuiltin2(OpaWasm wasm, int a, int b) {
        return call(wasm, a, b);
    }

    @Override
    public int asBuiltin3(OpaWasm wasm, int a, int b, int c) {
        return call(wasm, a, b, c);
    }

    @Override
    public int asBuiltin4(OpaWasm wasm, int a, int b, int c, int d) {
        return call(wasm, a, b, c, d);
    }

    private int call(OpaWasm wasm, int... addresses) {
        JsonNode result;
        try {
            JsonNode[] args = new JsonNode[addresses.length];
            for (int i = 0; i < addresses.length; i++) {
                args[i] = read(wasm, addresses[i]);
            }
            result = fn.apply(args);
        } catch (Halt | ChicoryInterruptedException e) {
            throw e; // an interrupt stops the evaluation (its deadline); never an undefined builtin
        } catch (Exception | StackOverflowError e) {
            return 0; // undefined, as OPA's wasm runtime does for a non-halt builtin error
        }
        if (result == null) {
            return 0;
        }
        byte[] bytes = RegoValues.write(result).getBytes(StandardCharsets.UTF_8);
        int address = wasm.exports().opaMalloc(bytes.length);
        wasm.memory().write(address, bytes);
        int value = wasm.exports().opaValueParse(address, bytes.length);
        wasm.exports().opaFree(address);
        return value;
    }

    private static JsonNode read(OpaWasm wasm, int address) {
        int dump = wasm.exports().opaValueDump(address);
        try {
            return RegoValues.parse(wasm.memory().readCString(dump));
        } finally {
            wasm.exports().opaFree(dump);
        }
    }
    // ------------------------------------------------------------------ operands, as OPA's builtins package checks them

    /** A string operand (OPA's {@code StringOperand}). */
    static String text(JsonNode value) throws Undefined {
        if (!value.isTextual()) {
            throw new Undefined("operand must be a string");
        }
        return value.textValue();
    }

    /** An integer operand (OPA's {@code IntOperand}): a number written as an integer that fits an int64. */
    static long integer(JsonNode value) throws Undefined {
        if (value.isIntegralNumber() && value.canConvertToLong()) {
            return value.longValue();
        }
        // util.Atoi64 also takes "1.0" (zeros after the point), in at most 19 characters after the sign.
        if (value.isNumber() && !value.isIntegralNumber() && value.decimalValue().scale() >= 0) {
            String plain = value.decimalValue().abs().toPlainString();
            if (plain.length() <= 19 && plain.matches("[0-9]+\\.0*")) {
                try {
                    return value.decimalValue().longValueExact();
                } catch (ArithmeticException e) {
                    throw new Undefined("operand out of range");
                }
            }
        }
        throw new Undefined("operand must be an integer");
    }

    /** An array operand (not a set). */
    static boolean isArray(JsonNode value) {
        return value.isArray() && !(value instanceof RegoValues.RegoSet);
    }

    static boolean isSet(JsonNode value) {
        return value instanceof RegoValues.RegoSet;
    }
}
