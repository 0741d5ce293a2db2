package dev.mcpguard.bench;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.spi.AuditSink;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.guardrails.Guardrails;
import dev.mcpguard.core.http.GuardRequestAttributes;
import dev.mcpguard.core.policy.DenyAllPolicyEngine;
import dev.mcpguard.core.policy.InsecureAllowAllPolicyEngine;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.server.McpStatelessServerHandler;
import io.modelcontextprotocol.spec.McpStatelessServerTransport;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.common.CompletableResultCode;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.export.BatchLogRecordProcessor;
import io.opentelemetry.sdk.logs.export.LogRecordExporter;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.testing.exporter.InMemoryMetricReader;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.BatchSpanProcessor;
import io.opentelemetry.sdk.trace.export.SpanExporter;
import io.opentelemetry.sdk.trace.samplers.Sampler;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;
import reactor.core.publisher.Mono;

/**
 * Per-call cost of the guard chain around a trivial tool handler, compared with calling the handler directly; and
 * the same for a {@code resources/read} of a templated resource, which passes the chain at the JSON-RPC level in
 * the guarded (stateless) transport, through the SDK's own dispatch in both cases ({@code readAlone},
 * {@code readGuardedAllowed}).
 * The audit sink counts records in memory, so the figures are the chain's own cost; a file sink adds its I/O
 * (see {@code AuditSinkBenchmark}). {@code guardedAllowedWithOpenTelemetry} adds telemetry through the real
 * OpenTelemetry SDK (batch processors, exporters that drop everything; every span sampled), and
 * {@code ...Unsampled} the same with sampling off: the per-call cost of the span, events, metrics and audit log record.
 *
 * <p>Run: {@code mvn -q -pl mcp-guard-bench -am package -DskipTests && java -jar mcp-guard-bench/target/benchmarks.jar GuardChain}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class GuardChainBenchmark {

    private final LongAdder audited = new LongAdder();
    private McpStatelessServerFeatures.SyncToolSpecification raw;
    private McpStatelessServerFeatures.SyncToolSpecification allowed;
    private McpStatelessServerFeatures.SyncToolSpecification denied;
    private McpStatelessServerFeatures.SyncToolSpecification withGuardrails;
    private McpStatelessServerFeatures.SyncToolSpecification withOpenTelemetry;
    private McpStatelessServerFeatures.SyncToolSpecification withOpenTelemetryUnsampled;
    private final List<OpenTelemetrySdk> sdks = new java.util.ArrayList<>();
    private McpTransportContext context;
    private CallToolRequest request;
    private final HandlerHolder rawReads = new HandlerHolder();
    private final HandlerHolder guardedReads = new HandlerHolder();
    private McpSchema.JSONRPCRequest read;

    /** The transport side of a stateless server, reduced to the handler the SDK server installs on it. */
    static final class HandlerHolder implements McpStatelessServerTransport {
        volatile McpStatelessServerHandler handler;

        @Override
        public void setMcpHandler(McpStatelessServerHandler handler) {
            this.handler = handler;
        }

        @Override
        public Mono<Void> closeGracefully() {
            return Mono.empty();
        }
    }

    @Setup
    public void setUp() {
        McpSchema.Tool tool = McpSchema.Tool.builder().name("get_order").description("Reads an order")
                .inputSchema(Map.of("type", "object")).build();
        CallToolResult result = CallToolResult.builder().addTextContent("order A-1: shipped").build();
        raw = McpStatelessServerFeatures.SyncToolSpecification.builder().tool(tool)
                .callHandler((ctx, req) -> result).build();
        AuditSink countingSink = record -> audited.increment();
        allowed = McpGuard.builder().serverName("orders").policyEngine(new InsecureAllowAllPolicyEngine())
                .auditSink(countingSink).build().guard(raw);
        denied = McpGuard.builder().serverName("orders").policyEngine(new DenyAllPolicyEngine())
                .auditSink(countingSink).build().guard(raw);
        // Every rule family on the arguments and on the (clean) result: the cost of guardrails on a typical call.
        withGuardrails = McpGuard.builder().serverName("orders").policyEngine(new InsecureAllowAllPolicyEngine())
                .auditSink(countingSink)
                .guardrails(Guardrails.builder()
                        .arguments(Guardrails.Check.PROMPT_INJECTION, Guardrails.Check.PERSONAL_DATA,
                                Guardrails.Check.SECRETS)
                        .results(Guardrails.Check.PROMPT_INJECTION, Guardrails.Check.PERSONAL_DATA,
                                Guardrails.Check.SECRETS)
                        .build())
                .build().guard(raw);
        // Telemetry on: the real SDK with batch processors and exporters that drop everything, so the figure is
        // the chain's and the SDK's cost on the calling thread (span, events, metrics, audit log record).
        withOpenTelemetry = McpGuard.builder().serverName("orders").policyEngine(new InsecureAllowAllPolicyEngine())
                .auditSink(countingSink).openTelemetry(sdk(Sampler.alwaysOn())).build().guard(raw);
        withOpenTelemetryUnsampled = McpGuard.builder().serverName("orders")
                .policyEngine(new InsecureAllowAllPolicyEngine()).auditSink(countingSink)
                .openTelemetry(sdk(Sampler.alwaysOff())).build().guard(raw);
        CallerIdentity alice = CallerIdentity.builder("https://issuer.example", "alice").tenant("acme")
                .clientId("agent").scopes(Set.of("orders.read")).build();
        context = McpTransportContext.create(Map.of(GuardRequestAttributes.CALLER, alice));
        request = new CallToolRequest("get_order", Map.of("order_id", "A-1", "include", "lines"));

        McpGuard readGuard = McpGuard.builder().serverName("orders").policyEngine(new InsecureAllowAllPolicyEngine())
                .auditSink(countingSink).build();
        readServer(rawReads);
        readServer(readGuard.guardTransport(guardedReads));
        read = new McpSchema.JSONRPCRequest(McpSchema.JSONRPC_VERSION, McpSchema.METHOD_RESOURCES_READ, "r-1",
                Map.of("uri", "orders://acme/1001"));
    }

    private OpenTelemetrySdk sdk(Sampler sampler) {
        OpenTelemetrySdk sdk = OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder().setSampler(sampler)
                        .addSpanProcessor(BatchSpanProcessor.builder(new DroppingExporter()).build()).build())
                .setMeterProvider(SdkMeterProvider.builder().registerMetricReader(InMemoryMetricReader.create()).build())
                .setLoggerProvider(SdkLoggerProvider.builder()
                        .addLogRecordProcessor(BatchLogRecordProcessor.builder(LogRecordExporter.noop()).build()).build())
                .build();
        sdks.add(sdk);
        return sdk;
    }

    @TearDown
    public void tearDown() {
        sdks.forEach(OpenTelemetrySdk::close);
    }

    /** Exports spans nowhere: the benchmark measures what happens on the calling thread. */
    static final class DroppingExporter implements SpanExporter {
        @Override
        public CompletableResultCode export(java.util.Collection<io.opentelemetry.sdk.trace.data.SpanData> spans) {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode flush() {
            return CompletableResultCode.ofSuccess();
        }

        @Override
        public CompletableResultCode shutdown() {
            return CompletableResultCode.ofSuccess();
        }
    }

    private static void readServer(McpStatelessServerTransport transport) {
        McpSchema.ReadResourceResult order = new McpSchema.ReadResourceResult(List.of(new McpSchema.TextResourceContents(
                "orders://acme/1001", "application/json", "{\"id\":\"1001\",\"status\":\"shipped\"}")));
        McpServer.sync(transport).serverInfo("orders", "1").immediateExecution(true)
                .capabilities(McpSchema.ServerCapabilities.builder().resources(false, false).build())
                .resourceTemplates(new McpStatelessServerFeatures.SyncResourceTemplateSpecification(
                        new McpSchema.ResourceTemplate("orders://{tenant}/{order_id}", "order", null, null,
                                "application/json", null),
                        (ctx, req) -> order))
                .build();
    }

    @Benchmark
    public McpSchema.JSONRPCResponse readAlone() {
        return rawReads.handler.handleRequest(context, read).block();
    }

    @Benchmark
    public McpSchema.JSONRPCResponse readGuardedAllowed() {
        return guardedReads.handler.handleRequest(context, read).block();
    }

    @Benchmark
    public CallToolResult handlerAlone() {
        return raw.callHandler().apply(context, request);
    }

    @Benchmark
    public CallToolResult guardedAllowed() {
        return allowed.callHandler().apply(context, request);
    }

    @Benchmark
    public CallToolResult guardedAllowedWithGuardrails() {
        return withGuardrails.callHandler().apply(context, request);
    }

    @Benchmark
    public CallToolResult guardedAllowedWithOpenTelemetry() {
        return withOpenTelemetry.callHandler().apply(context, request);
    }

    @Benchmark
    public CallToolResult guardedAllowedWithOpenTelemetryUnsampled() {
        return withOpenTelemetryUnsampled.callHandler().apply(context, request);
    }

    @Benchmark
    public CallToolResult guardedDenied() {
        return denied.callHandler().apply(context, request);
    }

    @Benchmark
    @Threads(2)
    public CallToolResult guardedAllowedTwoThreads() {
        return allowed.callHandler().apply(context, request);
    }
}
