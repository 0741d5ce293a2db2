package dev.mcpguard.core.telemetry;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.audit.JsonlFileAuditSink;
import dev.mcpguard.core.identity.JwtIdentityResolver;
import dev.mcpguard.core.policy.opa.OpaWasmPolicyEngine;
import dev.mcpguard.core.telemetry.OtelCollector.LogRecord;
import dev.mcpguard.core.telemetry.OtelCollector.MetricPoint;
import dev.mcpguard.core.testing.EmbeddedTomcat;
import dev.mcpguard.core.testing.OpaBinary;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.api.trace.SpanKind;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.net.URI;
import java.net.URISyntaxException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The OpenTelemetry feature end to end, against a real OpenTelemetry Collector: a guarded MCP server on embedded
 * Tomcat (JWT from a real authorization server, mock-oauth2-server; a real OPA wasm policy,
 * {@code src/test/resources/opa/telemetry}; a JSONL audit file) exports through the OpenTelemetry SDK over OTLP/HTTP
 * to the collector built by {@code scripts/ensure-otelcol.sh}; the real SDK client calls it over Streamable HTTP.
 * The test then reads what the collector wrote to its files: the spans, their step events and parents, the
 * decision metrics, the audit records as log records joined to their spans, and that no token or argument value
 * reached any of it.
 */
class OpenTelemetryCollectorEndToEndTest {

    static final String REALM = "acme";
    static final String RESOURCE = "https://orders.example.com/mcp";
    /** Argument values: each distinctive, so a leak anywhere in the collector's output is found by a text scan. */
    static final String ORDER_ID = "order-7Qx9-secret-argument";
    static final String REFUND_NOTE = "refund-K2p4-secret-note";
    static final String UNKNOWN_TOOL_ARGUMENT = "drop-Zz81-secret-argument";
    static final String TRACESTATE = "vendor=client7";

    final ObjectMapper json = new ObjectMapper();
    final Deque<AutoCloseable> opened = new ArrayDeque<>();
    final AtomicInteger handlerRuns = new AtomicInteger();

    @TempDir
    Path work;

    OtelCollector collector;
    OpenTelemetrySdk sdk;
    MockOAuth2Server oauth;
    McpGuard guard;
    McpSyncServer server;
    EmbeddedTomcat tomcat;
    McpSyncClient client;
    String token;
    Path auditFile;

    @BeforeEach
    void start() throws Exception {
        collector = opened(OtelCollector.start(), () -> collector.close());
        sdk = opened(collector.sdk("orders-mcp"), () -> sdk.shutdown().join(10, TimeUnit.SECONDS));
        oauth = opened(new MockOAuth2Server(), () -> oauth.shutdown());
        oauth.start(java.net.InetAddress.getLoopbackAddress(), 0);

        OpaWasmPolicyEngine engine = OpaBinary.wasmEngine(work, policyDir());
        auditFile = work.resolve("audit.jsonl");
        guard = opened(McpGuard.builder().serverName("orders").resource(URI.create(RESOURCE))
                .policyEngine(engine)
                .auditSink(JsonlFileAuditSink.builder(auditFile).build())
                .openTelemetry(sdk)
                .build(), () -> guard.close());
        var transport = HttpServletStreamableServerTransportProvider.builder()
                .mcpEndpoint("/mcp").contextExtractor(guard.contextExtractor()).sessionSweepInterval(null).build();
        server = opened(guard.syncServer(transport)
                .serverInfo("orders", "1")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
                .tools(guard.guardSyncTools(List.of(tool("get_order"), tool("refund_order"))))
                .build(), () -> server.closeGracefully());
        JwtIdentityResolver jwt = JwtIdentityResolver.builder()
                .issuer(oauth.issuerUrl(REALM).toString())
                .jwksUrl(URI.create(oauth.jwksUrl(REALM).toString()))
                .audience(RESOURCE)
                .build();
        tomcat = opened(EmbeddedTomcat.start(transport, guard.httpFilter().identityResolver(jwt).build()),
                () -> tomcat.close());
        token = oauth.issueToken(REALM, "orders-client", new DefaultOAuth2TokenCallback(REALM, "alice", "JWT",
                List.of(RESOURCE), Map.of(), 3600)).serialize();
        client = opened(McpClient.sync(HttpClientStreamableHttpTransport.builder(tomcat.base().toString())
                        .endpoint("/mcp")
                        .httpRequestCustomizer((request, method, uri, body, context) ->
                                request.header("Authorization", "Bearer " + token))
                        .build())
                .requestTimeout(Duration.ofSeconds(10))
                .build(), () -> client.close());
        client.initialize();
    }

    /** Closes what {@link #start} opened, last first; the first failure is thrown after all were closed. */
    @AfterEach
    void stop() throws Exception {
        Exception first = null;
        while (!opened.isEmpty()) {
            try {
                opened.pop().close();
            } catch (Exception e) {
                first = first == null ? e : first;
            }
        }
        if (first != null) {
            throw first;
        }
    }

    <T> T opened(T resource, AutoCloseable close) {
        opened.push(close);
        return resource;
    }

    static Path policyDir() throws URISyntaxException {
        return Path.of(OpenTelemetryCollectorEndToEndTest.class.getResource("/opa/telemetry").toURI());
    }

    SyncToolSpecification tool(String name) {
        return SyncToolSpecification.builder()
                .tool(McpSchema.Tool.builder().name(name).description("Works on an order.")
                        .inputSchema(Map.of("type", "object")).build())
                .callHandler((exchange, request) -> {
                    handlerRuns.incrementAndGet();
                    return CallToolResult.builder().addTextContent("done: " + name).build();
                })
                .build();
    }

    /** A client span of the test's own, whose context goes to the server in {@code params._meta}. */
    Span clientSpan(String name) {
        return sdk.getTracer("test-client").spanBuilder(name).setSpanKind(SpanKind.CLIENT).startSpan();
    }

    static Map<String, Object> traceMeta(Span span) {
        return Map.of("traceparent", "00-" + span.getSpanContext().getTraceId() + "-"
                + span.getSpanContext().getSpanId() + "-01", "tracestate", TRACESTATE);
    }

    @Test
    void spansStepEventsMetricsAndAuditLogsReachTheCollectorJoinedToTheClientsTraceAndHoldNoSecret()
            throws Exception {
        Span allowedParent = clientSpan("client get_order");
        CallToolResult allowed;
        try {
            allowed = client.callTool(new CallToolRequest("get_order", Map.of("order_id", ORDER_ID),
                    traceMeta(allowedParent)));
        } finally {
            allowedParent.end();
        }
        CallToolResult denied = client.callTool(new CallToolRequest("refund_order",
                Map.of("order_id", ORDER_ID, "amount", 5000, "note", REFUND_NOTE)));
        assertThatThrownBy(() -> client.callTool(new CallToolRequest("drop_tables",
                Map.of("table", UNKNOWN_TOOL_ARGUMENT))))
                .hasMessageContaining("Unknown tool");

        assertThat(allowed.isError()).isNotEqualTo(Boolean.TRUE);
        assertThat(denied.isError()).isTrue();
        assertThat(((Map<?, ?>) denied.structuredContent()).get("reason")).isEqualTo("refund_limit_exceeded");
        assertThat(handlerRuns).as("only the allowed call reached a handler").hasValue(1);
        assertThat(sdk.getSdkMeterProvider().forceFlush().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();

        // Spans: the server span continues the client's trace, the tool span is its child.
        List<OtelCollector.Span> spans = collector.awaitSpans("the client, server and tool spans", all ->
                named(all, "tools/call get_order") != null && named(all, "tools/call refund_order") != null
                        && named(all, "execute_tool get_order") != null && named(all, "client get_order") != null
                        && unknownToolSpan(all) != null);
        OtelCollector.Span clientSide = named(spans, "client get_order");
        assertThat(clientSide.kind()).isEqualTo(OtelCollector.Span.KIND_CLIENT);
        OtelCollector.Span get = named(spans, "tools/call get_order");
        assertThat(get.kind()).isEqualTo(OtelCollector.Span.KIND_SERVER);
        assertThat(get.traceId()).isEqualTo(allowedParent.getSpanContext().getTraceId())
                .isEqualTo(clientSide.traceId());
        assertThat(get.parentSpanId()).isEqualTo(allowedParent.getSpanContext().getSpanId())
                .isEqualTo(clientSide.spanId());
        assertThat(get.traceState()).as("the client's tracestate goes on with its trace").isEqualTo(TRACESTATE);
        assertThat(get.attributes())
                .containsEntry("mcp.method.name", "tools/call")
                .containsEntry("gen_ai.tool.name", "get_order")
                .containsEntry("gen_ai.operation.name", "execute_tool")
                .containsEntry("mcp_guard.server", "orders")
                .containsEntry("mcp_guard.decision", "allow")
                .containsEntry("mcp_guard.outcome", "success")
                .containsKeys("mcp.session.id", "jsonrpc.request.id", "gen_ai.tool.call.id", "mcp_guard.decision_id")
                .doesNotContainKey("enduser.id");
        assertThat(get.statusCode()).isNotEqualTo(OtelCollector.Span.STATUS_ERROR);
        assertThat(stepEvents(get)).as("one pass event per guard step, audit and policy among them")
                .containsEntry("audit", "pass").containsEntry("identity", "pass").containsEntry("policy", "pass")
                .allSatisfy((step, outcome) -> assertThat(outcome).isEqualTo("pass"));
        OtelCollector.Span execute = named(spans, "execute_tool get_order");
        assertThat(execute.kind()).isEqualTo(OtelCollector.Span.KIND_INTERNAL);
        assertThat(execute.traceId()).isEqualTo(get.traceId());
        assertThat(execute.parentSpanId()).isEqualTo(get.spanId());
        assertThat(execute.attributes()).containsEntry("gen_ai.tool.name", "get_order")
                .containsEntry("gen_ai.tool.call.id", get.attributes().get("gen_ai.tool.call.id"));

        OtelCollector.Span refund = named(spans, "tools/call refund_order");
        assertThat(refund.traceId()).as("no traceparent: a trace of its own").isNotEqualTo(get.traceId());
        assertThat(refund.parentSpanId()).isEmpty();
        assertThat(refund.attributes())
                .containsEntry("mcp_guard.decision", "deny")
                .containsEntry("mcp_guard.outcome", "denied")
                .containsEntry("mcp_guard.reason", "refund_limit_exceeded")
                .containsEntry("error.type", "refund_limit_exceeded");
        assertThat(refund.statusCode()).isEqualTo(OtelCollector.Span.STATUS_ERROR);
        assertThat(stepEvents(refund)).containsEntry("policy", "deny").containsEntry("identity", "pass");
        assertThat(refund.events()).filteredOn(e -> "policy".equals(e.attributes().get("mcp_guard.step.name")))
                .singleElement().satisfies(e -> assertThat(e.attributes())
                        .containsEntry("mcp_guard.step.reason", "refund_limit_exceeded"));
        assertThat(spans).extracting(OtelCollector.Span::name)
                .as("a denied call never reaches its handler, so no tool span")
                .doesNotContain("execute_tool refund_order");

        // The unknown tool: answered by the SDK before the chain, still a denied SERVER span of a trace of its own,
        // the client's name only in gen_ai.tool.name (not in the span name).
        OtelCollector.Span unknown = unknownToolSpan(spans);
        assertThat(unknown.kind()).isEqualTo(OtelCollector.Span.KIND_SERVER);
        assertThat(unknown.parentSpanId()).isEmpty();
        assertThat(unknown.statusCode()).isEqualTo(OtelCollector.Span.STATUS_ERROR);
        assertThat(unknown.attributes()).containsEntry("mcp_guard.decision", "deny")
                .containsEntry("mcp_guard.reason", "unknown_tool").containsKey("mcp.session.id");

        // Metrics: one decision of each kind (cumulative sums: the last export holds the totals).
        List<MetricPoint> points = collector.awaitMetrics("the decision counts", all ->
                decisions(all, "get_order", "allow", "success") >= 1
                        && decisions(all, "refund_order", "deny", "denied") >= 1
                        && decisions(all, "_OTHER", "deny", "denied") >= 1);
        assertThat(decisions(points, "get_order", "allow", "success")).isEqualTo(1);
        assertThat(decisions(points, "refund_order", "deny", "denied")).isEqualTo(1);
        assertThat(decisions(points, "_OTHER", "deny", "denied")).as("unknown tools counted under one name")
                .isEqualTo(1);
        assertThat(points).filteredOn(p -> p.name().equals("mcp_guard.decisions"))
                .extracting(p -> p.attributes().get("gen_ai.tool.name"))
                .as("a client-invented tool name never becomes a metric label").doesNotContain("drop_tables");
        assertThat(points).filteredOn(p -> p.name().equals("mcp_guard.decisions")
                        && "refund_order".equals(p.attributes().get("gen_ai.tool.name")))
                .allSatisfy(p -> assertThat(p.attributes()).containsEntry("mcp_guard.reason", "refund_limit_exceeded"));
        assertThat(points).filteredOn(p -> p.name().equals("mcp.server.operation.duration"))
                .as("request latency histograms").isNotEmpty()
                .allSatisfy(p -> assertThat(p.type()).isEqualTo("histogram"));
        assertThat(points).filteredOn(p -> p.name().equals("mcp_guard.step.duration")
                        && "policy".equals(p.attributes().get("mcp_guard.step.name")))
                .as("per-step latency histograms").isNotEmpty();

        // Audit records as log records, joined to their request spans; the same records as the audit file.
        List<JsonNode> fileRecords = auditRecords();
        List<LogRecord> logs = collector.awaitLogs("an audit log record per audit file record", all ->
                audit(all).size() >= fileRecords.size());
        List<LogRecord> audited = audit(logs);
        assertThat(audited).extracting(r -> r.attributes().get("event_id"))
                .containsExactlyInAnyOrderElementsOf(fileRecords.stream().map(r -> r.get("event_id").asText())
                        .toList());
        LogRecord allowedLog = byTool(audited, "get_order");
        assertThat(allowedLog.traceId()).isEqualTo(get.traceId());
        assertThat(allowedLog.spanId()).isEqualTo(get.spanId());
        assertThat(allowedLog.attributes()).containsEntry("decision", "allow")
                .containsEntry("decision_id", get.attributes().get("mcp_guard.decision_id"));
        LogRecord deniedLog = byTool(audited, "refund_order");
        assertThat(deniedLog.traceId()).isEqualTo(refund.traceId());
        assertThat(deniedLog.spanId()).isEqualTo(refund.spanId());
        assertThat(deniedLog.attributes()).containsEntry("decision", "deny")
                .containsEntry("reason", "refund_limit_exceeded");
        assertThat(audited).filteredOn(r -> "unknown_tool".equals(r.attributes().get("reason")))
                .as("the unknown tool's audit record reached the collector too").singleElement()
                .satisfies(r -> {
                    assertThat(r.attributes()).containsEntry("decision", "deny").containsEntry("tool", "drop_tables");
                    assertThat(r.traceId()).as("no request span to join").isEmpty();
                });

        // Nothing secret anywhere in what the collector received or logged (raw bytes, not the parsed view), nor
        // the token in the audit file; the scan is of real output (it holds what the assertions above read).
        String raw = collector.rawOutput();
        assertThat(raw).contains(get.traceId(), "refund_limit_exceeded", "mcp_guard.audit");
        assertThat(raw).doesNotContain(token, token.substring(token.lastIndexOf('.') + 1),
                ORDER_ID, REFUND_NOTE, UNKNOWN_TOOL_ARGUMENT);
        assertThat(Files.readString(auditFile)).doesNotContain(token, ORDER_ID, REFUND_NOTE, UNKNOWN_TOOL_ARGUMENT);
    }

    /** The span of the call to {@code drop_tables}, a tool the server does not have. */
    static OtelCollector.Span unknownToolSpan(List<OtelCollector.Span> spans) {
        return spans.stream().filter(s -> s.name().equals("tools/call")
                && "drop_tables".equals(s.attributes().get("gen_ai.tool.name"))).findFirst().orElse(null);
    }

    static OtelCollector.Span named(List<OtelCollector.Span> spans, String name) {
        return spans.stream().filter(s -> s.name().equals(name)).findFirst().orElse(null);
    }

    /** The span's {@code mcp_guard.step} events as step name to outcome. */
    static Map<String, Object> stepEvents(OtelCollector.Span span) {
        Map<String, Object> steps = new java.util.LinkedHashMap<>();
        span.events().stream().filter(e -> e.name().equals("mcp_guard.step"))
                .forEach(e -> steps.put((String) e.attributes().get("mcp_guard.step.name"),
                        e.attributes().get("mcp_guard.step.outcome")));
        return steps;
    }

    /** The latest cumulative {@code mcp_guard.decisions} count for one tool, decision and outcome. */
    static long decisions(List<MetricPoint> points, String tool, String decision, String outcome) {
        return (long) points.stream()
                .filter(p -> p.name().equals("mcp_guard.decisions"))
                .filter(p -> tool.equals(p.attributes().get("gen_ai.tool.name"))
                        && decision.equals(p.attributes().get("mcp_guard.decision"))
                        && outcome.equals(p.attributes().get("mcp_guard.outcome"))
                        && "tools/call".equals(p.attributes().get("mcp.method.name")))
                .mapToDouble(MetricPoint::value)
                .max().orElse(0);
    }

    static List<LogRecord> audit(List<LogRecord> logs) {
        return logs.stream().filter(r -> r.eventName().equals("mcp_guard.audit")).toList();
    }

    static LogRecord byTool(List<LogRecord> records, String tool) {
        return records.stream().filter(r -> tool.equals(r.attributes().get("tool"))).findFirst()
                .orElseThrow(() -> new AssertionError("no audit log record for " + tool + " in " + records));
    }

    /** The audit file's records (lines without a {@code record_type}: checkpoints are skipped). */
    List<JsonNode> auditRecords() throws Exception {
        return Files.readAllLines(auditFile).stream().filter(line -> !line.isBlank()).map(line -> {
            try {
                return json.readTree(line);
            } catch (Exception e) {
                throw new AssertionError("not JSON: " + line, e);
            }
        }).filter(Objects::nonNull).filter(node -> !node.has("record_type")).toList();
    }
}
