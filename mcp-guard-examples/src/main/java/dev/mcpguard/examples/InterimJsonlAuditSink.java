package dev.mcpguard.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.spi.AuditSink;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.LinkedHashMap;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * STAND-IN until {@code dev.mcpguard.core.audit.JsonlFileAuditSink} lands in mcp-guard-core: appends one JSON
 * object per {@link AuditRecord} to a file, one line each, flushed on every write. Used only through
 * {@link OrdersServer#auditSink(Path)}, which is the one line to change when the real sink arrives.
 *
 * <p>Field names are the record's components in snake case; the real sink's serializer is authoritative.
 * Thread-safe: writes are serialized.
 */
final class InterimJsonlAuditSink implements AuditSink {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final Path file;
    private final OutputStream out;

    InterimJsonlAuditSink(Path file) {
        this.file = Objects.requireNonNull(file, "file");
        try {
            Path parent = file.toAbsolutePath().getParent();
            if (parent != null) {
                Files.createDirectories(parent);
            }
            this.out = Files.newOutputStream(file, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                    StandardOpenOption.APPEND);
        } catch (IOException e) {
            throw new IllegalStateException("cannot open audit file " + file, e);
        }
    }

    @Override
    public synchronized void write(AuditRecord record) throws AuditWriteException {
        try {
            out.write(JSON.writeValueAsBytes(toJson(record)));
            out.write('\n');
            out.flush();
        } catch (IOException e) {
            throw new AuditWriteException("cannot append audit event " + record.eventId() + " to " + file, e);
        }
    }

    @Override
    public synchronized void close() {
        try {
            out.close();
        } catch (IOException e) {
            throw new IllegalStateException("cannot close audit file " + file, e);
        }
    }

    static Map<String, Object> toJson(AuditRecord record) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("schema_version", record.schemaVersion());
        json.put("event_id", record.eventId());
        json.put("time", record.time().toString());
        json.put("decision_id", record.decisionId());
        if (record.caller() != null) {
            AuditRecord.Caller caller = record.caller();
            Map<String, Object> c = new LinkedHashMap<>();
            c.put("issuer", caller.issuer());
            c.put("subject", caller.subject());
            c.put("tenant", caller.tenant());
            c.put("client_id", caller.clientId());
            c.put("actor_subject", caller.actorSubject());
            c.put("auth_method", caller.authMethod().toLowerCase(Locale.ROOT));
            json.put("caller", c);
        } else {
            json.put("caller", null);
        }
        json.put("session_id", record.sessionId());
        json.put("server", record.server());
        json.put("tool", record.tool());
        json.put("arguments", record.arguments());
        json.put("decision", record.decision());
        json.put("reason", record.reason());
        json.put("outcome", record.outcome().name().toLowerCase(Locale.ROOT));
        json.put("duration_micros", record.durationMicros());
        json.put("error_type", record.errorType());
        json.put("details", record.details());
        return json;
    }
}
