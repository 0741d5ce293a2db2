package dev.mcpguard.core.telemetry;

import dev.mcpguard.api.ToolGuard;
import dev.mcpguard.api.spi.AuditSink;
import io.opentelemetry.api.OpenTelemetry;
import io.opentelemetry.api.logs.Logger;
import io.opentelemetry.api.metrics.DoubleHistogram;
import io.opentelemetry.api.metrics.LongCounter;
import io.opentelemetry.api.metrics.Meter;
import io.opentelemetry.api.trace.Tracer;
import io.opentelemetry.api.trace.propagation.W3CTraceContextPropagator;
import io.opentelemetry.context.Context;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentMap;
import java.util.function.LongSupplier;

/**
 * The guard chain's OpenTelemetry instrumentation, through the application's {@link OpenTelemetry} (set with
 * {@code McpGuard.Builder.openTelemetry}): a SERVER span per guarded request, named {@code {mcp.method.name}
 * {target}} ({@code tools/call get_order}); one {@code mcp_guard.step} event on it per guard step; a child INTERNAL
 * span {@code execute_tool {tool}} around a tool's handler; the metrics {@code mcp_guard.decisions},
 * {@code mcp.server.operation.duration} and {@code mcp_guard.step.duration}; and every audit record the sink
 * accepted as a log record ({@code mcp_guard.audit}) joined to the request's span. {@code docs/telemetry.md}
 * describes what is emitted and why.
 *
 * <p>{@code McpGuard} assembles the chain with the guards this hands out: {@link #requestSpans()} outermost (before
 * audit, so the span covers the audit write), {@link #stepEvents} around every other step, {@link #toolSpans()}
 * innermost, and {@link #auditLogs} around the sink. Telemetry never decides and never fails a call: an exception
 * from OpenTelemetry is logged (once) and the call goes on untraced. Nothing of the client's arguments, results or
 * tokens is emitted; the subject only when asked for ({@code enduser.id}).
 *
 * <p>The OpenTelemetry API is an optional dependency: {@link #create} takes it as {@code Object} so that classes
 * outside this package load without it; nothing here is loaded unless telemetry is configured.
 *
 * <p>Thread-safe and immutable but for the map of requests in flight (their span contexts, for the audit log
 * records; an entry lives as long as its request).
 */
public final class GuardTelemetry {

    /** The step name of the request span in {@code McpGuard.chainOrder()}. */
    public static final String REQUEST_STEP = "telemetry";
    /** The step name of the tool span, innermost, in {@code McpGuard.chainOrder()}. */
    public static final String TOOL_STEP = "telemetry.execute";

    private static final String SCOPE = "dev.mcpguard.core";

    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(GuardTelemetry.class);

    final String serverName;
    final Tracer tracer;
    final Logger logs;
    final LongCounter decisions;
    final DoubleHistogram operationDuration;
    final DoubleHistogram stepDuration;
    final W3CTraceContextPropagator propagator = W3CTraceContextPropagator.getInstance();
    final LongSupplier nanoTime;
    final boolean recordEndUserId;
    /** Call id to the context of its request span, while the request runs: the audit log records join it. */
    final ConcurrentMap<String, Context> inFlight = new ConcurrentHashMap<>();
    private final java.util.concurrent.atomic.AtomicBoolean failureLogged = new java.util.concurrent.atomic.AtomicBoolean();

    private GuardTelemetry(OpenTelemetry openTelemetry, String serverName, boolean recordEndUserId,
                           LongSupplier nanoTime) {
        this.serverName = Objects.requireNonNull(serverName, "serverName");
        this.recordEndUserId = recordEndUserId;
        this.nanoTime = Objects.requireNonNull(nanoTime, "nanoTime");
        this.tracer = openTelemetry.getTracer(SCOPE);
        this.logs = openTelemetry.getLogsBridge().get(SCOPE);
        Meter meter = openTelemetry.getMeter(SCOPE);
        this.decisions = meter.counterBuilder(TelemetryAttributes.DECISIONS_METRIC)
                .setDescription("Requests decided by the guard chain, by method, decision, outcome, reason and tool.")
                .setUnit("{request}").build();
        this.operationDuration = meter.histogramBuilder(TelemetryAttributes.OPERATION_DURATION_METRIC)
                .setDescription("The duration of the MCP request as observed on the server, guard chain included.")
                .setUnit("s").setExplicitBucketBoundariesAdvice(TelemetryAttributes.OPERATION_BUCKETS).build();
        this.stepDuration = meter.histogramBuilder(TelemetryAttributes.STEP_DURATION_METRIC)
                .setDescription("The time one guard step spent on a request, excluding the steps inside it.")
                .setUnit("s").setExplicitBucketBoundariesAdvice(TelemetryAttributes.STEP_BUCKETS).build();
    }

    /**
     * The instrumentation for the guard of {@code serverName}.
     *
     * @param openTelemetry   an {@code io.opentelemetry.api.OpenTelemetry}
     * @param recordEndUserId whether spans carry the caller's subject as {@code enduser.id} (personal data: off by
     *                        default in {@code McpGuard})
     * @throws IllegalArgumentException if {@code openTelemetry} is not an {@code OpenTelemetry}
     */
    public static GuardTelemetry create(Object openTelemetry, String serverName, boolean recordEndUserId) {
        return create(openTelemetry, serverName, recordEndUserId, System::nanoTime);
    }

    /** As {@link #create(Object, String, boolean)} with a nanosecond ticker for durations (tests). */
    static GuardTelemetry create(Object openTelemetry, String serverName, boolean recordEndUserId,
                                 LongSupplier nanoTime) {
        Objects.requireNonNull(openTelemetry, "openTelemetry");
        if (!(openTelemetry instanceof OpenTelemetry otel)) {
            throw new IllegalArgumentException("openTelemetry must be an io.opentelemetry.api.OpenTelemetry, got "
                    + openTelemetry.getClass().getName());
        }
        return new GuardTelemetry(otel, serverName, recordEndUserId, nanoTime);
    }

    /** The outermost step: starts the request's SERVER span and records its decision metrics. */
    public ToolGuard requestSpans() {
        return new RequestSpanGuard(this);
    }

    /** {@code guard}, step {@code name} of the chain, reporting a {@code mcp_guard.step} event and its duration. */
    public ToolGuard stepEvents(String name, ToolGuard guard) {
        return new StepEventGuard(this, Objects.requireNonNull(name, "name"), Objects.requireNonNull(guard, "guard"));
    }

    /** The innermost step: a tool's handler runs inside an {@code execute_tool {tool}} span. */
    public ToolGuard toolSpans() {
        return new ToolSpanGuard(this);
    }

    /** Spans and metrics for calls to tools the server does not have (answered by the SDK, outside the chain). */
    public UnknownToolObserver unknownTools() {
        return new UnknownToolSpans(this);
    }

    /** {@code sink}, and every record it accepted emitted as an OpenTelemetry log record too. */
    public AuditSink auditLogs(AuditSink sink) {
        return new AuditLogBridge(this, Objects.requireNonNull(sink, "sink"));
    }

    /** The context of the request span of call {@code callId}, while that request runs. */
    Optional<Context> contextOf(String callId) {
        return callId == null ? Optional.empty() : Optional.ofNullable(inFlight.get(callId));
    }

    /** Logs the first failure of OpenTelemetry itself (then at DEBUG): telemetry must never fail a call. */
    void telemetryFailed(String what, RuntimeException e) {
        if (failureLogged.compareAndSet(false, true)) {
            log.warn("mcp-guard telemetry for server '{}' failed ({}); the call goes on untraced. Later failures "
                    + "are logged at DEBUG", serverName, what, e);
        } else {
            log.debug("mcp-guard telemetry for server '{}' failed ({})", serverName, what, e);
        }
    }
}
