package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@code units.parse} and {@code units.parse_bytes} decide as the real {@code opa} does. A decimal
 * {@code units.parse} result of more than 17 digits is exact inside the policy (compared as {@code sprintf} text)
 * but becomes a double when it is itself the decision's value, so those probes of the plain value are the
 * documented divergence of the engine's result reader, not of the builtin.
 */
class UnitsBuiltinsProbeTest {

    @Test
    void unitsBuiltinsMatchOpaOnEdgeCasesAndRandomInputs() {
        List<String> amounts = List.of("0", "1", "-1", "+1", "1.5", "-2.25", ".5", "5.", "0.001", "007", "1e3", "1E3",
                "1e-3", "2.5e+2", "1e", "1e+", "1e1234567", "1e40", "1e-400", "1e-20", "1.2.3", "--1", "+-1", "1-2",
                "123456789012345678901234567890", "18446744073709551615", "9223372036854775807",
                "0.1234567890123456789", "1.00000000005", "1.00000000004", "3.14159265358979323846", "", ".", "e5");
        List<String> units = List.of("", "k", "K", "ki", "Ki", "kI", "KI", "m", "M", "mi", "Mi", "MI", "g", "G", "gi",
                "Gi", "t", "T", "ti", "p", "P", "pi", "e", "E", "ei", "Ei", "kb", "KB", "kib", "KiB", "mb", "MB", "mib",
                "MiB", "gb", "GB", "gib", "GiB", "tb", "TB", "tib", "pb", "pib", "eb", "EB", "eib", "EiB", "b", "B",
                "x", "kbb", "mm", "µ", "\u212Ab", "m\u0130", "k\u0130b", "ｋ", "K ", "\"k\"");
        Random random = new Random(11_2028L);
        List<String> inputs = new ArrayList<>();
        for (String unit : units) {
            inputs.add(amounts.get(random.nextInt(amounts.size())) + unit);
            inputs.add("1" + unit);
            inputs.add("2.5" + unit);
        }
        for (String amount : amounts) {
            inputs.add(amount);
            inputs.add(amount + units.get(random.nextInt(units.size())));
        }
        inputs.addAll(List.of(" 1k", "1 k", "1k ", "\"1\"k", "1\"k\"", "\"\"", "k", "Mi", "☃", "1☃", "10Mi\n",
                "1e6Mi", "1e-6Ki", "0.000001k", "1000m", "1500m", "1m", "3m", "999999m", "-1500m", "0.5m"));
        for (int i = 0; i < 60; i++) {
            String amount = random.nextInt(3) == 0 ? Long.toString(random.nextLong())
                    : String.format(java.util.Locale.ROOT, "%.6f", random.nextDouble() * Math.pow(10, random.nextInt(12)));
            inputs.add(amount + units.get(random.nextInt(units.size())));
        }
        BuiltinProbes probes = new BuiltinProbes().builtin("units.parse", 1).builtin("units.parse_bytes", 1)
                .builtinAsText("units.parse", 1);
        for (String input : inputs) {
            probes.call("units.parse", input).call("units.parse_bytes", input)
                    .call("units.parse" + BuiltinProbes.TEXT, input);
        }
        for (Object bad : List.of(1, 1.5, true, List.of("1k"), Map.of())) {
            probes.call("units.parse", bad).call("units.parse_bytes", bad);
        }

        Map<String, Integer> perBuiltin = probes.assertSameAsOpa(
                pair -> pair.input().startsWith("{\"f\":\"units.parse\",")
                        && pair.opa().toString().replaceAll("[^0-9]", "").length() > 17, 40);
        assertThat(perBuiltin).hasSize(3).allSatisfy((name, n) -> assertThat(n).as(name).isGreaterThanOrEqualTo(250));
    }
}
