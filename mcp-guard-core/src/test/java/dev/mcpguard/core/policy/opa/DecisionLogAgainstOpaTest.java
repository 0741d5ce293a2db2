package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import dev.mcpguard.core.internal.PolicyEvaluationRecorder;
import dev.mcpguard.core.policy.decisionlog.DecisionLog;
import dev.mcpguard.core.testing.Eventually;
import dev.mcpguard.core.testing.OpaBinary;
import dev.mcpguard.core.testing.OpaServer;
import dev.mcpguard.core.testing.PolicyRequests;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Our decision-log events next to the events of a real OPA (v1.22.2, {@code decision_logs.console=true}) for the
 * same decisions: the embedded engine evaluates the bundle the example server ships, OPA evaluates its Rego
 * sources ({@code policies/}) with a {@code system.log.mask} policy that masks what our decision log is configured to
 * mask, and both events are compared field by field.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // a safety net against hangs, not a latency assertion
class DecisionLogAgainstOpaTest {

    /** What OPA's console logger adds around an event, and what only an OPA HTTP server knows (documented). */
    private static final Set<String> CONSOLE_ONLY = Set.of("level", "msg", "time", "type", "req_id", "requested_by");
    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static final CallerIdentity ALICE =
            PolicyRequests.caller("alice", "acme", Set.of("orders.read"), Set.of("viewer"));

    /**
     * The mask policy OPA runs: for get_order, what our default erases (the arguments); for refund_order, the note
     * erased, the client id masked, and the credential-like member masked as ours always does.
     */
    private static final String MASK_POLICY = """
            package system.log

            mask contains "/input/arguments" if input.input.tool.name == "get_order"

            mask contains "/input/arguments/note" if input.input.tool.name == "refund_order"

            mask contains {"op": "upsert", "path": "/input/caller/client_id", "value": "**REDACTED**"} if {
            	input.input.tool.name == "refund_order"
            }

            mask contains {"op": "upsert", "path": "/input/arguments/api_key", "value": "**REDACTED**"} if {
            	input.input.tool.name == "refund_order"
            }
            """;

    private static OpaWasmPolicyEngine embedded;
    private static OpaServer opa;

    @BeforeAll
    static void start(@TempDir Path work) throws Exception {
        Path root = OpaBinary.repositoryRoot();
        Path shipped = root.resolve("mcp-guard-examples/src/main/resources/policy/orders-bundle.tar.gz");
        embedded = OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO)
                .acceptDivergentBuiltins(DivergentBuiltins.NAMES)
                .bundleSource(BundleSource.file(shipped))
                .verification(BundleVerification.publicKey(
                        Files.readString(root.resolve("policies/demo-signing/public.pem"))))
                .build();
        assertThat(embedded.pollNow()).as("bundle loads: %s", embedded.lastLoadError())
                .isEqualTo(OpaWasmPolicyEngine.LoadOutcome.LOADED);
        // The bundle's sources (policies/, staged as scripts/build-policy-bundle.sh stages them; the CI bundle check
        // keeps the shipped bundle equal to them) for OPA, under the same revision, with the mask policy added.
        Path bundle = work.resolve("orders");
        Path sources = root.resolve("policies");
        try (Stream<Path> files = Files.walk(sources.resolve("mcp"))) {
            for (Path source : files.filter(Files::isRegularFile).toList()) {
                String name = source.getFileName().toString();
                if (name.endsWith(".rego") && !name.endsWith("_test.rego") || name.equals("data.json")) {
                    Path file = bundle.resolve(sources.relativize(source).toString());
                    Files.createDirectories(file.getParent());
                    Files.copy(source, file);
                }
            }
        }
        Files.createDirectories(bundle.resolve("system/log"));
        Files.writeString(bundle.resolve("system/log/mask.rego"), MASK_POLICY);
        Files.writeString(bundle.resolve(".manifest"), MAPPER.writeValueAsString(Map.of(
                "revision", embedded.currentRevision().orElseThrow(), "roots", List.of("mcp/authz", "system/log"))));
        opa = OpaServer.startWithBundleLoggingDecisions(bundle);
    }

    @AfterAll
    static void stop() {
        if (opa != null) {
            opa.close();
        }
        if (embedded != null) {
            embedded.close();
        }
    }

    @Test
    void anAllowedCallIsLoggedAsOpaLogsItWithTheArgumentsErasedByDefault() throws Exception {
        PolicyRequest request = new PolicyRequest(PolicyEngine.Operation.CALL, UUID.randomUUID().toString(), ALICE,
                "orders", new ToolDescriptor("get_order", "Reads an order", true, false, true, false),
                Map.of("order_id", "acme-1001"), Optional.of("session-1"), PolicyRequests.NOON);

        Events events = bothEvents(builder -> builder, request);

        assertSameEvent(events.ours(), events.opa());
        assertThat(events.ours().path("erased")).hasSize(1);
        assertThat(events.ours().path("erased").get(0).asText()).isEqualTo("/input/arguments");
        assertThat(events.ours().path("input").has("arguments")).isFalse();
        assertThat(events.ours().path("result").path("allow").asBoolean()).isTrue();
    }

    @Test
    void aDeniedCallWithACredentialInItsArgumentsIsMaskedAsOpaMasksIt() throws Exception {
        Map<String, Object> arguments = new LinkedHashMap<>();
        arguments.put("order_id", "globex-1001");
        arguments.put("amount", 120);
        arguments.put("note", "call me at 555-0100");
        arguments.put("api_key", "sk-live-do-not-log");
        PolicyRequest request = PolicyRequests.call(ALICE, "refund_order", arguments);

        Events events = bothEvents(builder -> builder
                .erase(List.of("/input/arguments/note")).mask(List.of("/input/caller/client_id")), request);

        assertSameEvent(events.ours(), events.opa());
        assertThat(events.ours().path("result").path("allow").asBoolean()).isFalse();
        assertThat(events.ours().path("input").path("arguments").path("api_key").asText())
                .isEqualTo(DecisionLog.REDACTED);
        assertThat(events.ours().path("input").path("arguments").path("order_id").asText()).isEqualTo("globex-1001");
        assertThat(events.ours().toString()).doesNotContain("sk-live-do-not-log").doesNotContain("555-0100");
        assertThat(texts(events.ours().path("masked")))
                .containsExactlyInAnyOrder("/input/caller/client_id", "/input/arguments/api_key");
    }

    @Test
    void theRemoteEnginesEventNamesTheBundlesAsOpaDoesAndCarriesTheRequestTimer() throws Exception {
        PolicyRequest request = PolicyRequests.call(ALICE, "refund_order", Map.of("order_id", "acme-1", "amount", 5));
        List<String> lines = new CopyOnWriteArrayList<>();
        Decision decision;
        try (DecisionLog decisionLog = DecisionLog.builder(lines::add).build()) {
            decision = decisionLog.decorate(OpaRemotePolicyEngine.builder(opa.baseUri()).allowPlainHttpOnLoopback()
                    .requestTimeout(Duration.ofSeconds(10)).build()).decide(request);
        }

        assertThat(lines).hasSize(1);
        JsonNode event = MAPPER.readTree(lines.get(0));
        JsonNode direct = unmaskedEvent(request);
        assertThat(event.path("decision_id").asText()).isEqualTo(decision.decisionId());
        assertThat(event.path("bundles").size()).isEqualTo(1);
        String name = event.path("bundles").fieldNames().next();
        assertThat(Path.of(name).getFileName().toString()).isEqualTo("orders"); // OPA's name: the bundle's path
        assertThat(event.path("bundles").path(name).path("revision").asText())
                .isEqualTo(embedded.currentRevision().orElseThrow());
        assertThat(event.path("path").asText()).isEqualTo("mcp/authz/decision");
        assertThat(event.path("result")).isEqualTo(direct.path("result"));
        assertThat(event.path("metrics").path("timer_mcp_guard_opa_request_ns").asLong()).isPositive();
    }

    /** The embedded engine's event for {@code request}, as the reference for the remote one. */
    private static JsonNode unmaskedEvent(PolicyRequest request) throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        try (DecisionLog decisionLog = DecisionLog.builder(lines::add).build()) {
            decisionLog.decorate(embedded).decide(request);
        }
        return MAPPER.readTree(lines.get(0));
    }

    private record Events(JsonNode ours, JsonNode opa) {
    }

    /** Our event for {@code request}, and OPA's for the same input. */
    private static Events bothEvents(UnaryOperator<DecisionLog.Builder> configuration, PolicyRequest request)
            throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        DecisionLog ours = configuration.apply(DecisionLog.builder(lines::add)).build();
        PolicyEngine logged = ours.decorate(embedded);
        Decision decision = logged.decide(request);
        ours.close();
        assertThat(lines).hasSize(1);
        JsonNode event = MAPPER.readTree(lines.get(0));
        assertThat(event.path("decision_id").asText()).isEqualTo(decision.decisionId()).isEqualTo(request.decisionId());

        JsonNode input = unmaskedInput(request);
        String body = MAPPER.writeValueAsString(Map.of("input", input));
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                        opa.baseUri().resolve("/v1/data/mcp/authz/decision?provenance=true"))
                .POST(HttpRequest.BodyPublishers.ofString(body)).build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        String opaDecisionId = MAPPER.readTree(response.body()).path("decision_id").asText();
        assertThat(opaDecisionId).isNotEmpty();
        JsonNode[] opaEvent = new JsonNode[1];
        Eventually.within(Duration.ofSeconds(30), "OPA's decision log event " + opaDecisionId, () -> {
            for (String line : opa.logText().split("\n")) {
                if (line.contains("\"decision_id\":\"" + opaDecisionId + "\"") && line.contains("Decision Log")) {
                    try {
                        opaEvent[0] = MAPPER.readTree(line);
                    } catch (Exception e) {
                        return false;
                    }
                    return true;
                }
            }
            return false;
        });
        return new Events(event, opaEvent[0]);
    }

    /** The input document the embedded engine evaluates for {@code request}, before any masking. */
    private static JsonNode unmaskedInput(PolicyRequest request) {
        PolicyEvaluationRecorder.Recording recording = PolicyEvaluationRecorder.begin();
        try {
            embedded.decide(request);
        } finally {
            PolicyEvaluationRecorder.end(recording);
        }
        return recording.evaluation().orElseThrow().input();
    }

    private static void assertSameEvent(JsonNode ours, JsonNode opa) {
        Set<String> opaKeys = keys(opa);
        opaKeys.removeAll(CONSOLE_ONLY);
        assertThat(keys(ours)).as("top-level keys of\n%s\nand OPA's\n%s", ours, opa).isEqualTo(opaKeys);
        assertThat(ours.path("path")).isEqualTo(opa.path("path"));
        assertThat(ours.path("input")).as("masked input").isEqualTo(opa.path("input"));
        assertThat(ours.path("result")).as("result").isEqualTo(opa.path("result"));
        assertThat(texts(ours.path("erased"))).containsExactlyInAnyOrderElementsOf(texts(opa.path("erased")));
        assertThat(texts(ours.path("masked"))).containsExactlyInAnyOrderElementsOf(texts(opa.path("masked")));
        // Bundles: OPA names a bundle after its path, we after the engine; the revision and the shape agree.
        assertThat(ours.path("bundles").size()).isEqualTo(1).isEqualTo(opa.path("bundles").size());
        JsonNode ourBundle = ours.path("bundles").elements().next();
        JsonNode opaBundle = opa.path("bundles").elements().next();
        assertThat(keys(ourBundle)).isEqualTo(keys(opaBundle)).containsExactly("revision");
        assertThat(ourBundle.path("revision")).isEqualTo(opaBundle.path("revision"));
        String rfc3339Nano = "\\d{4}-\\d\\d-\\d\\dT\\d\\d:\\d\\d:\\d\\d(\\.\\d*[1-9])?Z";
        assertThat(ours.path("timestamp").asText()).matches(rfc3339Nano);
        assertThat(opa.path("timestamp").asText()).matches(rfc3339Nano);
        assertThat(keys(ours.path("labels"))).containsAll(keys(opa.path("labels")));
        Set<String> ourMetrics = keys(ours.path("metrics"));
        ourMetrics.remove(DecisionLog.CACHE_HIT_METRIC);
        assertThat(keys(opa.path("metrics"))).containsAll(ourMetrics);
        assertThat(ours.path("metrics").path("timer_rego_query_eval_ns").asLong()).isPositive();
    }

    private static Set<String> keys(JsonNode node) {
        Set<String> keys = new HashSet<>();
        node.fieldNames().forEachRemaining(keys::add);
        return keys;
    }

    private static List<String> texts(JsonNode array) {
        return java.util.stream.StreamSupport.stream(array.spliterator(), false).map(JsonNode::asText)
                .collect(Collectors.toList());
    }
}
