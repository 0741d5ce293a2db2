package dev.mcpguard.core.policy.opa;

import com.styra.opa.wasm.OpaBuiltin;
import java.util.List;

/**
 * OPA's {@code json.patch} ({@link JsonPatch}: topdown/json.go over OPA's edit tree) and
 * {@code json.marshal_with_options} (topdown/encoding.go, {@link GoJsonEncoder}: Go's encoder, sorted keys, HTML
 * escaping; {@code pretty}, {@code prefix} and {@code indent} options, pretty printing implied by
 * {@code prefix} or {@code indent} unless {@code pretty} says otherwise, the prefix also before the first line),
 * {@code json.verify_schema} and {@code json.match_schema} ({@link JsonSchema}: OPA's vendored gojsonschema).
 *
 * <p>Operands are read with {@code opa_value_dump} and results written with {@code opa_value_parse}, so sets,
 * object keys that are not strings and the exact text of numbers survive the trip. An OPA error is undefined, as
 * in OPA's wasm runtime; where OPA gives no answer ({@link NoAnswer}: its Go code panics or its process dies, or
 * it would fetch a schema over the network or read one from its file system) the evaluation fails.
 * Thread-safe (stateless).
 */
final class JsonBuiltins {

    /**
     * OPA gives no answer the embedded engine can reproduce (its Go code panics, or it would read a file or fetch a
     * URL): the evaluation fails instead of answering.
     */
    static class NoAnswer extends RuntimeException {
        private static final long serialVersionUID = 1L;

        NoAnswer(String why) {
            super(why, null, false, false);
        }
    }

    private JsonBuiltins() {
    }

    static List<OpaBuiltin.Builtin> all() {
        return List.of(
                RegoValueBuiltin.of("json.patch", args -> JsonPatch.apply(args[0], args[1])),
                RegoValueBuiltin.of("json.marshal_with_options", args -> marshalWithOptions(args[0], args[1])),
                RegoValueBuiltin.of("json.verify_schema", args -> JsonSchema.verify(args[0])),
                RegoValueBuiltin.of("json.match_schema", args -> JsonSchema.match(args[0], args[1])));
    }

    /** {@code json.marshal_with_options(x, opts)}. */
    static RegoValue marshalWithOptions(RegoValue value, RegoValue options) throws HostBuiltin.Undefined {
        if (!(options instanceof RegoValue.Obj opts)) {
            throw new HostBuiltin.Undefined("operand 2 must be an object");
        }
        String indent = "\t";
        String prefix = "";
        boolean implicitPretty = false;
        Boolean explicitPretty = null;
        for (int i = 0; i < opts.keys().size(); i++) {
            if (!(opts.keys().get(i) instanceof RegoValue.Str key)) {
                throw new HostBuiltin.Undefined("failed to stringify key");
            }
            RegoValue option = opts.values().get(i);
            switch (key.value()) {
                case "prefix" -> {
                    prefix = text(option);
                    implicitPretty = true;
                }
                case "indent" -> {
                    indent = text(option);
                    implicitPretty = true;
                }
                case "pretty" -> {
                    if (!(option instanceof RegoValue.Bool pretty)) {
                        throw new HostBuiltin.Undefined("key pretty failed cast to bool");
                    }
                    explicitPretty = pretty.value();
                }
                default -> throw new HostBuiltin.Undefined("object contained unknown key");
            }
        }
        boolean pretty = explicitPretty != null ? explicitPretty : implicitPretty;
        // json.MarshalIndent does not prefix the first line; OPA adds it.
        return new RegoValue.Str(pretty ? prefix + GoJsonEncoder.marshalIndent(value, prefix, indent) : GoJsonEncoder.marshal(value));
    }

    private static String text(RegoValue value) throws HostBuiltin.Undefined {
        if (!(value instanceof RegoValue.Str s)) {
            throw new HostBuiltin.Undefined("operand must be a string");
        }
        return s.value();
    }
}
