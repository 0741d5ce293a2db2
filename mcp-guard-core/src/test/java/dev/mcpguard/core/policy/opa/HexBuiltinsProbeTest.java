package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@code hex.encode} and {@code hex.decode} decide as the real {@code opa} does. */
class HexBuiltinsProbeTest {

    @Test
    void hexBuiltinsMatchOpaOnEdgeCasesAndRandomInputs() {
        Random random = new Random(11_2030L);
        List<String> strings = new ArrayList<>(List.of("", "a", "hello", "héllo", "☃", "😀", "\u0000", "\n\"\\",
                "ﬁ", "x".repeat(300)));
        for (int i = 0; i < 80; i++) {
            StringBuilder s = new StringBuilder();
            for (int k = 0, n = random.nextInt(40); k < n; k++) {
                s.appendCodePoint(random.nextInt(3) == 0 ? 0x80 + random.nextInt(0x3000) : 0x20 + random.nextInt(0x5f));
            }
            strings.add(s.toString());
        }
        BuiltinProbes probes = new BuiltinProbes().builtin("hex.encode", 1).builtin("hex.decode", 1);
        strings.forEach(s -> probes.call("hex.encode", s));
        for (String s : strings) {
            String hex = HexFormat.of().formatHex(CryptoBuiltins.utf8(s));
            probes.call("hex.decode", hex).call("hex.decode", hex.toUpperCase(java.util.Locale.ROOT));
        }
        for (int i = 0; i < 60; i++) {
            byte[] bytes = new byte[random.nextInt(12)];
            random.nextBytes(bytes);
            probes.call("hex.decode", HexFormat.of().formatHex(bytes));
        }
        for (String bad : List.of("0", "abc", "zz", "0g", " 00", "00 ", "0x00", "٠٠", "ａａ", "e2", "e282", "e28261",
                "c0af", "eda080", "f4908080", "ff", "80", "f09f98", "f09f9880", "00\n", "-1")) {
            probes.call("hex.decode", bad);
        }
        for (Object bad : List.of(1, true, List.of("00"), Map.of())) {
            probes.call("hex.encode", bad).call("hex.decode", bad);
        }

        Map<String, Integer> perBuiltin = probes.assertSameAsOpa();
        assertThat(perBuiltin).hasSize(2).allSatisfy((name, n) -> assertThat(n).as(name).isGreaterThanOrEqualTo(90));
    }
}
