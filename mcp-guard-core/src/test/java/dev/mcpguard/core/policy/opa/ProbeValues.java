package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.JsonNode;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.EnumSet;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;

/**
 * Operands for builtin probes, drawn from a builtin's declared operand type ({@code decl.args[].type} of
 * {@code opa capabilities}: {@code string}, {@code number}, {@code boolean}, {@code null}, {@code array} with
 * {@code dynamic} or {@code static} elements, {@code set} {@code of}, {@code object} with {@code dynamic}
 * {@code key}/{@code value}, {@code any} {@code of} alternatives) and mixed with edge values. A value is a Java
 * value or a {@link BuiltinProbes} marker (a set, an exact number literal, an object with non-string keys).
 * Deterministic for a seed; not thread-safe.
 */
final class ProbeValues {

    /** The seven kinds of Rego values. */
    enum Kind { STRING, NUMBER, BOOLEAN, NULL, ARRAY, SET, OBJECT }

    /** Strings that break naive code: empty, spaces, control characters, combining marks, RTL, emoji, case. */
    static final List<String> EDGE_STRINGS = List.of("", " ", "  ", "a", "A", "ab", "abc", "aaa", "abcabc", "a b c",
            " a ", "\ta\n", "a\r\nb", "line1\nline2\n", "é", "e\u0301", "É", "ß", "ẞ", "İ", "ı", "i\u0307", "Σ",
            "σς", "ǅ", "ǆ", "ﬁ", "ŉ", "ǰ", "ΐ", "\u0345", "Ⅻ", "ⓐ", "K", "ＡＢＣ", "😀", "👍🏽", "👨‍👩‍👧", "🇫🇷",
            "𐐀𐐨", "\uFFFD", "\u0000", "a\u0000b", "\u202Eabc\u202C", "\u200F", "שלום", "مرحبا", "日本語", "한국어",
            "\u00A0", "\u2028", "\u3000", "\uFEFF", "\u0085", "\u000B\u000C", "x".repeat(300), "é".repeat(100),
            "/api/v1/users", "a.b.c", "a,b,,c", ",", ".", "..", "\\", "\"", "'", "%s", "%v", "{}", "[1,2]",
            "{\"a\":1}", "null", "true", "1", "-1", "0", "1.5", "1e3", "0x1F", "007", "+1", " 1 ", "NaN", "Inf",
            "*", "?", "[a-z]", "(", ")", "$", "^", ".*", "ababab", "mississippi", "Ꟁꟁ", "Ᵽ", "ꞵ", "𞤀𞤢", "Ꭰꭰ");

    /** Integers, decimals and exact literals at the edges of int64, uint64, float64 and decimal text. */
    static final List<Object> EDGE_NUMBERS = List.of(0L, 1L, -1L, 2L, 3L, 5L, 7L, 10L, -7L, 16L, 31L, 32L, 63L,
            64L, 100L, 255L, 1000L, 1.5, -1.5, 0.5, -0.5, 2.5, -2.5, 0.1, 0.2, 0.3, 1e-7, 1e21, 1e22, 123.456, -0.0,
            1.0, 2.0, 1e308, -1e308, Double.MAX_VALUE, Double.MIN_VALUE, 0.49999999999999994, 4.5, 9007199254740993.0,
            2147483648L, 4294967296L, 9007199254740992L, 9007199254740993L, Long.MAX_VALUE, Long.MIN_VALUE,
            BigInteger.TWO.pow(63), BigInteger.TWO.pow(64), BigInteger.TWO.pow(64).subtract(BigInteger.ONE),
            BigInteger.TWO.pow(63).negate().subtract(BigInteger.ONE), BigInteger.TEN.pow(30),
            BigInteger.TEN.pow(30).negate(), BuiltinProbes.exact("-0"),
            BuiltinProbes.exact("123456789012345678901234.5"), BuiltinProbes.exact("0.1000000000000000000001"),
            BuiltinProbes.exact("1e400"), BuiltinProbes.exact("-1e400"), BuiltinProbes.exact("1e-400"),
            BuiltinProbes.exact("1.0"), BuiltinProbes.exact("1e2"), BuiltinProbes.exact("2.50"),
            BuiltinProbes.exact("0.0"), BuiltinProbes.exact("1.00000000000000000001"),
            BuiltinProbes.exact("12345678901234567890123456789"), BuiltinProbes.exact("-99999999999999999999.99"),
            BuiltinProbes.exact("-2.5e-1"));

    /** Code point ranges random strings draw from, one range set per string. */
    private static final int[][][] ALPHABETS = {
            {{'a', 'c'}}, {{'a', 'z'}, {'A', 'Z'}, {'0', '9'}}, {{0x20, 0x7e}}, {{0x20, 0x7e}, {0xa0, 0x17f}},
            {{0x370, 0x3ff}, {0x400, 0x4ff}, {0x531, 0x587}}, {{0x4e00, 0x4e2f}, {0x3040, 0x309f}},
            {{0x1f600, 0x1f64f}, {0x1f3fb, 0x1f3ff}, {0x200d, 0x200d}}, {{'a', 'e'}, {0x300, 0x36f}},
            {{0x9, 0xd}, {0x20, 0x20}, {0x85, 0x85}, {0xa0, 0xa0}, {0x2000, 0x200b}, {0x2028, 0x2029}, {0x3000, 0x3000},
                    {0xfeff, 0xfeff}, {'a', 'b'}},
            {{0x10400, 0x1044f}, {0x13a0, 0x13f5}, {0xab70, 0xabbf}, {0x2c00, 0x2c5f}, {0x1e900, 0x1e943},
                    {0xa640, 0xa69f}, {0x1e00, 0x1eff}, {0x1f00, 0x1fff}, {0x10a0, 0x10ff}, {0x24b6, 0x24e9}},
            {{0x0, 0x1f}, {0x7f, 0x9f}, {0xfff0, 0xfffd}, {0x590, 0x5ff}, {0x600, 0x6ff}, {0x200e, 0x202e}}};

    private final Random random;

    ProbeValues(Random random) {
        this.random = random;
    }

    Random random() {
        return random;
    }

    /** An element of {@code list}. */
    <T> T pick(List<T> list) {
        return list.get(random.nextInt(list.size()));
    }

    /** An edge string or a random one. */
    String string() {
        return random.nextBoolean() ? pick(EDGE_STRINGS) : randomString(random.nextInt(13));
    }

    /** A random string of {@code length} code points, from one alphabet. */
    String randomString(int length) {
        int[][] ranges = ALPHABETS[random.nextInt(ALPHABETS.length)];
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < length; i++) {
            int[] range = ranges[random.nextInt(ranges.length)];
            s.appendCodePoint(range[0] + random.nextInt(range[1] - range[0] + 1));
        }
        return s.toString();
    }

    /** An edge number or a random one (small or big integer, decimal). */
    Object number() {
        if (random.nextInt(10) < 6) {
            return pick(EDGE_NUMBERS);
        }
        return switch (random.nextInt(6)) {
            case 0 -> (long) random.nextInt(201) - 100;
            case 1 -> random.nextLong();
            case 2 -> Math.round(random.nextGaussian() * 1000) / 4.0;
            case 3 -> random.nextGaussian() * Math.pow(10, random.nextInt(40) - 20);
            case 4 -> new BigInteger(64 + random.nextInt(40), random).multiply(BigInteger.valueOf(random.nextBoolean() ? 1 : -1));
            default -> BuiltinProbes.exact(new BigDecimal(new BigInteger(60 + random.nextInt(30), random),
                    random.nextInt(25)).toPlainString());
        };
    }

    /** A value of the declared type {@code type}; containers nest at most {@code depth} more levels. */
    Object of(JsonNode type, int depth) {
        String name = type.path("type").asText("any");
        switch (name) {
            case "string":
                return string();
            case "number":
                return number();
            case "boolean":
                return random.nextBoolean();
            case "null":
                return null;
            case "array": {
                List<Object> array = new ArrayList<>();
                if (type.has("static")) {
                    for (JsonNode element : type.get("static")) {
                        array.add(of(element, depth - 1));
                    }
                }
                if (type.has("dynamic") || !type.has("static")) {
                    JsonNode element = type.path("dynamic");
                    for (int i = 0, n = random.nextInt(5); i < n; i++) {
                        array.add(of(element, depth - 1));
                    }
                }
                return array;
            }
            case "set": {
                Map<String, Object> distinct = new LinkedHashMap<>();
                for (int i = 0, n = random.nextInt(5); i < n; i++) {
                    Object element = of(type.path("of"), depth - 1);
                    distinct.putIfAbsent(valueKey(element), element);
                }
                return BuiltinProbes.set(distinct.values().toArray());
            }
            case "object":
                return object(type.path("dynamic").path("key"), type.path("dynamic").path("value"), depth);
            default:
                JsonNode of = type.path("of");
                if (of.isArray() && !of.isEmpty()) {
                    return of(of.get(random.nextInt(of.size())), depth);
                }
                if (of.isObject()) {
                    return of(of, depth);
                }
                return any(depth);
        }
    }

    private Object object(JsonNode keyType, JsonNode valueType, int depth) {
        int n = random.nextInt(4);
        boolean stringKeys = keyType.path("type").asText("any").equals("string") || random.nextInt(5) > 0;
        if (stringKeys) {
            Map<String, Object> object = new LinkedHashMap<>();
            for (int i = 0; i < n; i++) {
                object.put(random.nextBoolean() ? pick(List.of("a", "b", "c", "é", "", "a.b", "😀")) : string(),
                        of(valueType, depth - 1));
            }
            return object;
        }
        Map<String, Object[]> pairs = new LinkedHashMap<>();
        for (int i = 0; i < n; i++) {
            // Keys are scalars, or arrays of numbers, booleans and null: a composite key is written as JSON text,
            // the module's own (sets and objects in its order, U+2028 and <>& unescaped; docs/policy.md).
            Object key = depth > 1 && random.nextInt(3) == 0 ? Arrays.asList(of(Kind.values()[1 + random.nextInt(3)], 0),
                    of(Kind.values()[1 + random.nextInt(3)], 0)) : scalar();
            pairs.putIfAbsent(valueKey(key), new Object[] {key, of(valueType, depth - 1)});
        }
        List<Object> flat = new ArrayList<>();
        pairs.values().forEach(pair -> flat.addAll(Arrays.asList(pair)));
        return BuiltinProbes.object(flat.toArray());
    }

    /** A value of any kind; containers only while {@code depth} allows. */
    Object any(int depth) {
        Kind kind = Kind.values()[random.nextInt(depth > 0 ? 7 : 4)];
        return of(kind, depth);
    }

    /** A string, number, boolean or null. */
    Object scalar() {
        return of(Kind.values()[random.nextInt(4)], 0);
    }

    /** A value of {@code kind}. */
    Object of(Kind kind, int depth) {
        if (depth <= 0 && kind.ordinal() > Kind.NULL.ordinal()) {
            kind = Kind.values()[random.nextInt(4)];
        }
        return switch (kind) {
            case STRING -> string();
            case NUMBER -> number();
            case BOOLEAN -> random.nextBoolean();
            case NULL -> null;
            case ARRAY -> of(BuiltinProbes.MAPPER.createObjectNode().put("type", "array"), depth);
            case SET -> of(BuiltinProbes.MAPPER.createObjectNode().put("type", "set"), depth);
            case OBJECT -> object(BuiltinProbes.MAPPER.createObjectNode(), BuiltinProbes.MAPPER.createObjectNode(),
                    depth);
        };
    }

    /** The kinds {@code type} admits at its top level. */
    static Set<Kind> kinds(JsonNode type) {
        String name = type.path("type").asText("any");
        if (name.equals("any")) {
            JsonNode of = type.path("of");
            if (of.isArray() && !of.isEmpty()) {
                Set<Kind> kinds = EnumSet.noneOf(Kind.class);
                of.forEach(alternative -> kinds.addAll(kinds(alternative)));
                return kinds;
            }
            return of.isObject() ? kinds(of) : EnumSet.allOf(Kind.class);
        }
        return EnumSet.of(Kind.valueOf(name.toUpperCase(java.util.Locale.ROOT)));
    }

    /** A value of a kind {@code type} does not admit, or null when it admits every kind. */
    Object wrong(JsonNode type) {
        Set<Kind> others = EnumSet.complementOf(EnumSet.copyOf(kinds(type)));
        if (others.isEmpty()) {
            return null;
        }
        List<Kind> list = new ArrayList<>(others);
        return new Wrong(of(list.get(random.nextInt(list.size())), 2));
    }

    /** A value of a wrong kind; {@link #value} may itself be null. */
    record Wrong(Object value) {
    }

    /** The kind of a probe value (Java value or marker). */
    static Kind kindOf(Object value) {
        JsonNode node = BuiltinProbes.tree(value);
        String marker = BuiltinProbes.marker(node);
        if (marker != null) {
            return switch (marker) {
                case "$set" -> Kind.SET;
                case "$num" -> Kind.NUMBER;
                default -> Kind.OBJECT;
            };
        }
        return switch (node.getNodeType()) {
            case STRING -> Kind.STRING;
            case NUMBER -> Kind.NUMBER;
            case BOOLEAN -> Kind.BOOLEAN;
            case ARRAY -> Kind.ARRAY;
            case OBJECT -> Kind.OBJECT;
            default -> Kind.NULL;
        };
    }

    /** {@code value} as a BigDecimal when it is a number (or an exact literal), else null. */
    static BigDecimal decimal(Object value) {
        JsonNode node = BuiltinProbes.tree(value);
        if ("$num".equals(BuiltinProbes.marker(node))) {
            return new BigDecimal(node.get("$num").asText());
        }
        return node.isNumber() ? node.decimalValue() : null;
    }

    /**
     * Distinct values as Rego compares them ({@code 2} and {@code 2.0} are one), in order: for set elements and
     * object keys, where two equal values of different text would leave it to each engine which text it keeps.
     */
    static List<Object> distinct(List<Object> values) {
        Map<String, Object> seen = new LinkedHashMap<>();
        values.forEach(v -> seen.putIfAbsent(valueKey(v), v));
        return new ArrayList<>(seen.values());
    }

    /** A key equal for values Rego holds equal: numbers by value, recursively. */
    static String valueKey(Object value) {
        return normalized(BuiltinProbes.tree(value)).toString();
    }

    private static JsonNode normalized(JsonNode node) {
        BigDecimal number = decimal(node);
        if (number != null) {
            return BuiltinProbes.NODES.textNode("#" + number.stripTrailingZeros().toPlainString());
        }
        if (node.isArray()) {
            com.fasterxml.jackson.databind.node.ArrayNode copy = BuiltinProbes.NODES.arrayNode();
            node.forEach(e -> copy.add(normalized(e)));
            return copy;
        }
        if (node.isObject()) {
            com.fasterxml.jackson.databind.node.ObjectNode copy = BuiltinProbes.NODES.objectNode();
            node.fields().forEachRemaining(f -> copy.set(f.getKey(), normalized(f.getValue())));
            return copy;
        }
        return node;
    }

    /** The set of strings {@code strings} as a list, without repeats. */
    static List<String> unique(List<String> strings) {
        return new ArrayList<>(new LinkedHashSet<>(strings));
    }
}
