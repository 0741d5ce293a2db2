package dev.mcpguard.core.policy.opa;

import com.styra.opa.wasm.OpaBuiltin;
import java.util.List;
import java.util.Map;
import java.util.function.Function;
import java.util.stream.Collectors;
import java.util.stream.Stream;

/**
 * Host builtins that replace builtins OPA compiles into the wasm module, where the module's C runtime decides
 * differently from {@code opa eval} ({@link DivergentBuiltins}). At load the engine rewrites the module so that
 * the runtime function of each such builtin calls the host instead ({@code WasmHostRewrite}); a divergent builtin
 * without a replacement here is refused at load unless accepted. Thread-safe (immutable).
 */
final class CompiledBuiltinOverrides {

    /** Replacement host builtins by OPA builtin name, one family (one package-private class) per line. */
    static final Map<String, OpaBuiltin.Builtin> BY_NAME = Stream.of(
            ArithmeticBuiltins.all(),
            TextBuiltins.all(),
            EncodingBuiltins.all(),
            MatchBuiltins.all()
    ).flatMap(List::stream).collect(Collectors.toUnmodifiableMap(OpaBuiltin.Builtin::name, Function.identity()));

    private CompiledBuiltinOverrides() {
    }
}
