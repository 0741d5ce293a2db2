package dev.mcpguard.core.mcp;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.spi.AuditSink;
import dev.mcpguard.core.internal.ClientText;
import dev.mcpguard.core.internal.Ids;
import io.modelcontextprotocol.spec.McpSchema;
import java.time.Clock;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Records the requests a server sends to a client while it answers one of the client's requests (sampling,
 * elicitation, roots): one audit record each, as it is sent, naming the caller whose request triggered it, the
 * session, and the triggering method (and tool) in {@code details}. The record's {@code decision} is {@code allow}
 * and its {@code outcome} {@code success}: the request was sent; the client's answer is not recorded. Never holds
 * the request's params (a sampling request carries the conversation). A sink failure is logged, never thrown: the
 * request is the server's own, not the client's.
 *
 * <p>Thread-safe and immutable.
 */
final class ServerRequestAudit {

    /** Audit detail: the JSON-RPC method of the client request during which the server sent this one. */
    static final String TRIGGERED_BY = "triggered_by";
    /** Audit detail: the tool whose call triggered it, when a tool call did. */
    static final String TRIGGERED_BY_TOOL = "triggered_by_tool";

    private static final Logger log = LoggerFactory.getLogger(ServerRequestAudit.class);
    private static final int MAX_DETAIL = 128;

    private final AuditSink sink;
    private final String serverName;
    private final Clock clock;

    ServerRequestAudit(AuditSink sink, String serverName, Clock clock) {
        this.sink = Objects.requireNonNull(sink, "sink");
        this.serverName = Objects.requireNonNull(serverName, "serverName");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Records {@code sent}, a server-to-client request, sent while answering {@code trigger}. */
    void record(McpSchema.JSONRPCRequest sent, McpSchema.JSONRPCRequest trigger, Optional<CallerIdentity> caller,
                Optional<String> sessionId) {
        String id = Ids.newId(clock);
        Map<String, String> details = new LinkedHashMap<>();
        details.put(TRIGGERED_BY, ClientText.forClient(trigger.method(), MAX_DETAIL));
        if (McpSchema.METHOD_TOOLS_CALL.equals(trigger.method()) && trigger.params() instanceof Map<?, ?> params
                && params.get("name") instanceof String tool) {
            details.put(TRIGGERED_BY_TOOL, ClientText.forClient(tool, MAX_DETAIL));
        }
        try {
            sink.write(new AuditRecord(AuditRecord.SCHEMA_VERSION, id, clock.instant(), null,
                    caller.map(AuditRecord.Caller::of).orElse(null), sessionId.orElse(null), serverName, null,
                    ClientText.forClient(sent.method(), MAX_DETAIL), null, Map.of(), AuditRecord.Verdict.ALLOW, null,
                    AuditRecord.Outcome.SUCCESS, 0, null, details));
        } catch (AuditSink.AuditWriteException | RuntimeException e) {
            log.error("Audit record {} of the server's {} request could not be written ({})", id,
                    ClientText.forLog(sent.method()), e.getClass().getName());
        }
    }
}
