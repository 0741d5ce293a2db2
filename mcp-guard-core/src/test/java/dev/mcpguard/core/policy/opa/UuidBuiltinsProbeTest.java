package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpguard.core.testing.OpaDifferential;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** {@code uuid.parse} and {@code uuid.rfc4122} decide as the real {@code opa} does. */
class UuidBuiltinsProbeTest {

    private static final String V4 = "^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$";

    @Test
    void uuidParseMatchesOpaOnEdgeCasesAndRandomInputs() {
        Random random = new Random(11_2033L);
        List<String> inputs = new ArrayList<>(List.of("", "c9a9a5f8-3a1b-11ef-9a1b-0242ac120002",
                "000003e8-3a1b-21ef-9a01-0242ac120002", "{123e4567-e89b-12d3-a456-426614174000}",
                "x123e4567-e89b-12d3-a456-426614174000y", "(123e4567-e89b-12d3-a456-426614174000(",
                "URN:UUID:123e4567-e89b-12d3-a456-426614174000", "urn:uuid:123e4567-e89b-12d3-a456-426614174000",
                "Urn:Uuid:123e4567-e89b-12d3-a456-426614174000", "urn:uuid 123e4567-e89b-12d3-a456-426614174000",
                "urn-uuid:123e4567-e89b-12d3-a456-426614174000", "123e4567e89b12d3a456426614174000",
                "123E4567E89B12D3A456426614174000", "123e4567e89b12d3a45642661417400g",
                "123e4567-e89b-12d3-a456-42661417400", "123e4567-e89b-12d3-a456-4266141740000",
                "123e4567-e89b-12d3-a456_426614174000", "123e4567e-89b-12d3-a456-426614174000",
                "123E4567-E89B-12D3-A456-426614174000", "ffffffff-ffff-1fff-ffff-ffffffffffff",
                "ffffffff-ffff-2fff-ffff-ffffffffffff", "00000000-0000-0000-0000-000000000000",
                "00000000-0000-1000-0000-000000000000", "00000000-0000-2000-8000-000000000000",
                "017f22e2-79b0-7cc3-98c4-dc0c0c07398f", "1ec9414c-232a-6b00-b3c8-9e6bdeced846",
                "6ba7b810-9dad-11d1-80b4-00c04fd430c8", "6ba7b811-9dad-31d1-80b4-00c04fd430c8",
                "6ba7b812-9dad-51d1-80b4-00c04fd430c8", "f47ac10b-58cc-4372-a567-0e02b2c3d479",
                "f47ac10b-58cc-8372-c567-0e02b2c3d479", "f47ac10b-58cc-f372-e567-0e02b2c3d479",
                "é23e4567-e89b-12d3-a456-426614174000", "é3e4567-e89b-12d3-a456-426614174000",
                "{é23e4567-e89b-12d3-a456-42661417400}", "+123e4567-e89b-12d3-a456-426614174000",
                " 123e4567-e89b-12d3-a456-426614174000", "123e4567-e89b-12d3-a456-426614174000 ",
                "123e4567-e89b-12d3-a456-426614174000\n", "-23e4567-e89b-12d3-a456-426614174000",
                "123e4567-e89b-12d3-a456--26614174000", "0x3e4567-e89b-12d3-a456-426614174000",
                "１23e4567-e89b-12d3-a456-426614174000", "😀3e4567-e89b-12d3-a456-42661417400"));
        for (int i = 0; i < 200; i++) {
            byte[] bytes = new byte[16];
            random.nextBytes(bytes);
            String hex = HexFormat.of().formatHex(bytes);
            if (random.nextBoolean()) {
                hex = hex.toUpperCase(java.util.Locale.ROOT);
            }
            String dashed = hex.substring(0, 8) + "-" + hex.substring(8, 12) + "-" + hex.substring(12, 16) + "-"
                    + hex.substring(16, 20) + "-" + hex.substring(20);
            inputs.add(switch (random.nextInt(5)) {
                case 0 -> hex;
                case 1 -> "{" + dashed + "}";
                case 2 -> "urn:uuid:" + dashed;
                default -> dashed;
            });
        }
        for (int i = 0; i < 40; i++) {
            StringBuilder s = new StringBuilder();
            for (int k = 0, n = 30 + random.nextInt(16); k < n; k++) {
                s.append("0123456789abcdef----{}:gé".charAt(random.nextInt(25)));
            }
            inputs.add(s.toString());
        }
        BuiltinProbes probes = new BuiltinProbes().builtin("uuid.parse", 1);
        inputs.forEach(s -> probes.call("uuid.parse", s));
        for (Object bad : List.of(1, true, List.of("123e4567-e89b-12d3-a456-426614174000"), Map.of())) {
            probes.call("uuid.parse", bad);
        }

        Map<String, Integer> perBuiltin = probes.assertSameAsOpa();
        assertThat(perBuiltin.get("uuid.parse")).isGreaterThanOrEqualTo(280);
    }

    /**
     * {@code uuid.rfc4122} is random, so the probe compares what a policy can rely on: the same key gives the same
     * UUID within an evaluation, which keys share one (OPA keys by value hash: {@code 1}, {@code 1.5} and
     * {@code true} do), and that it is a version 4 UUID.
     */
    @Test
    void uuidRfc4122IsTheSameForTheSameKeyWithinAnEvaluationAsInOpa() {
        Random random = new Random(11_2034L);
        List<Object> keys = new ArrayList<>(List.of("", "a", "b", "A", "é", "😀", "1", 1, 1.0, 1.5, 1.9, 2, -1, -1.9,
                0, -0.5, 0.3, true, false, List.of(), Map.of(), List.of(1), List.of(1.5), List.of(1, 2), 3,
                List.of(List.of(1), List.of(2)), Map.of("a", 1, "b", 2), Map.of("a", 2, "b", 1), List.of("a", 1),
                List.of(1, "a"), List.of("a", "b"), List.of("b", "a"), Map.of("a", "b"), Map.of("b", "a"),
                Map.of("x", List.of("a")), Map.of("x", "a"), 1e300, -1e300, Long.MAX_VALUE, Long.MIN_VALUE,
                new java.math.BigInteger("18446744073709551616"), 9.3e18, Map.of("1", 2), Map.of("2", 1),
                List.of("a", "a"), List.of("a"), BuiltinProbes.set(1, 2), BuiltinProbes.set("a", "b"),
                Map.of("k", BuiltinProbes.set(1, 2)), List.of("k", 3)));
        keys.add(null);
        List<JsonNode> inputs = new ArrayList<>();
        for (int i = 0; i < keys.size(); i++) {
            for (int j = i; j < keys.size(); j++) {
                if (i == j || random.nextInt(3) == 0 || keys.get(i) instanceof Number && keys.get(j) instanceof Number) {
                    ObjectNode input = BuiltinProbes.NODES.objectNode();
                    input.set("a", node(keys.get(i)));
                    input.set("b", node(keys.get(j)));
                    inputs.add(input);
                }
            }
        }
        List<OpaDifferential.Pair> pairs = OpaDifferential.module("""
                package probe

                arg(x) := s if {
                	is_object(x)
                	x["$set"]
                	s := {e | some e in x["$set"]}
                }

                arg(x) := x if {
                	is_object(x)
                	not x["$set"]
                }

                arg(x) := x if not is_object(x)

                a := uuid.rfc4122(arg(input.a))

                b := uuid.rfc4122(arg(input.b))

                out := {
                	"same": a == b,
                	"again": a == uuid.rfc4122(arg(input.a)),
                	"v4": regex.match(`%s`, a),
                	"parsed": uuid.parse(b),
                }
                """.formatted(V4)).compare(inputs);
        assertThat(OpaDifferential.mismatches(pairs)).as("probes that differ from opa (of %d)", pairs.size()).isEmpty();
        assertThat(pairs).hasSizeGreaterThanOrEqualTo(500);
        assertThat(pairs.stream().filter(p -> p.opa().value().path("same").asBoolean()).count())
                .as("pairs of keys that share a UUID").isGreaterThan(50);
    }

    @Test
    void uuidRfc4122DiffersBetweenEvaluations(@TempDir Path work) throws Exception {
        Path src = Files.createDirectories(work.resolve("src"));
        Files.writeString(src.resolve("p.rego"), "package probe\n\nout := uuid.rfc4122(input.k)\n");
        Path bundle = work.resolve("bundle.tar.gz");
        dev.mcpguard.core.testing.OpaBinary.run(work, List.of("build", "-t", "wasm", "-e", "probe/out", "-b",
                src.toString(), "-o", bundle.toString()));
        try (EmbeddedEvaluator embedded = EmbeddedEvaluator.load(bundle, "probe/out", Clock.systemUTC())) {
            JsonNode input = BuiltinProbes.MAPPER.readTree("{\"k\":\"same key\"}");
            String first = embedded.evaluate(input).orElseThrow().asText();
            String second = embedded.evaluate(input).orElseThrow().asText();
            assertThat(first).matches(V4);
            assertThat(second).matches(V4).isNotEqualTo(first);
        }
    }

    private static JsonNode node(Object value) {
        return value instanceof JsonNode node ? node : BuiltinProbes.MAPPER.valueToTree(value);
    }
}
