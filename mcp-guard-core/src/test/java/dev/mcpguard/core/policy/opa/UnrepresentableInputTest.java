package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class UnrepresentableInputTest {

    private final ObjectMapper mapper = new ObjectMapper();

    private ObjectNode document(Map<String, Object> arguments) {
        ObjectNode input = mapper.createObjectNode();
        input.put("version", 1);
        input.set("arguments", mapper.valueToTree(arguments));
        return input;
    }

    @Test
    void acceptsValidUnicodeIncludingSurrogatePairsAndLargeDecimals() {
        assertThat(UnrepresentableInput.find(document(Map.of("note", "ok \ud83d\ude00 «é»", "big",
                new BigDecimal("1e400"), "ratio", 0.5, "list", List.of(1, "\ud83d\ude00"))))).isEmpty();
    }

    @Test
    void findsALoneSurrogateOrANonFiniteNumberAnywhereInAnArgumentAndNamesOnlyTheArgument() {
        assertThat(UnrepresentableInput.find(document(Map.of("order_id", "acme-1\ud800"))))
                .hasValueSatisfying(f -> {
                    assertThat(f.where()).isEqualTo("arguments.order_id");
                    assertThat(f.inArguments()).isTrue();
                    assertThat(f.problem()).doesNotContain("acme");
                });
        assertThat(UnrepresentableInput.find(document(Map.of("lines", List.of(Map.of("sku", List.of("\udc00")))))))
                .hasValueSatisfying(f -> assertThat(f.where()).isEqualTo("arguments.lines"));
        assertThat(UnrepresentableInput.find(document(Map.of("lines", List.of(Map.of("s\ud800ku", 1))))))
                .hasValueSatisfying(f -> assertThat(f.problem()).contains("key"));
        assertThat(UnrepresentableInput.find(document(Map.of("amount", Double.NEGATIVE_INFINITY)))).isPresent();
        assertThat(UnrepresentableInput.find(document(Map.of("amount", Float.NaN)))).isPresent();
    }

    @Test
    void findsAProblemOutsideTheArgumentsAsNotTheArguments() {
        ObjectNode input = document(Map.of());
        input.putObject("caller").put("subject", "mal\ud800");

        assertThat(UnrepresentableInput.find(input)).hasValueSatisfying(f -> {
            assertThat(f.where()).isEqualTo("caller");
            assertThat(f.inArguments()).isFalse();
        });
    }

    @Test
    void walksDeeplyNestedValuesWithoutOverflowingTheStack() {
        ObjectNode input = mapper.createObjectNode();
        com.fasterxml.jackson.databind.node.ArrayNode deepest = input.putObject("arguments").putArray("deep");
        for (int i = 0; i < 100_000; i++) {
            deepest = deepest.addArray();
        }
        deepest.add("\ud800");

        assertThat(UnrepresentableInput.find(input)).isPresent();
    }

    @Test
    void tellsLoneSurrogatesFromPairs() {
        assertThat(UnrepresentableInput.hasLoneSurrogate("")).isFalse();
        assertThat(UnrepresentableInput.hasLoneSurrogate("\ud83d\ude00")).isFalse();
        assertThat(UnrepresentableInput.hasLoneSurrogate("\ud83d")).isTrue();
        assertThat(UnrepresentableInput.hasLoneSurrogate("x\ude00")).isTrue();
        assertThat(UnrepresentableInput.hasLoneSurrogate("\ude00\ud83d")).isTrue();
        assertThat(UnrepresentableInput.hasLoneSurrogate("\ud83d\ud83d\ude00")).isTrue();
    }
}
