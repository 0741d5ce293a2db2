package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import dev.mcpguard.core.testing.OpaDifferential;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

/**
 * The documented divergence of {@link MatchBuiltins} on strings holding bytes that are not UTF-8 (only a string
 * the policy builds, with {@code base64.decode} for example, can): the engine holds each invalid byte as one
 * U+FFFD (the host's {@code base64.decode} makes it so), where OPA keeps the byte. As a string matched against
 * that agrees with OPA, since Go's regexp and gobwas/glob read an invalid byte as one U+FFFD, except where a
 * glob's literal U+FFFD meets an invalid byte (gobwas/glob compares literals as bytes: OPA no match, the host a
 * match). As a pattern it differs: Go refuses a regexp or a glob that is not UTF-8 ({@code regex.is_valid} false,
 * {@code glob.match} undefined), the host reads U+FFFD, a valid character. Pinned against the real opa.
 */
class MatchBuiltinsInvalidUtf8Test {

    private static final String MODULE = """
            package probe
            s := base64.decode(input.b)
            m := x if x := regex.match(input.p, s) else := "undefined"
            f := x if x := regex.find_all_string_submatch_n(input.p, s, -1) else := "undefined"
            g := x if x := glob.match(input.g, null, s) else := "undefined"
            out := {"match": m, "submatch": f, "glob": g}
            """;

    @Test
    void matchedStringsThatAreNotUtf8AgreeWithOpaButForAGlobsLiteralReplacementCharacter() {
        List<String[]> agree = List.of(new String[] {"ff", "^.$", "?"}, new String[] {"61ff62", "a(.)b", "a?b"},
                new String[] {"ff6161", "\\x{fffd}a", "?a*"}, new String[] {"c0", "[^a]", "[!a]"},
                new String[] {"61ff80fe62", "(.)(.)", "a???b"}, new String[] {"c080", "^..$", "??"},
                new String[] {"e282", "^..$", "??"}, new String[] {"f09f98", "^...$", "???"},
                new String[] {"61e28262", "^a..b$", "a??b"}, new String[] {"ff", "\ufffd", "[\ufffd]"});
        // A glob's literal U+FFFD, which gobwas/glob compares as its three bytes.
        List<String[]> differ = List.of(new String[] {"ff6161", "^.a", "\ufffd*"},
                new String[] {"61ff", "a.", "a\ufffd"});
        List<JsonNode> inputs = new ArrayList<>();
        agree.forEach(c -> inputs.add(input(c)));
        differ.forEach(c -> inputs.add(input(c)));
        List<OpaDifferential.Pair> pairs = OpaDifferential.module(MODULE).compare(inputs);

        assertThat(pairs.subList(0, agree.size())).allSatisfy(pair -> assertThat(pair.matches()).as(pair.toString())
                .isTrue());
        assertThat(pairs.subList(agree.size(), pairs.size())).allSatisfy(pair -> assertThat(pair.matches())
                .as(pair.toString()).isFalse());
    }

    @Test
    void patternsThatAreNotUtf8AreRefusedByOpaAndReadAsReplacementCharactersByTheHost() {
        List<OpaDifferential.Pair> pairs = OpaDifferential.module("""
                package probe
                p := base64.decode(input.b)
                g := x if x := glob.match(p, null, "\ufffd") else := "undefined"
                m := x if x := regex.match(p, "\ufffd") else := "undefined"
                out := {"valid": regex.is_valid(p), "glob": g, "match": m}
                """).compare(List.of(BuiltinProbes.MAPPER.valueToTree(Map.of("b", base64("ff")))));

        assertThat(pairs.get(0).opa().value())
                .isEqualTo(json("{\"glob\": \"undefined\", \"match\": \"undefined\", \"valid\": false}"));
        assertThat(pairs.get(0).embedded().value())
                .isEqualTo(json("{\"glob\": true, \"match\": true, \"valid\": true}"));
    }

    private static JsonNode json(String text) {
        try {
            return BuiltinProbes.MAPPER.readTree(text);
        } catch (java.io.IOException e) {
            throw new IllegalArgumentException(e);
        }
    }

    private static JsonNode input(String[] c) {
        return BuiltinProbes.MAPPER.valueToTree(Map.of("b", base64(c[0]), "p", c[1], "g", c[2]));
    }

    private static String base64(String hex) {
        return Base64.getEncoder().encodeToString(HexFormat.of().parseHex(hex));
    }
}
