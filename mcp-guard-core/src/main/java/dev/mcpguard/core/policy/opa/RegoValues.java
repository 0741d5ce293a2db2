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
import java.util.regex.Pattern;

/**
 * Rego values as the wasm module's {@code opa_value_dump} writes them and {@code opa_value_parse} reads them:
 * JSON plus sets ({@code {1,2}}, {@code set()}). A set is a {@link RegoSet}; a number keeps whether its text was
 * an integer (a {@link LongNode} or {@link BigIntegerNode}) or not (a {@link DecimalNode}), because OPA's integer
 * operands accept only integer text. Objects with non-string keys are not supported (the builtin is then
 * undefined, see {@link HostBuiltin}). Thread-safe (stateless).
 */
final class RegoValues {

    static final JsonNodeFactory NODES = JsonNodeFactory.withExactBigDecimals(true);

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

    /** Parses a value dump (read by {@link RegoValue#parse}, the one reader of the module's format). */
    static JsonNode parse(String text) {
        return toJson(RegoValue.parse(text));
    }

    /** {@code value} as a JsonNode; sets become {@link RegoSet}s; an object key that is not a string is refused. */
    static JsonNode toJson(RegoValue value) {
        if (value instanceof RegoValue.Null) {
            return NullNode.getInstance();
        } else if (value instanceof RegoValue.Bool b) {
            return BooleanNode.valueOf(b.value());
        } else if (value instanceof RegoValue.Num n) {
            return INTEGER_TEXT.matcher(n.text()).matches() ? integer(new BigInteger(n.text()))
                    : DecimalNode.valueOf(n.decimal());
        } else if (value instanceof RegoValue.Str s) {
            return TextNode.valueOf(s.value());
        } else if (value instanceof RegoValue.Arr a) {
            ArrayNode array = NODES.arrayNode(a.elements().size());
            a.elements().forEach(element -> array.add(toJson(element)));
            return array;
        } else if (value instanceof RegoValue.Obj o) {
            ObjectNode object = NODES.objectNode();
            for (int i = 0; i < o.keys().size(); i++) {
                if (!(o.keys().get(i) instanceof RegoValue.Str key)) {
                    throw new IllegalArgumentException("object key that is not a string");
                }
                object.set(key.value(), toJson(o.values().get(i)));
            }
            return object;
        }
        RegoSet set = new RegoSet();
        ((RegoValue.RSet) value).elements().forEach(element -> set.add(toJson(element)));
        return set;
    }

    private static final Pattern INTEGER_TEXT = Pattern.compile("-?[0-9]+");

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
        // Raw, not \\u-escaped, beyond ASCII: the module's parser decodes escaped surrogate pairs wrongly.
        JsonStringEncoder.getInstance().quoteAsString(LoneSurrogates.replace(s), out);
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
}
