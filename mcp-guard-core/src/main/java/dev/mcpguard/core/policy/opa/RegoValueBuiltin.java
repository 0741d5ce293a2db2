package dev.mcpguard.core.policy.opa;

import com.dylibso.chicory.runtime.ChicoryInterruptedException;
import com.styra.opa.wasm.OpaBuiltin;
import com.styra.opa.wasm.OpaWasm;
import java.util.function.Predicate;

/**
 * A host builtin over {@link RegoValue}s (sets, any object keys, exact number text), read with
 * {@code opa_value_dump} and written back with {@code opa_value_parse}, with {@link HostBuiltin}'s error rule:
 * an error is undefined; {@link HostBuiltin.Halt}, {@link JsonBuiltins.NoAnswer} and the evaluation deadline's
 * interrupt fail the evaluation. Thread-safe when the function is.
 */
final class RegoValueBuiltin implements OpaBuiltin.Builtin {

    /** The value of a builtin, or {@code null} for undefined. */
    @FunctionalInterface
    interface Fn {
        RegoValue apply(RegoValue[] args) throws HostBuiltin.Undefined;
    }

    private final String name;
    private final Fn fn;

    private RegoValueBuiltin(String name, Fn fn) {
        this.name = name;
        this.fn = fn;
    }

    static RegoValueBuiltin of(String name, Fn fn) {
        return new RegoValueBuiltin(name, fn);
    }

    /** As {@link #of}, but an operand {@code refused} matches fails the evaluation ({@link HostBuiltin.Halt}). */
    static RegoValueBuiltin halting(String name, Fn fn, Predicate<RegoValue> refused, String why) {
        return new RegoValueBuiltin(name, args -> {
            for (RegoValue arg : args) {
                if (refused.test(arg)) {
                    throw new HostBuiltin.Halt(why);
                }
            }
            return fn.apply(args);
        });
    }

    @Override
    public String name() {
        return name;
    }

    @Override
    public int asBuiltin1(OpaWasm instance, int a) {
        return call(instance, a);
    }

    @Override
    public int asBuiltin2(OpaWasm instance, int a, int b) {
        return call(instance, a, b);
    }

    @Override
    public int asBuiltin3(OpaWasm instance, int a, int b, int c) {
        return call(instance, a, b, c);
    }

    private int call(OpaWasm instance, int... addresses) {
        RegoValue result;
        try {
            RegoValue[] args = new RegoValue[addresses.length];
            for (int i = 0; i < addresses.length; i++) {
                args[i] = WasmValues.read(instance, addresses[i]);
            }
            result = fn.apply(args);
        } catch (HostBuiltin.Halt | JsonBuiltins.NoAnswer | ChicoryInterruptedException e) {
            throw e;
        } catch (HostBuiltin.Undefined | RuntimeException | StackOverflowError e) {
            return 0; // undefined, as OPA's wasm runtime does for a builtin error
        }
        return result == null ? 0 : WasmValues.writeValue(instance, result);
    }
}
