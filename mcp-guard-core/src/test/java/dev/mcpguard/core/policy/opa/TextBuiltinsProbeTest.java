package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.core.testing.OpaDifferential;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.IntStream;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code substring}, {@code indexof}, {@code replace}, {@code concat}, {@code lower}, {@code upper},
 * {@code array.slice} and template strings, supplied by the host in place of the module's runtime functions
 * ({@link TextBuiltins}), decide as the real {@code opa} does on hand-picked edge inputs and random ones.
 */
class TextBuiltinsProbeTest {

    private static final Logger log = LoggerFactory.getLogger(TextBuiltinsProbeTest.class);

    /** Strings for the string builtins: ASCII, Latin, combining marks, astral, case oddities, control characters. */
    private static final List<String> STRINGS = List.of("", "a", "A", "ab", "abc", "abcdef", "aaaa", "abab",
            "Hello, World", "hello world", "é", "aé", "éa", "aéb", "e\u0301", "e\u0301e\u0301", "😀", "a😀b", "😀😀",
            "👨‍👩‍👧", "🇫🇷x", "ﬁ", "ß", "ẞ", "İ", "ı", "ǅ", "Σσς", "\u0345", "ꟀꟁꟐꟑ", "\ua7c0", "\ua7c1",
            "\ud801\udd70", "\ud801\udd97", "ⱯⱰ", "\u0000", "a\u0000b", "\n\t\"\\", "\u007f", "\ufffd", "\uffff",
            "\ue000", "\u2028", "日本語", "שלום", "x".repeat(300), "é".repeat(70), "/api/v1/users/42", "a.b.c",
            "mississippi", "%s", " ");

    /** Integer operands: OPA's IntOperand takes util.Atoi64 of the number's text. */
    private static final List<Object> INTEGERS = List.of(0, 1, 2, 3, 5, 10, 299, 300, -1, -2, -5, 1.0, 2.0, -1.0,
            1.5, 0.5, -0.5, BuiltinProbes.exact("1.0"), BuiltinProbes.exact("2.00"), BuiltinProbes.exact("1e0"),
            BuiltinProbes.exact("10e-1"), BuiltinProbes.exact("1e2"), BuiltinProbes.exact("-0"),
            BuiltinProbes.exact("0.0"), BuiltinProbes.exact("-1.0"), BuiltinProbes.exact("1.00000000000000000"),
            BuiltinProbes.exact("1.000000000000000000"), BuiltinProbes.exact("92233720368547758.0"),
            BuiltinProbes.exact("922337203685477580.0"), BuiltinProbes.exact("9223372036854775807.0"),
            BuiltinProbes.exact("1e400"), BuiltinProbes.exact("-1e400"), BuiltinProbes.exact("2.5"),
            Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE - 1, Long.MIN_VALUE + 1, BigInteger.TWO.pow(63),
            BigInteger.TWO.pow(63).negate().subtract(BigInteger.ONE), BigInteger.TWO.pow(64),
            (long) Integer.MAX_VALUE, Integer.MAX_VALUE + 1L, 4294967296L, 4294967297L, -4294967296L);

    /** Operands of the wrong type. */
    private static final List<Object> WRONG = List.of(true, List.of(), List.of("a"), Map.of(), Map.of("a", "b"),
            BuiltinProbes.set(), BuiltinProbes.set("a"), "1");

    @Test
    void substringAndIndexofMatchOpa() {
        Random random = new Random(11_2040L);
        BuiltinProbes probes = new BuiltinProbes().builtin("substring", 3).builtin("indexof", 2).batched(32);
        for (String s : STRINGS) {
            for (Object offset : List.of(0, 1, 2, -1, 1.0, 300, Long.MAX_VALUE)) {
                probes.call("substring", s, offset, pick(random, INTEGERS));
            }
            probes.call("substring", s, 0, s.codePointCount(0, s.length()))
                    .call("substring", s, 0, s.codePointCount(0, s.length()) - 1)
                    .call("substring", s, 1, Long.MAX_VALUE).call("substring", s, Long.MAX_VALUE, Long.MAX_VALUE);
        }
        for (Object a : INTEGERS) {
            probes.call("substring", "abcdef", a, 2).call("substring", "aébc😀d", a, 2)
                    .call("substring", "abcdef", 1, a).call("substring", "aébc😀d", 1, a);
        }
        for (int i = 0; i < 150; i++) {
            probes.call("substring", pick(random, STRINGS), pick(random, INTEGERS), pick(random, INTEGERS));
        }
        for (Object bad : WRONG) {
            probes.call("substring", bad, 0, 1).call("substring", "abc", bad, 1).call("substring", "abc", 0, bad)
                    .call("substring", 1, 0, 1).call("substring", null, 0, 1);
        }

        for (String s : STRINGS) {
            for (String needle : related(random, s)) {
                probes.call("indexof", s, needle);
            }
        }
        List<String[]> cases = List.of(new String[] {"abc", ""}, new String[] {"", ""}, new String[] {"", "a"},
                new String[] {"aébc", "b"}, new String[] {"😀a😀b", "b"}, new String[] {"😀a😀b", "😀b"},
                new String[] {"e\u0301", "\u0301"}, new String[] {"ﬁ", "f"}, new String[] {"aaab", "aab"},
                new String[] {"\ufffd", "\ufffd"}, new String[] {"a\u0000b", "\u0000"}, new String[] {"日本語", "語"},
                new String[] {"x".repeat(300) + "é", "é"}, new String[] {"é".repeat(70) + "a", "a"});
        for (String[] c : cases) {
            probes.call("indexof", c[0], c[1]);
        }
        for (Object bad : WRONG) {
            probes.call("indexof", bad, "a").call("indexof", "abc", bad).call("indexof", 1, "1");
        }

        Map<String, Integer> perBuiltin = probes.assertSameAsOpa();

        log.info("probes: {}", perBuiltin);
        assertThat(perBuiltin).allSatisfy((name, n) -> assertThat(n).as(name).isGreaterThanOrEqualTo(250));
    }

    @Test
    void replaceAndConcatMatchOpa() {
        Random random = new Random(11_2041L);
        BuiltinProbes probes = new BuiltinProbes().builtin("replace", 3).builtin("concat", 2).batched(32);
        List<String> news = List.of("", "x", "é", "😀", "ab", "\u0000", "$1", "\\");
        for (String s : STRINGS) {
            for (String old : related(random, s)) {
                probes.call("replace", s, old, pick(random, news));
            }
            probes.call("replace", s, "", "-").call("replace", s, "", "");
        }
        String[][] cases = {{"aaaa", "aa", "b"}, {"aaa", "aa", "a"}, {"abab", "ab", ""}, {"", "", ""},
                {"", "", "x"}, {"é", "", "x"}, {"😀", "", "-"}, {"a", "", ""}, {"ab", "", "x"}, {"ab", "", "é"},
                {"aaa", "a", "aa"}, {"aXbXc", "X", "YY"}, {"a.b.c", ".", ""}, {"é", "\u0301", "x"},
                {"e\u0301", "\u0301", "x"}, {"ﬁ", "f", "x"}, {"😀", "\ud83d\ude00", "x"}, {"abc", "abcd", "x"},
                {"abc", "abc", "abc"}, {"x".repeat(300), "x", "yy"}, {"é".repeat(70), "é", "e"}};
        for (String[] c : cases) {
            probes.call("replace", c[0], c[1], c[2]);
        }
        for (Object bad : WRONG) {
            probes.call("replace", bad, "a", "b").call("replace", "abc", bad, "b").call("replace", "abc", "a", bad)
                    .call("replace", 1, "1", "2");
        }

        List<String> separators = List.of("", ",", ", ", "é", "\n", "😀", "--");
        for (int i = 0; i < 280; i++) {
            List<Object> parts = new ArrayList<>();
            for (int k = 0, n = random.nextInt(6); k < n; k++) {
                parts.add(pick(random, STRINGS));
            }
            Object collection = random.nextBoolean() ? parts
                    : BuiltinProbes.set(ProbeValues.distinct(parts).toArray());
            probes.call("concat", pick(random, separators), collection);
        }
        // Go sorts strings by bytes: U+FFFF before an astral code point, which UTF-16 order would put after.
        probes.call("concat", ",", BuiltinProbes.set("a", "é", "😀", "\uffff", "\ue000", "Z", "", "\u0000", "aa"))
                .call("concat", "", BuiltinProbes.set("b", "a")).call("concat", "|", BuiltinProbes.set("only"))
                .call("concat", "|", BuiltinProbes.set()).call("concat", "|", List.of())
                .call("concat", "|", List.of("only")).call("concat", "|", List.of("", "")).call("concat", "", List.of(
                        "a", "b", "c"));
        for (Object bad : List.of(1, true, "abc", Map.of(), Map.of("a", "b"))) {
            probes.call("concat", ",", bad).call("concat", bad, List.of("a", "b"));
        }
        for (Object element : List.of(1, true, List.of("a"), Map.of(), BuiltinProbes.set("a"))) {
            probes.call("concat", ",", List.of("a", element)).call("concat", ",", List.of(element))
                    .call("concat", ",", BuiltinProbes.set(element)).call("concat", ",", BuiltinProbes.set("a", element));
        }
        probes.call("concat", ",", List.of(List.of())).call("concat", ",", Arrays.asList((Object) null));

        Map<String, Integer> perBuiltin = probes.assertSameAsOpa();

        log.info("probes: {}", perBuiltin);
        assertThat(perBuiltin).allSatisfy((name, n) -> assertThat(n).as(name).isGreaterThanOrEqualTo(300));
    }

    /** Bytes that are not UTF-8 ({@code replace("é", "", "x")}) stay the bytes OPA holds, for builtins reading them. */
    @Test
    void aReplacedStringThatIsNotUtf8KeepsItsBytes() {
        BuiltinProbes probes = new BuiltinProbes().batched(32)
                .template("bytes", 3, "base64.encode(replace(@0, @1, @2))")
                .template("equal", 3, "[replace(@0, @1, @2) == lower(replace(@0, @1, @2))]")
                .template("concat", 3, "base64.encode(concat(@2, [replace(@0, @1, @2), @0]))")
                .template("substring", 3, "substring(replace(@0, @1, @2), 1, 3)")
                .template("whole", 3, "base64.encode(substring(replace(@0, @1, @2), 0, 100))")
                .template("indexof", 3, "indexof(replace(@0, @1, @2), \"\\ufffd\")")
                .template("upper", 3, "upper(replace(@0, @1, @2))")
                .template("again", 3, "base64.encode(replace(replace(@0, @1, @2), @2, @1))")
                .template("template", 3, "base64.encode($\"<{replace(@0, @1, @2)}>\")")
                .template("value", 3, "replace(@0, @1, @2)");
        List<String> strings = List.of("é", "aé", "😀", "e\u0301", "日本語", "a😀b", "ab", "", "\ufffd", "é".repeat(5));
        for (String key : List.of("bytes", "equal", "concat", "substring", "whole", "indexof", "upper", "again",
                "template", "value")) {
            for (String s : strings) {
                for (String replacement : List.of("x", "", "é", "\u0000")) {
                    probes.call(key, s, "", replacement);
                }
            }
        }
        Map<String, Integer> perKey = probes.assertSameAsOpa();
        log.info("probes: {}", perKey);
        assertThat(perKey).hasSize(10);
    }

    @Test
    void lowerAndUpperMatchOpaOnEveryCodePoint() {
        // Every code point up to U+1FFFF but the surrogates, 1024 to a string: Go's tables, not the JDK's, decide.
        // Above, no code point has a case; those are sampled from a string literal of the policy, because the
        // engine's input writer escapes them as surrogate pairs, which the module's parser decodes 0x10000 low.
        int[] all = IntStream.rangeClosed(0, 0x1FFFF).filter(cp -> cp < 0xD800 || cp > 0xDFFF).toArray();
        StringBuilder above = new StringBuilder();
        for (int cp = 0x20000; cp <= 0x10FFFF; cp += 97) {
            above.appendCodePoint(cp);
        }
        above.appendCodePoint(0xE0001).appendCodePoint(0xF0000).appendCodePoint(0x10FFFF);
        BuiltinProbes probes = new BuiltinProbes().builtin("lower", 1).builtin("upper", 1).batched(16)
                .template("lower above", 1, "lower(concat(@0, [\"" + above + "\", \"A\"]))")
                .template("upper above", 1, "upper(concat(@0, [\"" + above + "\", \"a\"]))");
        probes.call("lower above", "É").call("upper above", "é").call("lower above", "").call("upper above", "");
        for (int from = 0; from < all.length; from += 1024) {
            String s = new String(all, from, Math.min(1024, all.length - from));
            probes.call("lower", s).call("upper", s);
        }
        // Each code point Go and the JDK (Unicode 13 in Java 17) case differently, alone and beside others.
        List<Integer> differing = new ArrayList<>();
        for (int cp : all) {
            if (TextCaseTables.toLower(cp) != Character.toLowerCase(cp)
                    || TextCaseTables.toUpper(cp) != Character.toUpperCase(cp)) {
                differing.add(cp);
            }
        }
        assertThat(differing).as("code points cased since Unicode 13").isNotEmpty();
        for (int cp : differing) {
            String s = new String(Character.toChars(cp));
            probes.call("lower", s).call("upper", s).call("lower", "A" + s + "é").call("upper", "a" + s + "é");
        }
        for (String s : STRINGS) {
            probes.call("lower", s).call("upper", s);
        }
        for (String s : ProbeValues.EDGE_STRINGS) {
            probes.call("lower", s).call("upper", s);
        }
        for (Object bad : List.of(1, true, List.of("A"), Map.of(), BuiltinProbes.set("A"))) {
            probes.call("lower", bad).call("upper", bad);
        }
        probes.call("lower", (Object) null).call("upper", (Object) null);

        Map<String, Integer> perBuiltin = probes.assertSameAsOpa();

        log.info("probes: {}", perBuiltin);
        assertThat(perBuiltin.get("lower")).isGreaterThanOrEqualTo(400);
        assertThat(perBuiltin.get("upper")).isGreaterThanOrEqualTo(400);
    }

    @Test
    void arraySliceMatchesOpa() {
        Random random = new Random(11_2042L);
        // The engine's result reader reads decimals as doubles (documented), so arrays holding exact ones are
        // compared as the text sprintf prints inside the module (array.slice#text).
        Object exactNumbers = List.of(BuiltinProbes.exact("1e400"), BuiltinProbes.exact("1.50"),
                BuiltinProbes.exact("-0"), 1.0, Long.MAX_VALUE, BigInteger.TWO.pow(70), "é");
        List<Object> arrays = List.of(List.of(), List.of(1), List.of(1, 2, 3), List.of("a", "b", "c", "d", "e"),
                List.of(BuiltinProbes.exact("-0"), 1.0, Long.MAX_VALUE, BigInteger.TWO.pow(70), "😀"),
                Arrays.asList(null, true, "é", List.of(1, List.of(2)), Map.of("k", BuiltinProbes.set(1, "a")),
                        BuiltinProbes.object(1, "one", List.of(2), BuiltinProbes.set()), BuiltinProbes.set(3, 2, 1)),
                IntStream.range(0, 100).boxed().toList(), List.of(List.of(), Map.of(), BuiltinProbes.set(), ""));
        BuiltinProbes probes = new BuiltinProbes().builtin("array.slice", 3).builtinAsText("array.slice", 3)
                .template("literal", 2, "array.slice([\"\ud840\udc00\", 1, {\"a\": {1}}, \"é\"], @0, @1)")
                .batched(32).canonicalSets();
        for (Object from : List.of(0, 1, 2, 3, 4, -1, 1.0)) {
            for (Object to : List.of(0, 1, 2, 3, 4, 5, -1, 2.0)) {
                probes.call("literal", from, to);
            }
        }
        for (int i = 0; i < 40; i++) {
            probes.call("array.slice" + BuiltinProbes.TEXT, exactNumbers, pick(random, INTEGERS),
                    pick(random, INTEGERS));
        }
        for (Object array : arrays) {
            for (int i = 0; i < 40; i++) {
                probes.call("array.slice", array, pick(random, INTEGERS), pick(random, INTEGERS));
            }
            probes.call("array.slice", array, 0, 100).call("array.slice", array, 1, 2)
                    .call("array.slice", array, 2, 1).call("array.slice", array, -1, -1);
        }
        for (Object a : INTEGERS) {
            probes.call("array.slice", List.of(1, 2, 3, 4), a, 3).call("array.slice", List.of(1, 2, 3, 4), 1, a);
        }
        for (Object bad : List.of(true, "abc", Map.of(), BuiltinProbes.set(1, 2, 3), BuiltinProbes.object(0, 1))) {
            probes.call("array.slice", bad, 0, 1).call("array.slice", List.of(1, 2), bad, 1)
                    .call("array.slice", List.of(1, 2), 0, bad);
        }
        probes.call("array.slice", null, 0, 1).call("array.slice", List.of(1), null, 1)
                .call("array.slice", List.of(1), 0, null);

        Map<String, Integer> perBuiltin = probes.assertSameAsOpa();

        log.info("probes: {}", perBuiltin);
        assertThat(perBuiltin.get("array.slice")).isGreaterThanOrEqualTo(400);
        assertThat(perBuiltin.get("array.slice" + BuiltinProbes.TEXT)).isEqualTo(40);
    }

    @Test
    void templateStringsMatchOpa() {
        Random random = new Random(11_2043L);
        ProbeValues values = new ProbeValues(random);
        List<Object> edge = new ArrayList<>(List.of("", "é", "a\"b", "\\", "\u0000", "\u200d", "😀", "\u007f",
                "\ufeff", "\u00a0", "\n", "x".repeat(100), 0, 1, -1, 1.0, 1.5, 1e-7, 1e21, BuiltinProbes.exact("-0"),
                BuiltinProbes.exact("1e400"), BuiltinProbes.exact("1.50"), BuiltinProbes.exact("1E2"), Long.MAX_VALUE,
                BigInteger.TEN.pow(30), true, false, List.of(), Map.of(), BuiltinProbes.set(), List.of("a", 1),
                List.of(List.of("é"), Map.of("b", 1, "a", List.of("\u200d"))), Map.of("z", 1, "a", 2, "é", 3),
                BuiltinProbes.set(3, 1, 2), BuiltinProbes.set("b", "a", 1, List.of(), Map.of(), false),
                BuiltinProbes.set(BuiltinProbes.set(2), BuiltinProbes.set(1)),
                BuiltinProbes.object(1, "one", List.of(2), 2, BuiltinProbes.set(), 3, true, 4),
                Map.of("k", BuiltinProbes.object(2.5, "x"))));
        edge.add(null);
        BuiltinProbes probes = new BuiltinProbes().batched(32)
                .template("one", 1, "$\"{@0}\"")
                .template("two", 2, "$\"<{@0}|{@1}> é\"")
                .template("nested", 1, "$\"[{[@0]}]\"")
                .template("element", 1, "$\"{sort([x | some x in @0])[1]}\"")
                .template("literal", 1, "$\"a{1}b{\"x\"}c{null}d{true}{@0}\"");
        for (Object v : edge) {
            probes.call("one", v).call("nested", v).call("element", v).call("literal", v);
            probes.call("two", v, pick(random, edge));
        }
        for (int i = 0; i < 200; i++) {
            probes.call("one", values.any(2));
            probes.call("two", values.any(2), values.any(1));
            probes.call("element", values.any(2));
        }

        Map<String, Integer> perKey = probes.assertSameAsOpa();

        log.info("probes: {}", perKey);
        assertThat(perKey.get("one") + perKey.get("two") + perKey.get("nested") + perKey.get("element"))
                .isGreaterThanOrEqualTo(400);
    }

    /** Go quotes a byte that is not UTF-8 as \x..; the host does not, so the evaluation fails instead (documented). */
    @Test
    void aTemplateStringOfACollectionHoldingBytesThatAreNotUtf8FailsTheEvaluation() {
        BuiltinProbes probes = new BuiltinProbes().template("collection", 1, "$\"{[replace(@0, \"\", \"x\")]}\"");
        probes.call("collection", "é").call("collection", "ab");
        List<OpaDifferential.Pair> pairs = probes.run();
        assertThat(pairs.get(0).opa().kind()).isEqualTo(OpaDifferential.Outcome.Kind.VALUE);
        assertThat(pairs.get(0).embedded().kind()).isEqualTo(OpaDifferential.Outcome.Kind.ERROR);
        assertThat(pairs.get(1).matches()).as(pairs.get(1).toString()).isTrue();
    }

    /** {@code s}'s substrings, prefixes, suffixes, itself, the empty string, a character it lacks. */
    private static List<String> related(Random random, String s) {
        int[] cps = s.codePoints().toArray();
        List<String> out = new ArrayList<>(List.of(s, "", "z", "é", "😀"));
        for (int i = 0; i < 4 && cps.length > 0; i++) {
            int from = random.nextInt(cps.length);
            int to = from + random.nextInt(cps.length - from) + 1;
            out.add(new String(cps, from, to - from));
        }
        if (cps.length > 0) {
            out.add(new String(cps, 0, 1));
            out.add(new String(cps, cps.length - 1, 1));
        }
        return out;
    }

    private static <T> T pick(Random random, List<T> list) {
        return list.get(random.nextInt(list.size()));
    }
}
