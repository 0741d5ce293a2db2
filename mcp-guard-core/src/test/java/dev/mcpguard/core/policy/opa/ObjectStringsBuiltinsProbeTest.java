package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@code object.subset}, {@code strings.any_prefix_match}, {@code strings.any_suffix_match} and
 * {@code strings.count} decide as the real {@code opa} does.
 */
class ObjectStringsBuiltinsProbeTest {

    @Test
    void objectAndStringsBuiltinsMatchOpaOnEdgeCasesAndRandomInputs() {
        Random random = new Random(11_2029L);
        List<Object> values = new ArrayList<>(List.of(1, 1.0, 2, -0.0, "a", "b", "", true, false,
                Map.of(), Map.of("a", 1), Map.of("a", 1.0, "b", 2), Map.of("a", Map.of("x", 1, "y", 2)),
                Map.of("a", Map.of("x", 1)), Map.of("a", List.of(1, 2, 3)), Map.of("a", List.of(2, 3)),
                Map.of("a", BuiltinProbes.set(1, 2)), Map.of("a", BuiltinProbes.set(2)), Map.of("a", List.of(3, 2)),
                List.of(), List.of(1), List.of(1, 2), List.of(2, 3), List.of(1, 2, 3), List.of(1, 3), List.of(1, 1, 2),
                List.of(2, 1), List.of(List.of(1)), List.of(1.0, 2.0),
                BuiltinProbes.set(), BuiltinProbes.set(1), BuiltinProbes.set(1, 2), BuiltinProbes.set(3),
                BuiltinProbes.set(1, 2, 3), BuiltinProbes.set("a")));
        values.add(java.util.Collections.singletonMap("a", null));
        BuiltinProbes probes = new BuiltinProbes().builtin("object.subset", 2);
        for (Object sup : values) {
            for (int i = 0; i < 8; i++) {
                probes.call("object.subset", sup, values.get(random.nextInt(values.size())));
            }
            probes.call("object.subset", sup, sup);
        }
        probes.call("object.subset", Map.of("a", Map.of("b", Map.of("c", List.of(1, 2, 3), "d", 4))),
                Map.of("a", Map.of("b", Map.of("c", List.of(2, 3)))));
        probes.call("object.subset", Map.of("a", Map.of("b", Map.of("c", List.of(1, 2, 3), "d", 4))),
                Map.of("a", Map.of("b", Map.of("c", List.of(1, 3)))));
        probes.call("object.subset", List.of(1, 2, 1, 2, 3), List.of(1, 2, 3));

        List<String> strings = new ArrayList<>(List.of("", "a", "ab", "abc", "b", "bc", "c", "é", "éa", "aé", "☃",
                "😀", "😀x", "x😀", "/api/v1/users", "/api/", "/api/v2", ".example.com", "evil.example.com",
                "example.com", "EXAMPLE.COM", "aaa", "aa"));
        for (int i = 0; i < 25; i++) {
            StringBuilder s = new StringBuilder();
            for (int k = 0, n = random.nextInt(6); k < n; k++) {
                s.append("ab/é😀".charAt(random.nextInt(5)));
            }
            strings.add(s.toString().replace("\uD83D", "x").replace("\uDE00", "y"));
        }
        for (String f : List.of("strings.any_prefix_match", "strings.any_suffix_match")) {
            probes.builtin(f, 2);
            for (int i = 0; i < 120; i++) {
                probes.call(f, pick(random, strings), pick(random, strings));
            }
            probes.call(f, List.of(), "a").call(f, "a", List.of()).call(f, List.of("a", 1), "a")
                    .call(f, "a", List.of("a", 1)).call(f, "a", List.of(1, "a")).call(f, 1, "a").call(f, "a", 1)
                    .call(f, Map.of("a", "a"), "a").call(f, "abc", BuiltinProbes.set("x", "a"))
                    .call(f, BuiltinProbes.set("abc", "x"), BuiltinProbes.set("c")).call(f, null, "a");
        }
        probes.builtin("strings.count", 2);
        for (int i = 0; i < 120; i++) {
            String s = strings.get(random.nextInt(strings.size()));
            String sub = random.nextInt(4) == 0 ? "" : strings.get(random.nextInt(strings.size()));
            probes.call("strings.count", s + s + s, sub.length() > 2 ? sub.substring(0, 2) : sub);
        }
        probes.call("strings.count", "aaaa", "aa").call("strings.count", "😀😀", "").call("strings.count", "", "")
                .call("strings.count", "abc", 1).call("strings.count", 1, "a").call("strings.count", List.of("a"), "a");

        Map<String, Integer> perBuiltin = probes.assertSameAsOpa();
        assertThat(perBuiltin).hasSize(4).allSatisfy((name, n) -> assertThat(n).as(name).isGreaterThanOrEqualTo(120));
    }

    /** A string, or an array or set of 0..3 strings. */
    private static Object pick(Random random, List<String> strings) {
        int kind = random.nextInt(3);
        if (kind == 0) {
            return strings.get(random.nextInt(strings.size()));
        }
        List<Object> some = new ArrayList<>();
        for (int i = 0, n = random.nextInt(4); i < n; i++) {
            some.add(strings.get(random.nextInt(strings.size())));
        }
        return kind == 1 ? some : BuiltinProbes.set(some.stream().distinct().toArray());
    }
}
