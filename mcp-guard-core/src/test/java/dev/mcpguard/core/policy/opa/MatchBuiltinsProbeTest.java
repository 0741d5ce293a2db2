package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.mcpguard.core.testing.OpaDifferential;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * {@code regex.match}, {@code regex.is_valid}, {@code regex.find_all_string_submatch_n} and {@code glob.match},
 * supplied by the host in place of the module's own ({@link MatchBuiltins}), decide as the real {@code opa} does:
 * Go's regexp syntax where the module's re2 differs ({@code (?<name>x)}, {@code \C}, {@code \p{Letter}}),
 * gobwas/glob v1.0.0's syntax and backtracking ({@code {a} unclosed, a trailing backslash, {@code )}, nested
 * alternatives, stars with separators), Unicode (combining, astral, U+FFFD, NUL), counts written {@code 2.0} or
 * beyond int64, wrong operand types, sets; hand-picked and seeded random inputs.
 */
class MatchBuiltinsProbeTest {

    private static final Logger log = LoggerFactory.getLogger(MatchBuiltinsProbeTest.class);

    private static final List<String> REGEXES = List.of("", "a", "a*", "^a", "a$", "^$", "^.*$", "(?s)^.*$", ".",
            "..", "(a)(b)?", "(a)|(b)", "(a|ab)(c|bcd)(d*)", "(a*)+", "(|a)*", "((a)|b)+", "(a){0}(b)", "(?:)", "()",
            "(?P<first>\\w+)\\s(?P<last>\\w+)", "(?<year>\\d{4})-(?<month>\\d{2})", "(?<x>a)(?<x>b)", "(?P<n>é+)",
            "\\C", "a\\Cb", "\\p{Letter}+", "\\p{L}", "\\pL\\pM*", "\\p{Lu}", "\\p{Greek}", "\\p{Han}+",
            "\\p{Old_Italic}", "\\p{Cased_Letter}", "\\PL+", "\\pN+", "\\p{Any}", "[[:alpha:]]+", "[[:^digit:]]",
            "[[:word:]]+", "\\d+", "\\D", "\\s", "\\w+", "\\W", "\\b", "\\B", "\\bé", "\\Q.*+\\E", "\\Qa.b",
            "(?i)straße", "(?i)K", "(?i)ſ", "(?i)σ", "(?i)[a-z]+", "(?U)a+", "(?m)^b$", "(?s:.)", "(?-s:.)", "\\A",
            "\\z", "😀", "[😀-🙏]+", "\\x{1F600}", "[^a]", "[^\\x00-\\x7f]+", "é", "e\\x{301}", "\\x{e9}", "\\x00",
            "\\xff", "a{2,3}", "a{,2}", "a{2}{3}", "a{1000}", "a{1001}", "(((((((((a)))))))))", "[a-c]{1,3}", "x{",
            "{", "}", "]", "\\.", "a.b", "^[a-z][a-z0-9-]{1,30}$", "^[A-Z]{2,5}-[0-9]{1,8}$",
            "^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}$", "(?i)<script|javascript:", "\\b(?:\\d[ -]?){13,16}\\b",
            "^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$",
            // invalid in Go
            "(", ")", "[", "[z-a]", "\\", "a**", "a*+", "*", "+a", "?", "\\8", "\\p{Nope}", "\\pé", "(?P<>a)",
            "(?P<a-b>x)", "(?<", "(?i", "(?z)", "\\Z", "\\e", "(?P=n)", "\\x{110000}", "[[:foo:]]", "x{2}{3}{4}",
            "a{2}*", "(?<1>x)", "\ufffd", "\u0000", "[\\d-z]",
            // astral planes beyond the emoji: U+20000 and up
            "𠀀", "[𠀀-𪛟]+", "\\x{20000}", "^.$", "\\p{Han}");

    private static final List<String> TEXTS = List.of("", "a", "b", "ab", "aab", "abcd", "aaa", "banana", "é",
            "e\u0301", "É", "straße STRASSE", "KkK \u212a", "ſ s S", "σς Σ", "😀", "😀😃 🙏", "a😀b", "日本語", "\u0000",
            "\ufffd", "line1\nline2\n", "x\ty", "2026-03-02", "john smith", "ops-4711", "OPS-4711",
            "alice.smith@acme.example.com", "<script>alert(1)</script>", "4111 1111 1111 1111",
            "0f8e4a52-3c1d-4b7a-9e2f-5d6c7b8a0000", "αβγ ΑΒΓ 123 ١٢٣", "x".repeat(200), "a.b*c{d}", "\\C",
            "aaaaaaaaaaaaaaaaaaaaaaaaaaaaaab", "𠀀", "a𪚥b", "\udbff\udfff");

    private static final List<String> GLOBS = List.of("", "*", "**", "?", "??", "***", "a", "ab", "a*", "*a",
            "a*b", "*a*", "**a**", "a?c", "a**", "**a", "a*b*c", "*a*b*", "*?*", "?*?", "*.*", "*.com", "a.b",
            "a.*", "*.b", "[abc]", "[!abc]", "[a-c]", "[!a-c]", "[a-a]", "[α-ω]+", "[é😀]", "[!😀]", "[]-a]",
            "[\\]]", "[\\-]", "[-a]", "[!-a]", "[a\\-z]", "[!]a]", "{a,b}", "{a,b,}", "{,a}", "{a,}", "{}", "{,}",
            "{a}", "{{a}}", "{a,{b,c}}", "{a,{b,{c,d}}}e", "{a*,b}c", "{*,b}", "*{*0,}", "{a*b,c}y", "{a,ab}{b,}c",
            "{ab,a}{bc,c}", "**{a,b}**", "*{.,/}*", "{*.,*/}x", "{a,b}*{c,d}", "x{,y}z", "{?,??}",
            "{[a-c],[!a-c]}", "a}", "}", ",", "a,b", "a,{b,c}", ")", "(", "(a|b)", "|", "^a$", "$", "+", "a+",
            "\\*", "\\?", "\\\\", "\\a", "\\{a\\}", "\\[a]", "*\\*", "é*", "*😀", "?😀", "😀?", "e\u0301",
            "e?", "\u0000", "a\u0000b", "*\u0000", "\ufffd", "?\ufffd", "api.*.example.com",
            "https://issuer.*.example.com",
            "https://*.example.com/**", "/uploads/*/*.{png,jpg,pdf}", "**/.*", "internal-*", "*.{png,jpg}", "𠀀", "?𪚥?", "[𠀀-𪛟]*", "*\udbff\udfff",
            "a*a*a*b", "*a*a*a*", "**a**a**a**", "{*a,*b}*c", "*{a,b}*{c,d}*", "?*{a,}", "[!.]*", "*[!/]",
            // malformed: undefined in OPA
            "{a", "{a,b", "{{a}", "a\\", "\\", "*\\", "[", "[a", "[a-", "[a-z", "[z-a]", "[]", "[!]", "[ab-c]",
            "[a-b-c]", "[a-]", "[a-b", "{[}", "{a,[}", "[{]", "a{b,c\\", "[\\");

    private static final List<Object> DELIMITERS = List.of(List.of(), List.of("."), List.of("/"),
            List.of(".", "/"), List.of("/", "."), List.of(":"), List.of("é"), List.of("😀"), List.of("a"),
            List.of(","), List.of("*"), List.of("\u0000"), List.of("\ufffd"), List.of("e\u0301".substring(1)));

    private static final List<String> GLOB_TEXTS = List.of("", "a", "b", "c", "ab", "ba", "abc", "aab", "abb",
            "ac", "a.b", "a/b", "a.b.c", "a/b.c", ".", "/", "..", "x.com", "www.x.com", "api.eu.example.com",
            "https://issuer.eu.example.com", "https://status.example.com/incidents/2026-03-02",
            "https://evil.com/x.example.com", "/uploads/acme-eu/gateway-latency.png", "/uploads/a/b/c.png",
            "/uploads/a/.png", ".hidden", "x/.hidden", "internal-tools", "internal", "é", "e\u0301", "😀", "😀😀",
            "a😀", "😀a", "\u0000", "a\u0000b", "\ufffd", "{a", "a}", "a\\", "*", "?", ",", ")", "(a|b)", "[a]",
            "y", "cy", "aby", "ay", "abc.", "a".repeat(300), "x" + "é".repeat(50), "0", "-", "ab,c", "𠀀", "a𪚥b", "\udbff\udfff");

    private static final JsonNode NULL = NullNode.getInstance();

    private static final List<Object> WRONG_TYPES = List.of(1, 2.5, true, List.of("a"), Map.of("a", "b"));

    @Test
    void regexBuiltinsMatchOpaOnGoSyntaxUnicodeAndWrongTypes() {
        Random random = new Random(11_2040L);
        BuiltinProbes probes = new BuiltinProbes().builtin("regex.match", 2).builtin("regex.is_valid", 1)
                .builtin("regex.find_all_string_submatch_n", 3).batched(32);
        List<Object> counts = List.of(-1, -1, 0, 1, 2, 3, 100, BuiltinProbes.exact("2.0"), BuiltinProbes.exact("-0"),
                BuiltinProbes.exact("1.5"), BuiltinProbes.exact("1e1"), -2, Long.MAX_VALUE, Long.MIN_VALUE,
                BuiltinProbes.exact("9223372036854775808"), BuiltinProbes.exact("-1.0"), BuiltinProbes.exact("1e400"));
        for (String pattern : REGEXES) {
            probes.call("regex.is_valid", pattern).call("regex.is_valid", "(?i)" + pattern)
                    .call("regex.is_valid", "(" + pattern + ")").call("regex.is_valid", pattern + pattern);
            for (int i = 0; i < 3; i++) {
                probes.call("regex.match", pattern, pick(random, TEXTS));
                probes.call("regex.find_all_string_submatch_n", pattern, pick(random, TEXTS), pick(random, counts));
            }
        }
        for (int i = 0; i < 150; i++) {
            String pattern = randomRegex(random);
            String text = randomText(random);
            probes.call("regex.is_valid", pattern);
            probes.call("regex.match", pattern, text);
            probes.call("regex.find_all_string_submatch_n", pattern, text, -1);
        }
        for (Object count : counts) {
            probes.call("regex.find_all_string_submatch_n", "(a)(x)?", "aaxa", count);
        }
        List<Object> wrong = new ArrayList<>(WRONG_TYPES);
        wrong.add(BuiltinProbes.set("a"));
        wrong.add(BuiltinProbes.set());
        wrong.add(BuiltinProbes.exact("1e400"));
        for (Object bad : wrong) {
            probes.call("regex.is_valid", bad);
            probes.call("regex.match", bad, "a");
            probes.call("regex.match", "a", bad);
            probes.call("regex.find_all_string_submatch_n", bad, "a", -1);
            probes.call("regex.find_all_string_submatch_n", "a", bad, -1);
            probes.call("regex.find_all_string_submatch_n", "a", "a", bad);
        }
        probes.call("regex.is_valid", NULL).call("regex.match", NULL, "").call("regex.match", "", NULL)
                .call("regex.find_all_string_submatch_n", "a", "a", NULL)
                .call("regex.find_all_string_submatch_n", "a", "a", "1");

        Map<String, Integer> perBuiltin = probes.assertSameAsOpa();
        log.info("regex probes per builtin: {}", perBuiltin);
        assertThat(perBuiltin).hasSize(3).allSatisfy((name, n) -> assertThat(n).as(name).isGreaterThanOrEqualTo(300));
    }

    @Test
    void globMatchMatchesOpaOnSyntaxDelimitersUnicodeAndBacktracking() {
        Random random = new Random(11_2041L);
        BuiltinProbes probes = new BuiltinProbes().builtin("glob.match", 3).batched(32);
        List<Object[]> calls = new ArrayList<>();
        for (String pattern : GLOBS) {
            calls.add(new Object[] {pattern, NULL, pick(random, GLOB_TEXTS)});
            calls.add(new Object[] {pattern, List.of(), pick(random, GLOB_TEXTS)});
            for (int i = 0; i < 4; i++) {
                calls.add(new Object[] {pattern, pick(random, DELIMITERS), pick(random, GLOB_TEXTS)});
            }
            calls.add(new Object[] {pattern, pick(random, DELIMITERS), sample(random, pattern)});
            calls.add(new Object[] {pattern, NULL, sample(random, pattern)});
        }
        for (int i = 0; i < 400; i++) {
            String pattern = randomGlob(random, 0);
            Object delimiters = random.nextInt(4) == 0 ? NULL : pick(random, DELIMITERS);
            calls.add(new Object[] {pattern, delimiters, sample(random, pattern)});
            calls.add(new Object[] {pattern, delimiters, randomGlobText(random)});
        }
        // Stars with separators backtrack: polynomial, still quick at these sizes.
        for (int n : new int[] {5, 12, 30}) {
            calls.add(new Object[] {"*a*a*a*b*c", List.of("/"), "a".repeat(n) + "c"});
            calls.add(new Object[] {"*a*a*a*b*c", List.of("/"), "a".repeat(n) + "bc"});
            calls.add(new Object[] {"**a**a**a**a**b**c", NULL, "a".repeat(n * 10) + "c"});
            calls.add(new Object[] {"{*a,*b}{*a,*b}{*a,*b}x", List.of("."), "ab".repeat(n) + "x"});
            calls.add(new Object[] {"*/*/*/*.txt", List.of("/"), "a/".repeat(n) + "b.txt"});
        }
        for (Object[] c : calls) {
            probes.call("glob.match", c);
        }
        // Operand types: a delimiter is an array of one-character strings, or null.
        for (Object bad : List.of(".", "", 1, true, Map.of("a", "."), BuiltinProbes.set("."), BuiltinProbes.set(),
                List.of(".."), List.of(""), List.of(1), Map.of(), List.of("e\u0301"), List.of("😀😀"),
                List.of(".", 1), Map.of("$x", 1))) {
            probes.call("glob.match", "*", bad, "a.b");
        }
        for (Object bad : WRONG_TYPES) {
            probes.call("glob.match", bad, NULL, "a").call("glob.match", "a", NULL, bad);
        }
        probes.call("glob.match", NULL, NULL, "a").call("glob.match", "a", NULL, NULL)
                .call("glob.match", BuiltinProbes.set("a"), NULL, "a")
                .call("glob.match", "a", NULL, BuiltinProbes.set("a"));

        assertNoCacheKeyCollision(calls);
        Map<String, Integer> perBuiltin = probes.assertSameAsOpa();
        log.info("glob probes: {}", perBuiltin);
        assertThat(perBuiltin.get("glob.match")).isGreaterThanOrEqualTo(1_500);
    }

    /**
     * OPA keys its glob cache by {@code pattern + "-" + delimiters}, so two calls whose keys collide share a
     * compiled pattern within one OPA process (documented); the probes run in one process, so none may collide.
     */
    private static void assertNoCacheKeyCollision(List<Object[]> calls) {
        Map<String, String> byId = new HashMap<>();
        for (Object[] c : calls) {
            if (!(c[1] == NULL || c[1] instanceof List<?>)) {
                continue;
            }
            List<?> d = c[1] == NULL ? List.of() : ((List<?>) c[1]).isEmpty() ? List.of(".") : (List<?>) c[1];
            String joined = d.stream().map(String::valueOf).collect(Collectors.joining());
            String id = c[0] + "-" + joined;
            String meaning = c[0] + "\u0001" + String.join("\u0002", d.stream().map(String::valueOf).toList());
            String before = byId.putIfAbsent(id, meaning);
            assertThat(before == null || before.equals(meaning)).as("glob cache id %s of %s and %s", id, before,
                    meaning).isTrue();
        }
    }

    @Test
    void globMatchWhereOpaBacktracksForSecondsFailsTheEvaluation() {
        // OPA answers false after about 3 s (gobwas/glob v1.0.0 tries the stars' positions in turn); the embedded
        // engine gives up after MatchGlob.MAX_WORK steps: the evaluation fails, so a policy denies.
        List<OpaDifferential.Pair> pairs = OpaDifferential.module("""
                package probe
                out := glob.match(input.p, ["/"], input.s)
                """).compare(List.of(BuiltinProbes.MAPPER.valueToTree(Map.of("p", "*a*a*a*a*a*a*a*b*c",
                "s", "a".repeat(40) + "c"))));

        assertThat(pairs.get(0).opa().kind()).isEqualTo(OpaDifferential.Outcome.Kind.VALUE);
        assertThat(pairs.get(0).opa().value().asBoolean()).isFalse();
        assertThat(pairs.get(0).embedded().kind()).isEqualTo(OpaDifferential.Outcome.Kind.ERROR);
    }

    @Test
    void globCacheKeysThatCollideInOpaAreKeptApartByTheEmbeddedEngine() {
        // In one OPA process, glob.match("a-", ["."], x) caches its pattern under "a--.", which is also the key
        // of glob.match("a", ["-", "."], y): the second call then matches with the first one's pattern.
        List<OpaDifferential.Pair> pairs = OpaDifferential.module("""
                package probe
                out := [glob.match("a-", ["."], "a-"), glob.match("a", ["-", "."], "a-")]
                """).compare(List.of(BuiltinProbes.MAPPER.createObjectNode()));

        assertThat(pairs.get(0).opa().value().toString()).isEqualTo("[true,true]");
        assertThat(pairs.get(0).embedded().value().toString()).isEqualTo("[true,false]");
    }

    // ------------------------------------------------------------------ generators

    private static final List<String> REGEX_ATOMS = List.of("a", "b", "é", "😀", "\u0301", ".", "\\d", "\\w",
            "\\s", "\\b", "^", "$", "\\pL", "\\p{Letter}", "\\p{Greek}", "[a-c]", "[^a]", "[[:alpha:]]", "(a)",
            "(?P<n>b)", "(?<m>a|b)", "(?:ab|a)", "(?i)", "(?s)", "\\C", "\\Q*\\E", "\\x{1F600}", "|");
    private static final List<String> QUANTIFIERS = List.of("", "", "", "*", "+", "?", "*?", "{2}", "{0,2}",
            "{0}");

    private static String randomRegex(Random random) {
        StringBuilder p = new StringBuilder();
        for (int k = 0, n = 1 + random.nextInt(5); k < n; k++) {
            String atom = pick(random, REGEX_ATOMS);
            p.append(atom);
            if (!atom.startsWith("(?i") && !atom.startsWith("(?s") && !atom.equals("|") && !atom.equals("^")) {
                p.append(pick(random, QUANTIFIERS));
            }
        }
        return p.toString();
    }

    private static final List<String> TEXT_PIECES = List.of("a", "b", "ab", "é", "e\u0301", "😀", " ", "-", "1",
            "Σ", "σ", "\n", "\u0000", "\ufffd", "x");

    private static String randomText(Random random) {
        StringBuilder s = new StringBuilder();
        for (int k = 0, n = random.nextInt(10); k < n; k++) {
            s.append(pick(random, TEXT_PIECES));
        }
        return s.toString();
    }

    private static final List<String> GLOB_LITERALS = List.of("a", "b", "ab", ".", "/", "é", "😀", "-", "x",
            "\\*", "\\{", "\\]", "e\u0301");
    private static final List<String> GLOB_CLASSES = List.of("[a-c]", "[!a-c]", "[ab]", "[!ab]", "[.]", "[é😀]",
            "[!/]");
    private static final List<String> GLOB_CHARS = List.of("a", "b", "c", ".", "/", "é", "😀", "-", "x", ",",
            "\u0301");

    /** A well-formed glob of at most four elements per level, nested at most twice. */
    private static String randomGlob(Random random, int depth) {
        StringBuilder p = new StringBuilder();
        for (int k = 0, n = random.nextInt(5); k < n; k++) {
            int kind = random.nextInt(10);
            if (kind < 4) {
                p.append(pick(random, GLOB_LITERALS));
            } else if (kind == 4) {
                p.append('?');
            } else if (kind == 5) {
                p.append('*');
            } else if (kind == 6) {
                p.append("**");
            } else if (kind == 7) {
                p.append(pick(random, GLOB_CLASSES));
            } else if (depth < 2) {
                List<String> alternatives = new ArrayList<>();
                for (int j = 0, m = 1 + random.nextInt(3); j < m; j++) {
                    alternatives.add(randomGlob(random, depth + 1));
                }
                p.append('{').append(String.join(",", alternatives)).append('}');
            }
        }
        return p.toString();
    }

    private static String randomGlobText(Random random) {
        StringBuilder s = new StringBuilder();
        for (int k = 0, n = random.nextInt(9); k < n; k++) {
            s.append(pick(random, GLOB_CHARS));
        }
        return s.toString();
    }

    /** A string shaped like {@code pattern} (wildcards filled in, meta characters mostly dropped), often matching. */
    private static String sample(Random random, String pattern) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < pattern.length(); ) {
            int c = pattern.codePointAt(i);
            i += Character.charCount(c);
            if (c == '*' || c == '?') {
                for (int k = 0, n = random.nextInt(c == '?' ? 2 : 4); k < n; k++) {
                    s.append(pick(random, GLOB_CHARS));
                }
            } else if ("{},[]!\\".indexOf(c) >= 0) {
                if (random.nextInt(4) == 0) {
                    s.appendCodePoint(c);
                }
            } else if (random.nextInt(10) != 0) {
                s.appendCodePoint(c);
            }
        }
        return s.toString();
    }

    private static <T> T pick(Random random, List<T> values) {
        return values.get(random.nextInt(values.size()));
    }
}
