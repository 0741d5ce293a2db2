package dev.mcpguard.core.testing;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.util.List;
import org.junit.jupiter.api.Test;

/** The harness itself: it reports agreement, undefined, errors, and a real difference between the engines. */
class OpaDifferentialHarnessTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    @Test
    void reportsValuesUndefinedAndErrorsPerInputFromOneOpaProcess() throws Exception {
        List<OpaDifferential.Pair> pairs = OpaDifferential.module("""
                package probe
                out := x if {
                  x := input.a / input.b
                }
                """).compare(List.of(json("{\"a\":6,\"b\":3}"), json("{\"a\":1}"), json("{\"a\":1,\"b\":0}")));

        assertThat(pairs).hasSize(3);
        assertThat(pairs.get(0).opa().value().asInt()).isEqualTo(2);
        assertThat(pairs.get(1).opa().kind()).isEqualTo(OpaDifferential.Outcome.Kind.UNDEFINED);
        assertThat(pairs.get(2).opa().kind()).isIn(OpaDifferential.Outcome.Kind.UNDEFINED,
                OpaDifferential.Outcome.Kind.ERROR);
        assertThat(OpaDifferential.mismatches(pairs.subList(0, 2))).isEmpty();
    }

    @Test
    void findsADifferenceWithItsInput() throws Exception {
        // Rego's json.marshal sorts object keys; the wasm runtime's does not (a known divergence, issue 11).
        List<OpaDifferential.Pair> pairs = OpaDifferential.module("""
                package probe
                out := json.marshal(input)
                """).data(json("{\"unused\":true}")).compare(List.of(json("{\"b\":1,\"a\":2}"), json("[1,2]")));

        assertThat(pairs.get(1).matches()).isTrue();
        assertThat(OpaDifferential.mismatches(pairs)).allSatisfy(p -> assertThat(p.input()).contains("\"b\""));
        assertThat(pairs.get(0).opa().value().asText()).isEqualTo("{\"a\":2,\"b\":1}");
    }

    private static JsonNode json(String text) throws Exception {
        return MAPPER.readTree(text);
    }
}
