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
    void findsANonFiniteNumberAnywhereInAnArgumentAndNamesOnlyTheArgument() {
        assertThat(UnrepresentableInput.find(document(Map.of("lines", List.of(Map.of("qty", List.of(Double.NaN)))))))
                .hasValueSatisfying(f -> {
                    assertThat(f.where()).isEqualTo("arguments.lines");
                    assertThat(f.inArguments()).isTrue();
                });
        assertThat(UnrepresentableInput.find(document(Map.of("amount", Double.NEGATIVE_INFINITY)))).isPresent();
        assertThat(UnrepresentableInput.find(document(Map.of("amount", Float.NaN)))).isPresent();
    }

    @Test
    void lonesurrogatesAreNotAFindingOpaDecodesThemAsTheReplacementCharacter() {
        assertThat(UnrepresentableInput.find(document(Map.of("order_id", "acme-1\ud800", "k\udc00", 1)))).isEmpty();
    }

    @Test
    void findsAProblemOutsideTheArgumentsAsNotTheArguments() {
        ObjectNode input = document(Map.of());
        input.putObject("environment").put("ratio", Double.POSITIVE_INFINITY);

        assertThat(UnrepresentableInput.find(input)).hasValueSatisfying(f -> {
            assertThat(f.where()).isEqualTo("environment");
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
        deepest.add(Double.NaN);

        assertThat(UnrepresentableInput.find(input)).isPresent();
    }
}
