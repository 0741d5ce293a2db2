package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpguard.core.testing.OpaDifferential;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * {@code sprintf} of the embedded engine against the real {@code opa}: several hundred formats (every flag,
 * widths, precisions, {@code *}, argument indexes, bad verbs, missing and extra arguments) over edge values
 * (int64 limits, big integers, floats near every formatting threshold, unicode and control characters, arrays,
 * objects and sets, whose Rego text OPA prints).
 */
class SprintfDifferentialTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String MODULE = """
            package probe

            out := sprintf(input.f, input.a) if not input.set

            out := sprintf(input.f, [{x | some x in input.a}]) if input.set
            """;

    private static final List<String> VERBS = List.of("s", "d", "v", "q", "f", "x", "X", "t", "e", "E", "g", "G",
            "b", "o", "O", "c", "U", "F", "T", "w", "z", "%");
    private static final List<String> FLAGS = List.of("", "+", "-", "#", " ", "0", "-0", "+0", "# ", "+#", " 0");
    private static final List<String> WIDTHS = List.of("", "1", "5", "12", "*");
    private static final List<String> PRECISIONS = List.of("", ".", ".0", ".2", ".3", ".10", ".*");
    private static final List<String> VALUES = List.of("0", "1", "-1", "42", "255", "65", "9223372036854775807",
            "-9223372036854775808", "9223372036854775808", "18446744073709551616", "123456789012345678901234567890",
            "-99999999999999999999", "0.0", "-0.0", "1.5", "0.1", "2.5", "0.125", "3.0", "100.0", "1e21", "1e20",
            "123456789.0", "1e-7", "0.0001", "1e300", "1e400", "5e-324", "1.7976931348623157e308", "1E3", "-2.75e-5",
            "1234.5678", "0.000012345", "999999.5", "1e6", "100000", "\"\"", "\"abc\"", "\"héllo\"", "\"日本語\"",
            "\"a\\\"b\\n\\tc\"", "\"\\u200b\"", "\"😀x\"", "\"\\u007f\\u00ad\\u0001\"", "\"back`tick\"", "\"\\ufeff\"",
            "\"0010\"", "\"%d\"", "true", "false", "null", "[]", "[1, \"a\", true, null]", "{}",
            "{\"b\": 1, \"a\": [2, {\"z\": null}], \"é\": \"x\", \"e\": 1.50}", "[[1, 2], {\"k\": \"v\\n\"}]",
            "{\"10\": 1, \"9\": 2, \"😀\": 3, \"\\uffff\": 4}");

    @Test
    void formatsAsOpaDoesOnHundredsOfEdgeCases() throws Exception {
        List<JsonNode> inputs = new ArrayList<>();
        Random random = new Random(20_261_202L);
        // Every verb with every value, plain.
        for (String verb : VERBS) {
            for (String value : VALUES) {
                inputs.add(input("%" + verb, "[" + value + "]"));
            }
        }
        // Random flag/width/precision combinations.
        for (int i = 0; i < 900; i++) {
            String width = pick(random, WIDTHS);
            String precision = pick(random, PRECISIONS);
            String format = "<%" + pick(random, FLAGS) + width + precision + pick(random, VERBS) + ">";
            List<String> args = new ArrayList<>();
            if (width.equals("*")) {
                args.add(pick(random, List.of("3", "-4", "0", "\"x\"", "1.5", "2000000")));
            }
            if (precision.equals(".*")) {
                args.add(pick(random, List.of("2", "-1", "0", "\"y\"")));
            }
            args.add(pick(random, VALUES));
            inputs.add(input(format, "[" + String.join(", ", args) + "]"));
        }
        // Argument counts, indexes and malformed formats.
        for (String format : List.of("%d %d", "%d", "", "no verbs", "%", "%!", "%-", "%5", "%.", "%[2]d %[1]d",
                "%[3]d", "%[0]d", "%[x]d", "%[1]*d", "%[2]*[1]d", "%.[2]d", "%[1]d %d %d", "%-+ #0d", "%5.2%",
                "%ü", "100%% done: %d%%", "%v|%v|%v", "%3c|%-4q|%#U", "%08.3f", "%+.1e", "%#g", "%#.3x", "%x",
                "% x", "% #X", "%#o", "%#v", "%+q", "%#q", "%+v", "%#b", "%10.4s", "%-10s|", "%010s", "%.0d",
                "%5.0d|", "%1000001d", "%.1000001d")) {
            inputs.add(input(format, "[1, \"two\", 3.5, [4], 5]"));
            inputs.add(input(format, "[\"héllo wörld\"]"));
            inputs.add(input(format, "[]"));
            inputs.add(input(format, "[123456789012345678901234567890, -7]"));
        }
        // Sets, whose Rego text is {..} with OPA's ordering.
        for (String elements : List.of("[]", "[3, 1, 2]", "[\"b\", \"a\", 1, null, true, [1], {\"k\": 1}]",
                "[1.5, 1, 10, 2]", "[\"é\", \"e\", \"😀\", \"\\uffff\"]")) {
            ObjectNode input = input("%v|%s|%d", elements);
            input.put("set", true);
            inputs.add(input);
        }

        List<OpaDifferential.Pair> pairs = OpaDifferential.module(MODULE).compare(inputs);

        assertThat(pairs).hasSizeGreaterThan(1500);
        assertThat(pairs).as("OPA formats (not errors) nearly all cases")
                .filteredOn(p -> p.opa().kind() == OpaDifferential.Outcome.Kind.VALUE).hasSizeGreaterThan(1500);
        assertThat(OpaDifferential.mismatches(pairs)).isEmpty();
    }

    private static ObjectNode input(String format, String argsJson) throws Exception {
        ObjectNode input = MAPPER.createObjectNode();
        input.put("f", format);
        input.set("a", (ArrayNode) MAPPER.readTree(argsJson));
        return input;
    }

    private static <T> T pick(Random random, List<T> values) {
        return values.get(random.nextInt(values.size()));
    }
}
