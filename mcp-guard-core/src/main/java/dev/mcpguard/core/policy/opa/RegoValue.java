package dev.mcpguard.core.policy.opa;

import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;

/**
 * A Rego value as the wasm module hands it to a host builtin through {@code opa_value_dump}: JSON plus set
 * literals ({@code {1,2}}, {@code set()}) and non-string object keys. Numbers keep the exact text the module
 * holds ({@code 0010}, {@code 1e400}, {@code 12345678901234567890}), because OPA's builtins look at that text, not
 * at a double. {@link #goText()} renders a value the way OPA's Go {@code ast.Value.String()} does (the text
 * {@code sprintf} prints for arrays, objects and sets), with OPA's ordering of object keys and set elements.
 *
 * <p>Immutable and thread-safe; the parser is bounded by its input (iterative over containers is not needed: the
 * module's own nesting limit applies, and depth is checked).
 */
sealed interface RegoValue {

    /** Deepest nesting {@link #parse} accepts; OPA's own values are far shallower in practice. */
    int MAX_DEPTH = 512;

    /** null. */
    record Null() implements RegoValue {
    }

    /** true or false. */
    record Bool(boolean value) implements RegoValue {
    }

    /** A number, by its exact text. */
    record Num(String text) implements RegoValue {
        BigDecimal decimal() {
            return new BigDecimal(text.startsWith("+") ? text.substring(1) : text);
        }
    }

    /** A string. */
    record Str(String value) implements RegoValue {
    }

    /** An array. */
    record Arr(List<RegoValue> elements) implements RegoValue {
    }

    /** An object; keys are any value. */
    record Obj(List<RegoValue> keys, List<RegoValue> values) implements RegoValue {
    }

    /** A set. */
    record RSet(List<RegoValue> elements) implements RegoValue {
    }

    /** Parses {@code opa_value_dump} (or plain JSON) text. */
    static RegoValue parse(String text) {
        Parser parser = new Parser(text);
        RegoValue value = parser.value(0);
        parser.skipSpace();
        if (parser.pos != text.length()) {
            throw new IllegalArgumentException("trailing characters in a dumped value at " + parser.pos);
        }
        return value;
    }

    /** The text OPA's Go {@code Value.String()} gives: strings quoted as Go does, keys and set members sorted. */
    default String goText() {
        StringBuilder out = new StringBuilder();
        appendGoText(this, out);
        return out.toString();
    }

    private static void appendGoText(RegoValue value, StringBuilder out) {
        if (value instanceof Null) {
            out.append("null");
        } else if (value instanceof Bool b) {
            out.append(b.value());
        } else if (value instanceof Num n) {
            out.append(n.text());
        } else if (value instanceof Str s) {
            out.append(GoFormat.quote(s.value(), false));
        } else if (value instanceof Arr a) {
            out.append('[');
            appendJoined(a.elements(), out);
            out.append(']');
        } else if (value instanceof Obj o) {
            Integer[] order = sortedIndexes(o.keys());
            out.append('{');
            for (int i = 0; i < order.length; i++) {
                if (i > 0) {
                    out.append(", ");
                }
                appendGoText(o.keys().get(order[i]), out);
                out.append(": ");
                appendGoText(o.values().get(order[i]), out);
            }
            out.append('}');
        } else {
            List<RegoValue> elements = ((RSet) value).elements();
            if (elements.isEmpty()) {
                out.append("set()");
                return;
            }
            List<RegoValue> sorted = new ArrayList<>(elements);
            sorted.sort(RegoValue::compare);
            out.append('{');
            appendJoined(sorted, out);
            out.append('}');
        }
    }

    private static void appendJoined(List<RegoValue> values, StringBuilder out) {
        for (int i = 0; i < values.size(); i++) {
            if (i > 0) {
                out.append(", ");
            }
            appendGoText(values.get(i), out);
        }
    }

    private static Integer[] sortedIndexes(List<RegoValue> keys) {
        Integer[] order = new Integer[keys.size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparing(keys::get, RegoValue::compare));
        return order;
    }

    /**
     * The text {@code opa_value_parse} reads back as this value (the module's dump format): JSON plus set literals
     * and object keys of any type; strings escaped to ASCII, numbers as their exact text.
     */
    default String valueText() {
        StringBuilder out = new StringBuilder();
        appendValueText(this, out);
        return out.toString();
    }

    private static void appendValueText(RegoValue value, StringBuilder out) {
        if (value instanceof Null) {
            out.append("null");
        } else if (value instanceof Bool b) {
            out.append(b.value());
        } else if (value instanceof Num n) {
            out.append(n.text());
        } else if (value instanceof Str s) {
            appendAsciiString(s.value(), out);
        } else if (value instanceof Arr a) {
            out.append('[');
            for (int i = 0; i < a.elements().size(); i++) {
                out.append(i > 0 ? "," : "");
                appendValueText(a.elements().get(i), out);
            }
            out.append(']');
        } else if (value instanceof Obj o) {
            // Keys and members in OPA's order: the module keeps the order it is given, OPA iterates sorted.
            Integer[] order = sortedIndexes(o.keys());
            out.append('{');
            for (int i = 0; i < order.length; i++) {
                out.append(i > 0 ? "," : "");
                appendValueText(o.keys().get(order[i]), out);
                out.append(':');
                appendValueText(o.values().get(order[i]), out);
            }
            out.append('}');
        } else {
            List<RegoValue> elements = new ArrayList<>(((RSet) value).elements());
            if (elements.isEmpty()) {
                out.append("set()");
                return;
            }
            elements.sort(RegoValue::compare);
            out.append('{');
            for (int i = 0; i < elements.size(); i++) {
                out.append(i > 0 ? "," : "");
                appendValueText(elements.get(i), out);
            }
            out.append('}');
        }
    }

    /**
     * A JSON string, ASCII but for code points beyond U+FFFF, which are written as themselves: the module's JSON
     * parser decodes an escaped surrogate pair wrongly (U+20000 becomes U+10000, {@code opa_unicode_decode_surrogate}
     * joins the halves with {@code |}), so a pair is never escaped; a lone surrogate is written as U+FFFD, as OPA's
     * JSON decoding reads it.
     */
    private static void appendAsciiString(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                out.append('\\').append(c);
            } else if (c >= 0x20 && c < 0x7f) {
                out.append(c);
            } else if (Character.isHighSurrogate(c) && i + 1 < s.length()
                    && Character.isLowSurrogate(s.charAt(i + 1))) {
                out.append(c).append(s.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                out.append("\\ufffd");
            } else {
                out.append(String.format(java.util.Locale.ROOT, "\\u%04x", (int) c));
            }
        }
        out.append('"');
    }

    /** OPA's total order on values: null, booleans, numbers, strings, arrays, objects, sets; then by content. */
    static int compare(RegoValue a, RegoValue b) {
        int rank = Integer.compare(rank(a), rank(b));
        if (rank != 0) {
            return rank;
        }
        if (a instanceof Null) {
            return 0;
        } else if (a instanceof Bool x) {
            return Boolean.compare(x.value(), ((Bool) b).value());
        } else if (a instanceof Num x) {
            return x.decimal().compareTo(((Num) b).decimal());
        } else if (a instanceof Str x) {
            // Go compares strings by their UTF-8 bytes, which differs from Java's UTF-16 order above U+FFFF.
            return Arrays.compareUnsigned(x.value().getBytes(StandardCharsets.UTF_8),
                    ((Str) b).value().getBytes(StandardCharsets.UTF_8));
        } else if (a instanceof Arr x) {
            return compareLists(x.elements(), ((Arr) b).elements());
        } else if (a instanceof Obj x) {
            return compareObjects(x, (Obj) b);
        }
        List<RegoValue> left = new ArrayList<>(((RSet) a).elements());
        List<RegoValue> right = new ArrayList<>(((RSet) b).elements());
        left.sort(RegoValue::compare);
        right.sort(RegoValue::compare);
        return compareLists(left, right);
    }

    private static int rank(RegoValue value) {
        if (value instanceof Null) {
            return 0;
        } else if (value instanceof Bool) {
            return 1;
        } else if (value instanceof Num) {
            return 2;
        } else if (value instanceof Str) {
            return 3;
        } else if (value instanceof Arr) {
            return 6;
        } else if (value instanceof Obj) {
            return 7;
        }
        return 8;
    }

    private static int compareLists(List<RegoValue> a, List<RegoValue> b) {
        for (int i = 0; i < Math.min(a.size(), b.size()); i++) {
            int c = compare(a.get(i), b.get(i));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(a.size(), b.size());
    }

    private static int compareObjects(Obj a, Obj b) {
        Integer[] left = sortedIndexes(a.keys());
        Integer[] right = sortedIndexes(b.keys());
        for (int i = 0; i < Math.min(left.length, right.length); i++) {
            int c = compare(a.keys().get(left[i]), b.keys().get(right[i]));
            if (c != 0) {
                return c;
            }
            c = compare(a.values().get(left[i]), b.values().get(right[i]));
            if (c != 0) {
                return c;
            }
        }
        return Integer.compare(left.length, right.length);
    }

    /** A recursive-descent reader of the module's dump format. */
    final class Parser {
        private final String text;
        private int pos;

        private Parser(String text) {
            this.text = text;
        }

        private RegoValue value(int depth) {
            if (depth > MAX_DEPTH) {
                throw new IllegalArgumentException("value nested deeper than " + MAX_DEPTH);
            }
            skipSpace();
            if (pos >= text.length()) {
                throw new IllegalArgumentException("unexpected end of a dumped value");
            }
            char c = text.charAt(pos);
            switch (c) {
                case 'n' -> {
                    expect("null");
                    return new Null();
                }
                case 't' -> {
                    expect("true");
                    return new Bool(true);
                }
                case 'f' -> {
                    expect("false");
                    return new Bool(false);
                }
                case 's' -> {
                    expect("set(");
                    skipSpace();
                    expect(")");
                    return new RSet(List.of());
                }
                case '"' -> {
                    return new Str(string());
                }
                case '[' -> {
                    pos++;
                    List<RegoValue> elements = new ArrayList<>();
                    skipSpace();
                    if (peek() == ']') {
                        pos++;
                        return new Arr(List.copyOf(elements));
                    }
                    while (true) {
                        elements.add(value(depth + 1));
                        skipSpace();
                        char next = next();
                        if (next == ']') {
                            return new Arr(List.copyOf(elements));
                        }
                        if (next != ',') {
                            throw new IllegalArgumentException("expected , or ] at " + (pos - 1));
                        }
                    }
                }
                case '{' -> {
                    pos++;
                    skipSpace();
                    if (peek() == '}') {
                        pos++;
                        return new Obj(List.of(), List.of());
                    }
                    RegoValue first = value(depth + 1);
                    skipSpace();
                    if (peek() == ':') {
                        List<RegoValue> keys = new ArrayList<>();
                        List<RegoValue> values = new ArrayList<>();
                        RegoValue key = first;
                        while (true) {
                            skipSpace();
                            if (next() != ':') {
                                throw new IllegalArgumentException("expected : at " + (pos - 1));
                            }
                            keys.add(key);
                            values.add(value(depth + 1));
                            skipSpace();
                            char next = next();
                            if (next == '}') {
                                return new Obj(List.copyOf(keys), List.copyOf(values));
                            }
                            if (next != ',') {
                                throw new IllegalArgumentException("expected , or } at " + (pos - 1));
                            }
                            key = value(depth + 1);
                        }
                    }
                    List<RegoValue> elements = new ArrayList<>();
                    elements.add(first);
                    while (true) {
                        skipSpace();
                        char next = next();
                        if (next == '}') {
                            return new RSet(List.copyOf(elements));
                        }
                        if (next != ',') {
                            throw new IllegalArgumentException("expected , or } at " + (pos - 1));
                        }
                        elements.add(value(depth + 1));
                    }
                }
                default -> {
                    return number();
                }
            }
        }

        private RegoValue number() {
            int start = pos;
            while (pos < text.length() && "+-0123456789.eE".indexOf(text.charAt(pos)) >= 0) {
                pos++;
            }
            if (start == pos) {
                throw new IllegalArgumentException("unexpected character at " + pos);
            }
            return new Num(text.substring(start, pos));
        }

        private String string() {
            pos++;
            StringBuilder out = new StringBuilder();
            while (true) {
                char c = next();
                if (c == '"') {
                    return out.toString();
                }
                if (c != '\\') {
                    out.append(c);
                    continue;
                }
                char e = next();
                switch (e) {
                    case '"', '\\', '/' -> out.append(e);
                    case 'b' -> out.append('\b');
                    case 'f' -> out.append('\f');
                    case 'n' -> out.append('\n');
                    case 'r' -> out.append('\r');
                    case 't' -> out.append('\t');
                    case 'u' -> {
                        if (pos + 4 > text.length()) {
                            throw new IllegalArgumentException("truncated \\u escape");
                        }
                        out.append((char) Integer.parseInt(text.substring(pos, pos + 4), 16));
                        pos += 4;
                    }
                    default -> throw new IllegalArgumentException("bad escape \\" + e);
                }
            }
        }

        private void expect(String word) {
            if (!text.startsWith(word, pos)) {
                throw new IllegalArgumentException("expected " + word + " at " + pos);
            }
            pos += word.length();
        }

        private char peek() {
            return pos < text.length() ? text.charAt(pos) : '\0';
        }

        private char next() {
            if (pos >= text.length()) {
                throw new IllegalArgumentException("unexpected end of a dumped value");
            }
            return text.charAt(pos++);
        }

        private void skipSpace() {
            while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
                pos++;
            }
        }
    }
}
