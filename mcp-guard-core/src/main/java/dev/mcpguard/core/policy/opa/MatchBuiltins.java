package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.styra.opa.wasm.OpaBuiltin;
import com.styra.opa.wasm.OpaWasm;
import java.util.List;

/**
 * OPA's {@code regex.match}, {@code regex.is_valid}, {@code regex.find_all_string_submatch_n}
 * (topdown/regex.go) and {@code glob.match} (topdown/glob.go), supplied by the host in place of the module's own
 * runtime functions ({@link CompiledBuiltinOverrides}), whose re2 and glob-to-re2 translation are not Go's.
 *
 * <p>The regex builtins run Go's {@code regexp} through {@link GoRegexp} and its bounded cache, as
 * {@link RegexBuiltins} does: Go's syntax ({@code (?<name>x)} and {@code \p{Letter}} valid, {@code \C} invalid),
 * leftmost-first matching; {@code regex.is_valid} is Go's {@code syntax.Parse(s, syntax.Perl)} alone, so it is
 * {@code false}, never undefined, for a non-string or an invalid pattern; {@code find_all_string_submatch_n}'s
 * count is OPA's {@code IntOperand} ({@code 2.0} accepted), a negative count means all, a group that did not take
 * part is {@code ""}. {@code glob.match} is gobwas/glob v1.0.0 ({@link MatchGlob}, the version OPA 1.22.2 links)
 * with OPA's delimiters: {@code null} for none, {@code []} for {@code ["."]}, otherwise an array of one-character
 * strings. A wrong operand type, an invalid pattern or a malformed delimiter is undefined, as in OPA's wasm
 * runtime; a glob match OPA would backtrack through for about a tenth of a second or more fails the evaluation
 * ({@link MatchGlob}). Thread-safe (stateless but for the thread-safe pattern caches).
 */
final class MatchBuiltins {

    private static final int[] DOT_DELIMITERS = {'.'};
    private static final int[] NO_DELIMITERS = {};

    private MatchBuiltins() {
    }

    static List<OpaBuiltin.Builtin> all() {
        return List.of(
                HostBuiltin.of2("regex.match", (pattern, value) -> {
                    String expr = text(pattern);
                    String s = text(value);
                    return BooleanNode.valueOf(GoRegexp.cached(expr).matches(s));
                }),
                new IsValid(),
                HostBuiltin.of3("regex.find_all_string_submatch_n", MatchBuiltins::findAllStringSubmatch),
                HostBuiltin.of3("glob.match", MatchBuiltins::globMatch));
    }

    /**
     * A string operand. A lone surrogate (not Unicode; it cannot come from OPA's input decoding, but could from a
     * string the module built) becomes U+FFFD, as Go's decoding would make it.
     */
    private static String text(JsonNode value) throws HostBuiltin.Undefined {
        return LoneSurrogates.replace(HostBuiltin.text(value));
    }

    /**
     * {@code regex.is_valid}: false, never undefined, for any operand that is not a valid pattern, so the operand is
     * read as a {@link RegoValue}, which holds what a {@code JsonNode} cannot (an object with a {@code null} key).
     */
    private static final class IsValid implements OpaBuiltin.Builtin {
        @Override
        public String name() {
            return "regex.is_valid";
        }

        @Override
        public int asBuiltin1(OpaWasm instance, int operand) {
            RegoValue pattern = WasmValues.read(instance, operand);
            boolean valid = pattern instanceof RegoValue.Str text && isValid(text.value());
            return WasmValues.writeJson(instance, valid ? "true" : "false");
        }
    }

    private static boolean isValid(String pattern) {
        try {
            GoRegexpSyntax.parse(LoneSurrogates.replace(pattern));
            return true;
        } catch (GoRegexpSyntax.SyntaxError e) {
            return false;
        }
    }

    private static JsonNode findAllStringSubmatch(JsonNode pattern, JsonNode value, JsonNode count)
            throws HostBuiltin.Undefined {
        String expr = text(pattern);
        String s = text(value);
        long n = HostBuiltin.integer(count);
        List<int[]> matches = GoRegexp.cached(expr).findAll(s, n, true);
        ArrayNode outer = RegoValues.NODES.arrayNode(matches.size());
        for (int[] match : matches) {
            ArrayNode inner = outer.addArray();
            for (int g = 0; g < match.length; g += 2) {
                inner.add(match[g] >= 0 ? s.substring(match[g], match[g + 1]) : "");
            }
        }
        return outer;
    }

    private static JsonNode globMatch(JsonNode pattern, JsonNode delimiters, JsonNode value)
            throws HostBuiltin.Undefined {
        String glob = text(pattern);
        int[] separators;
        if (delimiters.isNull()) {
            separators = NO_DELIMITERS;
        } else if (HostBuiltin.isArray(delimiters)) {
            separators = new int[delimiters.size()];
            for (int i = 0; i < separators.length; i++) {
                String d = text(delimiters.get(i));
                if (d.codePointCount(0, d.length()) != 1) {
                    throw new HostBuiltin.Undefined("a delimiter must be one character");
                }
                separators[i] = d.codePointAt(0);
            }
            if (separators.length == 0) {
                separators = DOT_DELIMITERS;
            }
        } else {
            throw new HostBuiltin.Undefined("delimiters must be an array or null");
        }
        String s = text(value);
        return BooleanNode.valueOf(MatchGlob.cached(glob, separators).matches(s));
    }
}
