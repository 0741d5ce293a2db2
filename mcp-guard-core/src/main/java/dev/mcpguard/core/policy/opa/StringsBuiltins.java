package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.styra.opa.wasm.OpaBuiltin;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.function.BiPredicate;

/**
 * OPA's {@code strings.any_prefix_match}, {@code strings.any_suffix_match} (topdown/strings.go: a string or an
 * array/set of strings on each side, every member checked to be a string), {@code strings.count}
 * (non-overlapping, Go's {@code strings.Count}: an empty substring counts code points plus one),
 * {@code indexof_n} (every match, overlapping ones too, as code point indexes; an empty needle is an error) and
 * {@code strings.split_n} (the first {@code n} parts of Go's {@code strings.Split} for {@code n > 0}, the last
 * {@code -n} for {@code n < 0}, none for 0; an empty delimiter splits into code points, and {@code n} is an
 * integer operand). Undefined where OPA errors. Thread-safe (stateless).
 */
final class StringsBuiltins {

    private StringsBuiltins() {
    }

    static List<OpaBuiltin.Builtin> all() {
        return List.of(
                HostBuiltin.of2("strings.any_prefix_match", (a, b) -> anyMatch(a, b, String::startsWith)),
                HostBuiltin.of2("strings.any_suffix_match", (a, b) -> anyMatch(a, b, String::endsWith)),
                HostBuiltin.of2("strings.count", (s, sub) -> RegoValues.integer(count(HostBuiltin.text(s),
                        HostBuiltin.text(sub)))),
                HostBuiltin.of2("indexof_n", (s, sub) -> indexOfN(HostBuiltin.text(s), HostBuiltin.text(sub))),
                HostBuiltin.of3("strings.split_n", (s, delimiter, n) -> splitN(HostBuiltin.text(s),
                        HostBuiltin.text(delimiter), HostBuiltin.integer(n))));
    }

    private static JsonNode indexOfN(String s, String needle) throws HostBuiltin.Undefined {
        if (needle.isEmpty()) {
            throw new HostBuiltin.Undefined("empty search character");
        }
        int[] base = s.codePoints().toArray();
        int[] search = needle.codePoints().toArray();
        ArrayNode out = RegoValues.NODES.arrayNode();
        for (int i = 0; i + search.length <= base.length; i++) {
            if (Arrays.equals(base, i, i + search.length, search, 0, search.length)) {
                out.add(i);
            }
        }
        return out;
    }

    private static JsonNode splitN(String s, String delimiter, long n) {
        List<String> parts = goSplit(s, delimiter);
        List<String> kept;
        if (n >= 0) {
            kept = parts.subList(0, (int) Math.min(n, parts.size()));
        } else {
            kept = parts.subList((int) Math.max(parts.size() + n, 0), parts.size());
        }
        ArrayNode out = RegoValues.NODES.arrayNode();
        kept.forEach(out::add);
        return out;
    }

    /** Go's {@code strings.Split}: an empty separator splits after each code point ({@code ""} into nothing). */
    private static List<String> goSplit(String s, String separator) {
        List<String> parts = new ArrayList<>();
        if (separator.isEmpty()) {
            s.codePoints().forEach(cp -> parts.add(new String(Character.toChars(cp))));
            return parts;
        }
        int from = 0;
        for (int at = s.indexOf(separator); at >= 0; at = s.indexOf(separator, from)) {
            parts.add(s.substring(from, at));
            from = at + separator.length();
        }
        parts.add(s.substring(from));
        return parts;
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
