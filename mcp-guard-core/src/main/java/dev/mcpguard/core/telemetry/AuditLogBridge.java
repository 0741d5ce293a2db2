package dev.mcpguard.core.telemetry;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.spi.AuditSink;
import io.opentelemetry.api.common.AttributeKey;
import io.opentelemetry.api.common.Attributes;
import io.opentelemetry.api.common.AttributesBuilder;
import io.opentelemetry.api.logs.LogRecordBuilder;
import io.opentelemetry.api.logs.Severity;
import java.util.Locale;
import java.util.Map;

/**
 * An audit sink that writes to the configured one and then emits every record it accepted as an OpenTelemetry log
 * record: event name {@code mcp_guard.audit}, timestamp the record's {@code time}, severity INFO for an allowed
 * call and WARN for a denied or failed one, no body, and one attribute per audit field under the field's name in
 * the audit file ({@code event_id}, {@code decision}, {@code caller.subject}, {@code arguments.<name>},
 * {@code details.<key>}...; the table is in {@code docs/audit.md}), so the values are exactly the file's (argument
 * values keyed hashes or masked). A record of a request in flight carries its request span's trace and span id, so
 * logs join traces.
 *
 * <p>The configured sink stays the system of record: its failure is this sink's failure (and the call's, as
 * before), and nothing is emitted for a record it refused. The emission itself never fails or blocks the call (the
 * application's SDK batches and exports off the request thread); an OpenTelemetry exception is logged and dropped.
 * Thread-safe when the configured sink is.
 */
final class AuditLogBridge implements AuditSink {

    private final GuardTelemetry telemetry;
    private final AuditSink sink;

    AuditLogBridge(GuardTelemetry telemetry, AuditSink sink) {
        this.telemetry = telemetry;
        this.sink = sink;
    }

    @Override
    public void write(AuditRecord record) throws AuditWriteException {
        sink.write(record);
        try {
            emit(record);
        } catch (RuntimeException e) {
            telemetry.telemetryFailed("emitting an audit log record", e);
        }
    }

    private void emit(AuditRecord record) {
        LogRecordBuilder log = telemetry.logs.logRecordBuilder()
                .setEventName(TelemetryAttributes.AUDIT_EVENT)
                .setTimestamp(record.time())
                .setSeverity(record.decision() == AuditRecord.Verdict.ALLOW
                        && record.outcome() != AuditRecord.Outcome.FAILED ? Severity.INFO : Severity.WARN)
                .setAllAttributes(attributes(record));
        telemetry.contextOf(record.eventId()).ifPresent(log::setContext);
        log.emit();
    }

    /** The record's fields as attributes, named as in the audit file; absent (null) fields are left out. */
    static Attributes attributes(AuditRecord record) {
        AttributesBuilder out = Attributes.builder()
                .put(AttributeKey.longKey("schema_version"), record.schemaVersion());
        put(out, "event_id", record.eventId());
        put(out, "time", java.time.format.DateTimeFormatter.ISO_INSTANT.format(record.time()));
        put(out, "decision_id", record.decisionId());
        AuditRecord.Caller caller = record.caller();
        if (caller != null) {
            put(out, "caller.issuer", caller.issuer());
            put(out, "caller.subject", caller.subject());
            put(out, "caller.tenant", caller.tenant());
            put(out, "caller.client_id", caller.clientId());
            put(out, "caller.actor", caller.actorSubject());
            put(out, "caller.auth_method", caller.authMethod());
        }
        put(out, "session_id", record.sessionId());
        put(out, "server", record.server());
        put(out, "tool", record.tool());
        put(out, "method", record.method());
        put(out, "target", record.target());
        for (Map.Entry<String, String> argument : record.arguments().entrySet()) {
            put(out, "arguments." + argument.getKey(), argument.getValue());
        }
        put(out, "decision", record.decision().wireName());
        put(out, "reason", record.reason());
        put(out, "outcome", record.outcome().name().toLowerCase(Locale.ROOT));
        out.put(AttributeKey.longKey("duration_us"), record.durationMicros());
        put(out, "error_type", record.errorType());
        for (Map.Entry<String, String> detail : record.details().entrySet()) {
            put(out, "details." + detail.getKey(), detail.getValue());
        }
        return out.build();
    }

    private static void put(AttributesBuilder out, String name, String value) {
        if (value != null) {
            out.put(AttributeKey.stringKey(name), value);
        }
    }

    @Override
    public void close() {
        sink.close();
    }

    @Override
    public String toString() {
        return "AuditLogBridge[" + sink + "]";
    }
}
