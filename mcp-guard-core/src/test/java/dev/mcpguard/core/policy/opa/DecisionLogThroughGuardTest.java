package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.api.AuditDetails;
import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.guardrails.Guardrails.Check;
import dev.mcpguard.core.guardrails.Guardrails;
import dev.mcpguard.core.policy.ResilientPolicyEngine;
import dev.mcpguard.core.policy.decisionlog.DecisionLog;
import dev.mcpguard.core.testing.GuardedServerOverHttp;
import dev.mcpguard.core.testing.MutableClock;
import dev.mcpguard.core.testing.PolicyRequests;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Decision logs of a guard with the embedded OPA engine, called by the MCP SDK client over Streamable HTTP: one
 * event per phase under the audit record's decision ids, cached decisions logged, and a failing decision log
 * sink that changes nothing for the call.
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // a safety net against hangs, not a latency assertion
class DecisionLogThroughGuardTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static OpaWasmPolicyEngine engine;

    private final List<AuditRecord> audited = new CopyOnWriteArrayList<>();
    private final AtomicInteger handlerRuns = new AtomicInteger();
    private GuardedServerOverHttp server;

    @BeforeAll
    static void loadPolicy(@TempDir Path work) throws Exception {
        Path bundle = work.resolve("bundle.tar.gz");
        Files.write(bundle, new TestBundles(work).build("decision-log", "decision-log-1"));
        engine = OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).bundleSource(BundleSource.file(bundle))
                .verification(BundleVerification.insecureUnsigned()).build();
        assertThat(engine.pollNow()).as("bundle loads: %s", engine.lastLoadError())
                .isEqualTo(OpaWasmPolicyEngine.LoadOutcome.LOADED);
    }

    @AfterAll
    static void closeEngine() {
        engine.close();
    }

    @AfterEach
    void stopServer() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    private McpSyncClient serve(McpGuard.Builder guard, String result) throws Exception {
        SyncToolSpecification tool = SyncToolSpecification.builder()
                .tool(McpSchema.Tool.builder().name("lookup_order").description("Looks up an order.")
                        .inputSchema(Map.of("type", "object")).build())
                .callHandler((exchange, request) -> {
                    handlerRuns.incrementAndGet();
                    return CallToolResult.builder().addTextContent(result).build();
                })
                .build();
        server = GuardedServerOverHttp.start(guard.serverName("orders").auditSink(audited::add).build(), List.of(tool));
        return server.client();
    }

    private AuditRecord theCallsRecord() {
        List<AuditRecord> calls = audited.stream().filter(r -> "tools/call".equals(r.method())).toList();
        assertThat(calls).hasSize(1);
        return calls.get(0);
    }

    @Test
    void theRequestAndResultPhaseAreOneEventEachUnderTheDecisionIdsOfTheAuditRecord() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        DecisionLog decisionLog = DecisionLog.builder(lines::add).build();
        McpSyncClient client = serve(McpGuard.builder().policyEngine(engine).decisionLog(decisionLog)
                .guardrails(Guardrails.builder().results(Check.PERSONAL_DATA).build()),
                "Write to jane.roe@acme.example.");

        CallToolResult result = client.callTool(new CallToolRequest("lookup_order", Map.of("order_id", "A-1")));
        decisionLog.close();

        assertThat(result.isError()).isNotEqualTo(Boolean.TRUE);
        AuditRecord record = theCallsRecord();
        assertThat(record.outcome()).isEqualTo(AuditRecord.Outcome.SUCCESS);
        assertThat(lines).hasSize(2);
        JsonNode request = MAPPER.readTree(lines.get(0));
        JsonNode resultPhase = MAPPER.readTree(lines.get(1));
        assertThat(request.path("decision_id").asText()).isEqualTo(record.decisionId());
        assertThat(request.path("input").path("decision_id").asText()).isEqualTo(record.decisionId());
        assertThat(request.path("input").has("phase")).isFalse();
        assertThat(resultPhase.path("decision_id").asText())
                .isEqualTo(record.details().get(AuditDetails.RESULT_DECISION_ID)).isNotEqualTo(record.decisionId());
        assertThat(resultPhase.path("input").path("phase").asText()).isEqualTo("result");
        assertThat(request.path("bundles").toString()).isEqualTo("{\"mcp-guard\":{\"revision\":\"decision-log-1\"}}");
        assertThat(request.path("result").toString()).isEqualTo("{\"allow\":true}");
        assertThat(lines).allSatisfy(line -> assertThat(line).doesNotContain("A-1")); // arguments erased
    }

    @Test
    void aDecisionTheCacheAnswersIsLoggedAsACacheHitUnderItsOwnDecisionId() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        MutableClock clock = MutableClock.startingAt("2026-03-02T12:00:00Z");
        PolicyEngine logged;
        try (DecisionLog decisionLog = DecisionLog.builder(lines::add).build()) {
            logged = decisionLog.decorate(ResilientPolicyEngine.decorate(engine).clock(clock).build());
            PolicyRequest first = PolicyRequests.call(PolicyRequests.caller("alice", "acme", Set.of(), Set.of()),
                    "lookup_order", Map.of("order_id", "A-1"));
            PolicyRequest second = PolicyRequests.call(first.caller(), "lookup_order", first.arguments());
            assertThat(logged.decide(first).allowed()).isTrue();
            assertThat(logged.decide(second).allowed()).isTrue();
            assertThat(lines.size()).isLessThanOrEqualTo(2);
        }

        assertThat(lines).hasSize(2);
        JsonNode fresh = MAPPER.readTree(lines.get(0));
        JsonNode cached = MAPPER.readTree(lines.get(1));
        assertThat(fresh.path("metrics").path(DecisionLog.CACHE_HIT_METRIC).asLong()).isZero();
        assertThat(cached.path("metrics").path(DecisionLog.CACHE_HIT_METRIC).asLong()).isEqualTo(1);
        assertThat(cached.path("decision_id").asText()).isNotEqualTo(fresh.path("decision_id").asText());
        assertThat(cached.path("input").path("decision_id").asText()).isEqualTo(cached.path("decision_id").asText());
        assertThat(cached.path("result")).isEqualTo(fresh.path("result"));
    }

    @Test
    void aDecisionLogSinkThatFailsChangesNothingForTheCallOrItsAuditRecord() throws Exception {
        DecisionLog decisionLog = DecisionLog.builder(event -> {
            throw new IOException("the log volume is full");
        }).build();
        McpSyncClient client = serve(McpGuard.builder().policyEngine(engine).decisionLog(decisionLog), "order A-1");

        CallToolResult result = client.callTool(new CallToolRequest("lookup_order", Map.of("order_id", "A-1")));
        decisionLog.close();

        assertThat(result.isError()).isNotEqualTo(Boolean.TRUE);
        assertThat(((McpSchema.TextContent) result.content().get(0)).text()).isEqualTo("order A-1");
        assertThat(handlerRuns).hasValue(1);
        assertThat(theCallsRecord().outcome()).isEqualTo(AuditRecord.Outcome.SUCCESS);
        assertThat(decisionLog.dropped()).isEqualTo(1);
        assertThat(decisionLog.written()).isZero();
    }
}
