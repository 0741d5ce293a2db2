package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mcpguard.core.testing.OpaDifferential;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * Code points beyond U+FFFF reach the module and come back from host builtins unchanged, as in {@code opa eval}:
 * the module's JSON parser decodes an escaped surrogate pair wrongly (U+20000 became U+10000), so the engine hands
 * it UTF-8 instead, in the input, the data and every host builtin's result.
 */
class AstralCharactersTest {

    @Test
    void astralCodePointsInTheInputAndInHostResultsDecideAsInOpa() {
        List<String> texts = List.of("\uD840\uDC00", "a\uD83D\uDE00b", "\uDBFF\uDFFF", "\uD800\uDC00",
                "\uD83C\uDDE8\uD83C\uDDFF", "x\uD840\uDC01\u00e9", "\uD840\uDC00\uD840\uDC00");
        List<JsonNode> inputs = new ArrayList<>();
        for (String text : texts) {
            inputs.add(BuiltinProbes.MAPPER.valueToTree(java.util.Map.of("s", text)));
        }
        List<OpaDifferential.Pair> pairs = OpaDifferential.module("""
                package probe

                out := {
                	"same": input.s,
                	"count": count(input.s),
                	"is_20000": input.s == "\uD840\uDC00",
                	"sprintf": sprintf("<%s>", [input.s]),
                	"replace": regex.replace(input.s, "[a-z]", "\uD83D\uDE00"),
                	"split": regex.split("", input.s),
                	"hex": hex.encode(input.s),
                	"upper": upper(input.s),
                }
                """).compare(inputs);

        assertThat(pairs).allSatisfy(pair -> assertThat(pair.matches()).as(pair.toString()).isTrue());
        assertThat(pairs.get(0).embedded().value().get("is_20000").asBoolean()).isTrue();
    }
}
