package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@code crypto.md5/sha1/sha256} and {@code crypto.hmac.*} decide as the real {@code opa} does. */
class CryptoBuiltinsProbeTest {

    @Test
    void cryptoBuiltinsMatchOpaOnEdgeCasesAndRandomInputs() {
        Random random = new Random(11_2027L);
        List<Object> strings = new ArrayList<>(List.of("", "a", "abc", "héllo wörld", "☃", "😀 emoji", "\u0000nul",
                "\n\t\"quoted\"", "x".repeat(64), "y".repeat(65), "z".repeat(128), "w".repeat(129), "ﬁ ligature"));
        for (int i = 0; i < 60; i++) {
            StringBuilder s = new StringBuilder();
            for (int k = 0, n = random.nextInt(200); k < n; k++) {
                s.appendCodePoint(random.nextInt(4) == 0 ? 0x80 + random.nextInt(0x2000) : 0x20 + random.nextInt(0x5f));
            }
            strings.add(s.toString());
        }
        List<Object> bad = List.of(1, -1.5, true, List.of("a"), Map.of("a", "b"));
        BuiltinProbes probes = new BuiltinProbes();
        for (String f : List.of("crypto.md5", "crypto.sha1", "crypto.sha256")) {
            probes.builtin(f, 1);
            strings.forEach(s -> probes.call(f, s));
            bad.forEach(b -> probes.call(f, b));
            probes.call(f, BuiltinProbes.set("a"));
        }
        for (String f : List.of("crypto.hmac.md5", "crypto.hmac.sha1", "crypto.hmac.sha256", "crypto.hmac.sha512")) {
            probes.builtin(f, 2);
            for (Object message : strings) {
                probes.call(f, message, strings.get(random.nextInt(strings.size())));
            }
            probes.call(f, "m", "").call(f, "", "").call(f, 1, "k").call(f, "m", 1).call(f, "m", List.of("k"));
        }
        probes.builtin("crypto.hmac.equal", 2);
        for (int i = 0; i < 90; i++) {
            Object a = strings.get(random.nextInt(strings.size()));
            Object b = random.nextBoolean() ? a : strings.get(random.nextInt(strings.size()));
            probes.call("crypto.hmac.equal", a, b);
        }
        probes.call("crypto.hmac.equal", "abc", "ABC").call("crypto.hmac.equal", "", "")
                .call("crypto.hmac.equal", "a", 1).call("crypto.hmac.equal", List.of(), List.of());

        Map<String, Integer> perBuiltin = probes.assertSameAsOpa();
        assertThat(perBuiltin).hasSize(8).allSatisfy((name, n) -> assertThat(n).as(name).isGreaterThanOrEqualTo(75));
    }
}
