package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpguard.api.Decision;
import dev.mcpguard.core.testing.OpaBinary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The reference policy's guardrail module ({@code policies/mcp/authz/guardrails.rego}) decides alike in the embedded
 * engine, on the signed bundle the example ships, and in {@code opa eval} on {@code policies/} (the oracle): for
 * {@value #INPUT_COUNT} generated input documents (fixed seed) with {@code input.guardrails}, request and result
 * phase, findings at the thresholds' edges, incomplete scans and malformed sections. The opa tests check what the
 * module decides; this checks that the compiled module the guard runs decides the same.
 */
class GuardrailPolicyDifferentialTest {

    static final int INPUT_COUNT = 600;
    static final long SEED = 20_261_203L;

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final String WRAPPER = """
            package difftest

            import rego.v1

            results := {format_int(i, 10): r |
            \tsome i
            \tdata.inputs[i]
            \tr := data.mcp.authz.decision with input as data.inputs[i]
            }
            """;

    private static final List<String> KINDS = List.of("prompt_injection", "prompt_injection", "prompt_injection",
            "pii.email", "pii.phone", "pii.payment_card", "pii.iban", "pii.us_ssn", "pii.cz_sk_birth_number",
            "secret.github_token", "secret.jwt", "secret.generic", "guardrail.unavailable", "toxicity", "secret",
            "tool.poisoning");
    private static final double[] CONFIDENCES = {0, 0.3, 0.49, 0.5, 0.6, 0.79, 0.8, 0.85, 0.89, 0.9, 0.95, 1};
    private static final List<String> ROLES = List.of("support", "pii_reader", "viewer", "finance");

    record Outcome(boolean allowed, String reason, Map<String, Object> obligations) {
        static Outcome of(Decision decision) {
            if (decision instanceof Decision.Allow allow) {
                return new Outcome(true, "", allow.obligations());
            }
            return new Outcome(false, ((Decision.Deny) decision).reason().value(), Map.of());
        }
    }

    @Test
    void theShippedBundleDecidesGuardrailFindingsLikeOpaEval(@TempDir Path work) throws Exception {
        Random random = new Random(SEED);
        List<ObjectNode> inputs = new ArrayList<>();
        for (int i = 0; i < INPUT_COUNT; i++) {
            inputs.add(generate(random));
        }
        List<Outcome> expected = opaEval(inputs, work);

        Set<String> reasons = new TreeSet<>();
        Set<String> obligationKeys = new TreeSet<>();
        expected.forEach(o -> {
            reasons.add(o.reason());
            obligationKeys.addAll(o.obligations().keySet());
        });
        assertThat(reasons).as("the generator reaches every guardrail outcome").contains("", "prompt_injection",
                "secret_in_arguments", "guardrail_incomplete", "guardrail_unavailable", "invalid_input");
        assertThat(obligationKeys).contains("redact_findings", "mark_findings", "redact_fields");

        PolicyResultReader reader = new PolicyResultReader(MAPPER);
        List<String> mismatches = new ArrayList<>();
        try (OpaWasmPolicyEngine engine = shippedBundleEngine()) {
            for (int i = 0; i < inputs.size(); i++) {
                Optional<JsonNode> value = engine.evaluateDocument(inputs.get(i));
                Outcome actual = Outcome.of(reader.read(value.orElse(null), "embedded-" + i, Optional.empty()));
                if (!actual.equals(expected.get(i))) {
                    mismatches.add("#" + i + " embedded: " + actual + " but opa eval: " + expected.get(i) + " for "
                            + inputs.get(i));
                }
            }
        }
        assertThat(mismatches).isEmpty();
    }

    private static OpaWasmPolicyEngine shippedBundleEngine() throws Exception {
        Path root = OpaBinary.repositoryRoot();
        Path bundle = root.resolve("mcp-guard-examples/src/main/resources/policy/orders-bundle.tar.gz");
        String publicKey = Files.readString(root.resolve("policies/demo-signing/public.pem"));
        OpaWasmPolicyEngine engine = OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO)
                .bundleSource(BundleSource.file(bundle))
                .verification(BundleVerification.publicKey(publicKey))
                .acceptDivergentBuiltins(DivergentBuiltins.NAMES)
                .build();
        assertThat(engine.pollNow()).as("bundle loads: %s", engine.lastLoadError())
                .isEqualTo(OpaWasmPolicyEngine.LoadOutcome.LOADED);
        return engine;
    }

    private static List<Outcome> opaEval(List<ObjectNode> inputs, Path work) throws Exception {
        ObjectNode data = MAPPER.createObjectNode();
        data.putArray("inputs").addAll(inputs);
        Path inputsFile = Files.write(work.resolve("inputs.json"), MAPPER.writeValueAsBytes(data));
        Path wrapper = Files.writeString(work.resolve("wrapper.rego"), WRAPPER);
        Path policies = OpaBinary.repositoryRoot().resolve("policies");
        List<String> command = List.of(OpaBinary.locate().toString(), "eval", "--format", "json", "--data",
                policies.toString(), "--data", wrapper.toString(), "--data", inputsFile.toString(),
                "data.difftest.results");
        Path stderr = work.resolve("stderr.txt");
        Process process = new ProcessBuilder(command).redirectError(stderr.toFile()).start();
        byte[] stdout = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IllegalStateException("opa eval failed: " + Files.readString(stderr));
        }
        JsonNode results = MAPPER.readTree(stdout).path("result").path(0).path("expressions").path(0).path("value");
        assertThat(results.isObject()).as("opa eval output").isTrue();
        PolicyResultReader reader = new PolicyResultReader(MAPPER);
        List<Outcome> outcomes = new ArrayList<>();
        for (int i = 0; i < inputs.size(); i++) {
            outcomes.add(Outcome.of(reader.read(results.get(Integer.toString(i)), "oracle-" + i, Optional.empty())));
        }
        return outcomes;
    }

    // ------------------------------------------------------------------ generator

    private static ObjectNode generate(Random random) {
        ObjectNode input = base(random);
        boolean resultPhase = random.nextInt(2) == 0;
        ObjectNode guardrails = input.putObject("guardrails");
        guardrails.set("arguments", section(random, resultPhase ? 0 : 3));
        if (resultPhase) {
            input.put("phase", "result");
            guardrails.set("result", section(random, 4));
        }
        if (random.nextInt(12) == 0) {
            malform(random, input);
        }
        return input;
    }

    private static ObjectNode base(Random random) {
        ObjectNode input = MAPPER.createObjectNode();
        input.put("version", 2).put("decision_id", "g").put("time", "2026-11-22T10:00:00Z")
                .put("time_ns", 1_795_341_600_000_000_000L).put("server", "orders");
        input.putObject("environment").put("name", "prod");
        ObjectNode caller = input.putObject("caller");
        caller.put("issuer", "https://login.example.com").put("subject", "alice").put("tenant", "acme")
                .put("client_id", "agent").put("auth_method", "bearer_jwt").putNull("actor");
        caller.putArray("scopes").add("orders.read").add("orders.refund");
        ArrayNode roles = caller.putArray("roles");
        ROLES.stream().filter(r -> random.nextInt(3) == 0).forEach(roles::add);
        input.putNull("tool").putNull("resource").putNull("prompt").putNull("completion");
        input.putObject("session").put("id", "s-1");
        ObjectNode arguments = input.putObject("arguments");
        switch (random.nextInt(5)) {
            case 0, 1 -> {
                tool(input, "tools/call", "get_order", true);
                arguments.put("order_id", "acme-1001");
            }
            case 2 -> {
                tool(input, "tools/call", "refund_order", false);
                arguments.put("order_id", "acme-1001").put("amount", 120);
            }
            case 3 -> {
                input.put("method", "resources/read").put("operation", "read");
                input.putObject("resource").put("uri", "orders://acme/1001")
                        .put("template", "orders://{tenant}/{order_id}").putNull("name").putNull("mime_type");
            }
            default -> {
                input.put("method", "prompts/get").put("operation", "get");
                input.putObject("prompt").put("name", "summarize_order");
                arguments.put("order_id", "acme-1001");
            }
        }
        return input;
    }

    private static void tool(ObjectNode input, String method, String name, boolean readOnly) {
        input.put("method", method).put("operation", "call");
        input.putObject("tool").put("name", name).put("description_sha256", "x").put("read_only", readOnly)
                .put("destructive", false).put("idempotent", readOnly).put("open_world", false);
    }

    private static ObjectNode section(Random random, int maxFindings) {
        ObjectNode section = MAPPER.createObjectNode();
        ArrayNode findings = section.putArray("findings");
        int count = random.nextInt(maxFindings + 1);
        for (int i = 0; i < count; i++) {
            findings.addObject().put("kind", KINDS.get(random.nextInt(KINDS.size())))
                    .put("rule_id", "rule." + i).put("path", "$.content[" + i + "].text")
                    .put("confidence", CONFIDENCES[random.nextInt(CONFIDENCES.length)]);
        }
        section.put("complete", random.nextInt(10) > 0);
        return section;
    }

    private static void malform(Random random, ObjectNode input) {
        ObjectNode guardrails = (ObjectNode) input.get("guardrails");
        switch (random.nextInt(6)) {
            case 0 -> input.put("guardrails", "scanned");
            case 1 -> input.put("phase", "request");
            case 2 -> ((ObjectNode) guardrails.get("arguments")).put("complete", "true");
            case 3 -> ((ObjectNode) guardrails.get("arguments")).putArray("findings").addObject()
                    .put("kind", "prompt_injection").put("rule_id", "r").put("path", "$").put("confidence", "0.1");
            case 4 -> guardrails.putObject("result").put("complete", true).putArray("findings");
            default -> ((ObjectNode) guardrails.get("arguments")).putArray("findings").addObject()
                    .put("kind", "pii.email").put("rule_id", "r").put("path", "$").put("confidence", 1.5);
        }
    }
}
