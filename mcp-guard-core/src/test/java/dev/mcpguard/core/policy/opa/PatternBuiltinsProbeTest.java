package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@code regex.match}, {@code glob.match} and {@code regex.find_all_string_submatch_n}, compiled into the module
 * (OPA's wasm runtime, re2), decide as the real {@code opa} does when the engine keeps their compiled patterns
 * from one evaluation to the next ({@link WasmPolicyInstance}): every probe is one evaluation on the same
 * instance, so each meets the patterns of all probes before it in the cache.
 */
class PatternBuiltinsProbeTest {

    @Test
    void patternBuiltinsMatchOpaOnOneInstanceThatKeepsItsCaches() {
        Random random = new Random(11_7070L);
        List<String> patterns = new ArrayList<>(List.of("", "^$", ".", "^a", "a$", "^[A-Z]{2,5}-[0-9]{1,8}$",
                "^[a-z][a-z0-9-]{1,30}$", "(?i)<script|javascript:", "(?i)\\b(union\\s+select|drop\\s+table)\\b",
                "[`$]\\(|&&|\\|\\|", "\\b(?:\\d[ -]?){13,16}\\b", "^\\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\\d|3[01])$",
                "é+", "^.{3,12}$", "[\\p{Greek}]", "\\p{Han}+", "😀", "(a|b)*c", "a{2}", "^(low|medium|high)$",
                "[[:alpha:]]+", "\\s+", "x*", "(?s)a.b", "(?m)^b", "\\Qa.b\\E", "[^a-z]", "(\\w+)@(\\w+)",
                // invalid: undefined on both sides
                "(", "[a-", "a{2", "*a", "(?P<n>a", "\\"));
        List<String> values = new ArrayList<>(List.of("", "a", "A", "abc", "OPS-4711", "ops-4711", "é", "éé", "Ω",
                "漢字", "😀", "a\nb", "a\u0000b", "<SCRIPT>x", "union  select 1", "4111 1111 1111 1111", "2026-02-30",
                "2026-12-31", "low", "medium ", "aabbc", "tab\there", "x".repeat(5000), "alice@acme", "a.b"));
        for (int i = 0; i < 40; i++) {
            StringBuilder s = new StringBuilder();
            for (int k = 0, n = random.nextInt(20); k < n; k++) {
                s.appendCodePoint(random.nextInt(4) == 0 ? 0xa0 + random.nextInt(0x2000) : 0x20 + random.nextInt(0x5f));
            }
            values.add(s.toString());
        }
        BuiltinProbes probes = new BuiltinProbes().builtin("regex.match", 2).builtin("glob.match", 3)
                .builtin("regex.find_all_string_submatch_n", 3);
        for (String pattern : patterns) {
            for (int i = 0; i < 6; i++) {
                probes.call("regex.match", pattern, values.get(random.nextInt(values.size())));
            }
        }
        for (String value : values) {
            probes.call("regex.match", patterns.get(random.nextInt(patterns.size())), value);
        }
        for (String pattern : List.of("(\\w+)@(\\w+)", "([a-z]+)([0-9]*)", "é(.)", "x*", "", "(a)|(b)", "(")) {
            for (int n : new int[] {-1, 0, 1, 2}) {
                probes.call("regex.find_all_string_submatch_n", pattern, values.get(random.nextInt(values.size())), n);
                probes.call("regex.find_all_string_submatch_n", pattern, "ab12 cd3 e@f g@h ééa aab", n);
            }
        }

        List<String> globs = List.of("*", "**", "?", "", "*.png", "/uploads/*/*.{png,jpg,pdf}", "/uploads/**",
                "https://*.example.com/**", "*@{example.com,example.org}", "internal-*", "[abc]*", "[!abc]*", "[a-c]?",
                "**/.*", "a\\*b", "{a,b}{c,d}", "/{uploads,tmp}/**", "é*", "*漢*");
        List<String> subjects = List.of("", "a", "x.png", "/uploads/acme/f.png", "/uploads/acme/deep/f.png",
                "/uploads/acme/f.txt", "https://status.example.com/a/b", "https://evil.com/x.example.com/",
                "bob@example.org", "bob@example.net", "internal-ops", "internal", "abc", "dog", "b", "a*b", "axb", "ac",
                "bd", "/tmp/x/y", "/home/.ssh/id", "éé", "a漢b", "a.b.c");
        List<List<String>> delimiters = List.of(List.of(), List.of("/"), List.of("."), List.of("/", "."), List.of("-"));
        for (String glob : globs) {
            for (int i = 0; i < 8; i++) {
                probes.call("glob.match", glob, delimiters.get(random.nextInt(delimiters.size())),
                        subjects.get(random.nextInt(subjects.size())));
            }
        }
        probes.call("glob.match", "a.*", null, "a.b.c").call("glob.match", "*", null, "a/b");

        for (Object bad : List.of(1, true, List.of("a"), Map.of())) {
            probes.call("regex.match", bad, "a").call("regex.match", "a", bad)
                    .call("glob.match", bad, List.of(), "a").call("glob.match", "a", bad, "a")
                    .call("glob.match", "a", List.of(), bad).call("regex.find_all_string_submatch_n", "a", bad, -1);
        }
        probes.call("glob.match", "a", List.of(1), "a").call("regex.find_all_string_submatch_n", "a", "aa", 1.5);

        Map<String, Integer> perBuiltin = probes.assertSameAsOpa();
        assertThat(perBuiltin).hasSize(3).allSatisfy((name, n) -> assertThat(n).as(name).isGreaterThanOrEqualTo(60));
        assertThat(perBuiltin.get("regex.match")).isGreaterThanOrEqualTo(250);
        assertThat(perBuiltin.get("glob.match")).isGreaterThanOrEqualTo(150);
    }
}
