package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.styra.opa.wasm.OpaBuiltin;
import java.util.List;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** The encoding family's functions on their own; {@code EncodingBuiltinsProbeTest} compares them with opa. */
class EncodingBuiltinsTest {

    private static RegoValue v(String text) {
        return RegoValue.parse(text);
    }

    private static String text(RegoValue value) {
        return value.valueText();
    }

    @Test
    void suppliesEveryBuiltinOfTheFamilyByOpasName() {
        assertThat(EncodingBuiltins.all().stream().map(OpaBuiltin.Builtin::name).collect(Collectors.toSet()))
                .containsExactlyInAnyOrder("json.marshal", "json.unmarshal", "json.is_valid", "base64.decode",
                        "base64.is_valid", "base64url.decode", "object.union_n", "json.filter", "json.remove",
                        "net.cidr_contains", "net.cidr_intersects");
        assertThat(CompiledBuiltinOverrides.BY_NAME).containsKeys("json.marshal", "net.cidr_intersects");
    }

    @Test
    void unionNLetsLaterObjectsWinAndMergesObjectsUntilANonObjectFreezesTheKey() throws Exception {
        assertThat(text(EncodingBuiltins.unionN(v("[]")))).isEqualTo("{}");
        assertThat(text(EncodingBuiltins.unionN(v("[{\"a\":1},{\"a\":2,\"b\":3}]")))).isEqualTo("{\"a\":2,\"b\":3}");
        assertThat(text(EncodingBuiltins.unionN(v("[{\"a\":{\"b\":2}},{\"a\":4},{\"a\":{\"c\":3}}]"))))
                .isEqualTo("{\"a\":{\"c\":3}}");
        assertThat(text(EncodingBuiltins.unionN(v("[{\"a\":{\"b\":1}},{\"a\":{\"c\":2}}]"))))
                .isEqualTo("{\"a\":{\"b\":1,\"c\":2}}");
        // A freeze deep down stops only that key: "a" still merges, "a.b" no longer does.
        assertThat(text(EncodingBuiltins.unionN(v(
                "[{\"a\":{\"b\":{\"x\":1},\"d\":1}},{\"a\":{\"b\":5}},{\"a\":{\"b\":{\"y\":2}}}]"))))
                .isEqualTo("{\"a\":{\"b\":{\"y\":2},\"d\":1}}");
        // Of two equal keys (1 and 1.0) the one written last in the array stays.
        assertThat(text(EncodingBuiltins.unionN(v("[{1:\"a\"},{1.0:\"b\"}]")))).isEqualTo("{1.0:\"b\"}");
        assertThatThrownBy(() -> EncodingBuiltins.unionN(v("[{},1]"))).isInstanceOf(HostBuiltin.Undefined.class);
        assertThatThrownBy(() -> EncodingBuiltins.unionN(v("{{}}"))).isInstanceOf(HostBuiltin.Undefined.class);
    }

    @Test
    void filterKeepsWhatPathsReachWithShorterPathsWinningAndArraysIndexedByDecimalStrings() throws Exception {
        RegoValue doc = v("{\"a\":{\"b\":1,\"c\":[10,20,{\"d\":30,\"e\":40}]},\"f\":{\"x/y\":1,\"~\":2},\"s\":{\"p\",\"q\"}}");
        assertThat(text(EncodingBuiltins.filter(doc, v("[\"a/b\"]")))).isEqualTo("{\"a\":{\"b\":1}}");
        assertThat(text(EncodingBuiltins.filter(doc, v("[\"a/c/2/d\",\"a/c/0\"]"))))
                .isEqualTo("{\"a\":{\"c\":[10,{\"d\":30}]}}");
        assertThat(text(EncodingBuiltins.filter(doc, v("[\"a\",\"a/b\"]"))))
                .isEqualTo(text(EncodingBuiltins.filter(doc, v("[\"a/b\",\"a\"]"))))
                .isEqualTo("{\"a\":{\"b\":1,\"c\":[10,20,{\"d\":30,\"e\":40}]}}");
        assertThat(text(EncodingBuiltins.filter(doc, v("[[\"a\",\"c\",1]]")))).as("a number is no array index")
                .isEqualTo("{\"a\":{\"c\":[]}}");
        assertThat(text(EncodingBuiltins.filter(doc, v("[\"f/x~1y\",\"f/~0\"]")))).isEqualTo("{\"f\":{\"x/y\":1,\"~\":2}}");
        assertThat(text(EncodingBuiltins.filter(doc, v("{\"s/p\"}")))).isEqualTo("{\"s\":{\"p\"}}");
        assertThat(text(EncodingBuiltins.filter(doc, v("[[]]")))).as("an empty path is skipped").isEqualTo("{}");
        assertThat(text(EncodingBuiltins.filter(doc, v("[\"\"]")))).isEqualTo("{}");
        assertThatThrownBy(() -> EncodingBuiltins.filter(doc, v("[1]"))).isInstanceOf(HostBuiltin.Undefined.class);
        assertThatThrownBy(() -> EncodingBuiltins.filter(doc, v("\"a\""))).isInstanceOf(HostBuiltin.Undefined.class);
        assertThatThrownBy(() -> EncodingBuiltins.filter(v("[1]"), v("[]"))).isInstanceOf(HostBuiltin.Undefined.class);
    }

    @Test
    void filterWritesTheKeyOfTheSmallerSideAsOpaIteratesIt() throws Exception {
        // OPA iterates the smaller of object and filter and inserts its key: of 1 and 1.0 that one.
        assertThat(text(EncodingBuiltins.filter(v("{1:\"a\"}"), v("[[1.0],[2]]")))).isEqualTo("{1.0:\"a\"}");
        assertThat(text(EncodingBuiltins.filter(v("{1:\"a\",3:\"c\"}"), v("[[1.0]]")))).isEqualTo("{1:\"a\"}");
    }

    @Test
    void removeDropsWhatPathsNameAndClosesUpArrays() throws Exception {
        RegoValue doc = v("{\"a\":{\"b\":1,\"c\":[10,20,{\"d\":30}]},\"s\":{[1,2],[1,3]},\"k\":0}");
        assertThat(text(EncodingBuiltins.remove(doc, v("[\"a/c/0\",\"a/b\",\"k\"]"))))
                .isEqualTo("{\"a\":{\"c\":[20,{\"d\":30}]},\"s\":{[1,2],[1,3]}}");
        assertThat(text(EncodingBuiltins.remove(doc, v("[[\"s\",[1,2],\"1\"],[\"s\",[1,3],\"1\"]]"))))
                .as("set members that become equal are one").isEqualTo("{\"a\":{\"b\":1,\"c\":[10,20,{\"d\":30}]},"
                        + "\"k\":0,\"s\":{[1]}}");
        assertThat(text(EncodingBuiltins.remove(doc, v("[[]]")))).isEqualTo(text(EncodingBuiltins.remove(doc, v("[]"))));
        assertThat(text(EncodingBuiltins.remove(doc, v("[\"k/x\"]")))).as("a path beyond a scalar removes nothing")
                .isEqualTo(text(EncodingBuiltins.remove(doc, v("[]"))));
    }

    @Test
    void unmarshalAcceptsOneNullAfterTheValueAndNothingElse() throws Exception {
        assertThat(text(EncodingBuiltins.unmarshal(new RegoValue.Str("1 null")))).isEqualTo("1");
        assertThat(text(EncodingBuiltins.unmarshal(new RegoValue.Str("0nullx")))).isEqualTo("0");
        assertThat(text(EncodingBuiltins.unmarshal(new RegoValue.Str("[\"]\"]\nnull [")))).isEqualTo("[\"]\"]");
        assertThat(text(EncodingBuiltins.unmarshal(new RegoValue.Str("{\"a\":1,\"a\":2.50}")))).isEqualTo("{\"a\":2.50}");
        assertThat(text(EncodingBuiltins.unmarshal(new RegoValue.Str("\"\\ud800\\u0041\"")))).isEqualTo("\"\\ufffdA\"");
        for (String bad : List.of("1 2", "1 true", "1 nul", "1 \"null\"", "[1,]null", "01", "", " ", "1 [null]")) {
            assertThatThrownBy(() -> EncodingBuiltins.unmarshal(new RegoValue.Str(bad))).as(bad)
                    .isInstanceOf(HostBuiltin.Undefined.class);
        }
        assertThatThrownBy(() -> EncodingBuiltins.unmarshal(new RegoValue.Num("1")))
                .isInstanceOf(HostBuiltin.Undefined.class);
    }

    @Test
    void unmarshalOfAValueDeeperThanTheLimitFailsTheEvaluation() throws Exception {
        int limit = EncodingBuiltins.MAX_DEPTH;
        RegoValue atLimit = EncodingBuiltins.unmarshal(new RegoValue.Str("[".repeat(limit) + "]".repeat(limit)));
        assertThat(EncodingBuiltins.depth(atLimit)).isEqualTo(limit);
        assertThatThrownBy(() -> EncodingBuiltins.unmarshal(new RegoValue.Str("{\"a\":".repeat(limit + 1) + "1"
                + "}".repeat(limit + 1)))).isInstanceOf(HostBuiltin.Halt.class);
        assertThat(EncodingBuiltins.depth(v("{\"a\":{[1]}}"))).isEqualTo(3);
        assertThat(EncodingBuiltins.depth(v("1"))).isZero();
    }

    @Test
    void plainIpv6NetworksContainOneAnotherByPrefixMappedOnesAsIpv4() throws Exception {
        assertThat(EncodingBuiltins.contains("::/80", "::/80")).as("its last address is ::ffff:ffff:ffff").isTrue();
        assertThat(EncodingBuiltins.contains("::fffe:0:0/95", "::fffe:0:0/95")).isTrue();
        assertThat(EncodingBuiltins.contains("::/0", "::ffff:0:0/96")).as("mapped: compared as IPv4").isFalse();
        assertThat(EncodingBuiltins.contains("::/0", "::ffff:1.2.3.4")).isFalse();
        assertThat(EncodingBuiltins.contains("169.254.0.0/16", "::ffff:169.254.169.254")).isTrue();
        assertThat(EncodingBuiltins.contains("2001:db8::/32", "2001:db8::/31")).isFalse();
        assertThatThrownBy(() -> EncodingBuiltins.contains("10.0.0.0/8.0", "10.1.1.1"))
                .isInstanceOf(HostBuiltin.Undefined.class);
        assertThatThrownBy(() -> EncodingBuiltins.contains("10.0.0.0/8", "bad"))
                .isInstanceOf(HostBuiltin.Undefined.class);
    }
}
