package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.api.spi.PolicyEngine.ToolListRequest;
import dev.mcpguard.core.testing.OpaBinary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
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
 * The list entrypoint of the reference policy ({@code mcp/authz/visible_tools}, one evaluation per
 * {@code tools/list}) shows exactly the tools the per-tool {@code list} decisions allow, for many callers and tools,
 * in the embedded engine on the bundle the example server ships; and it answers as {@code opa eval} does on the same
 * input.
 */
class VisibleToolsEquivalenceTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final long SEED = 20_261_202L;
    private static final Instant NOW = Instant.parse("2026-11-22T10:00:00Z");
    private static final List<String> SUBJECTS = List.of("alice", "bob", "oncall-bob", "carol");
    private static final List<String> SCOPES = List.of("orders.read", "orders.refund", "customers.delete", "admin.all");
    private static final List<String> ROLES = List.of("support", "finance", "admin", "refund_approver", "viewer");
    private static final List<String> TOOL_NAMES = List.of("get_order", "list_orders", "refund_order",
            "delete_customer", "unknown_tool", "export_orders");

    private static OpaWasmPolicyEngine prod;
    private static OpaWasmPolicyEngine staging;

    @BeforeAll
    static void loadReferenceBundle() throws Exception {
        prod = engine(Map.of("name", "prod"));
        staging = engine(Map.of("name", "staging"));
    }

    @AfterAll
    static void close() {
        prod.close();
        staging.close();
    }

    private static OpaWasmPolicyEngine engine(Map<String, Object> environment) throws Exception {
        Path root = OpaBinary.repositoryRoot();
        OpaWasmPolicyEngine engine = OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).environment(environment).poolSize(1)
                .acceptDivergentBuiltins(DivergentBuiltins.NAMES)
                .bundleSource(BundleSource.file(
                        root.resolve("mcp-guard-examples/src/main/resources/policy/orders-bundle.tar.gz")))
                .verification(BundleVerification.publicKey(
                        Files.readString(root.resolve("policies/demo-signing/public.pem"))))
                .build();
        assertThat(engine.pollNow()).as("bundle loads: %s", engine.lastLoadError())
                .isEqualTo(OpaWasmPolicyEngine.LoadOutcome.LOADED);
        return engine;
    }

    @Test
    void listEntrypointShowsExactlyWhatThePerToolDecisionsAllowForManyCallers() {
        Random random = new Random(SEED);
        Set<Set<String>> distinct = new HashSet<>();
        List<String> mismatches = new ArrayList<>();
        for (int i = 0; i < 300; i++) {
            OpaWasmPolicyEngine engine = i % 2 == 0 ? prod : staging;
            ToolListRequest request = request(random, i);
            PolicyEngine perTool = engine::decide; // only decide: the SPI's default asks once per tool

            assertThat(engine.evaluateToolList(request)).as("list mode is used").isPresent();
            Set<String> listed = engine.visibleTools(request);
            Set<String> decidedPerTool = perTool.visibleTools(request);

            if (!listed.equals(decidedPerTool)) {
                mismatches.add("#" + i + " list " + new TreeSet<>(listed) + " per tool " + new TreeSet<>(decidedPerTool)
                        + " for " + request.caller() + " tools " + request.tools());
            }
            distinct.add(listed);
        }
        assertThat(mismatches).isEmpty();
        assertThat(distinct).as("the callers see many different lists").hasSizeGreaterThanOrEqualTo(5)
                .contains(Set.of());
    }

    @Test
    void listEntrypointAnswersAsOpaEvalOnTheSameInput(@TempDir Path work) throws Exception {
        Random random = new Random(SEED + 1);
        PolicyInputDocument documents = new PolicyInputDocument(MAPPER, Map.of("name", "prod"));
        List<ToolListRequest> requests = new ArrayList<>();
        ObjectNode data = MAPPER.createObjectNode();
        ArrayNode inputs = data.putArray("list_inputs");
        for (int i = 0; i < 40; i++) {
            ToolListRequest request = request(random, i);
            requests.add(request);
            inputs.add(documents.buildList(request));
        }
        Path inputsFile = Files.write(work.resolve("inputs.json"), MAPPER.writeValueAsBytes(data));
        Path wrapper = Files.writeString(work.resolve("wrapper.rego"), """
                package listtest

                results := [r | some i; data.list_inputs[i]; r := data.mcp.authz.visible_tools with input as data.list_inputs[i]]
                """);
        JsonNode results = opaEval(work, inputsFile, wrapper);

        assertThat(results.size()).isEqualTo(requests.size());
        int nonEmpty = 0;
        for (int i = 0; i < requests.size(); i++) {
            Set<String> expected = new HashSet<>();
            results.get(i).forEach(name -> expected.add(name.textValue()));
            assertThat(prod.visibleTools(requests.get(i))).as("list #%d", i).isEqualTo(expected);
            nonEmpty += expected.isEmpty() ? 0 : 1;
        }
        assertThat(nonEmpty).as("some callers see tools").isGreaterThan(5);
    }

    private static JsonNode opaEval(Path work, Path inputsFile, Path wrapper) throws Exception {
        Path root = OpaBinary.repositoryRoot();
        Path stderr = work.resolve("stderr.txt");
        Process process = new ProcessBuilder(OpaBinary.locate().toString(), "eval", "--format", "json",
                "--data", root.resolve("policies").toString(), "--data", wrapper.toString(),
                "--data", inputsFile.toString(), "data.listtest.results").redirectError(stderr.toFile()).start();
        byte[] stdout = process.getInputStream().readAllBytes();
        if (!process.waitFor(60, TimeUnit.SECONDS) || process.exitValue() != 0) {
            process.destroyForcibly();
            throw new IllegalStateException("opa eval failed: " + Files.readString(stderr));
        }
        JsonNode value = MAPPER.readTree(stdout).path("result").path(0).path("expressions").path(0).path("value");
        assertThat(value.isArray()).as("opa eval output %s", value).isTrue();
        return value;
    }

    private static ToolListRequest request(Random random, int i) {
        CallerIdentity.Builder caller = CallerIdentity.builder("https://login.example.com", pick(random, SUBJECTS))
                .clientId("agent").scopes(subset(random, SCOPES)).roles(subset(random, ROLES));
        if (random.nextInt(5) > 0) {
            caller.tenant("acme");
        }
        List<ToolDescriptor> tools = new ArrayList<>();
        for (String name : TOOL_NAMES) {
            // The declared hints vary, so annotation mismatches and destructive hints are covered too.
            boolean readOnly = name.startsWith("get") || name.startsWith("list") ? random.nextInt(5) > 0
                    : random.nextInt(5) == 0;
            tools.add(new ToolDescriptor(name, "tool " + name, readOnly, random.nextBoolean(), random.nextBoolean(),
                    random.nextBoolean()));
        }
        return new ToolListRequest("list-" + i, caller.build(), random.nextInt(10) > 0 ? "orders" : "billing", tools,
                Optional.empty(), NOW);
    }

    private static <T> T pick(Random random, List<T> values) {
        return values.get(random.nextInt(values.size()));
    }

    private static Set<String> subset(Random random, List<String> values) {
        Set<String> chosen = new TreeSet<>();
        for (String value : values) {
            if (random.nextInt(2) > 0) {
                chosen.add(value);
            }
        }
        return chosen;
    }
}
