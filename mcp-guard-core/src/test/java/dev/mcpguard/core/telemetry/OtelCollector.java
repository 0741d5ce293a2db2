package dev.mcpguard.core.telemetry;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.core.testing.Eventually;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.exporter.otlp.http.logs.OtlpHttpLogRecordExporter;
import io.opentelemetry.exporter.otlp.http.metrics.OtlpHttpMetricExporter;
import io.opentelemetry.exporter.otlp.http.trace.OtlpHttpSpanExporter;
import io.opentelemetry.sdk.OpenTelemetrySdk;
import io.opentelemetry.sdk.logs.SdkLoggerProvider;
import io.opentelemetry.sdk.logs.export.SimpleLogRecordProcessor;
import io.opentelemetry.sdk.metrics.SdkMeterProvider;
import io.opentelemetry.sdk.metrics.export.PeriodicMetricReader;
import io.opentelemetry.sdk.resources.Resource;
import io.opentelemetry.sdk.trace.SdkTracerProvider;
import io.opentelemetry.sdk.trace.export.SimpleSpanProcessor;
import dev.mcpguard.core.testing.ExternalTool;
import dev.mcpguard.core.testing.OpaServer;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * A real OpenTelemetry Collector ({@code scripts/otelcol}: the OTLP receiver and the contrib file exporter) run as
 * a child process on loopback, and readers for what it wrote. Not a fake: the test's SDK exports OTLP to it over
 * HTTP (or gRPC) and the test reads the collector's own output files back.
 *
 * <p>The binary is {@code -Dmcp.guard.otelcol}, else {@code $MCP_GUARD_OTELCOL}, else the path printed by
 * {@code scripts/ensure-otelcol.sh} (which builds and caches it). {@link #start()} writes a config into a temp
 * directory (receiver on 127.0.0.1 and free ports, one JSON-lines file per signal flushed every 50 ms, the
 * collector's own metrics off so nothing else binds a port), starts the process with its log in
 * {@link #logFile()}, and returns once it has logged that it is ready and its HTTP port answers. Readers parse
 * only complete lines, so a half-flushed line is read on a later call; the {@code await*} methods poll until a
 * condition holds and fail after {@link #AWAIT} with what was read and the collector's log.
 *
 * <p>Not thread-safe for concurrent {@link #close()}; readers may be called from any thread.
 */
public final class OtelCollector implements AutoCloseable {

    /** How long the {@code await*} readers wait for expected items before failing. */
    public static final Duration AWAIT = Duration.ofSeconds(30);

    private static final Duration STARTUP = Duration.ofSeconds(30);
    private static final int START_ATTEMPTS = 3;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static volatile Path located;

    private final Path dir;
    private final Process process;
    private final Map<String, Parsed> parsed = new ConcurrentHashMap<>();
    private final int httpPort;
    private final int grpcPort;

    private OtelCollector(Path dir, Process process, int httpPort, int grpcPort) {
        this.dir = dir;
        this.process = process;
        this.httpPort = httpPort;
        this.grpcPort = grpcPort;
    }

    /** Starts a collector on free loopback ports and waits until it is ready (retries a lost port race). */
    public static OtelCollector start() throws IOException {
        Path binary = locate();
        Path dir = Files.createTempDirectory("otelcol-test-");
        AssertionError lastFailure = null;
        for (int attempt = 1; attempt <= START_ATTEMPTS; attempt++) {
            int httpPort = OpaServer.freePort();
            int grpcPort = OpaServer.freePort();
            Path config = dir.resolve("config-" + attempt + ".yaml");
            Files.writeString(config, config(dir, httpPort, grpcPort), StandardCharsets.UTF_8);
            Path log = dir.resolve("otelcol.log");
            Files.deleteIfExists(log); // a failed attempt's log is in lastFailure; readiness reads this one's only
            Process process = new ProcessBuilder(binary.toString(), "--config=file:" + config)
                    .directory(dir.toFile())
                    .redirectErrorStream(true)
                    .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()))
                    .start();
            OtelCollector collector = new OtelCollector(dir, process, httpPort, grpcPort);
            try {
                Eventually.within(STARTUP, "the collector is ready on 127.0.0.1:" + httpPort, collector::ready);
                return collector;
            } catch (AssertionError e) {
                collector.stopProcess();
                lastFailure = new AssertionError(e.getMessage() + " (attempt " + attempt + ")\n" + collector.logTail());
                if (!collector.log().contains("address already in use")) {
                    break;
                }
            }
        }
        throw lastFailure;
    }

    /** The OTLP/HTTP base URL, {@code http://127.0.0.1:<port>}; signals go to {@code /v1/traces} and so on. */
    public String otlpHttpEndpoint() {
        return "http://127.0.0.1:" + httpPort;
    }

    /** The OTLP/gRPC endpoint, {@code http://127.0.0.1:<port>}. */
    public String otlpGrpcEndpoint() {
        return "http://127.0.0.1:" + grpcPort;
    }

    /**
     * An OpenTelemetry SDK that exports every signal here over OTLP/HTTP: spans and log records as they end
     * (simple processors), metrics when {@code sdk.getSdkMeterProvider().forceFlush()} is called (or once a
     * minute). The caller shuts it down (which flushes).
     */
    public OpenTelemetrySdk sdk(String serviceName) {
        Resource resource = Resource.getDefault().merge(
                Resource.create(Attributes.of(AttributeKey.stringKey("service.name"), serviceName)));
        return OpenTelemetrySdk.builder()
                .setTracerProvider(SdkTracerProvider.builder()
                        .setResource(resource)
                        .addSpanProcessor(SimpleSpanProcessor.create(OtlpHttpSpanExporter.builder()
                                .setEndpoint(otlpHttpEndpoint() + "/v1/traces").build()))
                        .build())
                .setMeterProvider(SdkMeterProvider.builder()
                        .setResource(resource)
                        .registerMetricReader(PeriodicMetricReader.create(OtlpHttpMetricExporter.builder()
                                .setEndpoint(otlpHttpEndpoint() + "/v1/metrics").build()))
                        .build())
                .setLoggerProvider(SdkLoggerProvider.builder()
                        .setResource(resource)
                        .addLogRecordProcessor(SimpleLogRecordProcessor.create(OtlpHttpLogRecordExporter.builder()
                                .setEndpoint(otlpHttpEndpoint() + "/v1/logs").build()))
                        .build())
                .build();
    }

    /** The collector's own log (stdout and stderr); attach it to a failure. */
    public Path logFile() {
        return dir.resolve("otelcol.log");
    }

    /** Every span written so far, in file order. */
    public List<Span> spans() {
        return read("traces.jsonl", OtelCollector::spansOf);
    }

    /** Every metric data point written so far, in file order (the SDK re-exports cumulative points each cycle). */
    public List<MetricPoint> metrics() {
        return read("metrics.jsonl", OtelCollector::metricPointsOf);
    }

    /** Every log record written so far, in file order. */
    public List<LogRecord> logs() {
        return read("logs.jsonl", OtelCollector::logRecordsOf);
    }

    /** Waits until {@code done} holds for the spans written so far, and returns them. */
    public List<Span> awaitSpans(String what, Predicate<? super List<Span>> done) {
        return await(what, this::spans, done);
    }

    /** Waits until {@code done} holds for the metric points written so far, and returns them. */
    public List<MetricPoint> awaitMetrics(String what, Predicate<? super List<MetricPoint>> done) {
        return await(what, this::metrics, done);
    }

    /** Waits until {@code done} holds for the log records written so far, and returns them. */
    public List<LogRecord> awaitLogs(String what, Predicate<? super List<LogRecord>> done) {
        return await(what, this::logs, done);
    }

    /** The raw bytes of every output file and of the collector's log, as text: to scan for what must not leak. */
    public String rawOutput() {
        StringBuilder all = new StringBuilder();
        for (String name : List.of("traces.jsonl", "metrics.jsonl", "logs.jsonl", "otelcol.log")) {
            Path file = dir.resolve(name);
            if (Files.exists(file)) {
                all.append(readString(file)).append('\n');
            }
        }
        return all.toString();
    }

    /** Stops the collector (it flushes its files on SIGTERM) and deletes its directory. */
    @Override
    public void close() throws IOException {
        stopProcess();
        try (Stream<Path> files = Files.walk(dir)) {
            for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }

    /**
     * One span, with its resource's attributes; attribute values as String, Long, Double, Boolean or List. {@code
     * kind} and {@code statusCode} are the OTLP numbers the collector writes (kind 1 internal, 2 server, 3 client;
     * status 0 unset, 1 ok, 2 error); {@code parentSpanId} is empty for a root span.
     */
    public record Span(String traceId, String spanId, String parentSpanId, String traceState, String name, int kind,
                       Map<String, Object> attributes, List<Event> events, int statusCode,
                       Map<String, Object> resource) {

        public static final int KIND_INTERNAL = 1;
        public static final int KIND_SERVER = 2;
        public static final int KIND_CLIENT = 3;
        public static final int STATUS_ERROR = 2;
    }

    /** A span event. */
    public record Event(String name, Map<String, Object> attributes) {
    }

    /**
     * One metric data point: {@code type} is {@code sum}, {@code gauge} or {@code histogram}; {@code value} is
     * the sum or gauge value, or the histogram's sum; {@code count} is the histogram's count (1 otherwise).
     */
    public record MetricPoint(String name, String type, String unit, Map<String, Object> attributes, double value,
                              long count) {
    }

    /** One log record; {@code body} is the body as its plain value (a string body stays a string). */
    public record LogRecord(String traceId, String spanId, String severityText, Object body,
                            Map<String, Object> attributes, String eventName) {
    }

    /** The collector binary: {@code -Dmcp.guard.otelcol}, {@code $MCP_GUARD_OTELCOL}, else the ensure script. */
    static synchronized Path locate() {
        if (located != null) {
            return located;
        }
        List<String> tried = new ArrayList<>();
        Optional<Path> found = executable(System.getProperty("mcp.guard.otelcol"), "-Dmcp.guard.otelcol", tried)
                .or(() -> executable(System.getenv("MCP_GUARD_OTELCOL"), "$MCP_GUARD_OTELCOL", tried))
                .or(() -> fromScript(tried));
        located = found.orElseThrow(() -> new IllegalStateException(
                "No OpenTelemetry Collector binary found; tried: " + String.join("; ", tried)));
        return located;
    }

    private static Optional<Path> executable(String value, String source, List<String> tried) {
        if (value == null || value.isBlank()) {
            tried.add(source + " (unset)");
            return Optional.empty();
        }
        Path binary = Path.of(value);
        if (Files.isRegularFile(binary) && Files.isExecutable(binary)) {
            return Optional.of(binary.toAbsolutePath());
        }
        tried.add(source + ": " + binary + " (not an executable file)");
        return Optional.empty();
    }

    private static Optional<Path> fromScript(List<String> tried) {
        try {
            return executable(ExternalTool.ensure("otelcol"), "scripts/ensure-otelcol.sh", tried);
        } catch (IllegalStateException e) {
            tried.add("scripts/ensure-otelcol.sh (" + e.getMessage() + ")");
            return Optional.empty();
        }
    }

    private static String config(Path dir, int httpPort, int grpcPort) {
        StringBuilder exporters = new StringBuilder();
        StringBuilder pipelines = new StringBuilder();
        for (String signal : List.of("traces", "metrics", "logs")) {
            exporters.append("  file/").append(signal).append(":\n")
                    .append("    path: ").append(quoted(dir.resolve(signal + ".jsonl"))).append('\n')
                    .append("    format: json\n")
                    .append("    flush_interval: 50ms\n");
            pipelines.append("    ").append(signal).append(":\n")
                    .append("      receivers: [otlp]\n")
                    .append("      exporters: [file/").append(signal).append("]\n");
        }
        return "receivers:\n"
                + "  otlp:\n"
                + "    protocols:\n"
                + "      http:\n"
                + "        endpoint: 127.0.0.1:" + httpPort + "\n"
                + "      grpc:\n"
                + "        endpoint: 127.0.0.1:" + grpcPort + "\n"
                + "exporters:\n" + exporters
                + "service:\n"
                + "  telemetry:\n"
                + "    metrics:\n"
                + "      level: none\n"
                + "  pipelines:\n" + pipelines;
    }

    private static String quoted(Path path) {
        return "'" + path.toAbsolutePath().toString().replace("'", "''") + "'";
    }

    private boolean ready() {
        if (!process.isAlive()) {
            throw new AssertionError("the collector exited with " + process.exitValue());
        }
        if (!log().contains("Everything is ready")) {
            return false;
        }
        try (Socket socket = new Socket()) {
            socket.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), httpPort), 200);
            return true;
        } catch (IOException e) {
            return false;
        }
    }

    private <T> List<T> await(String what, Supplier<List<T>> read,
                              Predicate<? super List<T>> done) {
        try {
            Eventually.within(AWAIT, what, () -> done.test(read.get()));
        } catch (AssertionError e) {
            throw new AssertionError(e.getMessage() + "\nread: " + read.get() + "\n" + logTail(), e);
        }
        return read.get();
    }

    /** A file's items as last parsed and the file's size then: the exporter only appends (same size, same items). */
    private record Parsed(long size, List<?> items) {
    }

    @SuppressWarnings("unchecked")
    private <T> List<T> read(String file, Function<JsonNode, List<T>> items) {
        Path path = dir.resolve(file);
        if (!Files.exists(path)) {
            return List.of();
        }
        Parsed last = parsed.get(file);
        if (last != null && last.size() == size(path)) {
            return (List<T>) last.items();
        }
        byte[] bytes = readBytes(path);
        List<T> all = parse(file, new String(bytes, StandardCharsets.UTF_8), items);
        parsed.put(file, new Parsed(bytes.length, all));
        return all;
    }

    private static <T> List<T> parse(String file, String text, Function<JsonNode, List<T>> items) {
        List<T> all = new ArrayList<>();
        int end = text.lastIndexOf('\n');
        if (end < 0) {
            return List.of();
        }
        for (String line : text.substring(0, end).split("\n")) {
            if (line.isBlank()) {
                continue;
            }
            try {
                all.addAll(items.apply(JSON.readTree(line)));
            } catch (IOException e) {
                throw new AssertionError("the collector wrote a line that is not JSON in " + file + ": " + line, e);
            }
        }
        return List.copyOf(all);
    }

    private static List<Span> spansOf(JsonNode request) {
        List<Span> spans = new ArrayList<>();
        for (JsonNode resourceSpans : request.path("resourceSpans")) {
            Map<String, Object> resource = attributes(resourceSpans.path("resource").path("attributes"));
            for (JsonNode scopeSpans : resourceSpans.path("scopeSpans")) {
                for (JsonNode span : scopeSpans.path("spans")) {
                    List<Event> events = new ArrayList<>();
                    for (JsonNode event : span.path("events")) {
                        events.add(new Event(event.path("name").asText(), attributes(event.path("attributes"))));
                    }
                    spans.add(new Span(span.path("traceId").asText(), span.path("spanId").asText(),
                            span.path("parentSpanId").asText(""), span.path("traceState").asText(""),
                            span.path("name").asText(),
                            span.path("kind").asInt(), attributes(span.path("attributes")), List.copyOf(events),
                            span.path("status").path("code").asInt(0), resource));
                }
            }
        }
        return spans;
    }

    private static List<MetricPoint> metricPointsOf(JsonNode request) {
        List<MetricPoint> points = new ArrayList<>();
        for (JsonNode resourceMetrics : request.path("resourceMetrics")) {
            for (JsonNode scopeMetrics : resourceMetrics.path("scopeMetrics")) {
                for (JsonNode metric : scopeMetrics.path("metrics")) {
                    String name = metric.path("name").asText();
                    String unit = metric.path("unit").asText("");
                    for (String type : List.of("sum", "gauge", "histogram")) {
                        for (JsonNode point : metric.path(type).path("dataPoints")) {
                            boolean histogram = type.equals("histogram");
                            double value = histogram ? point.path("sum").asDouble()
                                    : point.has("asInt") ? point.path("asInt").asDouble()
                                    : point.path("asDouble").asDouble();
                            long count = histogram ? point.path("count").asLong() : 1;
                            points.add(new MetricPoint(name, type, unit, attributes(point.path("attributes")),
                                    value, count));
                        }
                    }
                }
            }
        }
        return points;
    }

    private static List<LogRecord> logRecordsOf(JsonNode request) {
        List<LogRecord> records = new ArrayList<>();
        for (JsonNode resourceLogs : request.path("resourceLogs")) {
            for (JsonNode scopeLogs : resourceLogs.path("scopeLogs")) {
                for (JsonNode record : scopeLogs.path("logRecords")) {
                    records.add(new LogRecord(record.path("traceId").asText(""), record.path("spanId").asText(""),
                            record.path("severityText").asText(""), value(record.path("body")),
                            attributes(record.path("attributes")), record.path("eventName").asText("")));
                }
            }
        }
        return records;
    }

    private static Map<String, Object> attributes(JsonNode keyValues) {
        Map<String, Object> attributes = new LinkedHashMap<>();
        for (JsonNode kv : keyValues) {
            attributes.put(kv.path("key").asText(), value(kv.path("value")));
        }
        return attributes;
    }

    /** An OTLP JSON AnyValue as a plain value (int64 is written as a string in OTLP JSON). */
    private static Object value(JsonNode any) {
        if (any.has("stringValue")) {
            return any.get("stringValue").asText();
        }
        if (any.has("intValue")) {
            return any.get("intValue").asLong();
        }
        if (any.has("doubleValue")) {
            return any.get("doubleValue").asDouble();
        }
        if (any.has("boolValue")) {
            return any.get("boolValue").asBoolean();
        }
        if (any.has("arrayValue")) {
            List<Object> values = new ArrayList<>();
            for (JsonNode v : any.get("arrayValue").path("values")) {
                values.add(value(v));
            }
            return values;
        }
        if (any.has("kvlistValue")) {
            return attributes(any.get("kvlistValue").path("values"));
        }
        return any.isMissingNode() || any.isEmpty() ? null : any.toString();
    }

    private void stopProcess() {
        ExternalTool.stop(process);
    }

    private String log() {
        Path log = logFile();
        return Files.exists(log) ? readString(log) : "";
    }

    private String logTail() {
        List<String> lines = log().lines().toList();
        return "collector log " + logFile() + " (last lines):\n"
                + String.join("\n", lines.subList(Math.max(0, lines.size() - 40), lines.size()));
    }

    private static String readString(Path file) {
        return new String(readBytes(file), StandardCharsets.UTF_8);
    }

    private static byte[] readBytes(Path file) {
        return unchecked(() -> Files.readAllBytes(file));
    }

    private static long size(Path file) {
        return unchecked(() -> Files.size(file));
    }

    private interface IoCall<T> {
        T call() throws IOException;
    }

    private static <T> T unchecked(IoCall<T> call) {
        try {
            return call.call();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
