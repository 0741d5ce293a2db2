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
 * the policy builds, with {@code base64.decode} for example, can): the host sees each ill-formed sequence as one
 * U+FFFD. As a string matched against, that agrees with Go when every ill-formed sequence is one byte (Go reads
 * each invalid byte as one U+FFFD) and differs when one is longer (a truncated {@code E2 82}: Go two characters,
 * the host one), and where a glob's literal U+FFFD meets an invalid byte (gobwas/glob compares literals as bytes:
 * Go no match, the host a match). As a pattern it differs: Go refuses a regexp or a glob that is not UTF-8 ({@code regex.is_valid}
 * false, {@code glob.match} undefined), the host reads U+FFFD, a valid character. Pinned against the real opa.
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
    void matchedStringsThatAreNotUtf8AgreeWithOpaExactlyWhenEveryIllFormedSequenceIsOneByte() {
        List<String[]> oneByte = List.of(new String[] {"ff", "^.$", "?"}, new String[] {"61ff62", "a(.)b", "a?b"},
                new String[] {"ff6161", "\\x{fffd}a", "?a*"}, new String[] {"c0", "[^a]", "[!a]"},
                new String[] {"61ff80fe62", "(.)(.)", "a???b"}, new String[] {"c080", "^..$", "??"});
        // Longer ill-formed sequences; and a glob's literal U+FFFD, which Go compares as its three bytes.
        List<String[]> longer = List.of(new String[] {"e282", "^..$", "??"}, new String[] {"f09f98", "^...$", "???"},
                new String[] {"61e28262", "^a..b$", "a??b"}, new String[] {"ff6161", "^.a", "\ufffd*"});
        List<JsonNode> inputs = new ArrayList<>();
        oneByte.forEach(c -> inputs.add(input(c)));
        longer.forEach(c -> inputs.add(input(c)));
        List<OpaDifferential.Pair> pairs = OpaDifferential.module(MODULE).compare(inputs);

        assertThat(pairs.subList(0, oneByte.size())).allSatisfy(pair -> assertThat(pair.matches()).as(pair.toString())
                .isTrue());
        assertThat(pairs.subList(oneByte.size(), pairs.size())).allSatisfy(pair -> assertThat(pair.matches())
                .as(pair.toString()).isFalse());
    }

    @Test
    void patternsThatAreNotUtf8AreRefusedByOpaAndReadAsReplacementCharactersByTheHost() {
        List<OpaDifferential.Pair> pairs = OpaDifferential.module("""
                package probe
                p := base64.decode(input.b)
                g := x if x := glob.match(p, null, "\ufffd") else := "undefined"
                out := {"valid": regex.is_valid(p), "glob": g}
                """).compare(List.of(BuiltinProbes.MAPPER.valueToTree(Map.of("b", base64("ff")))));

        assertThat(pairs.get(0).opa().value()).isEqualTo(json("{\"glob\": \"undefined\", \"valid\": false}"));
        assertThat(pairs.get(0).embedded().value()).isEqualTo(json("{\"glob\": true, \"valid\": true}"));
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
