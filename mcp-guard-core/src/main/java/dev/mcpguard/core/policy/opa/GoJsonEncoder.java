package dev.mcpguard.core.policy.opa;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * A Rego value written as OPA writes it with Go's {@code encoding/json} ({@code ast.JSON} then {@code json.Marshal}
 * or {@code json.MarshalIndent}): object keys sorted by their UTF-8 bytes, a non-string key replaced by its own
 * JSON text (so {@code {1: "a", "1": "b"}} keeps the later of the two in OPA's key order), set members in OPA's
 * order, numbers as their text (one that is not a JSON number literal is an error), strings with HTML escaping
 * ({@code <}, {@code >}, {@code &} as {@code &#92;u003c} ...), U+2028 and U+2029 escaped, {@code \b \f \n \r \t} short
 * and other control characters as {@code &#92;u00XX}. Thread-safe (stateless).
 */
final class GoJsonEncoder {

    private static final Pattern NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");
    private static final char[] HEX = "0123456789abcdef".toCharArray();
    private static final Comparator<String> UTF8_ORDER = (a, b) -> Arrays.compareUnsigned(
            a.getBytes(StandardCharsets.UTF_8), b.getBytes(StandardCharsets.UTF_8));

    /** Go's {@code json.Number}: written as its text. */
    private record Number(String text) {
    }

    private GoJsonEncoder() {
    }

    /** {@code json.Marshal(ast.JSON(value))}. */
    static String marshal(RegoValue value) throws HostBuiltin.Undefined {
        StringBuilder out = new StringBuilder();
        encode(toGo(value), out);
        return out.toString();
    }

    /** {@code json.MarshalIndent(ast.JSON(value), prefix, indent)}. */
    static String marshalIndent(RegoValue value, String prefix, String indent) throws HostBuiltin.Undefined {
        return indent(marshal(value), prefix, indent);
    }

    /** {@code ast.JSON}: the Go value OPA hands to the encoder. */
    private static Object toGo(RegoValue value) throws HostBuiltin.Undefined {
        if (value instanceof RegoValue.Null) {
            return null;
        } else if (value instanceof RegoValue.Bool b) {
            return b.value();
        } else if (value instanceof RegoValue.Num n) {
            return new Number(n.text());
        } else if (value instanceof RegoValue.Str s) {
            return s.value();
        } else if (value instanceof RegoValue.Arr a) {
            List<Object> out = new ArrayList<>(a.elements().size());
            for (RegoValue element : a.elements()) {
                out.add(toGo(element));
            }
            return out;
        } else if (value instanceof RegoValue.RSet set) {
            List<RegoValue> sorted = new ArrayList<>(set.elements());
            sorted.sort(RegoValue::compare);
            List<Object> out = new ArrayList<>(sorted.size());
            for (RegoValue element : sorted) {
                out.add(toGo(element));
            }
            return out;
        }
        RegoValue.Obj object = (RegoValue.Obj) value;
        Integer[] order = new Integer[object.keys().size()];
        for (int i = 0; i < order.length; i++) {
            order[i] = i;
        }
        Arrays.sort(order, Comparator.comparing(object.keys()::get, RegoValue::compare));
        Map<String, Object> out = new TreeMap<>(UTF8_ORDER);
        for (int i : order) {
            Object key = toGo(object.keys().get(i));
            String name;
            if (key instanceof String s) {
                name = s;
            } else {
                StringBuilder text = new StringBuilder();
                encode(key, text);
                name = text.toString();
            }
            out.put(name, toGo(object.values().get(i)));
        }
        return out;
    }

    private static void encode(Object value, StringBuilder out) throws HostBuiltin.Undefined {
        if (value == null) {
            out.append("null");
        } else if (value instanceof Boolean b) {
            out.append(b.booleanValue());
        } else if (value instanceof Number n) {
            String text = n.text().isEmpty() ? "0" : n.text();
            if (!NUMBER.matcher(text).matches()) {
                throw new HostBuiltin.Undefined("json: invalid number literal");
            }
            out.append(text);
        } else if (value instanceof String s) {
            string(s, out);
        } else if (value instanceof List<?> list) {
            out.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                encode(list.get(i), out);
            }
            out.append(']');
        } else {
            out.append('{');
            boolean first = true;
            for (Map.Entry<?, ?> entry : ((Map<?, ?>) value).entrySet()) {
                if (!first) {
                    out.append(',');
                }
                first = false;
                string((String) entry.getKey(), out);
                out.append(':');
                encode(entry.getValue(), out);
            }
            out.append('}');
        }
    }

    /** Go's {@code appendString} with {@code escapeHTML}. */
    static void string(String s, StringBuilder out) {
        out.append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            switch (c) {
                case '\\', '"' -> out.append('\\').append(c);
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                case '<', '>', '&', '\u2028', '\u2029' -> unicodeEscape(c, out);
                default -> {
                    if (c < 0x20) {
                        unicodeEscape(c, out);
                    } else if (Character.isSurrogate(c) && !(Character.isHighSurrogate(c) && i + 1 < s.length()
                            && Character.isLowSurrogate(s.charAt(i + 1)))) {
                        out.append("\\ufffd"); // not UTF-8: Go writes U+FFFD for the invalid byte
                    } else {
                        out.append(c);
                        if (Character.isHighSurrogate(c)) {
                            out.append(s.charAt(++i));
                        }
                    }
                }
            }
        }
        out.append('"');
    }

    private static void unicodeEscape(char c, StringBuilder out) {
        out.append("\\u").append(HEX[c >> 12 & 0xF]).append(HEX[c >> 8 & 0xF]).append(HEX[c >> 4 & 0xF])
                .append(HEX[c & 0xF]);
    }

    /** Go's {@code json.Indent} over compact JSON: empty arrays and objects stay {@code []} and {@code {}}. */
    private static String indent(String compact, String prefix, String indent) {
        StringBuilder out = new StringBuilder(compact.length() * 2);
        boolean needIndent = false;
        boolean inString = false;
        int depth = 0;
        for (int i = 0; i < compact.length(); i++) {
            char c = compact.charAt(i);
            if (inString) {
                out.append(c);
                if (c == '\\') {
                    out.append(compact.charAt(++i));
                } else if (c == '"') {
                    inString = false;
                }
                continue;
            }
            if (needIndent && c != '}' && c != ']') {
                needIndent = false;
                depth++;
                newline(out, prefix, indent, depth);
            }
            switch (c) {
                case '"' -> {
                    inString = true;
                    out.append(c);
                }
                case '{', '[' -> {
                    needIndent = true;
                    out.append(c);
                }
                case ',' -> {
                    out.append(c);
                    newline(out, prefix, indent, depth);
                }
                case ':' -> out.append(": ");
                case '}', ']' -> {
                    if (needIndent) {
                        needIndent = false;
                    } else {
                        depth--;
                        newline(out, prefix, indent, depth);
                    }
                    out.append(c);
                }
                default -> out.append(c);
            }
        }
        return out.toString();
    }

    private static void newline(StringBuilder out, String prefix, String indent, int depth) {
        out.append('\n').append(prefix);
        for (int i = 0; i < depth; i++) {
            out.append(indent);
        }
    }
}
