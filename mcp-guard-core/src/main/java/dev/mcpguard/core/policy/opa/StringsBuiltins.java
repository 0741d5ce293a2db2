package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.styra.opa.wasm.OpaBuiltin;
import java.util.ArrayList;
import java.util.List;
import java.util.function.BiPredicate;

/**
 * OPA's {@code strings.any_prefix_match}, {@code strings.any_suffix_match} (topdown/strings.go: a string or an
 * array/set of strings on each side, every member checked to be a string) and {@code strings.count}
 * (non-overlapping, Go's {@code strings.Count}: an empty substring counts code points plus one). Undefined where
 * OPA errors. Thread-safe (stateless).
 */
final class StringsBuiltins {

    private StringsBuiltins() {
    }

    static List<OpaBuiltin.Builtin> all() {
        return List.of(
                HostBuiltin.of2("strings.any_prefix_match", (a, b) -> anyMatch(a, b, String::startsWith)),
                HostBuiltin.of2("strings.any_suffix_match", (a, b) -> anyMatch(a, b, String::endsWith)),
                HostBuiltin.of2("strings.count", (s, sub) -> RegoValues.integer(count(HostBuiltin.text(s),
                        HostBuiltin.text(sub)))));
    }

    private static JsonNode anyMatch(JsonNode a, JsonNode b, BiPredicate<String, String> match)
            throws HostBuiltin.Undefined {
        List<String> strings = strings(a);
        List<String> affixes = strings(b);
        for (String s : strings) {
            for (String affix : affixes) {
                if (match.test(s, affix)) {
                    return BooleanNode.TRUE;
                }
            }
        }
        return BooleanNode.FALSE;
    }

    private static List<String> strings(JsonNode value) throws HostBuiltin.Undefined {
        if (value.isTextual()) {
            return List.of(value.textValue());
        }
        if (!value.isArray()) {
            throw new HostBuiltin.Undefined("operand must be a string, set or array");
        }
        List<String> out = new ArrayList<>(value.size());
        for (JsonNode element : value) {
            out.add(HostBuiltin.text(element));
        }
        return out;
    }

    private static long count(String s, String sub) {
        if (sub.isEmpty()) {
            return s.codePointCount(0, s.length()) + 1L;
        }
        long n = 0;
        for (int at = s.indexOf(sub); at >= 0; at = s.indexOf(sub, at + sub.length())) {
            n++;
        }
        return n;
    }
}
