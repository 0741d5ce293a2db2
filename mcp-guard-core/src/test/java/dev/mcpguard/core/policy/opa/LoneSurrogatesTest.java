package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpguard.core.testing.OpaDifferential;
import java.util.List;
import org.junit.jupiter.api.Test;

class LoneSurrogatesTest {

    private final ObjectMapper mapper = new ObjectMapper();

    @Test
    void tellsLoneSurrogatesFromPairs() {
        assertThat(LoneSurrogates.hasLoneSurrogate("")).isFalse();
        assertThat(LoneSurrogates.hasLoneSurrogate("\ud83d\ude00")).isFalse();
        assertThat(LoneSurrogates.hasLoneSurrogate("\ud83d")).isTrue();
        assertThat(LoneSurrogates.hasLoneSurrogate("x\ude00")).isTrue();
        assertThat(LoneSurrogates.hasLoneSurrogate("\ude00\ud83d")).isTrue();
        assertThat(LoneSurrogates.hasLoneSurrogate("\ud83d\ud83d\ude00")).isTrue();
    }

    @Test
    void replacesEachLoneSurrogateWithTheReplacementCharacterAndKeepsPairs() {
        assertThat(LoneSurrogates.replace("a\ud800b")).isEqualTo("a\ufffdb");
        assertThat(LoneSurrogates.replace("\ud800\ud800\udc00")).isEqualTo("\ufffd\ud800\udc00");
        assertThat(LoneSurrogates.replace("\udfff\ud800")).isEqualTo("\ufffd\ufffd");
        String clean = "ok \ud83d\ude00";
        assertThat(LoneSurrogates.replace(clean)).isSameAs(clean);
    }

    @Test
    void replacesInValuesAndKeysAtAnyDepthWithoutOverflowingTheStack() {
        ObjectNode root = mapper.createObjectNode();
        root.put("k\udc00", "v\ud800");
        ArrayNode deepest = root.putArray("deep");
        for (int i = 0; i < 100_000; i++) {
            deepest = deepest.addArray();
        }
        deepest.add("\ud800");

        LoneSurrogates.replaceIn(root);

        assertThat(root.get("k\ufffd").textValue()).isEqualTo("v\ufffd");
        JsonNode node = root.get("deep");
        while (node.get(0).isArray()) {
            node = node.get(0);
        }
        assertThat(node.get(0).textValue()).isEqualTo("\ufffd");
    }

    @Test
    void theEmbeddedEngineDecodesLoneSurrogatesAsOpaDoes() {
        // Raw JSON escapes go to OPA byte for byte; OPA's Go decoder reads a lone surrogate as U+FFFD.
        List<OpaDifferential.Pair> pairs = OpaDifferential.module("""
                package probe

                out := {"s": input.s, "n": count(input.s), "keys": [k | some k, _ in input.o], "fffd": contains(input.s, "\\ufffd")}
                """).compareJson(List.of(
                "{\"s\": \"a\\ud800b\", \"o\": {\"x\\udc00\": 1}}",
                "{\"s\": \"\\udc00\", \"o\": {}}",
                "{\"s\": \"\\ud800\\ud800\\udc00\", \"o\": {\"\\ud800\": 1, \"\\ud801\": 2}}",
                "{\"s\": \"\\udfff\\ud800 tail\", \"o\": {\"ok\": true}}",
                "{\"s\": \"pair \\ud83d\\ude00\", \"o\": {\"\u00e9\": 1}}"));

        assertThat(pairs).allSatisfy(p -> assertThat(p.opa().kind()).isEqualTo(OpaDifferential.Outcome.Kind.VALUE));
        assertThat(OpaDifferential.mismatches(pairs)).isEmpty();
    }
}
