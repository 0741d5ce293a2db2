package dev.mcpguard.core.telemetry;

import static org.assertj.core.api.Assertions.assertThat;

import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.logs.Severity;
import io.opentelemetry.api.trace.Span;
import io.opentelemetry.context.Scope;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/**
 * The pipe the collector tests stand on: the OpenTelemetry SDK exports one span, one metric and one log record
 * over OTLP/HTTP to a real OpenTelemetry Collector, and {@link OtelCollector} reads each back from the files the
 * collector wrote, with its ids and attributes intact.
 */
class OtelCollectorTest {

    @Test
    void readsBackTheSpanMetricAndLogRecordTheSdkExportedOverOtlpHttp() throws Exception {
        try (OtelCollector collector = OtelCollector.start()) {
            OpenTelemetrySdk sdk = collector.sdk("otel-collector-test");
            String traceId;
            String spanId;
            try {
                Span span = sdk.getTracer("otel-collector-test").spanBuilder("pipe check")
                        .setAttribute("check.id", 7L)
                        .startSpan();
                traceId = span.getSpanContext().getTraceId();
                spanId = span.getSpanContext().getSpanId();
                try (Scope ignored = span.makeCurrent()) {
                    span.addEvent("step", Attributes.of(AttributeKey.stringKey("step.outcome"), "ok"));
                    sdk.getLogsBridge().get("otel-collector-test").logRecordBuilder()
                            .setSeverity(Severity.INFO)
                            .setSeverityText("INFO")
                            .setBody("the pipe works")
                            .setAttribute(AttributeKey.stringKey("check.kind"), "log")
                            .emit();
                    sdk.getMeter("otel-collector-test").counterBuilder("pipe.checks").build()
                            .add(3, Attributes.of(AttributeKey.stringKey("check.kind"), "metric"));
                } finally {
                    span.end();
                }
                assertThat(sdk.getSdkMeterProvider().forceFlush().join(10, TimeUnit.SECONDS).isSuccess()).isTrue();
            } finally {
                sdk.shutdown().join(10, TimeUnit.SECONDS);
            }

            List<OtelCollector.Span> spans = collector.awaitSpans("the span", all -> !all.isEmpty());
            assertThat(spans).singleElement().satisfies(s -> {
                assertThat(s.name()).isEqualTo("pipe check");
                assertThat(s.traceId()).isEqualTo(traceId);
                assertThat(s.spanId()).isEqualTo(spanId);
                assertThat(s.parentSpanId()).isEmpty();
                assertThat(s.attributes()).containsEntry("check.id", 7L);
                assertThat(s.events()).extracting(OtelCollector.Event::name).containsExactly("step");
                assertThat(s.events().get(0).attributes()).containsEntry("step.outcome", "ok");
                assertThat(s.resource()).containsEntry("service.name", "otel-collector-test");
            });

            List<OtelCollector.MetricPoint> points = collector.awaitMetrics("the counter",
                    all -> all.stream().anyMatch(p -> p.name().equals("pipe.checks")));
            assertThat(points).filteredOn(p -> p.name().equals("pipe.checks")).first().satisfies(p -> {
                assertThat(p.type()).isEqualTo("sum");
                assertThat(p.value()).isEqualTo(3.0);
                assertThat(p.attributes()).containsEntry("check.kind", "metric");
            });

            List<OtelCollector.LogRecord> logs = collector.awaitLogs("the log record", all -> !all.isEmpty());
            assertThat(logs).singleElement().satisfies(r -> {
                assertThat(r.body()).isEqualTo("the pipe works");
                assertThat(r.severityText()).isEqualTo("INFO");
                assertThat(r.traceId()).isEqualTo(traceId);
                assertThat(r.spanId()).isEqualTo(spanId);
                assertThat(r.attributes()).containsEntry("check.kind", "log");
            });
        }
    }
}
