package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.core.testing.OpaDifferential;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Input numbers as the MCP SDK hands them over (integers exact, big ones too; decimals as Jackson's default
 * double): every comparison, membership and {@code sprintf} a policy makes on them decides as {@code opa eval}
 * does on the JSON text. Arithmetic on
 * them ({@code / floor round format_int}) is OPA's wasm runtime's float64 and is listed in docs/policy.md as a
 * known divergence, so it is not asserted here.
 */
class NumberInputFidelityTest {

    private static final List<String> NUMBERS = List.of("12345678901234567890123", "-9223372036854775809",
            "9223372036854775807", "0.1000000000000000055511151231257827", "1.50", "-0", "0.0", "5e-324",
            "123456789012345678.5", "9007199254740993", "9007199254740992", "1795417199999999999",
            "18446744073709551616", "1e21", "3", "0.1", "2.5", "-7", "0", "1E+2", "100",
            // Not JSON: OPA's decoder refuses leading zeroes, and so does ours (an error on both sides).
            "0010", "-01", "01.5");

    private static final List<String> EXPRESSIONS = List.of("n == n", "n > 1", "n >= 9007199254740993",
            "n == 12345678901234567890123", "n == 9007199254740993", "n == 100",
            "n in {1, 12345678901234567890123, 9007199254740993, 100}", "count([n])", "n < 9007199254740993",
            "n < 0", "is_number(n)", "[n] == [n]", "{\"k\": n}.k == n", "n == input.m", "n != input.m",
            "sprintf(\"%d\", [n])", "sprintf(\"%v\", [n])");

    @Test
    void comparisonsOnExactInputNumbersDecideAsOpaDoes() {
        StringBuilder rego = new StringBuilder("package probe\n\n");
        for (int i = 0; i < EXPRESSIONS.size(); i++) {
            rego.append("out := x if { input.e == ").append(i).append("; n := input.n; x := ")
                    .append(EXPRESSIONS.get(i)).append(" }\n");
        }
        List<String> inputs = new ArrayList<>();
        for (String n : NUMBERS) {
            for (String m : List.of("12345678901234567890124", "9007199254740992", "100.0")) {
                for (int e = 0; e < EXPRESSIONS.size(); e++) {
                    inputs.add("{\"e\": " + e + ", \"n\": " + n + ", \"m\": " + m + "}");
                }
            }
        }
        List<OpaDifferential.Pair> pairs = OpaDifferential.module(rego.toString()).compareJson(inputs);

        assertThat(pairs).hasSize(NUMBERS.size() * 3 * EXPRESSIONS.size());
        assertThat(OpaDifferential.mismatches(pairs)).isEmpty();
        // The leading-zero inputs are errors on both sides, not silently read as 10.
        assertThat(pairs).filteredOn(p -> p.input().contains("0010"))
                .allMatch(p -> p.opa().kind() == OpaDifferential.Outcome.Kind.ERROR);
    }
}
