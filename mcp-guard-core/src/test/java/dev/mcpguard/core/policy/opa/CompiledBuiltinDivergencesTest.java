package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpguard.core.testing.OpaDifferential;
import java.util.ArrayList;
import java.util.List;
import org.junit.jupiter.api.Test;

/**
 * The differences for which {@code net.cidr_contains}, {@code net.cidr_intersects}, {@code ceil} and
 * {@code floor} (compiled into the module by OPA) are in {@link DivergentBuiltins#KNOWN}, reproduced input by
 * input against the real {@code opa}; where the host supplies the builtin instead ({@link DivergentBuiltins#REPLACED})
 * every case must agree with opa: each listed input
 * decides as written on each side, so the test fails when OPA or its wasm runtime changes and the list must be
 * revisited. Inputs where the two agree are checked alongside, so the documented classes are no wider than they
 * are. The wasm runtime reads a prefix that is not all digits ({@code /8.0}) with an uninitialised length, so
 * only "defined" is asserted there.
 */
class CompiledBuiltinDivergencesTest {

    private static final String MODULE = """
            package probe

            out := net.cidr_contains(input.a, input.b) if input.f == "contains"
            out := net.cidr_intersects(input.a, input.b) if input.f == "intersects"
            out := ceil(input.a) if input.f == "ceil"
            out := floor(input.a) if input.f == "floor"
            """;

    /** One input and what each side gives: a value's JSON, {@code undefined}, or {@code defined} (any value). */
    private record Case(String f, Object a, Object b, String opa, String embedded) {
    }

    private static final String ANY = "defined";

    private static final java.util.Map<String, String> BUILTINS = java.util.Map.of("contains", "net.cidr_contains",
            "intersects", "net.cidr_intersects", "ceil", "ceil", "floor", "floor");

    private static final List<Case> DIFFERENT = List.of(
            // IPv4-mapped IPv6 is not the IPv4 address it maps, in either direction
            new Case("contains", "169.254.0.0/16", "::ffff:169.254.169.254", "true", "false"),
            new Case("contains", "10.0.0.0/8", "::ffff:a01:203", "true", "false"),
            new Case("contains", "10.0.0.0/8", "::ffff:10.0.0.0/104", "true", "false"),
            new Case("contains", "::ffff:10.0.0.0/104", "10.1.2.3", "true", "false"),
            new Case("contains", "::ffff:0:0/96", "1.2.3.4/8", "true", "false"),
            new Case("contains", "0.0.0.0/0", "::ffff:1.2.3.4", "true", "false"),
            new Case("contains", "::/0", "::ffff:1.2.3.4", "false", "true"),
            new Case("intersects", "169.254.0.0/16", "::ffff:a9fe:a9fe/128", "true", "false"),
            new Case("intersects", "10.0.0.0/8", "::ffff:10.1.2.3/128", "true", "false"),
            new Case("intersects", "::ffff:0.0.0.0/96", "10.0.0.0/8", "true", "false"),
            new Case("intersects", "::ffff:10.0.0.0/100", "1.0.0.0/8", "true", "false"),
            new Case("intersects", "::ffff:1.2.3.4/120", "1.2.3.0/24", "true", "false"),
            new Case("intersects", "::/0", "::ffff:1.2.3.4/128", "false", "true"),
            // prefixes Go's ParseCIDR refuses
            new Case("contains", "10.0.0.0/-0", "10.1.0.0/16", "undefined", "true"),
            new Case("intersects", "10.0.0.0/-0", "10.1.0.0/16", "undefined", "true"),
            new Case("contains", "10.0.0.0/8.0", "10.0.0.0/8", "undefined", ANY),
            new Case("intersects", "10.0.0.0/1e1", "10.0.0.0/8", "undefined", ANY),
            new Case("intersects", "10.0.0.0/+8", "10.1.0.0/16", "undefined", ANY),
            new Case("contains", "10.0.0.0/8 ", "10.1.0.0/16", "undefined", ANY),
            new Case("intersects", "203.0.113.7/24/32", "203.0.113.0/24", "undefined", ANY),
            // a NUL byte ends the address; a colon after eight groups is taken
            new Case("contains", "10.0.0.0/8", "10.1.2.3\u0000", "undefined", "true"),
            new Case("intersects", "10.0.0.0\u0000x/8", "10.1.0.0/16", "undefined", "true"),
            new Case("contains", "::/0", "1:2:3:4:5:6:7:8:", "undefined", "true"),
            new Case("intersects", "1:2:3:4:5:6:7:8:/128", "1::/16", "undefined", "true"),
            // OPA truncates toward zero and steps away from it, so (-1, 0) goes the wrong way; big ones via float
            new Case("ceil", -0.5, null, "1", "0"),
            new Case("ceil", -1e-300, null, "1", "0"),
            new Case("ceil", -0.0000001, null, "1", "0"),
            new Case("floor", -0.5, null, "0", "-1"),
            new Case("floor", -0.9, null, "0", "-1"),
            new Case("ceil", new java.math.BigInteger("18446744073709551617"), null, "18446744073709551616",
                    "18446744073709551617"),
            new Case("floor", new java.math.BigInteger("-99999999999999999999999"), null, "-100000000000000000000000",
                    "-99999999999999999999999"));

    private static final List<Case> SAME = List.of(
            new Case("contains", "10.0.0.0/8", "10.1.2.3", "true", "true"),
            new Case("contains", "10.0.0.0/8", "10.0.0.0/7", "false", "false"),
            new Case("contains", "10.0.0.0/8", "010.1.2.3", "undefined", "undefined"),
            new Case("contains", "fe80::/10", "fe80::1%eth0", "undefined", "undefined"),
            new Case("contains", "10.0.0.0/33", "10.1.2.3", "undefined", "undefined"),
            new Case("contains", "2001:db8::/32", "2001:DB8::1", "true", "true"),
            new Case("contains", "::ffff:0:0/96", "::ffff:1.2.3.4", "true", "true"),
            new Case("intersects", "10.0.0.0/8", "10.1.0.0/16", "true", "true"),
            new Case("intersects", "10.0.0.0/08", "10.1.0.0/16", "true", "true"),
            new Case("intersects", "10.0.0.0/8", "11.0.0.0/8", "false", "false"),
            new Case("intersects", "10.0.0.0/", "10.1.0.0/16", "undefined", "undefined"),
            new Case("intersects", "01.0.0.0/8", "1.0.0.0/8", "undefined", "undefined"),
            new Case("intersects", "::/0", "10.0.0.0/8", "false", "false"),
            new Case("ceil", 1.5, null, "2", "2"),
            new Case("ceil", -1.5, null, "-1", "-1"),
            new Case("ceil", -1, null, "-1", "-1"),
            new Case("ceil", 0, null, "0", "0"),
            new Case("ceil", 3000000000.5, null, "3000000001", "3000000001"),
            new Case("floor", -1.5, null, "-2", "-2"),
            new Case("floor", 0.5, null, "0", "0"),
            new Case("floor", new java.math.BigInteger("18446744073709551615"), null, "18446744073709551615",
                    "18446744073709551615"));

    @Test
    void eachDocumentedDifferenceIsReproducedAndTheNeighboursAgree() {
        List<Case> cases = new ArrayList<>(DIFFERENT);
        cases.addAll(SAME);
        List<ObjectNode> inputs = new ArrayList<>();
        for (Case c : cases) {
            ObjectNode input = BuiltinProbes.NODES.objectNode().put("f", c.f());
            input.set("a", BuiltinProbes.MAPPER.valueToTree(c.a()));
            if (c.b() != null) {
                input.set("b", BuiltinProbes.MAPPER.valueToTree(c.b()));
            }
            inputs.add(input);
        }
        List<OpaDifferential.Pair> pairs = OpaDifferential.module(MODULE).compare(inputs);

        for (int i = 0; i < cases.size(); i++) {
            Case c = cases.get(i);
            OpaDifferential.Pair pair = pairs.get(i);
            assertThat(pair.opa().toString()).as("opa, %s", pair).isEqualTo(c.opa());
            if (DivergentBuiltins.REPLACED.containsKey(BUILTINS.get(c.f()))) {
                // the host supplies it in place of the module's runtime function: the difference is gone
                assertThat(pair.matches()).as("replaced by the host, %s", pair).isTrue();
                continue;
            }
            if (c.embedded().equals(ANY)) {
                assertThat(pair.embedded().kind()).as("embedded, %s", pair).isEqualTo(OpaDifferential.Outcome.Kind.VALUE);
            } else {
                assertThat(pair.embedded().toString()).as("embedded, %s", pair).isEqualTo(c.embedded());
            }
            assertThat(pair.matches()).as("%s", pair).isEqualTo(i >= DIFFERENT.size());
        }
    }
}
