package dev.mcpguard.core.policy.opa;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * JSON text read as Go's {@code encoding/json} reads it with {@code UseNumber} (after {@code json.Valid}): RFC 8259
 * strictly (no trailing text, no leading zeroes, whitespace only space, tab, CR, LF), numbers kept as their text
 * ({@link JsonSchema.Num}), a repeated key keeps its last value, a lone UTF-16 surrogate escape becomes U+FFFD.
 * Objects are sorted maps (key order by UTF-8 bytes). Thread-safe (stateless).
 */
final class GoJsonReader {

    /** The grammar of a JSON number. */
    static final Pattern NUMBER = Pattern.compile("-?(0|[1-9][0-9]*)(\\.[0-9]+)?([eE][+-]?[0-9]+)?");

    /** What {@link #read} returns for text that is not JSON. */
    static final Object INVALID = new Object();

    private final String text;
    private int pos;

    private GoJsonReader(String text) {
        this.text = text;
    }

    /** The value of {@code text}, or {@link #INVALID}. */
    static Object read(String text) {
        GoJsonReader reader = new GoJsonReader(text);
        try {
            Object value = reader.value(0);
            reader.space();
            return reader.pos == text.length() ? value : INVALID;
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            return INVALID;
        }
    }

    private void space() {
        while (pos < text.length()) {
            char c = text.charAt(pos);
            if (c != ' ' && c != '\t' && c != '\n' && c != '\r') {
                return;
            }
            pos++;
        }
    }

    private Object value(int depth) {
        if (depth > 10_000) {
            throw new IllegalArgumentException("exceeded max depth");
        }
        space();
        char c = text.charAt(pos);
        switch (c) {
            case '{' -> {
                pos++;
                Map<String, Object> object = new TreeMap<>(JsonSchema.UTF8_ORDER);
                space();
                if (text.charAt(pos) == '}') {
                    pos++;
                    return object;
                }
                while (true) {
                    space();
                    if (text.charAt(pos) != '"') {
                        throw new IllegalArgumentException("expected a key");
                    }
                    String key = string();
                    space();
                    expect(':');
                    object.put(key, value(depth + 1));
                    space();
                    char next = text.charAt(pos++);
                    if (next == '}') {
                        return object;
                    }
                    if (next != ',') {
                        throw new IllegalArgumentException("expected , or }");
                    }
                }
            }
            case '[' -> {
                pos++;
                List<Object> array = new ArrayList<>();
                space();
                if (text.charAt(pos) == ']') {
                    pos++;
                    return array;
                }
                while (true) {
                    array.add(value(depth + 1));
                    space();
                    char next = text.charAt(pos++);
                    if (next == ']') {
                        return array;
                    }
                    if (next != ',') {
                        throw new IllegalArgumentException("expected , or ]");
                    }
                }
            }
            case '"' -> {
                return string();
            }
            case 't' -> {
                literal("true");
                return Boolean.TRUE;
            }
            case 'f' -> {
                literal("false");
                return Boolean.FALSE;
            }
            case 'n' -> {
                literal("null");
                return null;
            }
            default -> {
                int start = pos;
                while (pos < text.length() && "+-0123456789.eE".indexOf(text.charAt(pos)) >= 0) {
                    pos++;
                }
                String number = text.substring(start, pos);
                if (!NUMBER.matcher(number).matches()) {
                    throw new IllegalArgumentException("bad number");
                }
                return new JsonSchema.Num(number);
            }
        }
    }

    private void literal(String word) {
        if (!text.startsWith(word, pos)) {
            throw new IllegalArgumentException("bad literal");
        }
        pos += word.length();
    }

    private void expect(char c) {
        if (text.charAt(pos++) != c) {
            throw new IllegalArgumentException("expected " + c);
        }
    }

    private String string() {
        pos++;
        StringBuilder out = new StringBuilder();
        while (true) {
            char c = text.charAt(pos++);
            if (c == '"') {
                return out.toString();
            }
            if (c < 0x20) {
                throw new IllegalArgumentException("control character in string");
            }
            if (c != '\\') {
                out.append(c);
                continue;
            }
            char e = text.charAt(pos++);
            switch (e) {
                case '"', '\\', '/' -> out.append(e);
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    char unit = hex4();
                    if (Character.isHighSurrogate(unit) && text.startsWith("\\u", pos)) {
                        int save = pos;
                        pos += 2;
                        char low = hex4();
                        if (Character.isLowSurrogate(low)) {
                            out.append(unit).append(low);
                        } else {
                            out.append('\uFFFD');
                            pos = save;
                        }
                    } else if (Character.isSurrogate(unit)) {
                        out.append('\uFFFD');
                    } else {
                        out.append(unit);
                    }
                }
                default -> throw new IllegalArgumentException("bad escape");
            }
        }
    }

    private char hex4() {
        String digits = text.substring(pos, pos + 4);
        if (!digits.matches("[0-9a-fA-F]{4}")) {
            throw new IllegalArgumentException("bad \\u escape");
        }
        pos += 4;
        return (char) Integer.parseInt(digits, 16);
    }
}
