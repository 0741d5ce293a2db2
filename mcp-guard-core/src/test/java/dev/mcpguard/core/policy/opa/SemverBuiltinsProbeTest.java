package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/** {@code semver.is_valid} and {@code semver.compare} decide as the real {@code opa} does. */
class SemverBuiltinsProbeTest {

    private static final List<String> VERSIONS = List.of("1.0.0", "v1.0.0", "V1.0.0", "vv1.0.0", " 1.0.0", "1.0.0 ",
            "1.0.0\n", "0.0.0", "00.0.0", "0.00.0", "0.0.00", "01.2.3", "1.02.3", "1.2.03", "1.0.0-0", "1.0.0-00",
            "1.0.0-01", "1.0.0-0a", "1.0.0-a01", "1.0.0-01a", "1.0.0-1.01", "1.0.0-alpha", "1.0.0-alpha-beta",
            "1.0.0--", "1.0.0---", "1.0.0-", "1.0.0+", "1.0.0-+", "1.0.0+01", "1.0.0+a.01", "1.0.0+a+b",
            "1.0.0-a+b+c", "1.0.0-a.", "1.0.0-.a", "1.0.0+a.", "1.0.0+.a", "1.0.0-a..b", "1.0.0+a..b",
            "9223372036854775807.0.0", "9223372036854775808.0.0", "0.9223372036854775807.9223372036854775807",
            "99999999999999999999.0.0", "1.0.0-9223372036854775807", "1.0.0-9223372036854775808",
            "1.0.0-99999999999999999999", "+1.0.0", "-1.0.0", "1.0", "1", "1.0.0.0", "1..0", "1.0.0-é", "1.0.0+é",
            "１.0.0", "1.0.0-a_b", "1.0.0+a_b", "v", "", "1.0.0-rc.1+build.1", "v01.0.0", "1.2.3-beta.01+x",
            "1.2.3-0.0.0", "1.2.3-00a", "1.2.3-a.0b", "1.0.0-alpha", "1.0.0-alpha.1", "1.0.0-alpha.beta",
            "1.0.0-beta", "1.0.0-beta.2", "1.0.0-beta.11", "1.0.0-rc.1", "1.0.0", "2.0.0", "2.1.0", "2.1.1",
            "1.0.0+20130313144700", "1.0.0-beta+exp.sha.5114f85", "1.0.0+21AF26D3----117B344092BD",
            "1.2.3-rc.1-1-1hash", "1.2.3-rc.2", "1.2.3-5-foo", "1.2.3-5-Foo", "1.2.3-a.b.c.10.d.5",
            "1.2.3-a.b.c.5.d.100", "1.0.0-A", "1.0.0-a", "1.0.0-Z", "1.0.0-z", "1.0.0-0.a", "1.0.0-a.0",
            "10.20.30", "1.1.2-prerelease+meta", "1.1.2+meta", "1.1.2+meta-valid", "1.0.0-alpha.0valid",
            "1.0.0-alpha-a.b-c-somethinglong+build.1-aef.1-its-okay", "2.0.0-rc.1+build.123", "1.2.3-SNAPSHOT-123",
            "2.0.0+build.1848", "2.0.1-alpha.1227", "1.0.0-alpha+beta", "1.2.3----RC-SNAPSHOT.12.9.1--.12+788",
            "1.2.3----R-S.12.9.1--.12+meta", "1.2.3----RC-SNAPSHOT.12.9.1--.12", "1.0.0+0.build.1-rc.10000aaa-kk-0.1",
            "1.0.0-0A.is.legal", "1.2", "1.2.3-0123", "1.2.3-0123.0123", "1.1.2+.123", "+invalid", "-invalid",
            "-invalid+invalid", "-invalid.01", "alpha", "alpha.beta", "alpha.beta.1", "alpha.1", "alpha+beta",
            "alpha_beta", "alpha.", "alpha..", "beta", "1.0.0-alpha_beta", "-alpha.", "1.0.0-alpha..",
            "1.0.0-alpha..1", "1.0.0-alpha...1", "1.0.0-alpha....1", "1.0.0-alpha.....1", "1.0.0-alpha......1",
            "1.0.0-alpha.......1", "01.1.1", "1.01.1", "1.1.01", "1.2.3.DEV", "1.2-SNAPSHOT",
            "1.2.31.2.3----RC-SNAPSHOT.12.09.1--..12+788", "1.2-RC-SNAPSHOT", "-1.0.3-gamma+b7718",
            "+justmeta", "9.8.7+meta+meta", "9.8.7-whatever+meta+meta", "v1.2.3", "v1.2.3-rc.1", "v1.2.3+x");

    @Test
    void semverBuiltinsMatchOpaOnEdgeCasesAndRandomInputs() {
        Random random = new Random(11_2032L);
        List<String> versions = new ArrayList<>(VERSIONS);
        for (int i = 0; i < 120; i++) {
            versions.add(randomVersion(random));
        }
        BuiltinProbes probes = new BuiltinProbes().builtin("semver.is_valid", 1).builtin("semver.compare", 2);
        versions.forEach(v -> probes.call("semver.is_valid", v));
        for (Object bad : List.of(1, 1.0, true, List.of("1.0.0"), Map.of("v", "1.0.0"), BuiltinProbes.set("1.0.0"))) {
            probes.call("semver.is_valid", bad).call("semver.compare", bad, "1.0.0").call("semver.compare", "1.0.0", bad);
        }
        probes.call("semver.is_valid", (Object) null);
        List<String> valid = versions.stream().filter(v -> SemverBuiltins.parse(v) != null).toList();
        for (int i = 0; i < 400; i++) {
            String a = valid.get(random.nextInt(valid.size()));
            String b = random.nextInt(6) == 0 ? versions.get(random.nextInt(versions.size()))
                    : valid.get(random.nextInt(valid.size()));
            if (!terminatesInOpa(a, b)) {
                continue;
            }
            probes.call("semver.compare", a, b);
        }
        // Identifiers beyond int64 count as 2^63-1 (Go's Atoi), and the comparison goes on past them.
        for (String[] pair : new String[][] {{"1.0.0-99999999999999999999", "1.0.0-1"},
                {"1.0.0-99999999999999999999", "1.0.0-9223372036854775806"},
                {"1.0.0-99999999999999999999", "1.0.0-a"}, {"1.0.0-99999999999999999999", "1.0.0--"},
                {"1.0.0-99999999999999999999", "1.0.0"}, {"1.0.0-99999999999999999999.a", "1.0.0-9223372036854775807.b"},
                {"1.0.0-99999999999999999999.a", "1.0.0-99999999999999999998"},
                {"1.0.0-99999999999999999999", "1.0.0-99999999999999999999"}, {"1.0.0-1+a", "1.0.0-1+b"},
                {"v1.0.0", "1.0.0"}, {"1.0.0+x", "1.0.0"}}) {
            probes.call("semver.compare", pair[0], pair[1]).call("semver.compare", pair[1], pair[0]);
        }

        Map<String, Integer> perBuiltin = probes.assertSameAsOpa();
        assertThat(perBuiltin).hasSize(2).allSatisfy((name, n) -> assertThat(n).as(name).isGreaterThanOrEqualTo(250));
    }

    /** OPA 1.22.2 loops forever on these (so they are not sent to it); the host halts the evaluation instead. */
    @Test
    void comparingPreReleasesThatOnlyDifferBeyondInt64HaltsWhereOpaNeverReturns() {
        SemverBuiltins.Version a = SemverBuiltins.parse("1.0.0-99999999999999999999");
        SemverBuiltins.Version b = SemverBuiltins.parse("1.0.0-99999999999999999998");
        assertThat(terminatesInOpa("1.0.0-99999999999999999999", "1.0.0-99999999999999999998")).isFalse();
        assertThatThrownBy(() -> SemverBuiltins.compare(a, b)).isInstanceOf(HostBuiltin.Halt.class);
        assertThatThrownBy(() -> SemverBuiltins.compare(SemverBuiltins.parse("1.0.0-x.9223372036854775807"),
                SemverBuiltins.parse("1.0.0-x.9223372036854775808+m"))).isInstanceOf(HostBuiltin.Halt.class);
        assertThat(SemverBuiltins.compare(a, a)).isZero();
    }

    /**
     * False for the pairs on which OPA's pre-release loop never ends: different pre-releases of the same length
     * whose identifiers all compare equal, which needs numeric identifiers of 2^63-1 and more.
     */
    private static boolean terminatesInOpa(String a, String b) {
        SemverBuiltins.Version va = SemverBuiltins.parse(a);
        SemverBuiltins.Version vb = SemverBuiltins.parse(b);
        if (va == null || vb == null) {
            return true;
        }
        try {
            SemverBuiltins.compare(va, vb);
            return true;
        } catch (HostBuiltin.Halt e) {
            return false;
        }
    }

    private static String randomVersion(Random random) {
        StringBuilder s = new StringBuilder(random.nextInt(8) == 0 ? "v" : "");
        s.append(number(random)).append('.').append(number(random)).append('.').append(number(random));
        if (random.nextInt(3) > 0) {
            s.append('-');
            for (int i = 0, n = 1 + random.nextInt(3); i < n; i++) {
                s.append(i > 0 ? "." : "").append(identifier(random));
            }
        }
        if (random.nextInt(4) == 0) {
            s.append('+').append(identifier(random));
        }
        if (random.nextInt(10) == 0) {
            int at = random.nextInt(s.length() + 1);
            s.insert(at, "._-+0aé ".charAt(random.nextInt(8)));
        }
        return s.toString();
    }

    private static String number(Random random) {
        return switch (random.nextInt(6)) {
            case 0 -> "0";
            case 1 -> String.valueOf(random.nextInt(3));
            case 2 -> String.valueOf(random.nextInt(20));
            case 3 -> String.valueOf(random.nextLong() & Long.MAX_VALUE);
            default -> String.valueOf(1 + random.nextInt(2));
        };
    }

    private static String identifier(Random random) {
        return switch (random.nextInt(7)) {
            case 0 -> String.valueOf(random.nextInt(12));
            case 1 -> "alpha";
            case 2 -> "beta";
            case 3 -> "rc";
            case 4 -> "0" + random.nextInt(3);
            case 5 -> "x-" + random.nextInt(3);
            default -> List.of("A", "a", "Z", "-", "1a", "a1", "99999999999999999999").get(random.nextInt(7));
        };
    }
}
