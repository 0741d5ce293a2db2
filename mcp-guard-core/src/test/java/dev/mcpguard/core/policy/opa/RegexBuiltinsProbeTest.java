package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.core.testing.OpaDifferential;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import org.junit.jupiter.api.Test;

/**
 * {@code regex.replace}, {@code regex.split}, {@code regex.find_n}, {@code regex.template_match},
 * {@code regex.globs_match} and {@code glob.quote_meta} decide as the real {@code opa} does: hand-picked patterns
 * (anchors, groups and {@code $1}/{@code ${name}} templates, flags, Unicode classes, case folding, invalid
 * syntax) and seeded random patterns over random inputs. The only differences allowed are the embedded
 * engine's documented size limits ({@link GoRegexp#MAX_PROGRAM_SIZE}, {@link GoRegexp#MAX_PARSE_COST},
 * {@link GoRegexp#MAX_RE2J_FORM}), each probed once.
 */
class RegexBuiltinsProbeTest {

    private static final List<String> PATTERNS = List.of("", "a", "a*", "x*", "a+", "a?", "^", "$", "^a", "a$",
            "(?m)^a", "(?m)a$", "(?m)^", "(?m)$", "\\A", "\\z", "\\b", "\\B", "\\ba", "a\\b", "(a)(b)?", "(a)|(b)",
            "(?P<first>\\w+) (?P<last>\\w+)", "(?<year>\\d{4})-(?<month>\\d{2})", "(?P<x>a)(?P<x>b)", "(?i)straße",
            "(?i)STRASSE", "(?i)k", "(?i)σ", "(?i)ǅ", "(?i)[a-z]+", "(?i)[^a-z]", "(?-i:a)(?i)b", "\\pL+", "\\PL+",
            "\\p{Greek}+", "\\p{Letter}+", "\\p{Han}", "\\p{Lu}", "\\p{^Lu}", "\\pN", "\\p{Any}", "\\p{Assigned}",
            "\\p{ascii}+", "\\p{L u}", "\\p{Cased_Letter}", "[[:alpha:]]+", "[[:^space:]]+", "[[:word:]]", "\\d+",
            "\\D", "\\s+", "\\S+", "\\w+", "\\W", "\\Q.*\\E", "\\Qa.b", "a|b|c", "abc|abd|aef", "(a|ab)(c|bcd)(d*)",
            "(|a)*", "(a*)*", "(a*)+", "(a|b)*?c", "(a+)(b+)?", ".", "(?s).", ".*", "(?s).*", "[^a]", "[^\\n]",
            "[\\x{1F600}-\\x{1F64F}]", "😀", "é", "\\x{e9}", "e\\x{301}", "(?U)a+", "(?U)a+?", "a{2,3}", "a{2}",
            "a{2,}", "a{,2}", "a{0}", "(a){0}", "(a){0}(b)", "x{", "{", "}", "]", "\\.", "\\$", "\\\\", "\\d{3}-\\d{4}",
            "[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\\.[a-zA-Z]{2,}", "^(\\w+)://([^/]+)(/.*)?$", ",", "\\s*,\\s*", "\\n",
            "(?:a|b)+", "(a|b)+", "((a)|b)+", "(?:)", "()", "(?i)ſ", "(?i)\\x{212a}", "[Kk]", "[Σσς]", "x|(?i)X",
            // invalid in Go
            "a{1001}", "(", ")", "[", "\\", "a**", "a*+", "\\8", "\\C", "\\p{Old_Italic}", "\\p{Nope}", "x{2}{3}",
            "(?P<>a)", "(?P<a-b>x)", "[z-a]", "\\x{110000}", "(?<", "(?i", "*", "+a", "?", "\\pé", "[[:foo:]]",
            "(?z)", "\\Z", "\\e", "(?P=n)");

    private static final List<String> INPUTS = List.of("", "a", "aaa", "ab", "abc", "abcd", "banana", "b", "bcd",
            "hello world", "Hello World", "straße STRASSE Straße", "ΣΑΣ σας σάς", "KkK k", "ſ s S", "ǄǅǆDž",
            "日本語テキスト", "😀😃😄 😀", "é e\u0301 É", "line1\nline2\n", "a,b,,c,", "  spaced  out ", "2026-03-02",
            "x".repeat(300), "\u0000\u0001", "tab\tsep", "john smith", "alice@example.com, bob@test.org",
            "https://example.com/path?q=1", "a.b*c", "$1 ${x}", "αβγ ΑΒΓ 123 ١٢٣", "123-4567", "xXx");

    private static final List<String> TEMPLATES = List.of("", "x", "$0", "[$0]", "$1", "${1}", "$1x", "${1}x",
            "$2$1", "$$", "$", "${", "${first}", "$first", "${last}, ${first}", "$10", "$01", "${0}", "$é", "${x}",
            "$999999999", "${year}/${month}", "\\1", "$-", "${1 }", "<$2|$3>", "$x$x", "€$0€");

    /** Pieces of seeded random patterns: atoms, each maybe followed by a quantifier. */
    private static final List<String> ATOMS = List.of("a", "b", "c", "x", "é", "Σ", "σ", "k", "K", "\u212a", "ſ",
            "s", "ß", "😀", ".", "\\d", "\\w", "\\s", "\\W", "\\b", "^", "$", "\\pL", "\\p{Greek}", "\\p{Lu}",
            "[a-c]", "[^a]", "[[:alpha:]]", "[Kk]", "[\\d\\s]", "\\x41", "\\.", "\\Q*\\E", "(?i)", "(?s)", "(?m)",
            "(?U)", ",", " ", "-");
    private static final List<String> QUANTIFIERS = List.of("", "", "", "", "*", "+", "?", "*?", "+?", "{2}",
            "{1,3}", "{0,}", "{0}");

    @Test
    void regexpBuiltinsMatchOpaOnEdgeCasesAndRandomPatterns() {
        Random random = new Random(11_2031L);
        BuiltinProbes probes = new BuiltinProbes().builtin("regex.replace", 3).builtin("regex.split", 2)
                .builtin("regex.find_n", 3).builtin("regex.template_match", 4);

        for (String pattern : PATTERNS) {
            for (int i = 0; i < 3; i++) {
                String input = pick(random, INPUTS);
                probes.call("regex.replace", input, pattern, pick(random, TEMPLATES));
                probes.call("regex.split", pattern, pick(random, INPUTS));
                probes.call("regex.find_n", pattern, input, pick(random, List.of(-1, -1, 0, 1, 2, 3)));
            }
        }
        for (int i = 0; i < 260; i++) {
            String pattern = randomPattern(random, 0);
            String input = randomInput(random);
            probes.call("regex.replace", input, pattern, pick(random, TEMPLATES));
            probes.call("regex.split", pattern, input);
            probes.call("regex.find_n", pattern, input, -1);
        }
        for (Object n : List.of(-1, 0, 1, 2, 100, Long.MAX_VALUE, Long.MIN_VALUE, -100, 1.0, 2.0, 1.5, "1",
                BigInteger.TWO.pow(64), true)) {
            probes.call("regex.find_n", "a|b", "abcab", n).call("regex.find_n", "", "héllo", n);
        }
        for (Object bad : List.of(1, true, List.of("a"), Map.of("a", "b"), BuiltinProbes.set("a"))) {
            probes.call("regex.replace", bad, "a", "b").call("regex.replace", "a", bad, "b")
                    .call("regex.replace", "a", "a", bad).call("regex.split", bad, "a").call("regex.split", "a", bad)
                    .call("regex.find_n", bad, "a", 1).call("regex.find_n", "a", bad, 1);
        }
        probes.call("regex.replace", null, "a", "b").call("regex.split", "a", null);

        templateMatchProbes(probes, random);

        // Beyond the embedded engine's limits: OPA answers, the embedded engine is undefined (documented).
        Set<String> limited = new HashSet<>();
        List<String> tooLarge = List.of("(?:abcdefghij){1000}".repeat(27), "[\\pL\\pN]".repeat(7), "a".repeat(70_000));
        for (String pattern : tooLarge) {
            probes.call("regex.find_n", pattern, "abc", 1);
            limited.add(pattern);
        }

        Map<String, Integer> perBuiltin = probes.assertSameAsOpa(pair -> pair.embedded().kind()
                == OpaDifferential.Outcome.Kind.UNDEFINED && limited.stream().anyMatch(p -> pair.input()
                .contains(p.replace("\\", "\\\\"))), tooLarge.size());
        assertThat(perBuiltin).containsOnlyKeys("regex.replace", "regex.split", "regex.find_n", "regex.template_match")
                .allSatisfy((name, n) -> assertThat(n).as(name).isGreaterThanOrEqualTo(300));
    }

    @Test
    void globBuiltinsMatchOpaOnEdgeCasesAndRandomGlobs() {
        Random random = new Random(11_2032L);
        BuiltinProbes probes = new BuiltinProbes().builtin("regex.globs_match", 2).builtin("glob.quote_meta", 1);
        List<String> globs = new ArrayList<>(List.of("", "a", "b", "ab", "a*", "a+", "*", ".", ".*", ".+", "a.c",
                "a*b", "a+b", "[ab]", "[a-c]", "[a-c]*", "[ab]+", "[]", "[]a", "[^a]", "[a\\]]", "\\*", "\\.", "\\[",
                "\\\\", "a.*b.*c", ".*abc", "abc.*", "a*a*", "a*a+", "a+a*", "[a-z]+@[a-z]+\\.com", ".*@example\\.com",
                "foo.bar.*", "é+", "😀*", "[é😀]", "[a-a]", "[\\--\\-]", "a[b-d]e", "[ab][cd]", "x+y+z+", ".+.+",
                // invalid in the library
                "]", "*a", "+", "a**", "a*+", "[a", "[a-]", "[-a]", "[c-a]", "a\\", "[a-]b]", "[a--]", "[a-\\"));
        for (int i = 0; i < 120; i++) {
            globs.add(randomGlob(random));
        }
        for (String g1 : globs.subList(0, 60)) {
            probes.call("regex.globs_match", g1, pick(random, globs)).call("regex.globs_match", g1, g1);
        }
        for (int i = 0; i < 250; i++) {
            probes.call("regex.globs_match", pick(random, globs), pick(random, globs));
        }
        for (Object bad : List.of(1, true, List.of("a"), Map.of())) {
            probes.call("regex.globs_match", bad, "a").call("regex.globs_match", "a", bad);
        }

        List<String> strings = new ArrayList<>(List.of("", "*", "?", "[", "]", "{", "}", "\\", ",", "!", "-", "^",
                "*.example.com", "a?b[c]{d,e}\\f", "héllo*", "😀?", "no specials", "**", "[!a-z]", "{a,b}",
                "C:\\path\\*.txt", "\u0000*"));
        for (int i = 0; i < 240; i++) {
            StringBuilder s = new StringBuilder();
            for (int k = 0, n = random.nextInt(12); k < n; k++) {
                s.append(pick(random, List.of("*", "?", "[", "]", "{", "}", "\\", "a", "é", "😀", ",", "!", "-", ".")));
            }
            strings.add(s.toString());
        }
        strings.forEach(s -> probes.call("glob.quote_meta", s));
        for (Object bad : List.of(1, true, List.of("*"), Map.of())) {
            probes.call("glob.quote_meta", bad);
        }

        Map<String, Integer> perBuiltin = probes.assertSameAsOpa();
        assertThat(perBuiltin).containsOnlyKeys("regex.globs_match", "glob.quote_meta")
                .allSatisfy((name, n) -> assertThat(n).as(name).isGreaterThanOrEqualTo(250));
    }

    private static void templateMatchProbes(BuiltinProbes probes, Random random) {
        String f = "regex.template_match";
        List<List<String>> cases = List.of(
                List.of("urn:foo:{.*}", "urn:foo:bar:baz", "{", "}"), List.of("urn:foo:{.*}", "urn:bar:x", "{", "}"),
                List.of("urn:foo:<.*>", "urn:foo:bar", "<", ">"), List.of("urn:foo.bar:<[a-z]+>", "urn:foo.bar:baz",
                        "<", ">"), List.of("urn:foo.bar:<[a-z]+>", "urn:fooXbar:baz", "<", ">"),
                List.of("{[0-9]+}-{[a-z]+}", "12-ab", "{", "}"), List.of("{[0-9]+}-{[a-z]+}", "12-AB", "{", "}"),
                List.of("a{b{c}d}e", "abcde", "{", "}"), List.of("a{b{c}d}e", "ab{c}de", "{", "}"),
                List.of("{\\d{2,3}}x", "123x", "{", "}"), List.of("a{b", "ab", "{", "}"), List.of("a}b", "ab", "{", "}"),
                List.of("{}", "", "{", "}"), List.of("{(}", "(", "{", "}"), List.of("{)(}", "", "{", "}"),
                List.of("{(}{)}", "", "{", "}"), List.of("{(?i)abc}", "ABC", "{", "}"), List.of("{(?i)a}b", "AB", "{", "}"),
                List.of("x.y{a+}z", "x.yaaz", "{", "}"), List.of("x.y{a+}z", "xzyaaz", "{", "}"),
                List.of("{\\d+}{\\d+}", "1234", "{", "}"), List.of("[a]b[c]", "abc", "[", "]"),
                List.of("|a|", "a", "|", "|"), List.of("{a}", "a", "{", "{"), List.of("no vars.here", "no vars.here",
                        "{", "}"), List.of("no vars.here", "no varsXhere", "{", "}"), List.of("{.*}", "anything", "{", "}"),
                List.of("é{[é]+}", "ééé", "{", "}"), List.of("😀<.>", "😀😀", "<", ">"), List.of("a{b}c", "abc", "é", "}"),
                List.of("a{b}c", "abc", "", "}"), List.of("a{b}c", "abc", "{", "}}"), List.of("a{b}c", "abc", "ab", "c"),
                List.of("^{a}$", "^a$", "{", "}"), List.of("{^a}", "a", "{", "}"), List.of("{a$}", "a", "{", "}"),
                List.of("{\\pL+}", "héllo", "{", "}"), List.of("{\\p{Nope}}", "x", "{", "}"), List.of("{a{1001}}", "a",
                        "{", "}"), List.of("<a>:<b>", "a:b", "<", ">"), List.of("<a>:<b>", "a:c", "<", ">"),
                List.of("(x)<.+>", "(x)yy", "<", ">"), List.of("<[<>]>", "<", "<", ">"), List.of("a:b", "a:b", ":", ":"));
        for (List<String> c : cases) {
            probes.call(f, c.get(0), c.get(1), c.get(2), c.get(3));
        }
        List<String[]> delimiters = List.of(new String[] {"{", "}"}, new String[] {"<", ">"},
                new String[] {"[", "]"}, new String[] {"(", ")"}, new String[] {":", ":"});
        for (int i = 0; i < 260; i++) {
            String[] d = delimiters.get(random.nextInt(delimiters.size()));
            StringBuilder tpl = new StringBuilder();
            StringBuilder value = new StringBuilder();
            for (int k = 0, n = 1 + random.nextInt(3); k < n; k++) {
                String raw = pick(random, List.of("urn:", "a.b", "x", "", "é/", "1-2", "*", "."));
                tpl.append(raw);
                value.append(random.nextInt(5) == 0 ? raw.replace('.', 'X') : raw);
                if (random.nextInt(4) > 0) {
                    String var = pick(random, List.of(".*", "[a-z]+", "\\d+", "[^:]+", "(?i)ab", "a|b", "\\pL", "x*?",
                            "(a)", ".", "[0-9]{2}"));
                    tpl.append(d[0]).append(var).append(d[1]);
                    value.append(pick(random, List.of("abc", "42", "AB", "a", "x", "", "é", "12", "a:b")));
                }
            }
            probes.call(f, tpl.toString(), value.toString(), d[0], d[1]);
        }
        for (Object bad : List.of(1, true, List.of("a"), Map.of())) {
            probes.call(f, bad, "a", "{", "}").call(f, "a", bad, "{", "}").call(f, "a", "a", bad, "}")
                    .call(f, "a", "a", "{", bad);
        }
    }

    private static String randomPattern(Random random, int depth) {
        StringBuilder out = new StringBuilder();
        for (int i = 0, n = 1 + random.nextInt(4); i < n; i++) {
            int kind = random.nextInt(10);
            if (kind < 2 && depth < 3) {
                String open = pick(random, List.of("(", "(?:", "(?i:", "(?P<g" + random.nextInt(3) + ">", "(?s:",
                        "(?U:"));
                out.append(open).append(randomPattern(random, depth + 1));
                if (random.nextInt(3) == 0) {
                    out.append('|').append(randomPattern(random, depth + 1));
                }
                out.append(')');
            } else if (kind == 2 && depth < 3) {
                out.append(randomPattern(random, depth + 1)).append('|').append(randomPattern(random, depth + 1));
            } else {
                out.append(pick(random, ATOMS));
            }
            out.append(pick(random, QUANTIFIERS));
        }
        return out.toString();
    }

    private static String randomInput(Random random) {
        List<String> alphabet = List.of("a", "b", "c", "x", "é", "Σ", "σ", "ς", "k", "K", "\u212a", "ſ", "s", "S",
                "ß", "ẞ", "😀", "1", "2", " ", "\n", "-", ".", ",", "ǅ", "Ǆ", "ǆ", "α", "Ω");
        StringBuilder s = new StringBuilder();
        for (int k = 0, n = random.nextInt(14); k < n; k++) {
            s.append(pick(random, alphabet));
        }
        return s.toString();
    }

    private static String randomGlob(Random random) {
        StringBuilder s = new StringBuilder();
        for (int k = 0, n = 1 + random.nextInt(6); k < n; k++) {
            s.append(pick(random, List.of("a", "b", "c", ".", "[ab]", "[a-c]", "[bc]", "\\*", "é")));
            s.append(pick(random, List.of("", "", "", "*", "+")));
        }
        return s.toString();
    }

    private static <T> T pick(Random random, List<T> values) {
        return values.get(random.nextInt(values.size()));
    }
}
