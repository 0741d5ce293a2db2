package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.TextNode;
import com.styra.opa.wasm.OpaBuiltin;
import java.util.ArrayList;
import java.util.List;

/**
 * OPA's {@code regex.replace}, {@code regex.split}, {@code regex.find_n}, {@code regex.template_match},
 * {@code regex.globs_match} (topdown/regex.go, regex_template.go) and {@code glob.quote_meta} (topdown/glob.go):
 * Go's {@code regexp} semantics through {@link GoRegexp} (Go's parser and Unicode tables, re2j's matcher, OPA's
 * bounded regexp cache), the glob intersection of {@link GlobIntersection}, and gobwas/glob's
 * {@code QuoteMeta}. A pattern Go rejects, a wrong operand type, a template with unbalanced delimiters or a
 * delimiter that is not one byte: undefined, as in OPA's wasm runtime. Thread-safe (stateless but for the
 * thread-safe regexp cache).
 */
final class RegexBuiltins {

    private static final JsonNodeFactory NODES = JsonNodeFactory.instance;

    private RegexBuiltins() {
    }

    static List<OpaBuiltin.Builtin> all() {
        return List.of(
                HostBuiltin.of3("regex.replace", (s, pattern, value) -> TextNode.valueOf(
                        GoRegexp.cached(text(pattern)).replaceAll(text(s),
                                text(value)))),
                HostBuiltin.of2("regex.split", (pattern, s) -> {
                    String text = text(s);
                    return strings(GoRegexp.cached(text(pattern)).split(text));
                }),
                HostBuiltin.of3("regex.find_n", (pattern, s, n) -> {
                    String text = text(s);
                    long count = HostBuiltin.integer(n);
                    return strings(GoRegexp.cached(text(pattern)).findAllStrings(text, count));
                }),
                HostBuiltin.of4("regex.template_match", RegexBuiltins::templateMatch),
                HostBuiltin.of2("regex.globs_match", (a, b) -> BooleanNode.valueOf(
                        GlobIntersection.nonEmpty(text(a), text(b)))),
                HostBuiltin.of1("glob.quote_meta", pattern -> TextNode.valueOf(globQuoteMeta(text(pattern)))));
    }

    /**
     * A string operand. A lone surrogate (not Unicode; it cannot come from OPA's input decoding, but could from
     * a string the module built) becomes U+FFFD as Go's decoding would make it, and {@link GoRegexp} relies on
     * strings holding none.
     */
    private static String text(JsonNode value) throws HostBuiltin.Undefined {
        return LoneSurrogates.replace(HostBuiltin.text(value));
    }

    private static ArrayNode strings(List<String> values) {
        ArrayNode out = NODES.arrayNode(values.size());
        values.forEach(out::add);
        return out;
    }

    private static JsonNode templateMatch(JsonNode template, JsonNode value, JsonNode start, JsonNode end)
            throws HostBuiltin.Undefined {
        String tpl = text(template);
        String match = text(value);
        String open = text(start);
        String close = text(end);
        // Go compares byte lengths: one ASCII character.
        if (open.length() != 1 || open.charAt(0) >= 0x80 || close.length() != 1 || close.charAt(0) >= 0x80) {
            throw new HostBuiltin.Undefined("a delimiter must be exactly one character long");
        }
        String pattern = templatePattern(tpl, open.charAt(0), close.charAt(0));
        return BooleanNode.valueOf(GoRegexp.cached(pattern).matches(match));
    }

    /** OPA's {@code generateRegexTemplate}: the regexp a template stands for. */
    static String templatePattern(String tpl, char open, char close) throws HostBuiltin.Undefined {
        List<Integer> idxs = delimiterIndices(tpl, open, close);
        StringBuilder pattern = new StringBuilder("^");
        int end = 0;
        for (int i = 0; i < idxs.size(); i += 2) {
            String raw = tpl.substring(end, idxs.get(i));
            end = idxs.get(i + 1);
            String patt = tpl.substring(idxs.get(i) + 1, end - 1);
            pattern.append(quoteMeta(raw)).append('(').append(patt).append(')');
            try {
                GoRegexpSyntax.parse("^" + patt + "$"); // Go compiles each variable alone to check it
            } catch (GoRegexpSyntax.SyntaxError e) {
                throw new HostBuiltin.Undefined("invalid template variable: " + e.getMessage());
            }
        }
        pattern.append(quoteMeta(tpl.substring(end))).append('$');
        return pattern.toString();
    }

    /** OPA's {@code delimiterIndices}: the start and end (exclusive) of each first-level delimited part. */
    private static List<Integer> delimiterIndices(String s, char open, char close) throws HostBuiltin.Undefined {
        int level = 0;
        int idx = 0;
        List<Integer> idxs = new ArrayList<>();
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == open) {
                if (++level == 1) {
                    idx = i;
                }
            } else if (c == close) {
                if (--level == 0) {
                    idxs.add(idx);
                    idxs.add(i + 1);
                } else if (level < 0) {
                    throw new HostBuiltin.Undefined("unbalanced braces");
                }
            }
        }
        if (level != 0) {
            throw new HostBuiltin.Undefined("unbalanced braces");
        }
        return idxs;
    }

    /** Go's {@code regexp.QuoteMeta}. */
    static String quoteMeta(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ("\\.+*?()|[]{}^$".indexOf(c) >= 0) {
                out.append('\\');
            }
            out.append(c);
        }
        return out.toString();
    }

    /** gobwas/glob's {@code QuoteMeta}: a backslash before each of {@code * ? \ [ ] { }}. */
    static String globQuoteMeta(String s) {
        StringBuilder out = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ("*?\\[]{}".indexOf(c) >= 0) {
                out.append('\\');
            }
            out.append(c);
        }
        return out.toString();
    }
}
