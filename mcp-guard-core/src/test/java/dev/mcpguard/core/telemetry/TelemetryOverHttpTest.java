package dev.mcpguard.core.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.Secret;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.identity.ApiKeyIdentityResolver;
import dev.mcpguard.core.policy.opa.OpaWasmPolicyEngine;
import dev.mcpguard.core.testing.EmbeddedTomcat;
import dev.mcpguard.core.testing.OpaBinary;
import dev.mcpguard.core.testing.RecordingAuditSink;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.trace.SpanContext;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.api.trace.StatusCode;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.data.LogRecordData;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.data.MetricData;
import io.opentelemetry.sdk.testing.exporter.InMemoryLogRecordExporter;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.EventData;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * The guard chain's OpenTelemetry output, through the real chain over Streamable HTTP with the real SDK client, an
 * embedded OPA policy ({@code src/test/resources/opa/telemetry}) and the real OpenTelemetry SDK exporting to its
 * in-memory exporters: the request span and its parent from the client's {@code _meta}, the step events, the tool
 * span, the metrics, the audit record as a log record joined to the span, and that no argument value, result or
 * key is in any of it.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class TelemetryOverHttpTest {

    static final String ALICE_KEY = "alice-key-0b7d-telemetry-not-a-secret-elsewhere";
    /** An argument value, a result text: neither may reach spans, logs or metrics. */
    static final String ARGUMENT_SECRET = "ARGUMENT-VALUE-4c1e9a";
    static final String RESULT_SECRET = "RESULT-TEXT-77d0b2";
    static final String CLIENT_TRACE = "4bf92f3577b34da6a3ce929d0e0e4736";
    static final String CLIENT_SPAN = "00f067aa0ba902b7";
    static final String TRACEPARENT = "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01";

    final InMemorySpanExporter spans = InMemorySpanExporter.create();
    final InMemoryMetricReader metrics = InMemoryMetricReader.create();
    final InMemoryLogRecordExporter logs = InMemoryLogRecordExporter.create();
    final RecordingAuditSink audited = new RecordingAuditSink();
    OpenTelemetrySdk openTelemetry;
    McpGuard guard;
    McpSyncServer server;
    EmbeddedTomcat tomcat;
    McpSyncClient alice;

    @BeforeAll
    void start(@TempDir Path work) throws Exception {
        OpaWasmPolicyEngine engine = OpaBinary.wasmEngine(work, policyDir());
        openTelemetry = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder().addSpanProcessor(SimpleSpanProcessor.create(spans)).build())
                .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(metrics).build())
                .setLoggerProvider(SdkLoggerProvider.builder()
                        .addLogRecordProcessor(SimpleLogRecordProcessor.create(logs)).build())
                .build();
        guard = McpGuard.builder().serverName("orders").resource(URI.create("https://orders.test/mcp"))
                .auditSink(audited).policyEngine(engine).openTelemetry(openTelemetry).build();
        var transport = HttpServletStreamableServerTransportProvider.builder()
                .mcpEndpoint("/mcp").contextExtractor(guard.contextExtractor()).sessionSweepInterval(null).build();
        server = guard.syncServer(transport)
                .serverInfo("orders", "1")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(true).prompts(true).build())
                .tools(guard.guardSyncTools(List.of(
                        tool("get_order", request -> McpSchema.CallToolResult.builder()
                                .addTextContent("order 1001: " + RESULT_SECRET).build()),
                        tool("refund_order", request -> McpSchema.CallToolResult.builder()
                                .addTextContent("refunded").build()),
                        tool("crash_order", request -> {
                            throw new IllegalStateException("database said " + RESULT_SECRET);
                        }),
                        tool("flaky_order", request -> McpSchema.CallToolResult.builder().isError(true)
                                .addTextContent("try later").build()))))
                .prompts(new McpServerFeatures.SyncPromptSpecification(new McpSchema.Prompt("summarize_order",
                        "A prompt.", List.of(new McpSchema.PromptArgument("order_id", "The order.", true))),
                        (exchange, request) -> new McpSchema.GetPromptResult("A prompt.", List.of(
                                new McpSchema.PromptMessage(McpSchema.Role.USER, new McpSchema.TextContent(
                                        "Summarize order " + request.arguments().get("order_id")))))))
                .build();
        tomcat = EmbeddedTomcat.start(transport, guard.httpFilter().identityResolver(ApiKeyIdentityResolver.builder()
                .addKey(ApiKeyIdentityResolver.KeyEntry.of("alice", ApiKeyIdentityResolver.hashOf(
                        Secret.ofUtf8(ALICE_KEY)), "alice").withTenant("acme"))
                .build()).build());
        alice = tomcat.client(ALICE_KEY).build();
        alice.initialize();
    }

    @AfterAll
    void stop() throws Exception {
        if (alice != null) {
            alice.close();
        }
        if (server != null) {
            server.closeGracefully();
        }
        if (tomcat != null) {
            tomcat.close();
        }
        if (guard != null) {
            guard.close();
        }
        if (openTelemetry != null) {
            openTelemetry.close();
        }
    }

    @BeforeEach
    void forgetEarlierRequests() {
        spans.reset();
        logs.reset();
        audited.clear();
    }

    static Path policyDir() throws URISyntaxException {
        return Path.of(TelemetryOverHttpTest.class.getResource("/opa/telemetry").toURI());
    }

    static McpServerFeatures.SyncToolSpecification tool(String name,
            java.util.function.Function<McpSchema.CallToolRequest, McpSchema.CallToolResult> handler) {
        return McpServerFeatures.SyncToolSpecification.builder()
                .tool(McpSchema.Tool.builder().name(name).inputSchema(new McpSchema.JsonSchema(
                        "object", Map.of(), List.of(), null, null, null)).build())
                .callHandler((exchange, request) -> handler.apply(request))
                .build();
    }

    McpSchema.CallToolResult call(String tool, Map<String, Object> arguments, Map<String, Object> meta) {
        return alice.callTool(new McpSchema.CallToolRequest(tool, arguments, meta));
    }

    SpanData onlySpanNamed(String name) {
        List<SpanData> named = spans.getFinishedSpanItems().stream().filter(s -> s.getName().equals(name)).toList();
        assertThat(named).as("spans named '%s' among %s", name, spans.getFinishedSpanItems()).hasSize(1);
        return named.get(0);
    }

    static String attribute(SpanData span, String key) {
        return span.getAttributes().get(AttributeKey.stringKey(key));
    }

    static Map<String, String> stepOutcomes(SpanData span) {
        Map<String, String> steps = new HashMap<>();
        for (EventData event : span.getEvents()) {
            if (event.getName().equals("mcp_guard.step")) {
                steps.put(event.getAttributes().get(AttributeKey.stringKey("mcp_guard.step.name")),
                        event.getAttributes().get(AttributeKey.stringKey("mcp_guard.step.outcome")));
            }
        }
        return steps;
    }

    // ---------------------------------------------------------------- spans

    @Test
    void anAllowedToolCallIsAServerSpanContinuingTheClientsTraceFromMeta() {
        McpSchema.CallToolResult result = call("get_order", Map.of("order_id", ARGUMENT_SECRET),
                Map.of("traceparent", TRACEPARENT, "tracestate", "rojo=00f067aa0ba902b7"));
        assertThat(result.isError()).isFalse();

        SpanData span = onlySpanNamed("tools/call get_order");
        assertThat(span.getKind()).isEqualTo(SpanKind.SERVER);
        assertThat(span.getTraceId()).isEqualTo(CLIENT_TRACE);
        assertThat(span.getParentSpanId()).isEqualTo(CLIENT_SPAN);
        assertThat(span.getParentSpanContext().isRemote()).isTrue();
        assertThat(span.getSpanContext().getTraceState().get("rojo")).isEqualTo("00f067aa0ba902b7");
        AuditRecord record = audited.records().get(0);
        assertThat(attribute(span, "mcp.method.name")).isEqualTo("tools/call");
        assertThat(attribute(span, "gen_ai.tool.name")).isEqualTo("get_order");
        assertThat(attribute(span, "gen_ai.operation.name")).isEqualTo("execute_tool");
        assertThat(attribute(span, "gen_ai.tool.call.id")).isEqualTo(record.eventId());
        assertThat(attribute(span, "mcp.session.id")).isEqualTo(record.sessionId()).isNotBlank();
        assertThat(attribute(span, "mcp_guard.decision")).isEqualTo("allow");
        assertThat(attribute(span, "mcp_guard.outcome")).isEqualTo("success");
        assertThat(attribute(span, "mcp_guard.decision_id")).isEqualTo(record.decisionId()).isNotBlank();
        assertThat(attribute(span, "error.type")).isNull();
        assertThat(attribute(span, "enduser.id")).isNull();
        assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.UNSET);

        SpanData toolSpan = onlySpanNamed("execute_tool get_order");
        assertThat(toolSpan.getKind()).isEqualTo(SpanKind.INTERNAL);
        assertThat(toolSpan.getParentSpanId()).isEqualTo(span.getSpanId());
        assertThat(toolSpan.getTraceId()).isEqualTo(CLIENT_TRACE);

        assertThat(stepOutcomes(span)).containsExactlyInAnyOrderEntriesOf(Map.of("audit", "pass", "identity", "pass",
                "session", "pass", "definitions", "pass", "policy", "pass", "obligations", "pass",
                "throttle", "pass"));
        assertThat(span.getEvents()).allSatisfy(event -> assertThat(event.getAttributes()
                .get(AttributeKey.doubleKey("mcp_guard.step.duration"))).isNotNull().isGreaterThanOrEqualTo(0.0));
    }

    @Test
    void aDeniedCallCarriesTheReasonAsErrorTypeAndNoToolSpan() {
        McpSchema.CallToolResult result = call("refund_order", Map.of("amount", 500), null);
        assertThat(result.isError()).isTrue();

        SpanData span = onlySpanNamed("tools/call refund_order");
        assertThat(attribute(span, "mcp_guard.decision")).isEqualTo("deny");
        assertThat(attribute(span, "mcp_guard.outcome")).isEqualTo("denied");
        assertThat(attribute(span, "mcp_guard.reason")).isEqualTo("refund_limit_exceeded");
        assertThat(attribute(span, "error.type")).isEqualTo("refund_limit_exceeded");
        assertThat(attribute(span, "mcp_guard.decision_id")).isEqualTo(audited.records().get(0).decisionId());
        assertThat(span.getStatus().getStatusCode()).isEqualTo(StatusCode.ERROR);
        // No traceparent: a trace of its own.
        assertThat(span.getParentSpanContext().isValid()).isFalse();
        assertThat(spans.getFinishedSpanItems()).extracting(SpanData::getName)
                .doesNotContain("execute_tool refund_order");
        Map<String, String> steps = stepOutcomes(span);
        assertThat(steps).containsEntry("policy", "deny").containsEntry("audit", "pass")
                .doesNotContainKeys("obligations", "throttle");
        EventData policy = span.getEvents().stream().filter(e -> "policy".equals(
                e.getAttributes().get(AttributeKey.stringKey("mcp_guard.step.name")))).findFirst().orElseThrow();
        assertThat(policy.getAttributes().get(AttributeKey.stringKey("mcp_guard.step.reason")))
                .isEqualTo("refund_limit_exceeded");
    }

    @Test
    void aFailedHandlerAndAToolErrorAreErrorsOfTheirOwnKind() {
        assertThat(call("crash_order", Map.of(), null).isError()).isTrue();
        assertThat(call("flaky_order", Map.of(), null).isError()).isTrue();

        SpanData crashed = onlySpanNamed("tools/call crash_order");
        assertThat(attribute(crashed, "mcp_guard.outcome")).isEqualTo("failed");
        assertThat(attribute(crashed, "mcp_guard.decision")).isEqualTo("allow");
        assertThat(attribute(crashed, "error.type")).isEqualTo("java.lang.IllegalStateException");
        assertThat(attribute(onlySpanNamed("execute_tool crash_order"), "error.type"))
                .isEqualTo("java.lang.IllegalStateException");
        SpanData flaky = onlySpanNamed("tools/call flaky_order");
        assertThat(attribute(flaky, "mcp_guard.outcome")).isEqualTo("tool_error");
        assertThat(attribute(flaky, "error.type")).isEqualTo("tool_error");
    }

    @Test
    void aPromptRequestIsASpanNamedAfterThePrompt() {
        alice.getPrompt(new McpSchema.GetPromptRequest("summarize_order", Map.of("order_id", ARGUMENT_SECRET),
                Map.of("traceparent", TRACEPARENT)));

        SpanData span = onlySpanNamed("prompts/get summarize_order");
        assertThat(span.getParentSpanId()).isEqualTo(CLIENT_SPAN);
        assertThat(attribute(span, "mcp.method.name")).isEqualTo("prompts/get");
        assertThat(attribute(span, "gen_ai.prompt.name")).isEqualTo("summarize_order");
        assertThat(attribute(span, "gen_ai.operation.name")).isNull();
        assertThat(attribute(span, "mcp_guard.decision")).isEqualTo("allow");
        assertThat(spans.getFinishedSpanItems()).extracting(SpanData::getName).noneMatch(n -> n.startsWith("execute_tool"));
    }

    // ---------------------------------------------------------------- logs

    @Test
    void everyAuditRecordIsALogRecordJoinedToItsRequestSpan() {
        call("get_order", Map.of("order_id", ARGUMENT_SECRET), Map.of("traceparent", TRACEPARENT));

        SpanData span = onlySpanNamed("tools/call get_order");
        AuditRecord record = audited.records().get(0);
        List<LogRecordData> audits = logs.getFinishedLogRecordItems().stream()
                .filter(l -> "mcp_guard.audit".equals(l.getEventName())).toList();
        assertThat(audits).hasSize(1);
        LogRecordData log = audits.get(0);
        SpanContext joined = log.getSpanContext();
        assertThat(joined.getTraceId()).isEqualTo(span.getTraceId());
        assertThat(joined.getSpanId()).isEqualTo(span.getSpanId());
        assertThat(log.getAttributes().get(AttributeKey.stringKey("event_id"))).isEqualTo(record.eventId());
        assertThat(log.getAttributes().get(AttributeKey.stringKey("decision"))).isEqualTo("allow");
        assertThat(log.getAttributes().get(AttributeKey.stringKey("caller.subject"))).isEqualTo("alice");
        assertThat(log.getAttributes().get(AttributeKey.stringKey("arguments.order_id")))
                .isEqualTo(record.arguments().get("order_id")).startsWith("hmac-sha256:");
        assertThat(log.getTimestampEpochNanos()).isEqualTo(record.time().getEpochSecond() * 1_000_000_000L
                + record.time().getNano());
    }

    // ---------------------------------------------------------------- what never leaves

    @Test
    void noArgumentValueResultOrKeyIsInAnySpanLogOrMetric() {
        call("get_order", Map.of("order_id", ARGUMENT_SECRET), Map.of("traceparent", TRACEPARENT));
        call("crash_order", Map.of("order_id", ARGUMENT_SECRET), null);
        call("refund_order", Map.of("amount", 500, "note", ARGUMENT_SECRET), null);

        StringBuilder exported = new StringBuilder();
        spans.getFinishedSpanItems().forEach(s -> exported.append(s).append('\n'));
        logs.getFinishedLogRecordItems().forEach(l -> exported.append(l).append('\n'));
        metrics.collectAllMetrics().forEach(m -> exported.append(m).append('\n'));
        assertThat(exported.length()).isGreaterThan(1000); // the scan has something to scan
        assertThat(exported.toString()).contains("get_order")
                .doesNotContain(ARGUMENT_SECRET, RESULT_SECRET, ALICE_KEY, "alice-key");
    }

    // ---------------------------------------------------------------- metrics

    @Test
    void decisionsAreCountedByOutcomeAndReasonAndDurationsRecorded() {
        call("refund_order", Map.of("amount", 700), null);
        call("refund_order", Map.of("amount", 800), null);

        MetricData decisions = metric("mcp_guard.decisions");
        long deniedRefunds = decisions.getLongSumData().getPoints().stream()
                .filter(p -> "refund_limit_exceeded".equals(p.getAttributes().get(AttributeKey.stringKey("mcp_guard.reason"))))
                .filter(p -> "refund_order".equals(p.getAttributes().get(AttributeKey.stringKey("gen_ai.tool.name"))))
                .filter(p -> "deny".equals(p.getAttributes().get(AttributeKey.stringKey("mcp_guard.decision"))))
                .mapToLong(p -> p.getValue()).sum();
        assertThat(deniedRefunds).isGreaterThanOrEqualTo(2);
        MetricData duration = metric("mcp.server.operation.duration");
        assertThat(duration.getUnit()).isEqualTo("s");
        assertThat(duration.getHistogramData().getPoints()).anySatisfy(p -> {
            assertThat(p.getAttributes().get(AttributeKey.stringKey("error.type"))).isEqualTo("refund_limit_exceeded");
            assertThat(p.getCount()).isGreaterThanOrEqualTo(2);
        });
        MetricData steps = metric("mcp_guard.step.duration");
        assertThat(steps.getHistogramData().getPoints())
                .extracting(p -> p.getAttributes().get(AttributeKey.stringKey("mcp_guard.step.name")))
                .contains("audit", "identity", "policy");
        assertThat(steps.getHistogramData().getPoints().iterator().next().getBoundaries()).contains(0.00001, 0.001);
    }

    MetricData metric(String name) {
        return metrics.collectAllMetrics().stream().filter(m -> m.getName().equals(name)).findFirst()
                .orElseThrow(() -> new AssertionError("no metric " + name));
    }

    @Test
    void theChainOrderNamesTheTelemetrySteps() {
        assertThat(guard.chainOrder()).startsWith("telemetry", "audit").endsWith("telemetry.execute");
        assertThat(McpGuard.builder().serverName("plain").auditSink(audited).build().chainOrder())
                .doesNotContain("telemetry", "telemetry.execute");
    }

    // ---------------------------------------------------------------- trace context, ids

    static List<Object> hostileTraceparents() {
        return List.of(
                "00-00000000000000000000000000000000-0000000000000000-01",   // all-zero ids: invalid
                "ff-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01",            // version ff is forbidden
                "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN,                    // no flags
                "00-" + CLIENT_TRACE.toUpperCase() + "-" + CLIENT_SPAN + "-01", // upper case hex
                "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01" + "a".repeat(5000),
                "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-0\u00e9",
                "00-" + CLIENT_TRACE + "-" + CLIENT_SPAN + "-01\n",
                "",
                42,
                Map.of("traceparent", TRACEPARENT),
                List.of(TRACEPARENT));
    }

    @Test
    void aHostileTraceparentStartsANewTraceAndNeverFailsTheCall() {
        for (Object hostile : hostileTraceparents()) {
            spans.reset();
            Map<String, Object> meta = new HashMap<>();
            meta.put("traceparent", hostile);
            meta.put("tracestate", "x".repeat(100_000));
            McpSchema.CallToolResult result = call("get_order", Map.of(), meta);
            assertThat(result.isError()).as("a call with traceparent %s", hostile).isFalse();
            SpanData span = onlySpanNamed("tools/call get_order");
            assertThat(span.getParentSpanContext().isValid()).as("parent from %s", hostile).isFalse();
            assertThat(span.getTraceId()).isNotEqualTo(CLIENT_TRACE);
            assertThat(span.getSpanContext().isValid()).isTrue();
        }
    }

    @Test
    void anOverlongTracestateIsDroppedButTheParentKept() {
        call("get_order", Map.of(), Map.of("traceparent", TRACEPARENT, "tracestate", "rojo=1," + "x".repeat(600)));
        SpanData span = onlySpanNamed("tools/call get_order");
        assertThat(span.getParentSpanId()).isEqualTo(CLIENT_SPAN);
        assertThat(span.getSpanContext().getTraceState().isEmpty()).isTrue();
    }

    @Test
    void theHttpTraceparentIsTheParentWhenMetaHasNoneAndMetaWinsOverIt() {
        String headerTrace = "0af7651916cd43dd8448eb211c80319c";
        String headerSpan = "b7ad6b7169203331";
        McpSyncClient traced = io.modelcontextprotocol.client.McpClient.sync(
                        io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport
                                .builder(tomcat.base().toString()).endpoint("/mcp")
                                .httpRequestCustomizer((request, method, uri, body, context) -> request
                                        .header("X-API-Key", ALICE_KEY)
                                        .header("traceparent", "00-" + headerTrace + "-" + headerSpan + "-01"))
                                .build())
                .requestTimeout(Duration.ofSeconds(10)).build();
        try {
            traced.initialize();
            traced.callTool(new McpSchema.CallToolRequest("get_order", Map.of(), null));
            SpanData fromHeader = onlySpanNamed("tools/call get_order");
            assertThat(fromHeader.getTraceId()).isEqualTo(headerTrace);
            assertThat(fromHeader.getParentSpanId()).isEqualTo(headerSpan);

            spans.reset();
            traced.callTool(new McpSchema.CallToolRequest("get_order", Map.of(), Map.of("traceparent", TRACEPARENT)));
            SpanData fromMeta = onlySpanNamed("tools/call get_order");
            assertThat(fromMeta.getTraceId()).isEqualTo(CLIENT_TRACE);
            assertThat(fromMeta.getParentSpanId()).isEqualTo(CLIENT_SPAN);
        } finally {
            traced.close();
        }
    }

    @Test
    void theJsonRpcIdAndProtocolVersionAreOnTheSpan() {
        call("get_order", Map.of(), null);
        SpanData span = onlySpanNamed("tools/call get_order");
        assertThat(attribute(span, "jsonrpc.request.id")).isNotBlank();
        assertThat(attribute(span, "mcp.protocol.version")).matches("\\d{4}-\\d{2}-\\d{2}");

        spans.reset();
        String session = tomcat.openSession(ALICE_KEY);
        var response = tomcat.post(ALICE_KEY, session, "{\"jsonrpc\":\"2.0\",\"id\":\"req-77\",\"method\":"
                + "\"tools/call\",\"params\":{\"name\":\"get_order\",\"arguments\":{}}}");
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(attribute(onlySpanNamed("tools/call get_order"), "jsonrpc.request.id")).isEqualTo("req-77");
    }

    // ---------------------------------------------------------------- unknown tools

    @Test
    void anUnknownToolIsASpanWithABoundedNameAndCountedAsOther() {
        String invented = "steal_\u202eorders_" + "x".repeat(300);
        McpSchema.CallToolResult result;
        try {
            result = alice.callTool(new McpSchema.CallToolRequest(invented, Map.of()));
            assertThat(result.isError()).isTrue();
        } catch (io.modelcontextprotocol.spec.McpError expected) {
            // the SDK answers an unknown tool with a JSON-RPC error
        }
        SpanData span = onlySpanNamed("tools/call");
        assertThat(attribute(span, "gen_ai.tool.name")).hasSizeLessThanOrEqualTo(64).startsWith("steal__orders_")
                .doesNotContain("\u202e");
        assertThat(attribute(span, "mcp_guard.reason")).isEqualTo("unknown_tool");
        assertThat(attribute(span, "error.type")).isEqualTo("unknown_tool");
        assertThat(metric("mcp_guard.decisions").getLongSumData().getPoints())
                .extracting(p -> p.getAttributes().get(AttributeKey.stringKey("gen_ai.tool.name")))
                .contains("_OTHER").noneMatch(name -> name != null && name.startsWith("steal"));
    }
}
