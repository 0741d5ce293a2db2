package dev.mcpguard.core.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.http.GuardRequestAttributes;
import dev.mcpguard.core.policy.InsecureAllowAllPolicyEngine;
import dev.mcpguard.core.testing.RecordingAuditSink;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.spec.McpSchema;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.logs.LoggerBuilder;
import io.opentelemetry.api.logs.LoggerProvider;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.TracerProvider;
import io.opentelemetry.context.propagation.ContextPropagators;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.testing.exporter.InMemorySpanExporter;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.data.SpanData;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/**
 * Telemetry never changes a decision: a broken guard is still a denial (and its step event says {@code error}),
 * and an OpenTelemetry that throws everywhere neither fails nor blocks a call, nor keeps its audit record from the
 * sink. The chain is the real one, called as the SDK calls a stateless tool's handler.
 */
class TelemetryFailureTest {

    final RecordingAuditSink audited = new RecordingAuditSink();
    final AtomicInteger handlerRuns = new AtomicInteger();
    final McpTransportContext context = McpTransportContext.create(Map.of(GuardRequestAttributes.CALLER,
            CallerIdentity.builder("https://issuer.test", "alice").scopes(Set.of("orders.read")).build(),
            "dev.mcpguard.context-extractor", Boolean.TRUE));

    McpStatelessServerFeatures.SyncToolSpecification tool() {
        return McpStatelessServerFeatures.SyncToolSpecification.builder()
                .tool(McpSchema.Tool.builder().name("get_order").inputSchema(Map.of("type", "object")).build())
                .callHandler((ctx, request) -> {
                    handlerRuns.incrementAndGet();
                    return McpSchema.CallToolResult.builder().addTextContent("order").build();
                })
                .build();
    }

    @Test
    void aGuardThatThrowsIsStillADenialAndItsStepEventSaysError() {
        InMemorySpanExporter spans = InMemorySpanExporter.create();
        try (OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
                .addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build()) {
            McpGuard guard = McpGuard.builder().serverName("orders").policyEngine(new InsecureAllowAllPolicyEngine())
                    .auditSink(audited).openTelemetry(sdk)
                    .addGuard("broken", chain -> {
                        throw new IllegalStateException("a bug");
                    })
                    .build();
            McpSchema.CallToolResult result = guard.guard(tool()).callHandler()
                    .apply(context, new McpSchema.CallToolRequest("get_order", Map.of()));

            assertThat(result.isError()).isTrue();
            assertThat(handlerRuns).hasValue(0);
            assertThat(audited.records()).extracting(AuditRecord::reason).containsExactly("guard_error");
            SpanData span = spans.getFinishedSpanItems().stream()
                    .filter(s -> s.getName().equals("tools/call get_order")).findFirst().orElseThrow();
            assertThat(span.getAttributes().get(AttributeKey.stringKey("mcp_guard.reason"))).isEqualTo("guard_error");
            assertThat(span.getEvents()).anySatisfy(event -> {
                assertThat(event.getAttributes().get(AttributeKey.stringKey("mcp_guard.step.name"))).isEqualTo("broken");
                assertThat(event.getAttributes().get(AttributeKey.stringKey("mcp_guard.step.outcome"))).isEqualTo("error");
            });
        }
    }

    @Test
    void theSubjectIsOnTheSpanOnlyWhenAskedFor() {
        for (boolean asked : new boolean[] {false, true}) {
            InMemorySpanExporter spans = InMemorySpanExporter.create();
            try (OpenTelemetrySdk sdk = OpenTelemetrySdk.builder().setTracerProvider(SdkTracerProvider.builder()
                    .addSpanProcessor(SimpleSpanProcessor.create(spans)).build()).build()) {
                McpGuard guard = McpGuard.builder().serverName("orders")
                        .policyEngine(new InsecureAllowAllPolicyEngine()).auditSink(audited).openTelemetry(sdk)
                        .openTelemetryEndUserId(asked).build();
                guard.guard(tool()).callHandler().apply(context, new McpSchema.CallToolRequest("get_order", Map.of()));
                SpanData span = spans.getFinishedSpanItems().stream()
                        .filter(s -> s.getName().equals("tools/call get_order")).findFirst().orElseThrow();
                assertThat(span.getAttributes().get(AttributeKey.stringKey("enduser.id")))
                        .isEqualTo(asked ? "alice" : null);
                assertThat(spans.getFinishedSpanItems().toString().contains("alice")).isEqualTo(asked);
            }
        }
    }

    @Test
    void anOpenTelemetryThatThrowsEverywhereNeitherFailsTheCallNorLosesItsAuditRecord() {
        McpGuard guard = McpGuard.builder().serverName("orders").policyEngine(new InsecureAllowAllPolicyEngine())
                .auditSink(audited).openTelemetry(new FakeBrokenOpenTelemetry()).build();
        McpSchema.CallToolResult result = guard.guard(tool()).callHandler()
                .apply(context, new McpSchema.CallToolRequest("get_order", Map.of()));

        assertThat(result.isError()).isFalse();
        assertThat(handlerRuns).hasValue(1);
        assertThat(audited.records()).extracting(AuditRecord::outcome).containsExactly(AuditRecord.Outcome.SUCCESS);
    }

    /**
     * A fake: an OpenTelemetry whose tracer and logs bridge throw on use (the real SDK cannot be made to), as a
     * buggy exporter setup or agent might. Metrics are the API's no-op.
     */
    static final class FakeBrokenOpenTelemetry implements OpenTelemetry {
        @Override
        public TracerProvider getTracerProvider() {
            Tracer tracer = name -> {
                throw new IllegalStateException("tracing is broken");
            };
            return new TracerProvider() {
                @Override
                public Tracer get(String scope) {
                    return tracer;
                }

                @Override
                public Tracer get(String scope, String version) {
                    return tracer;
                }
            };
        }

        @Override
        public LoggerProvider getLogsBridge() {
            return new LoggerProvider() {
                @Override
                public LoggerBuilder loggerBuilder(String scope) {
                    return new LoggerBuilder() {
                        @Override
                        public LoggerBuilder setSchemaUrl(String schemaUrl) {
                            return this;
                        }

                        @Override
                        public LoggerBuilder setInstrumentationVersion(String version) {
                            return this;
                        }

                        @Override
                        public io.opentelemetry.api.logs.Logger build() {
                            return () -> {
                                throw new IllegalStateException("logging is broken");
                            };
                        }
                    };
                }
            };
        }

        @Override
        public ContextPropagators getPropagators() {
            return ContextPropagators.noop();
        }
    }

}
