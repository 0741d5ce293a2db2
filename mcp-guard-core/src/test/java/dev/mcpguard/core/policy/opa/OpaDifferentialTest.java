package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.api.spi.PolicyEngine.Operation;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import dev.mcpguard.core.testing.OpaBinary;
import dev.mcpguard.core.testing.OpaServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.TreeSet;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Differential test: for {@value #INPUT_COUNT} generated inputs (fixed seed), every engine under test gives the
 * same decision (allow or deny, reason, message, obligations) as {@code opa eval}, the oracle, run ONCE over all
 * inputs through a small wrapper policy.
 *
 * <p>The engines under test are the remote engine against a real {@code opa run} and the embedded wasm engine;
 * each evaluates {@link #policySource()} with {@link #ENVIRONMENT}.
 */
class OpaDifferentialTest {

    static final int INPUT_COUNT = 1_200;
    static final long SEED = 20_261_122L;
    static final Map<String, Object> ENVIRONMENT = Map.of("name", "test", "region", "eu-west-1");

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

    private static OpaServer opa;

    /** What a decision means to a client; the decision id differs per engine by design and is left out. */
    record Outcome(boolean allowed, String reason, String message, Map<String, Object> obligations) {
        static Outcome of(Decision decision) {
            if (decision instanceof Decision.Allow allow) {
                return new Outcome(true, "", "", allow.obligations());
            }
            Decision.Deny deny = (Decision.Deny) decision;
            return new Outcome(false, deny.reason().value(), deny.message(), Map.of());
        }
    }

    record NamedEngine(String name, PolicyEngine engine) {
    }

    /** The policy evaluated: the reference policy when present in this repository, else the test bundle. */
    record PolicySource(Path path, boolean bundle) {
        List<String> opaArguments(String flagForFiles) {
            return bundle ? List.of("--bundle", path.toString()) : List.of(flagForFiles, path.toString());
        }
    }

    static PolicySource policySource() throws Exception {
        Path reference = OpaBinary.repositoryRoot().resolve("policies");
        if (Files.isDirectory(reference.resolve("mcp/authz"))) {
            return new PolicySource(reference, false);
        }
        return new PolicySource(OpaRemotePolicyEngineTest.bundleDir(), true);
    }

    @BeforeAll
    static void startOpa() throws Exception {
        PolicySource source = policySource();
        opa = source.bundle() ? OpaServer.startWithBundle(source.path()) : OpaServer.startWithFiles(source.path());
    }

    @AfterAll
    static void stopOpa() {
        if (opa != null) {
            opa.close();
        }
    }

    List<NamedEngine> enginesUnderTest(Path work) throws Exception {
        return List.of(
                new NamedEngine("remote (opa run)", OpaRemotePolicyEngine.builder(opa.baseUri())
                        .allowPlainHttpOnLoopback().environment(ENVIRONMENT).requestTimeout(Duration.ofSeconds(5)).build()),
                new NamedEngine("embedded (wasm)", embeddedEngine(work)));
    }

    /**
     * The embedded engine on the signed bundle the example server ships (the CI bundle check keeps it equal to
     * {@code policies/}), so the artifact teams deploy is what is compared; for the test policy, a bundle built
     * here by {@code opa build -t wasm}.
     */
    private static OpaWasmPolicyEngine embeddedEngine(Path work) throws Exception {
        PolicySource source = policySource();
        // The reference policy uses divergent builtins on bounded integers and constant patterns; accepted here, as
        // the example server does, so that this test measures that it then decides as opa.
        OpaWasmPolicyEngine.Builder builder = OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).environment(ENVIRONMENT)
                .acceptDivergentBuiltins(DivergentBuiltins.NAMES);
        if (!source.bundle()) {
            Path root = OpaBinary.repositoryRoot();
            builder.bundleSource(BundleSource.file(root.resolve("mcp-guard-examples/src/main/resources/policy/orders-bundle.tar.gz")))
                    .verification(BundleVerification.publicKey(Files.readString(root.resolve("policies/demo-signing/public.pem"))));
        } else {
            Path out = work.resolve("wasm-bundle.tar.gz");
            OpaBinary.run(work, List.of("build", "-t", "wasm", "-e", "mcp/authz/decision", "-b", source.path().toString(),
                    "-o", out.toString()));
            builder.bundleSource(BundleSource.file(out)).verification(BundleVerification.insecureUnsigned());
        }
        OpaWasmPolicyEngine engine = builder.build();
        assertThat(engine.pollNow()).as("bundle loads: %s", engine.lastLoadError()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.LOADED);
        return engine;
    }

    @Test
    void everyEngineDecidesLikeOpaEvalOnGeneratedInputs(@TempDir Path work) throws Exception {
        List<PolicyRequest> requests = generate(new Random(SEED), INPUT_COUNT);
        List<Outcome> expected = opaEval(requests, work);

        assertThat(new HashSet<>(expected)).as("the generator reaches many distinct outcomes").hasSizeGreaterThanOrEqualTo(8);
        assertThat(expected).as("both allows and denials").anyMatch(Outcome::allowed).anyMatch(o -> !o.allowed());
        for (NamedEngine engine : enginesUnderTest(work)) {
            List<String> mismatches = new ArrayList<>();
            for (int i = 0; i < requests.size(); i++) {
                Outcome actual = Outcome.of(engine.engine().decide(requests.get(i)));
                if (!actual.equals(expected.get(i))) {
                    mismatches.add("#" + i + " " + engine.name() + ": " + actual + " but opa eval: " + expected.get(i)
                            + " for " + inputOf(requests.get(i)));
                }
            }
            assertThat(mismatches).as(engine.name()).isEmpty();
        }
    }

    // ------------------------------------------------------------------ oracle

    private static ObjectNode inputOf(PolicyRequest request) {
        return new PolicyInputDocument(MAPPER, ENVIRONMENT).build(request);
    }

    private static List<Outcome> opaEval(List<PolicyRequest> requests, Path work) throws Exception {
        ObjectNode data = MAPPER.createObjectNode();
        ArrayNode inputs = data.putArray("inputs");
        requests.forEach(r -> inputs.add(inputOf(r)));
        Path inputsFile = Files.write(work.resolve("inputs.json"), MAPPER.writeValueAsBytes(data));
        Path wrapper = Files.writeString(work.resolve("wrapper.rego"), WRAPPER);
        List<String> command = new ArrayList<>(List.of(OpaBinary.locate().toString(), "eval", "--format", "json"));
        command.addAll(policySource().opaArguments("--data"));
        command.addAll(List.of("--data", wrapper.toString(), "--data", inputsFile.toString(), "data.difftest.results"));
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
        for (int i = 0; i < requests.size(); i++) {
            outcomes.add(Outcome.of(reader.read(results.get(Integer.toString(i)), "oracle-" + i, Optional.empty())));
        }
        return outcomes;
    }

    // ------------------------------------------------------------------ generator

    private static final List<String> SUBJECTS = List.of("alice", "bob", "carol", "dave", "eve");
    private static final List<String> TENANTS = List.of("acme", "globex");
    private static final List<String> SCOPES = List.of("orders.read", "orders.write", "orders.refund", "admin.all");
    private static final List<String> ROLES = List.of("viewer", "support", "admin", "auditor");
    private static final List<String> TOOLS =
            List.of("get_order", "list_orders", "refund_order", "delete_order", "export_orders", "unknown_tool");
    private static final Instant DAY = Instant.parse("2026-03-02T00:00:00Z");

    static List<PolicyRequest> generate(Random random, int count) {
        List<PolicyRequest> requests = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            requests.add(new PolicyRequest(
                    random.nextInt(100) < 85 ? Operation.CALL : Operation.LIST,
                    "diff-" + i,
                    caller(random),
                    "orders",
                    new ToolDescriptor(pick(random, TOOLS), "tool " + i % 7, random.nextBoolean(), random.nextBoolean(),
                            random.nextBoolean(), random.nextBoolean()),
                    arguments(random),
                    random.nextBoolean() ? Optional.of("session-" + random.nextInt(5)) : Optional.empty(),
                    DAY.plusSeconds(random.nextInt(24 * 3600)).plusNanos(random.nextInt(1_000_000_000))));
        }
        return requests;
    }

    private static CallerIdentity caller(Random random) {
        CallerIdentity.Builder builder = CallerIdentity.builder("https://issuer.test", pick(random, SUBJECTS))
                .clientId(random.nextBoolean() ? "agent" : "cli")
                .scopes(subset(random, SCOPES))
                .roles(subset(random, ROLES));
        if (random.nextInt(10) > 1) {
            builder.tenant(pick(random, TENANTS));
        }
        if (random.nextInt(10) == 0) {
            builder.actor(new CallerIdentity.Actor("agent-7", Optional.of("agent")));
        }
        return builder.build();
    }

    private static Map<String, Object> arguments(Random random) {
        Map<String, Object> arguments = new LinkedHashMap<>();
        arguments.put("order_id", "A-" + random.nextInt(1000));
        switch (random.nextInt(8)) {
            case 0 -> arguments.put("amount", random.nextInt(1000));
            case 1 -> arguments.put("amount", List.of(499, 500, 501, 0, -5).get(random.nextInt(5)));
            case 2 -> arguments.put("amount", Math.round(random.nextDouble() * 100_000) / 100.0);
            case 3 -> arguments.put("amount", "100");
            case 4 -> arguments.put("amount", 500.5);
            default -> { }
        }
        if (random.nextInt(4) == 0) {
            arguments.put("tenant", random.nextBoolean() ? pick(random, TENANTS) : "initech");
        }
        if (random.nextInt(6) == 0) {
            arguments.put("lines", List.of(Map.of("sku", "S-1", "qty", random.nextInt(5)), Map.of("sku", "S-2")));
        }
        return arguments;
    }

    private static <T> T pick(Random random, List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    private static Set<String> subset(Random random, List<String> values) {
        Set<String> chosen = new TreeSet<>();
        for (String value : values) {
            if (random.nextInt(3) > 0) {
                chosen.add(value);
            }
        }
        return chosen;
    }

}
