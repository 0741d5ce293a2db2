package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mcpguard.core.testing.OpaBinary;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code indexof_n}, {@code strings.split_n}, {@code numbers.range_step} and {@code base64url.encode_no_pad}
 * decide as the real {@code opa} does.
 */
class StringsNumbersBuiltinsProbeTest {

    @Test
    void stringsAndEncodingBuiltinsMatchOpaOnEdgeCasesAndRandomInputs() {
        Random random = new Random(11_2035L);
        List<String> strings = new ArrayList<>(List.of("", "a", "aa", "aaa", "aaaa", "ab", "abab", "ababab", "ba",
                "a,b,c", ",", ",,", "a,,b", ",a,", "é", "éé", "éa", "aé", "☃☃☃", "😀", "😀😀", "a😀b😀c", "x😀",
                "/api/v1/users/42", "/", "//", "a.b.c.d", "a b  c", "\u0000", "\u0000a\u0000", "ﬁ", "x".repeat(200)));
        for (int i = 0; i < 40; i++) {
            StringBuilder s = new StringBuilder();
            for (int k = 0, n = random.nextInt(12); k < n; k++) {
                int[] alphabet = "ab,é😀/ ".codePoints().toArray();
                s.appendCodePoint(alphabet[random.nextInt(alphabet.length)]);
            }
            strings.add(s.toString());
        }
        List<String> needles = List.of("", "a", "aa", "b", "ab", "ba", ",", ",,", "é", "😀", "/", " ", "\u0000", "x",
                "a😀", "abc", "ﬁ", "f");

        BuiltinProbes probes = new BuiltinProbes().builtin("indexof_n", 2).builtin("strings.split_n", 3)
                .builtin("base64url.encode_no_pad", 1);
        for (int i = 0; i < 200; i++) {
            probes.call("indexof_n", pick(random, strings), pick(random, needles));
        }
        strings.forEach(s -> probes.call("indexof_n", s, s));
        probes.call("indexof_n", 1, "a").call("indexof_n", "a", 1).call("indexof_n", List.of("a"), "a")
                .call("indexof_n", "a", null).call("indexof_n", "", "");

        List<Object> counts = List.of(0, 1, 2, 3, 4, 10, -1, -2, -3, -10, 1.0, -2.0, 2.5, 1e0, 1e2, "1", true,
                Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE - 1, new BigInteger("9223372036854775808"),
                new BigInteger("-9223372036854775809"), 100_000_000);
        for (int i = 0; i < 250; i++) {
            probes.call("strings.split_n", pick(random, strings), pick(random, needles), pick(random, counts));
        }
        probes.call("strings.split_n", 1, ",", 1).call("strings.split_n", "a", 1, 1)
                .call("strings.split_n", "a,b", ",", null).call("strings.split_n", "", "", 1)
                .call("strings.split_n", "", "", -1).call("strings.split_n", "", ",", 1);

        for (String s : strings) {
            probes.call("base64url.encode_no_pad", s);
        }
        for (int i = 0; i < 130; i++) {
            StringBuilder s = new StringBuilder();
            for (int k = 0, n = random.nextInt(10); k < n; k++) {
                s.appendCodePoint(0x20 + random.nextInt(0x3000));
            }
            probes.call("base64url.encode_no_pad", s.toString());
        }
        probes.call("base64url.encode_no_pad", "\u00ff\u00fe").call("base64url.encode_no_pad", "?>?")
                .call("base64url.encode_no_pad", 1).call("base64url.encode_no_pad", List.of("a"))
                .call("base64url.encode_no_pad", (Object) null);

        Map<String, Integer> perBuiltin = probes.assertSameAsOpa();
        assertThat(perBuiltin).hasSize(3).allSatisfy((name, n) -> assertThat(n).as(name).isGreaterThanOrEqualTo(200));
    }

    @Test
    void rangeStepMatchesOpaOnEdgeCasesAndRandomInputs() {
        Random random = new Random(11_2036L);
        List<Object> bounds = new ArrayList<>(List.of(0, 1, -1, 2, 5, 10, -10, 100, 512, 513, -2, 1.0, -3.0, 2.5,
                1e2, 1.5e1, 0.5, -0.5, "1", true, Long.MAX_VALUE, Long.MIN_VALUE, Long.MAX_VALUE - 3,
                new BigInteger("9223372036854775808"), new BigInteger("18446744073709551616"),
                new BigInteger("18446744073709551617"), new BigInteger("18446744073709551619"),
                new BigInteger("36893488147419103233"), new BigInteger("-18446744073709551617")));
        List<Object> steps = new ArrayList<>(List.of(1, 2, 3, 7, 10, 100, 0, -1, -2, 1.0, 2.0, 1.5, 0.5, 1e1, "1",
                false, Long.MAX_VALUE, new BigInteger("9223372036854775808"), new BigInteger("18446744073709551617")));
        BuiltinProbes probes = new BuiltinProbes().builtin("numbers.range_step", 3);
        for (int i = 0; i < 300; i++) {
            Object a = pick(random, bounds);
            Object b = pick(random, bounds);
            Object step = pick(random, steps);
            if (!small(a, b, step)) {
                continue;
            }
            probes.call("numbers.range_step", a, b, step);
        }
        for (int i = 0; i < 100; i++) {
            int a = random.nextInt(200) - 100;
            int b = random.nextInt(200) - 100;
            probes.call("numbers.range_step", a, b, 1 + random.nextInt(30));
        }
        probes.call("numbers.range_step", Long.MAX_VALUE - 3, Long.MAX_VALUE, 1)
                .call("numbers.range_step", Long.MIN_VALUE, Long.MIN_VALUE + 2, 1)
                .call("numbers.range_step", new BigInteger("18446744073709551617"),
                        new BigInteger("18446744073709551630"), 3)
                .call("numbers.range_step", 0, NumbersBuiltins.MAX_NUMBERS - 1, 1)
                .call("numbers.range_step", 1, 1, 1).call("numbers.range_step", null, 1, 1);

        Map<String, Integer> perBuiltin = probes.assertSameAsOpa();
        assertThat(perBuiltin.get("numbers.range_step")).isGreaterThanOrEqualTo(250);
    }

    /** OPA would build a range of any size; the host halts the evaluation (the call is denied) beyond 2^20 numbers. */
    @Test
    void aRangeBeyondTheLimitFailsTheEvaluationInsteadOfBeingUndefined(@TempDir Path work) throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Files.writeString(src.resolve("p.rego"), """
                package probe

                default out := "not denied"

                out := "denied" if count(numbers.range_step(0, input.n, 1)) > 10
                """);
        Path bundle = work.resolve("bundle.tar.gz");
        OpaBinary.run(work, List.of("build", "-t", "wasm", "-e", "probe/out", "-b", src.toString(), "-o",
                bundle.toString()));
        try (EmbeddedEvaluator embedded = EmbeddedEvaluator.load(bundle, "probe/out", Clock.systemUTC())) {
            JsonNode atLimit = BuiltinProbes.MAPPER.readTree("{\"n\":" + (NumbersBuiltins.MAX_NUMBERS - 1) + "}");
            assertThat(embedded.evaluate(atLimit)).hasValueSatisfying(v -> assertThat(v.asText()).isEqualTo("denied"));
            JsonNode beyond = BuiltinProbes.MAPPER.readTree("{\"n\":" + NumbersBuiltins.MAX_NUMBERS + "}");
            assertThatThrownBy(() -> embedded.evaluate(beyond)).isNotNull();
            assertThat(embedded.evaluate(atLimit)).as("the engine recovers").isPresent();
        }
    }

    /** Ranges small enough to ask OPA for (and for the host to build). */
    private static boolean small(Object a, Object b, Object step) {
        try {
            BigInteger from = NumbersBuiltins.bigIntOperand(BuiltinProbes.MAPPER.valueToTree(a));
            BigInteger to = NumbersBuiltins.bigIntOperand(BuiltinProbes.MAPPER.valueToTree(b));
            BigInteger by = NumbersBuiltins.bigIntOperand(BuiltinProbes.MAPPER.valueToTree(step));
            return by.signum() <= 0 || from.subtract(to).abs().divide(by).compareTo(BigInteger.valueOf(10_000)) < 0;
        } catch (HostBuiltin.Undefined e) {
            return true;
        }
    }

    private static <T> T pick(Random random, List<T> values) {
        return values.get(random.nextInt(values.size()));
    }
}
