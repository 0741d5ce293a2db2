package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mcpguard.core.testing.OpaBinary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code json.marshal}, {@code json.unmarshal}, {@code json.is_valid}, {@code base64.decode},
 * {@code base64.is_valid}, {@code base64url.decode}, {@code object.union_n}, {@code json.filter},
 * {@code json.remove}, {@code net.cidr_contains} and {@code net.cidr_intersects}, which the host supplies in place
 * of the module's runtime functions ({@link EncodingBuiltins}), decide as the real {@code opa} does: hand-picked
 * edge inputs (exact big numbers, {@code -0}, sets, objects with keys of any type, HTML characters, U+2028, astral
 * and combining characters, lone surrogate escapes, malformed JSON, base64 and CIDRs, wrong operand types) and
 * seeded random values and mutations of them.
 */
class EncodingBuiltinsProbeTest {

    private static final String UNMARSHAL_TEXT = "json.unmarshal" + BuiltinProbes.TEXT;
    private static final String ROUND_TRIP = "json.marshal(json.unmarshal)";
    private static final String DECODED_COUNT = "count(base64.decode)";
    private static final String URL_DECODED_COUNT = "count(base64url.decode)";

    /** Strings with what Go's encoder escapes, and what it does not. */
    static final List<String> STRINGS = List.of("", "a", "héllo", "<script>&amp;</script>", "a>b", "\u2028\u2029",
            "\u0000", "\u0001\u001f", "\u007f", "\b\f\n\r\t", "\"\\/", "😀", "e\u0301", "\uD834\uDD1E", "\uFFFD",
            "\uFEFF", "日本語", "ﬁ", "x".repeat(300), " ", "\u00A0", "\u200B");

    @TempDir
    Path work;

    @Test
    void encodingBuiltinsMatchOpaOnEdgeCasesAndRandomInputs() {
        Random random = new Random(11_2041L);
        BuiltinProbes probes = new BuiltinProbes().canonicalSets().batched(32)
                .builtin("json.marshal", 1).builtin("json.unmarshal", 1).builtinAsText("json.unmarshal", 1)
                .template(ROUND_TRIP, 1, "json.marshal(json.unmarshal(@0))").builtin("json.is_valid", 1)
                .builtin("base64.decode", 1).builtin("base64.is_valid", 1).builtin("base64url.decode", 1)
                .template(DECODED_COUNT, 1, "count(base64.decode(@0))")
                .template(URL_DECODED_COUNT, 1, "count(base64url.decode(@0))")
                .builtin("object.union_n", 1).builtinAsText("object.union_n", 1).builtin("json.filter", 2).builtin("json.remove", 2)
                .builtin("net.cidr_contains", 2).builtin("net.cidr_intersects", 2);

        marshalProbes(probes, random);
        jsonTextProbes(probes, random);
        base64Probes(probes, random);
        unionProbes(probes, random);
        filterAndRemoveProbes(probes, random);
        cidrProbes(probes, random);

        Map<String, Integer> perBuiltin;
        try {
            perBuiltin = probes.assertSameAsOpa();
        } catch (AssertionError e) {
            dev.mcpguard.core.testing.OpaDifferential.mismatches(probes.lastPairs())
                    .forEach(pair -> System.out.println("MISMATCH " + printable(pair.toString())));
            throw e;
        }
        System.out.printf("encoding probes: %s%n", perBuiltin);
        assertThat(perBuiltin).hasSize(16).allSatisfy((name, n) -> assertThat(n).as(name).isGreaterThanOrEqualTo(200));
    }

    /** {@code s} as a JSON string, so that a mismatch prints on one line whatever it holds. */
    private static String printable(String s) {
        return BuiltinProbes.NODES.textNode(s).toString();
    }

    // ------------------------------------------------------------------ json.marshal

    /** Values of every kind, the numbers as exact literals of the module. */
    private static List<Object> values(Random random) {
        List<Object> values = new ArrayList<>(List.of(0, 1, -1, 1.5, true, false, List.of(), Map.of(),
                Arrays.asList(1, "a", null, true), Map.of("b", 1, "a", 2, "A", 3, "é", 4, "😀", 5, "\uFFFF", 6),
                Map.of("<", ">", "&", "\u2028"), List.of(List.of(List.of())), Map.of("", Map.of("", ""))));
        values.add(BuiltinProbes.NODES.nullNode());
        STRINGS.forEach(values::add);
        for (String n : List.of("-0", "0.0", "-0.0", "1.0", "1.50", "1e400", "-1e400", "1E5", "1e-7", "0.1e-2",
                "9223372036854775807", "9223372036854775808", "-9223372036854775809", "18446744073709551616",
                "12345678901234567890123456789", "3.14159265358979323846264338327950288", "1e308", "2e-308",
                "123456789.123456789", "100")) {
            values.add(BuiltinProbes.exact(n));
            values.add(List.of(BuiltinProbes.exact(n), n));
        }
        values.add(BuiltinProbes.set());
        values.add(BuiltinProbes.set(3, 1, 2));
        values.add(BuiltinProbes.set("b", "a", "B", "😀", "é"));
        values.add(BuiltinProbes.set(List.of(2), List.of(1), Map.of("a", 1), "x", 1, true, BuiltinProbes.NODES.nullNode()));
        values.add(Map.of("s", BuiltinProbes.set(BuiltinProbes.set(1), BuiltinProbes.set())));
        values.add(BuiltinProbes.object(1, "one", "1", "string one"));
        values.add(BuiltinProbes.object(2, "a", 10, "b", -1, "c"));
        values.add(BuiltinProbes.object(true, 1, BuiltinProbes.NODES.nullNode(), 2, false, 3));
        values.add(BuiltinProbes.object(List.of(1, "x"), "arr", BuiltinProbes.set("a"), "set", Map.of("k", 1), "obj"));
        values.add(BuiltinProbes.object(BuiltinProbes.exact("1.0"), "a", BuiltinProbes.exact("1e400"), "b"));
        values.add(BuiltinProbes.object("<k>", 1, 1.5, "&"));
        values.add(BuiltinProbes.object(List.of("<", "\u2028"), 1, Map.of("&", ">"), 2, BuiltinProbes.set("<"), 3));
        values.add(BuiltinProbes.object(1, "number", "1", "string: the later key in Rego's order wins"));
        values.add(BuiltinProbes.object("1", "string", 1, "number"));
        values.add(BuiltinProbes.object(BuiltinProbes.exact("1e400"), 1, BuiltinProbes.exact("-0"), 2, "😀", 3));
        for (int i = 0; i < 200; i++) {
            values.add(randomValue(random, 3));
        }
        return values;
    }

    private static void marshalProbes(BuiltinProbes probes, Random random) {
        values(random).forEach(v -> probes.call("json.marshal", v));
    }

    private static final String CHARS = "aZ09 <>&\"\\/é😀\u2028\u0000\n\t~";

    private static Object randomValue(Random random, int depth) {
        int kind = random.nextInt(depth <= 0 ? 5 : 9);
        switch (kind) {
            case 0:
                return BuiltinProbes.NODES.nullNode();
            case 1:
                return random.nextBoolean();
            case 2:
                return random.nextBoolean() ? random.nextInt(2001) - 1000 : BuiltinProbes.exact(randomNumberText(random));
            case 3:
            case 4: {
                StringBuilder s = new StringBuilder();
                for (int k = 0, n = random.nextInt(6); k < n; k++) {
                    int[] cps = CHARS.codePoints().toArray();
                    s.appendCodePoint(cps[random.nextInt(cps.length)]);
                }
                return s.toString();
            }
            case 5:
            case 6: {
                List<Object> array = new ArrayList<>();
                for (int k = 0, n = random.nextInt(4); k < n; k++) {
                    array.add(randomValue(random, depth - 1));
                }
                return array;
            }
            case 7: {
                Map<String, Object> object = new LinkedHashMap<>();
                for (int k = 0, n = random.nextInt(4); k < n; k++) {
                    object.put(pick(random, List.of("a", "b", "c", "é", "<", "A", "")), randomValue(random, depth - 1));
                }
                return object;
            }
            default: {
                // Sets stay shallow: markers nest at most BuiltinProbes.MARKER_DEPTH deep.
                List<Object> members = new ArrayList<>();
                for (int k = 0, n = random.nextInt(4); k < n; k++) {
                    members.add(random.nextBoolean() ? random.nextInt(5) : pick(random, List.of("x", "y", "é")));
                }
                return BuiltinProbes.set(members.toArray());
            }
        }
    }

    private static String randomNumberText(Random random) {
        String digits = Long.toString(Math.abs(random.nextLong()) % 100_000_000_000L);
        String text = (random.nextBoolean() ? "-" : "") + digits;
        if (random.nextBoolean()) {
            text += "." + random.nextInt(1000);
        }
        if (random.nextInt(3) == 0) {
            text += "e" + (random.nextBoolean() ? "-" : "") + random.nextInt(400);
        }
        return text;
    }

    // ------------------------------------------------------------------ json.unmarshal, json.is_valid

    /** JSON texts, valid and not, as Go's decoder draws the line. */
    static final List<String> JSON_TEXTS = List.of("null", "true", "false", "0", "-0", "1", "-1", "1.5", "1e400",
            "-1e400", "1E+2", "1e-2", "0.0", "-0.0", "1.50", "12345678901234567890123456789", "9223372036854775808",
            "\"\"", "\"a\"", "[]", "{}", "[1,2,3]", "{\"a\":1}", " {\"a\" : [1, {\"b\": null}] } ", "\t\n\r 1 \r\n\t",
            "{\"a\":1,\"a\":2}", "{\"a\":{\"x\":1},\"a\":{\"y\":2}}", "{\"\":0}", "{\"é\":\"\\u00e9\"}",
            "\"\\u00e9\\u00E9\"", "\"\\/\\\\\\\"\\b\\f\\n\\r\\t\"", "\"\\ud83d\\ude00\"", "\"\\uD83D\\uDE00\"", "\"\\ud800\"",
            "\"\\udc00\"", "\"\\ud800\\u0041\"", "\"\\ud800\\ud800\"", "\"\\udc00\\ud800\"", "\"a\\ud800\"",
            "\"\\ud800x\"", "\"\\ud83d\\ude00\\ud83d\"", "\"\\u0000\"", "\"\\u2028\"", "\"😀e\u0301\"", "\"\u007f\"",
            "[\"\\ud800\",{\"\\udfff\":1}]", "{\"\\ud800\":1,\"\\udbff\":2}",
            // not JSON for Go
            "", " ", "nul", "nulll", "tru", "True", "NULL", "01", "-01", "00", "1.", ".5", "-", "+1", "1e", "1e+",
            "0x10", "Infinity", "NaN", "-Infinity", "1_000", "[1,]", "[,1]", "[1 2]", "{\"a\":1,}", "{a:1}",
            "{'a':1}", "{\"a\" 1}", "{\"a\":}", "{1:2}", "[", "]", "{", "}", "[1]]", "{}}", "1 2", "[] []", "{} x",
            "\"a\" \"b\"", "1,", "\"abc", "\"a\\\"", "\"\\x41\"", "\"\\u00g0\"", "\"\\u12\"", "\"\\U0041\"",
            "\"\\'\"", "\"a\tb\"", "\"a\nb\"", "\"\u0001\"", "\"\u001f\"", "\ufeff{}", "// c\n1", "/* */1", "1 // c",
            "\u00a01", "1\u00a0", "\u20281", "\u000b1", "\u000c1", "\u00001", "1\u0000", "[1]\u0000", "truefalse",
            "nullnull", "[true false]", "{\"a\":1}{\"b\":2}", "\"\\ud800\\u\"", "-0.e1", "1.e1", "1e1.5", "--1",
            "[-]", "[1e]", "\"\\",
            // json.Decoder then asks for one more token: a null is the nil token, and what follows it is never read
            "1 null", "0null", "0nullx", "[1]null", "{}null{", "1 null 2", "null null null", "1\nnull", "\"a\"null",
            "truenull", "1 nul", "1 nulll", "1 true", "1 \"null\"", "1 [null]", "1null]", "1 Null", "1 null\u0000",
            "1 nullnull", "1 null \"unterminated", "[1,]null", "1 ,null", "{\"a\":1,\"\\u0061\":2}");

    private static void jsonTextProbes(BuiltinProbes probes, Random random) {
        List<String> texts = new ArrayList<>(JSON_TEXTS);
        for (String depth : List.of("[", "{\"a\":")) {
            for (int d : new int[] {1, 2, 63, 64, 127, 128}) {
                String close = depth.equals("[") ? "]" : "}";
                texts.add(depth.repeat(d) + "1" + close.repeat(d));
            }
        }
        for (int i = 0; i < 120; i++) {
            String json = GoJsonEncoderText.of(randomValue(random, 3));
            texts.add(json);
            texts.add(mutate(random, json));
        }
        for (String text : texts) {
            if (!ROUNDED_BY_RESULT_READER.matcher(text).find()) {
                probes.call("json.unmarshal", text);
            }
            probes.call(UNMARSHAL_TEXT, text).call(ROUND_TRIP, text).call("json.is_valid", text);
        }
        // Valid far beyond what a value may nest in the module: only the syntax is checked.
        for (int d : new int[] {129, 1000, 9999, 10_000, 10_001, 20_000}) {
            probes.call("json.is_valid", "[".repeat(d) + "]".repeat(d));
            probes.call("json.is_valid", "[".repeat(d) + "]".repeat(d - 1));
        }
        for (Object wrong : List.of(1, true, List.of("{}"), Map.of("a", "{}"))) {
            probes.call("json.unmarshal", wrong).call("json.is_valid", wrong);
        }
        probes.call("json.is_valid", BuiltinProbes.NODES.nullNode()).call("json.is_valid", BuiltinProbes.set("1"))
                .call("json.is_valid", BuiltinProbes.object(1, "x")).call("json.is_valid", BuiltinProbes.exact("1"))
                .call("json.unmarshal", BuiltinProbes.NODES.nullNode()).call("json.unmarshal", BuiltinProbes.set("1"));
    }

    /**
     * Numbers the engine's result reader reads as doubles (an exponent, more than 15 digits): compared only as
     * {@code sprintf} text and through {@code json.marshal}, inside the module.
     */
    private static final java.util.regex.Pattern ROUNDED_BY_RESULT_READER =
            java.util.regex.Pattern.compile("[0-9][eE]|[0-9.]{16}");

    private static final String MUTATIONS = "{}[],:\"\\ 0-1.eE+tfnu\u0000é";

    /** {@code s} with one code point deleted, inserted or replaced (never half a surrogate pair). */
    private static String mutate(Random random, String s) {
        List<Integer> cps = new ArrayList<>(s.codePoints().boxed().toList());
        int at = cps.isEmpty() ? 0 : random.nextInt(cps.size());
        int with = MUTATIONS.codePointAt(MUTATIONS.offsetByCodePoints(0,
                random.nextInt(MUTATIONS.codePointCount(0, MUTATIONS.length()))));
        switch (random.nextInt(3)) {
            case 0 -> {
                if (!cps.isEmpty()) {
                    cps.remove(at);
                }
            }
            case 1 -> cps.add(at, with);
            default -> {
                if (!cps.isEmpty()) {
                    cps.set(at, with);
                }
            }
        }
        StringBuilder out = new StringBuilder();
        cps.forEach(out::appendCodePoint);
        return out.toString();
    }

    /** A probe value written as JSON text (sets as arrays, number markers as their literal), for json.unmarshal. */
    private static final class GoJsonEncoderText {
        static String of(Object value) {
            JsonNode node = BuiltinProbes.tree(value);
            StringBuilder out = new StringBuilder();
            write(node, out);
            return out.toString();
        }

        private static void write(JsonNode node, StringBuilder out) {
            String marker = BuiltinProbes.marker(node);
            if ("$num".equals(marker)) {
                out.append(node.get("$num").asText());
            } else if ("$set".equals(marker)) {
                write(node.get("$set"), out);
            } else if (node.isArray()) {
                out.append('[');
                for (int i = 0; i < node.size(); i++) {
                    out.append(i > 0 ? ", " : "");
                    write(node.get(i), out);
                }
                out.append(']');
            } else if (node.isObject()) {
                out.append('{');
                boolean first = true;
                for (Map.Entry<String, JsonNode> field : node.properties()) {
                    out.append(first ? "" : ",");
                    first = false;
                    out.append(BuiltinProbes.NODES.textNode(field.getKey())).append(':');
                    write(field.getValue(), out);
                }
                out.append('}');
            } else {
                out.append(node);
            }
        }
    }

    // ------------------------------------------------------------------ base64

    private static void base64Probes(BuiltinProbes probes, Random random) {
        List<String> texts = new ArrayList<>(List.of("", "=", "==", "===", "====", "QQ==", "QQ=", "QQ", "Q", "QUI=",
                "QUI", "QUJD", "QUJDRA==", "QUJDRA", "QUJDRA=", "QUJDRA===", "QUJD\nRA==", "QUJD\r\nRA==", "\nQUJD",
                "QUJD\n", "QUJDRA==\n", "QUJDRA=\n=", "QUJDRA\n==", " QUJD", "QUJD ", "QU JD", "QUJD\t", "QR==",
                "QUJ=", "QUK=", "QUJDRB==", "/w==", "/+8=", "-_8=", "_-8", "4oI=", "4oJB", "gA==", "wK8=", "7aCA",
                "8J+YgA==", "8J+Y", "w6k=", "w6", "4pyTIMOgIGxhIG1vZGU=", "YQ==YQ==", "YQ=a", "Y===", "=YQ", "*QUJD",
                "QUJD\u0000", "QUJDé", "ＱＵＪＤ", "AAAA", "////", "____", "----", "++++", "A", "AB", "ABC", "ABCD",
                "ABCDE", "ABCDEF", "ABCDEFG", "ABCDEFGH"));
        for (String s : STRINGS) {
            byte[] bytes = CryptoBuiltins.utf8(s);
            texts.add(Base64.getEncoder().encodeToString(bytes));
            texts.add(Base64.getUrlEncoder().encodeToString(bytes));
            texts.add(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
        }
        for (int i = 0; i < 70; i++) {
            byte[] bytes = new byte[random.nextInt(20)];
            random.nextBytes(bytes);
            String std = Base64.getEncoder().encodeToString(bytes);
            texts.add(std);
            texts.add(Base64.getUrlEncoder().withoutPadding().encodeToString(bytes));
            texts.add(mutate(random, std));
        }
        for (String text : texts) {
            probes.call("base64.decode", text).call("base64.is_valid", text).call("base64url.decode", text)
                    .call(DECODED_COUNT, text).call(URL_DECODED_COUNT, text);
        }
        for (Object wrong : List.of(1, true, List.of("QQ=="), Map.of())) {
            probes.call("base64.decode", wrong).call("base64.is_valid", wrong).call("base64url.decode", wrong);
        }
        probes.call("base64.is_valid", BuiltinProbes.NODES.nullNode()).call("base64.is_valid", BuiltinProbes.set("QQ=="))
                .call("base64.is_valid", BuiltinProbes.object(1, "QQ==")).call("base64url.decode", BuiltinProbes.set());
    }

    // ------------------------------------------------------------------ object.union_n

    private static void unionProbes(BuiltinProbes probes, Random random) {
        List<Object> cases = new ArrayList<>(List.of(List.of(), List.of(Map.of()), List.of(Map.of("a", 1)),
                List.of(Map.of("a", 1), Map.of("a", 2)), List.of(Map.of("a", 1), Map.of("b", 2)),
                List.of(Map.of("a", Map.of("b", 2)), Map.of("a", 4), Map.of("a", Map.of("c", 3))),
                List.of(Map.of("a", Map.of("b", Map.of("x", 1))), Map.of("a", Map.of("b", 5)),
                        Map.of("a", Map.of("b", Map.of("y", 2)))),
                List.of(Map.of("a", Map.of("b", 1)), Map.of("a", Map.of("c", 2)), Map.of("a", Map.of("d", 3))),
                List.of(Map.of("a", 4), Map.of("a", Map.of("c", 3))), List.of(Map.of("a", Map.of("c", 3)), Map.of("a", 4)),
                List.of(Map.of("a", Map.of()), Map.of("a", Map.of("b", 1)), Map.of("a", Map.of())),
                List.of(Map.of("a", List.of(1)), Map.of("a", List.of(2))), List.of(Map.of("a", BuiltinProbes.set(1)),
                        Map.of("a", BuiltinProbes.set(2))),
                List.of(Map.of("a", Map.of("x", Map.of("p", 1))), Map.of("b", 1), Map.of("a", Map.of("x", Map.of("q", 2)))),
                List.of(Map.of("a", Map.of("x", 1)), Map.of("a", Map.of("x", Map.of("q", 2))), Map.of("a", Map.of("y", 3))),
                List.of(Map.of("a", 1), 5), List.of(5, Map.of("a", 1)), List.of("x"), List.of(List.of()),
                List.of(Map.of("a", 1), BuiltinProbes.set()), List.of(Map.of(), BuiltinProbes.NODES.nullNode())));
        cases.add(List.of(BuiltinProbes.object(1, "a"), BuiltinProbes.object(BuiltinProbes.exact("1.0"), "b")));
        cases.add(List.of(BuiltinProbes.object(BuiltinProbes.exact("1.0"), Map.of("x", 1)),
                BuiltinProbes.object(1, Map.of("y", 2))));
        cases.add(List.of(BuiltinProbes.object(List.of(1), "arr", true, "t"), BuiltinProbes.object(List.of(1), "arr2")));
        for (Object wrong : List.of(Map.of("a", 1), "x", 1, true)) {
            cases.add(wrong);
        }
        cases.add(BuiltinProbes.set(Map.of("a", 1)));
        cases.add(BuiltinProbes.set());
        cases.add(BuiltinProbes.NODES.nullNode());
        for (int i = 0; i < 270; i++) {
            List<Object> objects = new ArrayList<>();
            for (int k = 0, n = random.nextInt(5); k < n; k++) {
                objects.add(random.nextInt(25) == 0 ? randomValue(random, 1) : randomMergeObject(random, 3));
            }
            cases.add(objects);
        }
        cases.forEach(c -> probes.call("object.union_n", c));
        // Numbers the engine's result reader would round: compared as text inside the module.
        for (Object c : List.of(List.of(Map.of("a", BuiltinProbes.exact("1e400")), Map.of("b", BuiltinProbes.exact("-0"))),
                List.of(Map.of("a", Map.of("x", BuiltinProbes.exact("1.000000000000000000001"))),
                        Map.of("a", Map.of("y", BuiltinProbes.exact("12345678901234567890.5")))))) {
            probes.call("object.union_n" + BuiltinProbes.TEXT, c);
        }
        for (int i = 0; i < 200; i++) {
            List<Object> objects = new ArrayList<>();
            for (int k = 0, n = random.nextInt(4); k < n; k++) {
                objects.add(randomMergeObject(random, 3));
            }
            probes.call("object.union_n" + BuiltinProbes.TEXT, objects);
        }
    }

    private static Map<String, Object> randomMergeObject(Random random, int depth) {
        Map<String, Object> object = new LinkedHashMap<>();
        for (int k = 0, n = random.nextInt(4); k < n; k++) {
            String key = pick(random, List.of("a", "b", "c"));
            int kind = random.nextInt(depth <= 0 ? 2 : 4);
            object.put(key, switch (kind) {
                case 0 -> random.nextInt(10);
                case 1 -> pick(random, List.of("s", "t"));
                default -> randomMergeObject(random, depth - 1);
            });
        }
        return object;
    }

    // ------------------------------------------------------------------ json.filter, json.remove

    private static void filterAndRemoveProbes(BuiltinProbes probes, Random random) {
        Map<String, Object> doc = new LinkedHashMap<>();
        doc.put("a", Map.of("b", 1, "c", List.of(10, 20, Map.of("d", 30, "e", 40)), "~", 2, "/", 3, "x/y", 4));
        doc.put("f", List.of(List.of(1, 2), List.of(3, 4)));
        doc.put("g", BuiltinProbes.set("p", "q", List.of(1, 2)));
        doc.put("", Map.of("", 5));
        doc.put("h", BuiltinProbes.NODES.nullNode());
        doc.put("é", "x");
        Object keyed = BuiltinProbes.object(1, "one", BuiltinProbes.exact("2.0"), Map.of("z", 1), "1", "string one",
                List.of("k"), "array key", BuiltinProbes.set("s"), "set key");
        List<Object> documents = List.of(doc, Map.of(), Map.of("a", 1), keyed, Map.of("a", List.of()),
                Map.of("a", Map.of("a", Map.of("a", 1))), Map.of("s", BuiltinProbes.set(Map.of("k", 1, "l", 2))));
        List<Object> paths = new ArrayList<>(List.of("a", "/a", "//a", "a/", "a/b", "/a/b", "a/c/0", "a/c/2/d", "a/c/01",
                "a/c/-1", "a/c/9", "a/c/x", "a/~0", "a/~1", "a/x~1y", "a/~01", "a/~10", "a/~", "a/~2", "f/1/0", "f/*",
                "g/p", "g/q/x", "", "/", "//", "h", "h/x", "é", "/", "a/b/c", "1", "2"));
        paths.add(List.of());
        paths.add(List.of("a"));
        paths.add(List.of("a", "c", "1"));
        paths.add(List.of("a", "c", 1));
        paths.add(List.of("f", "0", "1"));
        paths.add(List.of("g", List.of(1, 2), "0"));
        paths.add(List.of("g", "p"));
        paths.add(List.of(1));
        paths.add(List.of(BuiltinProbes.exact("1.0")));
        paths.add(List.of(BuiltinProbes.exact("2")));
        paths.add(List.of(BuiltinProbes.exact("2"), "z"));
        paths.add(List.of(List.of("k")));
        paths.add(List.of(BuiltinProbes.set("s")));
        paths.add(List.of("s", Map.of("k", 1, "l", 2), "k"));
        paths.add(List.of(true));
        paths.add(List.of(BuiltinProbes.NODES.nullNode()));
        paths.add(List.of("a", "a"));
        paths.add(List.of("", ""));
        List<Object> pathOperands = new ArrayList<>();
        for (Object path : paths) {
            pathOperands.add(List.of(path));
        }
        pathOperands.addAll(List.of(List.of(), List.of("a", "a/b"), List.of("a/b", "a"), List.of("a/c/0", "a/c/2"),
                List.of("a/c/2/d", "a/c/2"), List.of(List.of(), "a"), List.of("", "a/b"), List.of("f/0", "f/1/1"),
                List.of("a", List.of("a", "b")), List.of(List.of("a", "b"), "a"), BuiltinProbes.set("a/b", "f/1"),
                BuiltinProbes.set(), BuiltinProbes.set(List.of("a", "c"), "a"), List.of("a", 1), List.of(1),
                List.of(Map.of("a", 1)), List.of(BuiltinProbes.set("a")), List.of(true), "a", 1, Map.of("a", 1),
                BuiltinProbes.NODES.nullNode()));
        for (Object document : documents) {
            for (int i = 0; i < 18; i++) {
                Object operand = pick(random, pathOperands);
                probes.call("json.filter", document, operand).call("json.remove", document, operand);
            }
        }
        for (Object operand : pathOperands) {
            probes.call("json.filter", doc, operand).call("json.remove", doc, operand);
        }
        for (Object notObject : List.of(List.of(1), "a", 1, BuiltinProbes.set("a"))) {
            probes.call("json.filter", notObject, List.of("a")).call("json.remove", notObject, List.of("a"));
        }
        for (int i = 0; i < 100; i++) {
            Object document = randomValue(random, 3);
            if (random.nextInt(4) != 0) {
                document = randomMergeObject(random, 3);
            }
            List<Object> operand = new ArrayList<>();
            for (int k = 0, n = random.nextInt(4); k < n; k++) {
                StringBuilder path = new StringBuilder();
                for (int s = 0, segments = random.nextInt(4); s < segments; s++) {
                    path.append(s > 0 || random.nextBoolean() ? "/" : "").append(pick(random, List.of("a", "b", "c", "0",
                            "1", "~0", "~1", "")));
                }
                operand.add(random.nextInt(4) == 0 ? Arrays.asList(path.toString().split("/")) : path.toString());
            }
            probes.call("json.filter", document, operand).call("json.remove", document, operand);
        }
    }

    // ------------------------------------------------------------------ net.cidr_contains, net.cidr_intersects

    private static void cidrProbes(BuiltinProbes probes, Random random) {
        List<String> cidrs = new ArrayList<>(List.of("10.0.0.0/8", "10.0.0.0/16", "10.1.0.0/16", "192.168.0.0/16",
                "0.0.0.0/0", "::/0", "169.254.0.0/16", "169.254.169.254/32", "2001:db8::/32", "2001:db8::/48",
                "2001:db8:1::/48", "fe80::/10", "::ffff:0:0/96", "::ffff:10.0.0.0/104", "::ffff:10.0.0.0/100",
                "::ffff:a9fe:a9fe/128", "::ffff:169.254.0.0/112", "1.2.3.4/32", "1.2.3.4/24", "10.0.0.0/33",
                "10.0.0.0/-0", "10.0.0.0/8.0", "10.0.0.0/+8", "10.0.0.0/24/32", "10.0.0.0/ 8", "10.0.0.0/08",
                "10.0.0.0\u0000/8", "1:2:3:4:5:6:7:8:/64", "1:2:3:4:5:6:7:8/128", "::1/128", "fe80::1%eth0/64", "bad",
                "10.0.0.0", "", "/8", "::ffff:1.2.3.4/96", "::ffff:1.2.3.4/120", "0.0.0.0/32", "255.255.255.255/32",
                "255.255.255.255/31", "128.0.0.0/1", "::/1", "8000::/1", "::/80", "::/95", "::/96", "::/97",
                "::fffe:0:0/95", "::ffff:0:0/95", "::ffff:0:0/80", "::1:0:0/95", "::/127", "::/128", "::ffff:0:0/96",
                "::ffff:0:0/97", "::ffff:ffff:ffff/128", "::fffe:ffff:ffff/128", "2001:db8::/127", "ffff::/16"));
        for (String ip : NetBuiltinsProbeTest.IPV4) {
            cidrs.add(ip + "/" + pick(random, NetBuiltinsProbeTest.PREFIXES));
        }
        for (String ip : NetBuiltinsProbeTest.IPV6) {
            cidrs.add(ip + "/" + pick(random, NetBuiltinsProbeTest.PREFIXES));
        }
        List<String> targets = new ArrayList<>(cidrs);
        targets.addAll(NetBuiltinsProbeTest.IPV4);
        targets.addAll(NetBuiltinsProbeTest.IPV6);
        targets.addAll(List.of("10.1.2.3", "::ffff:10.1.2.3", "::ffff:a01:203", "::ffff:a9fe:a9fe", "169.254.169.254",
                "::a9fe:a9fe", "0:0:0:0:0:ffff:a9fe:a9fe", "10.255.255.255", "11.0.0.0", "9.255.255.255"));
        List<String> good = new ArrayList<>();
        for (String cidr : cidrs) {
            if (GoNet.parseCidr(cidr) != null) {
                good.add(cidr);
            }
        }
        for (int i = 0; i < 120; i++) {
            String a = pick(random, good);
            probes.call("net.cidr_contains", a, pick(random, targets));
            probes.call("net.cidr_intersects", a, pick(random, good));
        }
        for (int i = 0; i < 80; i++) {
            String a = randomCidr(random);
            String b = random.nextBoolean() ? randomCidr(random) : randomAddress(random);
            probes.call("net.cidr_contains", a, b).call("net.cidr_intersects", a, b.contains("/") ? b : b + "/32");
        }
        for (String cidr : cidrs) {
            probes.call("net.cidr_contains", cidr, "10.1.2.3").call("net.cidr_intersects", cidr, "10.0.0.0/8");
        }
        for (Object[] pair : new Object[][] {{"10.0.0.0/8", 5}, {5, "10.0.0.0/8"}, {"10.0.0.0/8", List.of("10.1.1.1")},
                {List.of("10.0.0.0/8"), "10.1.1.1"}, {"10.0.0.0/8", BuiltinProbes.NODES.nullNode()},
                {BuiltinProbes.set("10.0.0.0/8"), "10.1.1.1"}, {"bad", 5}, {5, "bad"}, {true, false}}) {
            probes.call("net.cidr_contains", pair).call("net.cidr_intersects", pair);
        }
    }

    private static String randomAddress(Random random) {
        if (random.nextBoolean()) {
            return pick(random, List.of(10, 169, 192, 1, 0, 255)) + "." + random.nextInt(256) + "." + random.nextInt(256)
                    + "." + random.nextInt(256);
        }
        StringBuilder v6 = new StringBuilder(random.nextBoolean() ? "::ffff:" : "2001:db8:");
        v6.append(Integer.toHexString(random.nextInt(0x10000))).append(':').append(Integer.toHexString(random.nextInt(0x10000)));
        return random.nextInt(3) == 0 ? "::ffff:" + random.nextInt(256) + ".254." + random.nextInt(256) + ".1"
                : v6.toString();
    }

    private static String randomCidr(Random random) {
        String address = randomAddress(random);
        int bits = address.contains(":") && !address.matches(".*\\d+\\.\\d+\\.\\d+\\.\\d+") ? 128 : address.contains(":") ? 128
                : 32;
        return address + "/" + random.nextInt(bits + 2);
    }

    private static <T> T pick(Random random, List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    // ------------------------------------------------------------------ the documented divergence

    /**
     * The module holds only UTF-8 strings, so decoded bytes that are not UTF-8 are U+FFFD each: printed and counted
     * as OPA does, but two results that differ only in such bytes are equal here, not in OPA (documented).
     */
    @Test
    void decodedBytesThatAreNotUtf8PrintAndCountAsInOpaButCompareEqual() {
        BuiltinProbes probes = new BuiltinProbes().template("eq", 2, "base64.decode(@0) == base64.decode(@1)")
                .template("url-eq", 2, "base64url.decode(@0) == base64url.decode(@1)");
        probes.call("eq", "/w==", "/g==").call("url-eq", "_w", "_g").call("eq", "4oI=", "4oM=");
        probes.call("eq", "QUJD", "QUJE").call("eq", "/w==", "/w==");
        List<dev.mcpguard.core.testing.OpaDifferential.Pair> pairs = probes.run();
        for (int i = 0; i < 3; i++) {
            assertThat(pairs.get(i).opa().value().asBoolean()).as("opa %s", pairs.get(i)).isFalse();
            assertThat(pairs.get(i).embedded().value().asBoolean()).as("embedded %s", pairs.get(i)).isTrue();
        }
        assertThat(pairs.subList(3, 5)).as("valid UTF-8, or the same bytes").allMatch(
                dev.mcpguard.core.testing.OpaDifferential.Pair::matches);
    }

    // ------------------------------------------------------------------ beyond the module's nesting

    /**
     * A value nested deeper than {@link EncodingBuiltins#MAX_DEPTH} fails the evaluation (denied) where OPA answers:
     * the module's value functions and the host's readers recurse, and would fail some hundreds of levels down,
     * one time and not another.
     */
    @Test
    void valuesNestedBeyondTheLimitFailTheEvaluationInsteadOfAnswering() throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Files.writeString(src.resolve("p.rego"), """
                package probe

                default out := "not denied"

                out := "denied" if json.unmarshal(input.s)

                out := "denied" if count(json.marshal(input.v)) > 0
                """);
        Path bundle = work.resolve("bundle.tar.gz");
        OpaBinary.run(work, List.of("build", "-t", "wasm", "-e", "probe/out", "-b", src.toString(), "-o",
                bundle.toString()));
        try (EmbeddedEvaluator embedded = EmbeddedEvaluator.load(bundle, "probe/out", Clock.systemUTC())) {
            int limit = EncodingBuiltins.MAX_DEPTH;
            JsonNode atLimit = BuiltinProbes.NODES.objectNode().put("s", "[".repeat(limit) + "]".repeat(limit));
            assertThat(embedded.evaluate(atLimit)).hasValueSatisfying(v -> assertThat(v.asText()).isEqualTo("denied"));
            JsonNode beyond = BuiltinProbes.NODES.objectNode().put("s", "[".repeat(limit + 1) + "]".repeat(limit + 1));
            assertThatThrownBy(() -> embedded.evaluate(beyond)).isNotNull();
            assertThat(embedded.evaluate(atLimit)).as("the engine recovers").isPresent();
            JsonNode deepOperand = BuiltinProbes.MAPPER.readTree("{\"v\":" + "[".repeat(limit) + "]".repeat(limit) + "}");
            assertThat(embedded.evaluate(deepOperand)).hasValueSatisfying(v -> assertThat(v.asText()).isEqualTo("denied"));
            JsonNode tooDeepOperand = BuiltinProbes.MAPPER.readTree("{\"v\":" + "[".repeat(limit + 1)
                    + "]".repeat(limit + 1) + "}");
            assertThatThrownBy(() -> embedded.evaluate(tooDeepOperand)).isNotNull();
        }
        String opa = OpaBinary.run(work, List.of("eval", "--format", "raw", "json.marshal(json.unmarshal(\""
                + "[".repeat(200) + "]".repeat(200) + "\")) == \"" + "[".repeat(200) + "]".repeat(200) + "\""));
        assertThat(opa.trim()).as("opa answers beyond the limit").isEqualTo("true");
    }
}
