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
 * The documented divergence of the regex host builtins on strings holding bytes that are not UTF-8 (only a
 * string the policy builds, with {@code base64.decode} for example, can): the host sees such a string as the
 * engine decodes it, each invalid byte one U+FFFD (as the host's {@code base64.decode} and {@code hex.decode} make
 * it), where Go matches one U+FFFD per invalid byte. So results agree (as {@code opa eval} prints them), except
 * where a capture group takes part of an ill-formed sequence and the replacement splices it ({@code E2 82 61}
 * with {@code (.)a} and {@code $1$1}: OPA keeps the raw byte). This test pins both halves against the real
 * {@code opa}.
 */
class RegexBuiltinsInvalidUtf8Test {

    @Test
    void stringsThatAreNotUtf8AgreeWithOpaExactlyWhenEveryIllFormedSequenceIsOneByte() {
        List<String[]> oneByte = List.of(new String[] {"ff", ".", "x"}, new String[] {"ff6161", "a", "-"},
                new String[] {"61ff62", "\\xff", "x"}, new String[] {"61ff62", "[^a-z]", "<$0>"},
                new String[] {"ff6161", "", "-"}, new String[] {"c0", "\\p{Any}", "x"},
                new String[] {"ff", "\\x{fffd}", "x"}, new String[] {"c080", ".", "x"},
                new String[] {"61ff80fe62", "(.)", "[$1]"}, new String[] {"616263", "b", "x"});
        List<String[]> longer = List.of(new String[] {"e282", ".", "x"}, new String[] {"e28261", "(.)a", "$1$1"},
                new String[] {"f09f98", ".", "x"}, new String[] {"61e2826263", "[^a-z]", "x"});
        List<JsonNode> inputs = new ArrayList<>();
        for (String[] c : oneByte) {
            inputs.add(input(c));
        }
        for (String[] c : longer) {
            inputs.add(input(c));
        }
        List<OpaDifferential.Pair> pairs = OpaDifferential.module("""
                package probe
                s := base64.decode(input.b)
                r := regex.replace(s, input.p, input.r)
                out := {"replace": r, "count": count(r), "split": regex.split(input.p, s),
                	"find": regex.find_n(input.p, s, -1), "globs": regex.globs_match(s, s)}
                """).compare(inputs);

        assertThat(pairs.subList(0, oneByte.size())).allSatisfy(pair -> assertThat(pair.matches()).as(pair.toString())
                .isTrue());
        // base64.decode (host-supplied) already turns each invalid byte into one U+FFFD, as Go's matching sees it,
        // so longer sequences agree too, except where a group captures part of one: OPA splices the raw byte.
        List<Boolean> agreeing = List.of(true, false, true, true);
        for (int i = 0; i < longer.size(); i++) {
            OpaDifferential.Pair pair = pairs.get(oneByte.size() + i);
            assertThat(pair.matches()).as(pair.toString()).isEqualTo(agreeing.get(i));
        }
    }

    private static JsonNode input(String[] c) {
        String b64 = Base64.getEncoder().encodeToString(HexFormat.of().parseHex(c[0]));
        return BuiltinProbes.MAPPER.valueToTree(Map.of("b", b64, "p", c[1], "r", c[2]));
    }
}
