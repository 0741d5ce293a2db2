package dev.mcpguard.core.mcp;

import dev.mcpguard.api.AuditDetails;
import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.Finding;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.spi.AuditSink;
import dev.mcpguard.core.guardrails.ToolAdmission;
import dev.mcpguard.core.internal.ClientText;
import dev.mcpguard.core.internal.Ids;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One audit record per tool registration the gate refused or admitted with drift, written when the guard wraps the
 * tool (at start-up or when a tool is added at runtime), not only on its first call: method
 * {@value #METHOD}, no caller, {@code tool} the tool's name, {@code decision} {@code deny} with outcome
 * {@code denied} and the refusal's reason code ({@code tool_not_pinned}, {@code tool_definition_changed},
 * {@code tool_definition_poisoned}, {@code tool_name_conflict}), or {@code allow} / {@code success} for drift;
 * {@code details} hold the definition hash, the findings' rule ids, the drift, and the verdict's facts (the name
 * a conflicting name conflicts with, the pinned hash and the changed fields). Never the description. A clean
 * admission writes nothing. A sink failure is logged at ERROR, never thrown: the verdict stands either way.
 *
 * <p>Thread-safe and immutable.
 */
final class ToolRegistrationAudit {

    /** The {@code method} of a registration record. */
    static final String METHOD = "tools/register";

    private static final Logger log = LoggerFactory.getLogger(ToolRegistrationAudit.class);
    private static final int MAX_TOOL_NAME_CHARS = 128;

    private final AuditSink sink;
    private final String serverName;
    private final Clock clock;

    ToolRegistrationAudit(AuditSink sink, String serverName, Clock clock) {
        this.sink = Objects.requireNonNull(sink, "sink");
        this.serverName = Objects.requireNonNull(serverName, "serverName");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** Records {@code admission} if it is a refusal or has drift. */
    void record(ToolAdmission admission) {
        if (admission.admitted() && admission.drift().isEmpty()) {
            return;
        }
        Map<String, String> details = new TreeMap<>(admission.details());
        if (!admission.hash().isEmpty()) {
            details.put(AuditDetails.TOOL_DEFINITION_HASH, admission.hash());
        }
        if (!admission.findings().isEmpty()) {
            details.put(AuditDetails.TOOL_DEFINITION_FINDINGS, bounded(admission.findings().stream()
                    .map(Finding::ruleId).distinct().collect(Collectors.joining(",")), AuditDetails.MAX_VALUE_LENGTH));
        }
        if (!admission.drift().isEmpty()) {
            details.put(AuditDetails.TOOL_DEFINITION_DRIFT, admission.drift().stream().map(ReasonCode::value)
                    .collect(Collectors.joining(",")));
        }
        String id = Ids.newId(clock);
        boolean refused = !admission.admitted();
        AuditRecord record = new AuditRecord(AuditRecord.SCHEMA_VERSION, id, clock.instant(), refused ? id : null,
                null, null, serverName, bounded(admission.tool(), MAX_TOOL_NAME_CHARS), METHOD, null, Map.of(),
                refused ? AuditRecord.Verdict.DENY : AuditRecord.Verdict.ALLOW,
                refused ? admission.refusal().get().value() : null,
                refused ? AuditRecord.Outcome.DENIED : AuditRecord.Outcome.SUCCESS, 0, null, details);
        try {
            sink.write(record);
        } catch (AuditSink.AuditWriteException | RuntimeException e) {
            log.error("Audit record {} of the registration of tool '{}' could not be written ({})", id,
                    ClientText.forLog(admission.tool()), e.getClass().getName());
        }
    }

    private static String bounded(String text, int max) {
        if (text.length() <= max) {
            return text;
        }
        int end = Character.isHighSurrogate(text.charAt(max - 4)) ? max - 4 : max - 3;
        return text.substring(0, end) + "...";
    }
}
