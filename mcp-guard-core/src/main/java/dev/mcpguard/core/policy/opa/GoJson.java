package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;

/**
 * JSON read as Go's {@code encoding/json} reads it into {@code any} with {@code UseNumber} (what OPA's
 * {@code json.unmarshal} and lestrrat-go/jwx do with a JWT's parts and a JWK): RFC 8259 syntax only (no leading
 * zeroes, no trailing commas, whitespace is space, tab, CR, LF), at most 10,000 nested arrays and objects, numbers
 * kept as their text, and strings decoded like Go's {@code unquote}: a byte that is not UTF-8 and a lone
 * {@code \\u} surrogate each become U+FFFD. Objects keep every member in order, duplicates included, because Go's
 * decoders act on each occurrence (a map keeps the last). The parser is iterative, so depth costs no stack.
 * Thread-safe (stateless).
 */
final class GoJson {

    /** Go's {@code maxNestingDepth}. */
    static final int MAX_DEPTH = 10_000;

    /** A JSON value. */
    sealed interface Value {
    }

    /** An object; {@code keys} and {@code values} are parallel, in document order, duplicates kept. */
    record Obj(List<String> keys, List<Value> values) implements Value {
        /** The last value for {@code key} (what a Go map holds), or null. */
        Value get(String key) {
            for (int i = keys.size() - 1; i >= 0; i--) {
                if (keys.get(i).equals(key)) {
                    return values.get(i);
                }
            }
            return null;
        }

        boolean has(String key) {
            return get(key) != null;
        }
    }

    /** An array. */
    record Arr(List<Value> elements) implements Value {
    }

    /** A string (already unquoted). */
    record Str(String value) implements Value {
    }

    /** A number, by its JSON text. */
    record Num(String text) implements Value {
    }

    /** true or false. */
    record Bool(boolean value) implements Value {
    }

    /** null. */
    record Null() implements Value {
    }

    static final Null NULL = new Null();

    private GoJson() {
    }

    /**
     * {@code util.UnmarshalJSON}: exactly one value, only whitespace after it.
     *
     * @throws HostBuiltin.Undefined when Go's decoder would fail
     */
    static Value parse(byte[] json) throws HostBuiltin.Undefined {
        return parse(json, MAX_DEPTH);
    }

    /** As {@link #parse(byte[])}, refusing more than {@code maxDepth} nested arrays and objects. */
    static Value parse(byte[] json, int maxDepth) throws HostBuiltin.Undefined {
        Parser parser = new Parser(json, maxDepth);
        Value value = parser.value();
        parser.skipSpace();
        if (parser.pos != json.length) {
            throw new HostBuiltin.Undefined("invalid character after top-level value");
        }
        return value;
    }

    /**
     * {@code json.Decoder.Decode}, as jwx's {@code json.Unmarshal} calls it: the first value; what follows it is
     * never read.
     */
    static Value parseFirst(byte[] json) throws HostBuiltin.Undefined {
        return new Parser(json, MAX_DEPTH).value();
    }

    /**
     * How deep valyala/fastjson counts {@code value} (every value, a scalar too, one level below its container);
     * fastjson refuses more than 300, which is how jwx tells a JWK set from a JWK.
     */
    static int fastjsonDepth(Value value) {
        int max = 0;
        Deque<Object[]> stack = new ArrayDeque<>();
        stack.push(new Object[] {value, 1});
        while (!stack.isEmpty()) {
            Object[] top = stack.pop();
            int depth = (Integer) top[1];
            max = Math.max(max, depth);
            List<Value> children = top[0] instanceof Obj obj ? obj.values()
                    : top[0] instanceof Arr arr ? arr.elements() : List.of();
            for (Value child : children) {
                stack.push(new Object[] {child, depth + 1});
            }
        }
        return max;
    }

    /** The value as a Rego value: objects as Go maps (the last duplicate wins), numbers with their exact text. */
    static JsonNode toNode(Value value) {
        if (value instanceof Obj obj) {
            ObjectNode node = RegoValues.NODES.objectNode();
            for (int i = 0; i < obj.keys().size(); i++) {
                node.set(obj.keys().get(i), toNode(obj.values().get(i)));
            }
            return node;
        } else if (value instanceof Arr arr) {
            ArrayNode node = RegoValues.NODES.arrayNode();
            arr.elements().forEach(element -> node.add(toNode(element)));
            return node;
        } else if (value instanceof Str str) {
            return TextNode.valueOf(str.value());
        } else if (value instanceof Num num) {
            return new RegoValues.NumberText(num.text());
        } else if (value instanceof Bool bool) {
            return BooleanNode.valueOf(bool.value());
        }
        return NullNode.getInstance();
    }

    /** An open container while parsing. */
    private static final class Frame {
        final List<String> keys;
        final List<Value> values = new ArrayList<>();
        String pendingKey;

        Frame(boolean object) {
            this.keys = object ? new ArrayList<>() : null;
        }

        Value build() {
            return keys == null ? new Arr(values) : new Obj(keys, values);
        }
    }

    private static final class Parser {
        private final byte[] in;
        private final int maxDepth;
        private int pos;

        Parser(byte[] in, int maxDepth) {
            this.in = in;
            this.maxDepth = maxDepth;
        }

        void skipSpace() {
            while (pos < in.length && (in[pos] == ' ' || in[pos] == '\t' || in[pos] == '\n' || in[pos] == '\r')) {
                pos++;
            }
        }

        private HostBuiltin.Undefined syntax(String why) {
            return new HostBuiltin.Undefined("invalid JSON: " + why + " at offset " + pos);
        }

        private int peekAfterSpace() throws HostBuiltin.Undefined {
            skipSpace();
            if (pos >= in.length) {
                throw syntax("unexpected end of JSON input");
            }
            return in[pos] & 0xFF;
        }

        Value value() throws HostBuiltin.Undefined {
            Deque<Frame> stack = new ArrayDeque<>();
            while (true) {
                // Read the start of one value; containers push a frame and loop for their first member.
                int c = peekAfterSpace();
                Value done;
                if (c == '{' || c == '[') {
                    if (stack.size() >= maxDepth) {
                        throw syntax("exceeded max depth");
                    }
                    pos++;
                    Frame frame = new Frame(c == '{');
                    stack.push(frame);
                    int next = peekAfterSpace();
                    if (next == (c == '{' ? '}' : ']')) {
                        pos++;
                        stack.pop();
                        done = frame.build();
                    } else {
                        if (c == '{') {
                            frame.pendingKey = key();
                        }
                        continue;
                    }
                } else {
                    done = scalar(c);
                }
                // Hand the finished value to its container, closing containers as they end.
                while (true) {
                    Frame top = stack.peek();
                    if (top == null) {
                        return done;
                    }
                    if (top.keys != null) {
                        top.keys.add(top.pendingKey);
                    }
                    top.values.add(done);
                    int next = peekAfterSpace();
                    if (next == ',') {
                        pos++;
                        if (top.keys != null) {
                            top.pendingKey = key();
                        }
                        break;
                    }
                    if (next != (top.keys != null ? '}' : ']')) {
                        throw syntax("expected , or end of container");
                    }
                    pos++;
                    stack.pop();
                    done = top.build();
                }
            }
        }

        /** A member name and its colon. */
        private String key() throws HostBuiltin.Undefined {
            if (peekAfterSpace() != '"') {
                throw syntax("expected string key");
            }
            String key = string();
            if (peekAfterSpace() != ':') {
                throw syntax("expected colon");
            }
            pos++;
            return key;
        }

        private Value scalar(int c) throws HostBuiltin.Undefined {
            if (c == '"') {
                return new Str(string());
            }
            if (c == '-' || (c >= '0' && c <= '9')) {
                return new Num(number());
            }
            if (literal("true")) {
                return new Bool(true);
            }
            if (literal("false")) {
                return new Bool(false);
            }
            if (literal("null")) {
                return NULL;
            }
            throw syntax("invalid character looking for beginning of value");
        }

        private boolean literal(String word) throws HostBuiltin.Undefined {
            if (in[pos] != word.charAt(0)) {
                return false;
            }
            for (int i = 0; i < word.length(); i++) {
                if (pos + i >= in.length || in[pos + i] != word.charAt(i)) {
                    throw syntax("invalid literal");
                }
            }
            pos += word.length();
            return true;
        }

        private String number() throws HostBuiltin.Undefined {
            int start = pos;
            if (in[pos] == '-') {
                pos++;
            }
            if (pos >= in.length || !digit(in[pos])) {
                throw syntax("invalid number");
            }
            if (in[pos] == '0') {
                pos++;
            } else {
                while (pos < in.length && digit(in[pos])) {
                    pos++;
                }
            }
            if (pos < in.length && in[pos] == '.') {
                pos++;
                if (pos >= in.length || !digit(in[pos])) {
                    throw syntax("invalid number fraction");
                }
                while (pos < in.length && digit(in[pos])) {
                    pos++;
                }
            }
            if (pos < in.length && (in[pos] == 'e' || in[pos] == 'E')) {
                pos++;
                if (pos < in.length && (in[pos] == '+' || in[pos] == '-')) {
                    pos++;
                }
                if (pos >= in.length || !digit(in[pos])) {
                    throw syntax("invalid number exponent");
                }
                while (pos < in.length && digit(in[pos])) {
                    pos++;
                }
            }
            return new String(in, start, pos - start, java.nio.charset.StandardCharsets.US_ASCII);
        }

        private static boolean digit(byte b) {
            return b >= '0' && b <= '9';
        }

        /** A quoted string at {@code pos}, unquoted as Go's {@code unquoteBytes} does. */
        private String string() throws HostBuiltin.Undefined {
            pos++; // opening quote
            StringBuilder out = new StringBuilder();
            while (true) {
                if (pos >= in.length) {
                    throw syntax("unterminated string");
                }
                int b = in[pos] & 0xFF;
                if (b == '"') {
                    pos++;
                    return out.toString();
                }
                if (b < 0x20) {
                    throw syntax("control character in string");
                }
                if (b == '\\') {
                    escape(out);
                    continue;
                }
                if (b < 0x80) {
                    out.append((char) b);
                    pos++;
                    continue;
                }
                int[] rune = GoFormat.decodeRune(in, pos);
                out.appendCodePoint(rune[0]);
                pos += rune[1];
            }
        }

        private void escape(StringBuilder out) throws HostBuiltin.Undefined {
            if (pos + 1 >= in.length) {
                throw syntax("unterminated escape");
            }
            int e = in[pos + 1] & 0xFF;
            pos += 2;
            switch (e) {
                case '"', '\\', '/' -> out.append((char) e);
                case 'b' -> out.append('\b');
                case 'f' -> out.append('\f');
                case 'n' -> out.append('\n');
                case 'r' -> out.append('\r');
                case 't' -> out.append('\t');
                case 'u' -> {
                    int r = hex4(pos);
                    if (r < 0) {
                        throw syntax("invalid \\u escape");
                    }
                    pos += 4;
                    if (r >= 0xD800 && r < 0xE000) {
                        int r2 = pos + 1 < in.length && in[pos] == '\\' && in[pos + 1] == 'u' ? hex4(pos + 2) : -1;
                        if (r < 0xDC00 && r2 >= 0xDC00 && r2 < 0xE000) {
                            out.appendCodePoint(Character.toCodePoint((char) r, (char) r2));
                            pos += 6;
                        } else {
                            out.append('\uFFFD');
                        }
                    } else {
                        out.append((char) r);
                    }
                }
                default -> throw syntax("invalid escape");
            }
        }

        private int hex4(int at) {
            if (at + 4 > in.length) {
                return -1;
            }
            int r = 0;
            for (int i = at; i < at + 4; i++) {
                int d = Character.digit(in[i] & 0xFF, 16);
                if (d < 0 || (in[i] & 0xFF) >= 0x80) {
                    return -1;
                }
                r = r * 16 + d;
            }
            return r;
        }
    }
}
