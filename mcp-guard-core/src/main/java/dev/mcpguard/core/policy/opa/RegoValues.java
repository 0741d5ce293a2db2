package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BigIntegerNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import com.fasterxml.jackson.databind.node.LongNode;
import com.fasterxml.jackson.databind.node.NullNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Iterator;
import java.util.Map;

/**
 * Rego values as the wasm module's {@code opa_value_dump} writes them and {@code opa_value_parse} reads them:
 * JSON plus sets ({@code {1,2}}, {@code set()}). A set is a {@link RegoSet}; a number keeps whether its text was
 * an integer (a {@link LongNode} or {@link BigIntegerNode}) or not (a {@link DecimalNode}), because OPA's integer
 * operands accept only integer text. Objects with non-string keys are not supported (the builtin is then
 * undefined, see {@link HostBuiltin}). Thread-safe (stateless).
 */
final class RegoValues {

    static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);
    private static final com.fasterxml.jackson.databind.ObjectMapper STRINGS =
            new com.fasterxml.jackson.databind.ObjectMapper();

    private RegoValues() {
    }

    /** A Rego set: an array node whose elements are distinct, kept in the order the module (or we) gave. */
    static final class RegoSet extends ArrayNode {
        private static final long serialVersionUID = 1L;

        RegoSet() {
            super(NODES);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof RegoSet && super.equals(o);
        }

        @Override
        public int hashCode() {
            return super.hashCode() * 31 + 7;
        }
    }

    /**
     * A number kept as the exact JSON text it was read from ({@code 1e400}, {@code -0}, {@code 1.50}), as OPA's
     * {@code ast.Number} keeps a {@code json.Number}: written back to the module as that text.
     */
    static final class NumberText extends DecimalNode {
        private static final long serialVersionUID = 1L;
        private final String text;

        NumberText(String text) {
            super(new BigDecimal(text));
            this.text = text;
        }

        String text() {
            return text;
        }
    }

    /** Parses a value dump. */
    static JsonNode parse(String text) {
        Parser parser = new Parser(text);
        JsonNode value = parser.value();
        parser.skipSpace();
        if (parser.pos != text.length()) {
            throw new IllegalArgumentException("trailing text in value dump at " + parser.pos);
        }
        return value;
    }

    /** Writes {@code value} as Rego value text (sets as {@code {..}} / {@code set()}). */
    static String write(JsonNode value) {
        StringBuilder out = new StringBuilder();
        write(value, out);
        return out.toString();
    }

    private static void write(JsonNode value, StringBuilder out) {
        if (value instanceof RegoSet set) {
            if (set.isEmpty()) {
                out.append("set()");
                return;
            }
            out.append('{');
            for (int i = 0; i < set.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                write(set.get(i), out);
            }
            out.append('}');
        } else if (value.isArray()) {
            out.append('[');
            for (int i = 0; i < value.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                write(value.get(i), out);
            }
            out.append(']');
        } else if (value.isObject()) {
            out.append('{');
            boolean first = true;
            for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                if (!first) {
                    out.append(',');
                }
                first = false;
                string(field.getKey(), out);
                out.append(':');
                write(field.getValue(), out);
            }
            out.append('}');
        } else if (value.isTextual()) {
            string(value.textValue(), out);
        } else if (value instanceof NumberText number) {
            out.append(number.text());
        } else if (value.isNumber()) {
            out.append(value.isIntegralNumber() ? value.bigIntegerValue().toString()
                    : value.decimalValue().toString());
        } else if (value.isBoolean()) {
            out.append(value.booleanValue());
        } else if (value.isNull()) {
            out.append("null");
        } else {
            throw new IllegalArgumentException("not a Rego value: " + value.getNodeType());
        }
    }

    private static void string(String s, StringBuilder out) {
        out.append('"');
        JsonStringEncoder.getInstance().quoteAsString(s, out);
        out.append('"');
    }

    /** A number node for {@code value}: integral when it has no fraction. */
    static JsonNode number(BigDecimal value) {
        BigDecimal stripped = value.stripTrailingZeros();
        if (stripped.scale() <= 0) {
            return integer(stripped.toBigIntegerExact());
        }
        return DecimalNode.valueOf(stripped);
    }

    static JsonNode integer(BigInteger value) {
        return value.bitLength() < 64 ? LongNode.valueOf(value.longValue()) : BigIntegerNode.valueOf(value);
    }

    static JsonNode integer(long value) {
        return LongNode.valueOf(value);
    }

    static RegoSet set() {
        return new RegoSet();
    }

    private static final class Parser {
        private final String text;
        private int pos;

        Parser(String text) {
            this.text = text;
        }

        void skipSpace() {
            while (pos < text.length() && Character.isWhitespace(text.charAt(pos))) {
                pos++;
            }
        }

        private char peek() {
            skipSpace();
            if (pos >= text.length()) {
                throw new IllegalArgumentException("unexpected end of value dump");
            }
            return text.charAt(pos);
        }

        JsonNode value() {
            char c = peek();
            switch (c) {
                case '{':
                    return braces();
                case '[': {
                    pos++;
                    ArrayNode array = NODES.arrayNode();
                    if (peek() == ']') {
                        pos++;
                        return array;
                    }
                    while (true) {
                        array.add(value());
                        char next = peek();
                        pos++;
                        if (next == ']') {
                            return array;
                        }
                        if (next != ',') {
                            throw new IllegalArgumentException("expected , or ] at " + pos);
                        }
                    }
                }
                case '"':
                    return TextNode.valueOf(string());
                default:
                    if (text.startsWith("set()", pos)) {
                        pos += 5;
                        return new RegoSet();
                    }
                    if (text.startsWith("true", pos)) {
                        pos += 4;
                        return BooleanNode.TRUE;
                    }
                    if (text.startsWith("false", pos)) {
                        pos += 5;
                        return BooleanNode.FALSE;
                    }
                    if (text.startsWith("null", pos)) {
                        pos += 4;
                        return NullNode.getInstance();
                    }
                    return number();
            }
        }

        private JsonNode braces() {
            pos++;
            if (peek() == '}') {
                pos++;
                return NODES.objectNode();
            }
            JsonNode first = value();
            if (peek() == ':') {
                ObjectNode object = NODES.objectNode();
                JsonNode key = first;
                while (true) {
                    if (!key.isTextual()) {
                        throw new IllegalArgumentException("object key that is not a string");
                    }
                    pos++; // ':'
                    object.set(key.textValue(), value());
                    char next = peek();
                    pos++;
                    if (next == '}') {
                        return object;
                    }
                    if (next != ',') {
                        throw new IllegalArgumentException("expected , or } at " + pos);
                    }
                    key = value();
                    if (peek() != ':') {
                        throw new IllegalArgumentException("expected : at " + pos);
                    }
                }
            }
            RegoSet set = new RegoSet();
            set.add(first);
            while (true) {
                char next = peek();
                pos++;
                if (next == '}') {
                    return set;
                }
                if (next != ',') {
                    throw new IllegalArgumentException("expected , or } at " + pos);
                }
                set.add(value());
            }
        }

        private String string() {
            int start = pos;
            pos++;
            boolean escaped = false;
            while (pos < text.length()) {
                char c = text.charAt(pos++);
                if (escaped) {
                    escaped = false;
                } else if (c == '\\') {
                    escaped = true;
                } else if (c == '"') {
                    try {
                        return STRINGS.readValue(text.substring(start, pos), String.class);
                    } catch (java.io.IOException e) {
                        throw new IllegalArgumentException("bad string in value dump", e);
                    }
                }
            }
            throw new IllegalArgumentException("unterminated string in value dump");
        }

        private JsonNode number() {
            int start = pos;
            while (pos < text.length() && "+-0123456789.eE".indexOf(text.charAt(pos)) >= 0) {
                pos++;
            }
            String token = text.substring(start, pos);
            if (token.isEmpty()) {
                throw new IllegalArgumentException("unexpected character in value dump at " + start);
            }
            if (token.matches("-?[0-9]+")) {
                return integer(new BigInteger(token));
            }
            return DecimalNode.valueOf(new BigDecimal(token));
        }
    }
}
