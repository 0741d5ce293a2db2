package dev.mcpguard.core.policy.opa;

import com.styra.opa.wasm.OpaBuiltin;
import java.util.List;

/**
 * OPA's arithmetic, aggregates, bits and number conversions (topdown/arithmetic.go, aggregates.go, bits.go, numbers.go, conversions.go, format_int). Supplied by the host in place of the module's own runtime functions ({@link CompiledBuiltinOverrides}).
 * Undefined where OPA errors. Thread-safe (stateless).
 */
final class ArithmeticBuiltins {

    private ArithmeticBuiltins() {
    }

    static List<OpaBuiltin.Builtin> all() {
        return List.of();
    }
}
