package dev.mcpguard.core.policy.decisionlog;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import dev.mcpguard.core.internal.PolicyEvaluationRecorder;
import dev.mcpguard.core.testing.MutableClock;
import dev.mcpguard.core.testing.PolicyRequests;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The decision log's events, bounds and failure handling, fed with evaluations as the OPA engines record them
 * (the engines themselves: DecisionLogAgainstOpaTest and DecisionLogThroughGuardTest in the opa package).
 */
@Timeout(value = 60, unit = TimeUnit.SECONDS) // a safety net against hangs, not a latency assertion
class DecisionLogTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final MutableClock clock = MutableClock.startingAt("2026-03-02T12:00:01.123400Z");

    /** What an OPA engine records for {@code request}: its input, a result, a bundle and a timer. */
    private static PolicyEvaluationRecorder.Recording evaluated(PolicyRequest request, Map<String, Object> arguments) {
        ObjectNode input = MAPPER.createObjectNode().put("version", 2).put("decision_id", request.decisionId())
                .put("time", request.time().toString());
        input.set("arguments", MAPPER.valueToTree(arguments));
        PolicyEvaluationRecorder.Recording recording = PolicyEvaluationRecorder.begin();
        PolicyEvaluationRecorder.end(recording);
        recording.evaluated(new PolicyEvaluationRecorder.Evaluation("mcp/authz/decision", input,
                Optional.of(MAPPER.createObjectNode().put("allow", true)), Map.of("orders", "orders-1"),
                Map.of("timer_rego_query_eval_ns", 1234L)));
        return recording;
    }

    private static JsonNode only(List<String> lines) throws IOException {
        assertThat(lines).hasSize(1);
        return MAPPER.readTree(lines.get(0));
    }

    @Test
    void writesOneEventInOpasFieldOrderWithTheDecisionIdLabelsAndTimestamp() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        PolicyRequest request = PolicyRequests.allowedCall();
        try (DecisionLog decisionLog = DecisionLog.builder(lines::add).clock(clock).instanceId("replica-7")
                .labels(Map.of("app", "orders")).build()) {
            decisionLog.record(Decision.allow(request.decisionId()), request, evaluated(request, Map.of("a", 1)));
        }

        JsonNode event = only(lines);
        List<String> keys = new ArrayList<>();
        event.fieldNames().forEachRemaining(keys::add);
        assertThat(keys).containsExactly("labels", "decision_id", "bundles", "path", "input", "result", "erased",
                "timestamp", "metrics");
        assertThat(event.path("labels").toString()).startsWith("{\"id\":\"replica-7\",\"version\":\"")
                .endsWith(",\"app\":\"orders\"}");
        assertThat(event.path("labels").path("version").asText()).isNotEmpty().doesNotStartWith("$");
        assertThat(event.path("decision_id").asText()).isEqualTo(request.decisionId());
        assertThat(event.path("bundles").toString()).isEqualTo("{\"orders\":{\"revision\":\"orders-1\"}}");
        assertThat(event.path("path").asText()).isEqualTo("mcp/authz/decision");
        assertThat(event.path("erased").toString()).isEqualTo("[\"/input/arguments\"]");
        assertThat(event.path("timestamp").asText()).isEqualTo("2026-03-02T12:00:01.1234Z");
        assertThat(event.path("metrics").toString())
                .isEqualTo("{\"counter_mcp_guard_decision_cache_hit\":0,\"timer_rego_query_eval_ns\":1234}");
    }

    @Test
    void formatsTimestampsAsGosRfc3339Nano() {
        assertThat(DecisionLog.rfc3339Nano(Instant.parse("2026-03-02T12:00:00Z"))).isEqualTo("2026-03-02T12:00:00Z");
        assertThat(DecisionLog.rfc3339Nano(Instant.parse("2026-03-02T12:00:00.000000001Z")))
                .isEqualTo("2026-03-02T12:00:00.000000001Z");
        assertThat(DecisionLog.rfc3339Nano(Instant.parse("2026-03-02T12:00:00.5Z"))).isEqualTo("2026-03-02T12:00:00.5Z");
    }

    @Test
    void aHugeInputIsErasedSoTheEventStaysUnderItsBoundAndKeepsItsResult() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        PolicyRequest request = PolicyRequests.allowedCall();
        try (DecisionLog decisionLog = DecisionLog.builder(lines::add).erase(List.of()).maxEventBytes(8 * 1024)
                .build()) {
            decisionLog.record(Decision.allow(request.decisionId()), request,
                    evaluated(request, Map.of("text", "x".repeat(100_000))));
        }

        assertThat(lines.get(0).length()).isLessThanOrEqualTo(8 * 1024);
        JsonNode event = only(lines);
        assertThat(event.has("input")).isFalse();
        assertThat(event.path("erased").toString()).isEqualTo("[\"/input\"]");
        assertThat(event.path("result").path("allow").asBoolean()).isTrue();
    }

    @Test
    void keepsTheArgumentsWhenEraseIsEmptiedButStillMasksCredentials() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        PolicyRequest request = PolicyRequests.allowedCall();
        try (DecisionLog decisionLog = DecisionLog.builder(lines::add).erase(List.of()).build()) {
            decisionLog.record(Decision.allow(request.decisionId()), request,
                    evaluated(request, Map.of("order_id", "A-1", "password", "hunter2")));
        }

        JsonNode event = only(lines);
        assertThat(event.path("input").path("arguments").path("order_id").asText()).isEqualTo("A-1");
        assertThat(lines.get(0)).doesNotContain("hunter2");
        assertThat(event.path("masked").toString()).isEqualTo("[\"/input/arguments/password\"]");
        assertThat(event.has("erased")).isFalse();
    }

    @Test
    void aReplayedCachedEvaluationCarriesThisCallsDecisionIdAndTimeAndIsMarked() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        PolicyRequest first = PolicyRequests.allowedCall();
        PolicyRequest second = PolicyRequests.call(first.caller(), "get_order", first.arguments(),
                first.time().plusSeconds(1));
        PolicyEvaluationRecorder.Recording hit = PolicyEvaluationRecorder.begin();
        PolicyEvaluationRecorder.end(hit);
        hit.cacheHit(evaluated(first, Map.of()).evaluation().orElseThrow());
        try (DecisionLog decisionLog = DecisionLog.builder(lines::add).build()) {
            decisionLog.record(Decision.allow(second.decisionId()), second, hit);
        }

        JsonNode event = only(lines);
        assertThat(event.path("decision_id").asText()).isEqualTo(second.decisionId());
        assertThat(event.path("input").path("decision_id").asText()).isEqualTo(second.decisionId());
        assertThat(event.path("input").path("time").asText()).isEqualTo(second.time().toString());
        assertThat(event.path("metrics").toString()).isEqualTo("{\"counter_mcp_guard_decision_cache_hit\":1}");
    }

    @Test
    void aDecisionNoEvaluationMadeIsNotLogged() throws Exception {
        List<String> lines = new CopyOnWriteArrayList<>();
        PolicyRequest request = PolicyRequests.allowedCall();
        PolicyEvaluationRecorder.Recording nothing = PolicyEvaluationRecorder.begin();
        PolicyEvaluationRecorder.end(nothing);
        DecisionLog decisionLog = DecisionLog.builder(lines::add).build();
        decisionLog.record(Decision.allow(request.decisionId()), request, nothing);
        decisionLog.close();

        assertThat(lines).isEmpty();
        assertThat(decisionLog.written()).isZero();
        assertThat(decisionLog.dropped()).isZero();
    }

    @Test
    void aFailingSinkDropsAndCountsItsEventsAndNeverThrowsIntoTheCaller() {
        PolicyRequest request = PolicyRequests.allowedCall();
        DecisionLog decisionLog = DecisionLog.builder(event -> {
            throw new IOException("disk full");
        }).build();
        for (int i = 0; i < 3; i++) {
            decisionLog.record(Decision.allow(request.decisionId()), request, evaluated(request, Map.of()));
        }
        decisionLog.close();

        assertThat(decisionLog.dropped()).isEqualTo(3);
        assertThat(decisionLog.written()).isZero();
    }

    @Test
    void aFullBufferDropsNewEventsInsteadOfBlockingTheCaller() throws Exception {
        CountDownLatch release = new CountDownLatch(1);
        List<String> lines = new CopyOnWriteArrayList<>();
        DecisionLog decisionLog = DecisionLog.builder(event -> {
            try {
                release.await();
            } catch (InterruptedException e) {
                throw new IOException(e);
            }
            lines.add(event);
        }).bufferEvents(1).build();
        PolicyRequest request = PolicyRequests.allowedCall();
        // The writer holds at most one event in the sink and one in the buffer: the others are dropped at once.
        for (int i = 0; i < 10; i++) {
            decisionLog.record(Decision.allow(request.decisionId()), request, evaluated(request, Map.of()));
        }
        assertThat(decisionLog.dropped()).isGreaterThanOrEqualTo(8);
        release.countDown();
        decisionLog.close();

        assertThat(decisionLog.written() + decisionLog.dropped()).isEqualTo(10);
        assertThat(lines).hasSize((int) decisionLog.written());
    }

    @Test
    void theJsonlFileSinkAppendsOneLinePerEventOwnerReadableOnly(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("decisions.jsonl");
        PolicyRequest request = PolicyRequests.allowedCall();
        try (DecisionLog decisionLog = DecisionLog.builder(DecisionLogSink.jsonlFile(file)).build()) {
            decisionLog.record(Decision.allow(request.decisionId()), request, evaluated(request, Map.of("a", "é")));
            decisionLog.record(Decision.allow(request.decisionId()), request, evaluated(request, Map.of()));
        }

        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(2).allSatisfy(line -> {
            assertThat(MAPPER.readTree(line).path("decision_id").asText()).isEqualTo(request.decisionId());
            assertThat(line.chars()).allMatch(c -> c >= 0x20 && c < 0x7f);
        });
        if (file.getFileSystem().supportedFileAttributeViews().contains("posix")) {
            assertThat(java.nio.file.attribute.PosixFilePermissions.toString(Files.getPosixFilePermissions(file)))
                    .isEqualTo("rw-------");
        }
    }

    @Test
    void rejectsBadSettingsShowingTheValue() {
        DecisionLog.Builder builder = DecisionLog.builder(DecisionLogSink.slf4j());
        assertThatThrownBy(() -> builder.maxEventBytes(100)).hasMessageContaining("100");
        assertThatThrownBy(() -> builder.bufferEvents(0)).hasMessageContaining("0");
        assertThatThrownBy(() -> builder.labels(Map.of("id", "x"))).hasMessageContaining("'id'");
        assertThatThrownBy(() -> builder.erase(List.of("/metrics"))).hasMessageContaining("/metrics");
    }
}
