package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@code urlquery.encode}, {@code urlquery.decode}, {@code urlquery.encode_object} and
 * {@code urlquery.decode_object} decide as the real {@code opa} does.
 */
class UrlQueryBuiltinsProbeTest {

    private static final String ALPHABET = "aZ09-_.~ +%&=;?#/:@!$'()*,[]\"<>\\^`{|}fFéÿ☃😀\u0000\t\n";

    @Test
    void urlQueryBuiltinsMatchOpaOnEdgeCasesAndRandomInputs() {
        Random random = new Random(11_2031L);
        List<String> plain = new ArrayList<>(List.of("", "a", "a b", "a+b", "a%b", "100%", "é", "☃", "😀", "ﬁ",
                "\u0000", "~-._", "!*'();:@&=+$,/?#[]", "x".repeat(300), "key=value&other=1", "ÿ\u0080\u07ff\u0800\uffff"));
        for (int i = 0; i < 190; i++) {
            plain.add(randomString(random, ALPHABET, 20));
        }
        List<String> escaped = new ArrayList<>(List.of("", "%", "%z", "%zz", "%2", "%2g", "%20", "%2B", "+", "++",
                "%%", "%25", "a%", "a%4", "%41%42", "%e2%98%83", "%E2%98%83", "%f0%9f%98%80", "%ff", "%80", "%c3",
                "%e2%98", "%c0%af", "%ed%a0%80", "a+b%20c", "é%20é", "%00", "%0a", "%7f", "%7F%7e", "+%2B+",
                "%g0", "%0G", "%-1", "% 1", "%1 "));
        for (int i = 0; i < 80; i++) {
            escaped.add(randomString(random, "%%%%0123456789abcdefABCDEFgz+ é&=;", 16));
        }

        BuiltinProbes probes = new BuiltinProbes().builtin("urlquery.encode", 1).builtin("urlquery.decode", 1)
                .builtin("urlquery.encode_object", 1).builtin("urlquery.decode_object", 1);
        plain.forEach(s -> probes.call("urlquery.encode", s));
        escaped.forEach(s -> probes.call("urlquery.decode", s));
        plain.forEach(s -> probes.call("urlquery.decode", s));
        for (Object bad : List.of(1, -2.5, true, List.of("a"), Map.of("a", "b"), BuiltinProbes.set("a"))) {
            probes.call("urlquery.encode", bad).call("urlquery.decode", bad).call("urlquery.decode_object", bad);
        }
        probes.call("urlquery.encode", (Object) null).call("urlquery.decode", (Object) null);

        List<String> queries = new ArrayList<>(List.of("", "a", "a=", "=", "=1", "a=1", "a=1&a=2", "a=1&b=2&a=3",
                "&", "&&", "a=1&&b=2", "a=1&", "&a=1", "a;b", "a=1;b=2", "a=1&b=2;c", "a=%3B", "a=%zz", "a%zz=1",
                "a=1&b=%", "a==b", "a=b=c", "a+b=c+d", "%61=1&a=2", "é=☃", "%e2%98%83=%f0%9f%98%80", "a=%ff",
                "a=%e2%98", "k=v#frag", "k=v?x", "a[]=1&a[]=2", "a.b=1", "=&=", "a=1&A=2", "?a=1", "a=%2526"));
        for (int i = 0; i < 170; i++) {
            queries.add(randomString(random, "ab=&&==%%2Bf+; é", 24));
        }
        queries.add("k=1&".repeat(GoUrl.MAX_QUERY_PARAMS - 1) + "k=1");
        queries.add("k=1&".repeat(GoUrl.MAX_QUERY_PARAMS) + "k=1");
        queries.add("&".repeat(GoUrl.MAX_QUERY_PARAMS - 1));
        queries.add("&".repeat(GoUrl.MAX_QUERY_PARAMS));
        queries.add(";".repeat(GoUrl.MAX_QUERY_PARAMS + 5));
        queries.forEach(q -> probes.call("urlquery.decode_object", q));

        List<Object> objects = new ArrayList<>(List.of(Map.of(), Map.of("a", "1"), Map.of("a", ""), Map.of("", ""),
                Map.of("a", List.of()), Map.of("a", List.of("1", "2")), Map.of("a", List.of("2", "1"), "b", "x"),
                Map.of("a b", "c d", "é", "☃"), Map.of("a", BuiltinProbes.set("z", "y", "x")),
                Map.of("a", BuiltinProbes.set()), Map.of("a", 1), Map.of("a", true), Map.of("a", List.of("x", 1)),
                Map.of("a", List.of(List.of("x"))), Map.of("a", Map.of("b", "c")),
                Map.of("a", BuiltinProbes.set("x", 1)),
                Map.of("b", "1", "a", "2", "B", "3", "A", "4", "_", "5", "~", "6", "é", "7", "😀", "8", "\uffff", "9"),
                Map.of("k&=", "v&=", "+", "+"), "a=1", List.of("a"), 1));
        objects.add(java.util.Collections.singletonMap("a", null));
        for (int i = 0; i < 180; i++) {
            Map<String, Object> object = new LinkedHashMap<>();
            for (int k = 0, n = random.nextInt(5); k < n; k++) {
                String key = randomString(random, "ab é😀&=+%", 4);
                int kind = random.nextInt(3);
                List<String> values = new ArrayList<>();
                for (int v = 0, m = random.nextInt(4); v < m; v++) {
                    values.add(randomString(random, "xy z+&=%é😀", 5));
                }
                object.put(key, kind == 0 ? randomString(random, "xy z+&=%é", 5)
                        : kind == 1 ? values : BuiltinProbes.set(values.stream().distinct().toArray()));
            }
            objects.add(object);
        }
        objects.forEach(o -> probes.call("urlquery.encode_object", o));

        Map<String, Integer> perBuiltin = probes.assertSameAsOpa();
        assertThat(perBuiltin).hasSize(4).allSatisfy((name, n) -> assertThat(n).as(name).isGreaterThanOrEqualTo(200));
    }

    /** A query whose decoded keys differ only in bytes that are not UTF-8: OPA keeps two keys, the host merges them. */
    @Test
    void keysThatDifferOnlyInInvalidUtf8AreOneKeyHereAsDocumented() {
        BuiltinProbes probes = new BuiltinProbes().builtin("urlquery.decode_object", 1)
                .call("urlquery.decode_object", "%ff=1&%fe=2").call("urlquery.decode_object", "a=1");
        probes.assertSameAsOpa(pair -> pair.input().contains("%ff=1&%fe=2"), 1);
    }

    private static String randomString(Random random, String alphabet, int maxLength) {
        int[] codePoints = alphabet.codePoints().toArray();
        StringBuilder s = new StringBuilder();
        for (int k = 0, n = random.nextInt(maxLength + 1); k < n; k++) {
            s.appendCodePoint(codePoints[random.nextInt(codePoints.length)]);
        }
        return s.toString();
    }
}
