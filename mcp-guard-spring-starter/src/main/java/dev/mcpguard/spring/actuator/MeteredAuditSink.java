package dev.mcpguard.spring.actuator;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.spi.AuditSink;
import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Timer;
import java.time.Duration;
import java.util.Locale;
import java.util.Objects;
import java.util.Set;

/**
 * An {@link AuditSink} decorator that turns every audit record (one per request: a tool call, a resource, prompt or
 * completion request, or a request the server sent the client; allowed, denied or failed) into Micrometer meters,
 * then hands it on. The audit record is the one place every decision passes, so no hook in the chain is needed.
 * Meters:
 * <ul>
 *   <li>{@value #CALLS}, a counter, tags {@code server}, {@code method} (the JSON-RPC method, for example
 *       {@code tools/call} or {@code resources/read}), {@code tool}, {@code decision} ({@code allow|deny}),
 *       {@code outcome} ({@code success|tool_error|denied|failed}), {@code reason} (a reason code or
 *       {@code none});</li>
 *   <li>{@value #DURATION}, a timer of the time in chain and handler, tags {@code server}, {@code method},
 *       {@code tool}, {@code outcome};</li>
 *   <li>{@value #THROTTLED}, a counter of requests denied by a rate limit, budget or an unreachable limit store,
 *       tags {@code server}, {@code method}, {@code tool}, {@code reason};</li>
 *   <li>{@value #AUDIT_FAILURES}, a counter of records the decorated sink could not take (the call was then
 *       denied with {@code audit_unavailable}, and is counted so).</li>
 * </ul>
 * Tags are low-cardinality by construction: never a subject, tenant, session, decision id, argument value, resource
 * URI, prompt name or argument, or completion reference (a record's {@code target}, whose values are unbounded
 * and may carry data). {@code method} is one of the MCP methods the guard audits ({@link #METHODS}), anything
 * else {@code other}. {@code tool} is the tool's name for {@code tools/*} records only and {@code none} for every
 * other method (the key stays, because registries such as Prometheus need one tag key set per meter name). A
 * tool the server does not have ({@code unknown_tool}, a client-chosen name) is tagged {@code unknown}; tool,
 * reason and server values are bounded ({@link BoundedTagValues}) past which they read {@code other}.
 *
 * <p>Thread-safe if the decorated sink is. A failure of the decorated sink is rethrown unchanged.
 * <pre>{@code
 * AuditSink sink = MeteredAuditSink.decorate(JsonlFileAuditSink.builder(path).build(), meterRegistry);
 * McpGuard.builder().serverName("orders").auditSink(sink)...
 * }</pre>
 */
public final class MeteredAuditSink implements AuditSink {

    /** Counter of MCP requests (tool calls and the others) by method, decision, outcome and reason. */
    public static final String CALLS = "mcp.guard.calls";
    /** Timer of tool calls by tool and outcome. */
    public static final String DURATION = "mcp.guard.call.duration";
    /** Counter of calls denied by throttling. */
    public static final String THROTTLED = "mcp.guard.calls.throttled";
    /** Counter of audit records the sink could not take. */
    public static final String AUDIT_FAILURES = "mcp.guard.audit.failures";
    /** The tool tag of a call to a tool the server does not have. */
    static final String UNKNOWN_TOOL = "unknown";

    /**
     * The {@code method} tag values: the methods whose requests the guard audits, the server-to-client requests
     * it records, and {@code tools/list}. Any other method reads {@link BoundedTagValues#OTHER}.
     */
    static final Set<String> METHODS = Set.of("tools/call", "tools/list", "resources/list",
            "resources/templates/list", "resources/read", "resources/subscribe", "resources/unsubscribe",
            "prompts/list", "prompts/get", "completion/complete", "sampling/createMessage", "elicitation/create",
            "roots/list");

    static final int MAX_TOOLS = 256;
    static final int MAX_REASONS = 64;
    static final int MAX_SERVERS = 8;

    private static final Set<String> THROTTLE_REASONS = Set.of(ReasonCode.RATE_LIMITED.value(),
            ReasonCode.BUDGET_EXCEEDED.value(), ReasonCode.THROTTLE_UNAVAILABLE.value());

    private final AuditSink delegate;
    private final MeterRegistry registry;
    private final BoundedTagValues tools = new BoundedTagValues(MAX_TOOLS);
    private final BoundedTagValues reasons = new BoundedTagValues(MAX_REASONS);
    private final BoundedTagValues servers = new BoundedTagValues(MAX_SERVERS);
    private final Counter auditFailures;

    private MeteredAuditSink(AuditSink delegate, MeterRegistry registry) {
        this.delegate = Objects.requireNonNull(delegate, "delegate");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.auditFailures = Counter.builder(AUDIT_FAILURES)
                .description("Audit records the sink could not take; each such call was denied").register(registry);
    }

    /** {@code sink}, metered into {@code registry}; a sink that is already metered is returned as it is. */
    public static AuditSink decorate(AuditSink sink, MeterRegistry registry) {
        return sink instanceof MeteredAuditSink ? sink : new MeteredAuditSink(sink, registry);
    }

    /** The decorated sink (a health check reads its state). */
    public AuditSink delegate() {
        return delegate;
    }

    @Override
    public void write(AuditRecord record) throws AuditWriteException {
        try {
            delegate.write(record);
        } catch (AuditWriteException | RuntimeException e) {
            auditFailures.increment();
            // What the client got: the chain withholds the result of a call it could not record.
            count(record, AuditRecord.Verdict.DENY, AuditRecord.Outcome.DENIED, ReasonCode.AUDIT_UNAVAILABLE.value());
            throw e;
        }
        count(record, record.decision(), record.outcome(), record.reason());
    }

    private void count(AuditRecord record, AuditRecord.Verdict decision, AuditRecord.Outcome outcome, String reason) {
        String server = servers.of(record.server());
        String method = record.method() != null && METHODS.contains(record.method()) ? record.method()
                : BoundedTagValues.OTHER;
        boolean toolRequest = record.method() != null && record.method().startsWith("tools/");
        String tool = !toolRequest ? BoundedTagValues.NONE
                : ReasonCode.UNKNOWN_TOOL.value().equals(record.reason()) ? UNKNOWN_TOOL : tools.of(record.tool());
        String reasonTag = reasons.of(reason);
        String outcomeTag = outcome.name().toLowerCase(Locale.ROOT);
        Counter.builder(CALLS).description("MCP requests by method, decision, outcome and reason")
                .tags("server", server, "method", method, "tool", tool, "decision", decision.wireName(),
                        "outcome", outcomeTag, "reason", reasonTag)
                .register(registry).increment();
        Timer.builder(DURATION).description("Time of an MCP request in the guard chain and handler")
                .tags("server", server, "method", method, "tool", tool, "outcome", outcomeTag)
                .register(registry).record(Duration.ofNanos(Math.max(0, record.durationMicros()) * 1_000));
        if (reason != null && THROTTLE_REASONS.contains(reason)) {
            Counter.builder(THROTTLED).description("MCP requests denied by a rate limit, budget or limit store")
                    .tags("server", server, "method", method, "tool", tool, "reason", reasonTag)
                    .register(registry).increment();
        }
    }

    @Override
    public void close() {
        delegate.close();
    }

    @Override
    public String toString() {
        return "MeteredAuditSink[" + delegate + "]";
    }
}
