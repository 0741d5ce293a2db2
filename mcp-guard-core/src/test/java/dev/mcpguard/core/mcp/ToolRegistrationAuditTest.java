package dev.mcpguard.core.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.Finding;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.spi.AuditSink;
import dev.mcpguard.core.guardrails.ToolAdmission;
import dev.mcpguard.core.testing.LogCapture;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.Test;

/** The audit record of a tool registration (issue 14): refusals and drift, never a clean admission. */
class ToolRegistrationAuditTest {

    static final Clock CLOCK = Clock.fixed(Instant.parse("2026-12-03T10:00:00Z"), ZoneOffset.UTC);
    static final String HASH = "sha256:" + "c".repeat(64);

    final List<AuditRecord> written = new CopyOnWriteArrayList<>();
    final ToolRegistrationAudit audit = new ToolRegistrationAudit(written::add, "orders", CLOCK);

    @Test
    void aRefusalIsOneDenyRecordWithItsReasonAndDetails() {
        audit.record(new ToolAdmission("getOrders", HASH, Optional.of(ReasonCode.TOOL_NAME_CONFLICT), "refused",
                List.of(), List.of(new Finding("tool.poisoning", "tool.poisoning.hidden_tag", "$.description", 0.9)),
                Map.of("tool_name_conflict", "case_or_separators", "tool_name_conflict_with", "get_orders")));

        assertThat(written).singleElement().satisfies(r -> {
            assertThat(r.method()).isEqualTo("tools/register");
            assertThat(r.tool()).isEqualTo("getOrders");
            assertThat(r.server()).isEqualTo("orders");
            assertThat(r.caller()).isNull();
            assertThat(r.decision()).isEqualTo(AuditRecord.Verdict.DENY);
            assertThat(r.outcome()).isEqualTo(AuditRecord.Outcome.DENIED);
            assertThat(r.reason()).isEqualTo("tool_name_conflict");
            assertThat(r.decisionId()).isEqualTo(r.eventId());
            assertThat(r.time()).isEqualTo(CLOCK.instant());
            assertThat(r.details()).containsEntry("tool_definition_hash", HASH)
                    .containsEntry("tool_definition_findings", "tool.poisoning.hidden_tag")
                    .containsEntry("tool_name_conflict_with", "get_orders");
        });
    }

    @Test
    void driftIsAnAllowRecordAndACleanAdmissionWritesNothing() {
        audit.record(new ToolAdmission("get_order", HASH, Optional.empty(), "", List.of(), List.of()));
        assertThat(written).isEmpty();

        audit.record(new ToolAdmission("get_order", HASH, Optional.empty(), "",
                List.of(ReasonCode.TOOL_NOT_PINNED, ReasonCode.TOOL_DEFINITION_POISONED), List.of()));

        assertThat(written).singleElement().satisfies(r -> {
            assertThat(r.decision()).isEqualTo(AuditRecord.Verdict.ALLOW);
            assertThat(r.outcome()).isEqualTo(AuditRecord.Outcome.SUCCESS);
            assertThat(r.reason()).isNull();
            assertThat(r.decisionId()).isNull();
            assertThat(r.details()).containsEntry("tool_definition_drift",
                    "tool_not_pinned,tool_definition_poisoned");
        });
    }

    @Test
    void anOverlongNameIsCutAndAFailingSinkIsLoggedNotThrown() {
        AuditSink failing = record -> {
            throw new AuditSink.AuditWriteException("disk full");
        };
        ToolAdmission refused = new ToolAdmission("t".repeat(500), HASH, Optional.of(ReasonCode.TOOL_NOT_PINNED),
                "refused", List.of(), List.of());
        audit.record(refused);
        assertThat(written).singleElement().satisfies(r -> assertThat(r.tool()).hasSize(128).endsWith("..."));

        try (LogCapture logs = LogCapture.of("dev.mcpguard.core.mcp")) {
            new ToolRegistrationAudit(failing, "orders", CLOCK).record(refused);

            assertThat(logs.allText()).contains("could not be written", "AuditWriteException");
        }
    }
}
