package dev.mcpguard.core.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.api.AuditRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

class AuditRecordJsonTest {

    private final ObjectMapper mapper = new ObjectMapper();

    @Test
    void writesEveryDocumentedFieldInTheDocumentedOrder() throws Exception {
        String line = AuditRecordJson.toJsonLine(AuditFixtures.record("evt-1"));

        assertThat(line).isEqualTo("{\"schema_version\":2,\"event_id\":\"evt-1\","
                + "\"time\":\"2026-03-01T10:15:30.123456Z\",\"decision_id\":\"dec-1\","
                + "\"caller\":{\"issuer\":\"https://issuer.example\",\"subject\":\"alice\",\"tenant\":\"acme\","
                + "\"client_id\":\"agent-app\",\"actor\":\"bot-7\",\"auth_method\":\"BEARER_JWT\"},"
                + "\"session_id\":\"sess-1\",\"server\":\"orders\",\"tool\":\"refund_order\","
                + "\"method\":\"tools/call\",\"target\":null,"
                + "\"arguments\":{\"amount\":\"hmac-sha256:00ff\",\"order_id\":\"A-17\"},"
                + "\"decision\":\"allow\",\"reason\":null,\"outcome\":\"success\",\"duration_us\":1234,"
                + "\"error_type\":null,\"details\":{\"policy_revision\":\"42\"}}");
    }

    @Test
    void writesAbsentFactsAsNullAndOutcomesInLowerCase() throws Exception {
        AuditRecord failed = new AuditRecord(1, "evt-2", AuditFixtures.T0, null, null, null, "orders", "t",
                Map.of(), AuditRecord.Verdict.DENY, "guard_error", AuditRecord.Outcome.TOOL_ERROR, 0, "java.lang.IllegalStateException",
                Map.of());

        JsonNode json = mapper.readTree(AuditRecordJson.toJsonLine(failed));

        assertThat(json.get("caller").isNull()).isTrue();
        assertThat(json.get("decision_id").isNull()).isTrue();
        assertThat(json.get("session_id").isNull()).isTrue();
        assertThat(json.get("outcome").asText()).isEqualTo("tool_error");
        assertThat(json.get("error_type").asText()).isEqualTo("java.lang.IllegalStateException");
        assertThat(json.get("arguments").size()).isZero();
    }

    @Test
    void keepsARecordWithHostileStringsOnOneValidLine() throws Exception {
        String hostile = "x\"}\n{\"event_id\":\"forged\"}\r\u2028\u2029\u0000\u001b[31m\u007f\u0085\u202e\\";
        AuditRecord record = new AuditRecord(1, "evt-" + hostile, AuditFixtures.T0, hostile,
                new AuditRecord.Caller(hostile, hostile, hostile, null, null, "API_KEY"), hostile, hostile, hostile,
                Map.of(hostile, hostile), AuditRecord.Verdict.DENY, null, AuditRecord.Outcome.DENIED, 5, null, Map.of(hostile, hostile));

        String line = AuditRecordJson.toJsonLine(record);

        assertThat(line).doesNotContain("\n", "\r", "\u2028", "\u2029", "\u0000", "\u001b", "\u007f", "\u0085",
                "\u202e");
        assertThat(line.chars().allMatch(c -> c >= 0x20 && c < 0x7f)).isTrue();
        JsonNode json = mapper.readTree(line);
        assertThat(json.get("event_id").asText()).isEqualTo("evt-" + hostile);
        assertThat(json.get("arguments").get(hostile).asText()).isEqualTo(hostile);
        assertThat(AuditRecordJson.parse(line)).isEqualTo(record);
    }

    @Test
    void escapesZeroWidthFormatCharactersAndLoneSurrogatesFromAClientChosenSubject() throws Exception {
        // Zero-width space/joiners, word joiner, soft hyphen, Arabic letter mark, an invisible tag character
        // (a supplementary Cf) and a lone surrogate: none is a bidi control, all hide or garble what a reader sees.
        String subject = "ad\u200bmin\u200c\u200d\u2060\u00ad\u061c\udb40\udc41\ud800x";
        AuditRecord record = new AuditRecord(1, "evt-zw", AuditFixtures.T0, "dec-zw",
                new AuditRecord.Caller("https://issuer.example", subject, subject, null, null, "BEARER_JWT"),
                null, "orders", subject, Map.of(), AuditRecord.Verdict.DENY, "policy_denied", AuditRecord.Outcome.DENIED, 1, null,
                Map.of());

        String line = AuditRecordJson.toJsonLine(record);

        assertThat(line.chars().allMatch(c -> c >= 0x20 && c < 0x7f)).isTrue();
        assertThat(line).contains("\"subject\":\"ad\\u200bmin\\u200c\\u200d\\u2060\\u00ad\\u061c"
                + "\\udb40\\udc41\\ud800x\"");
        assertThat(mapper.readTree(line).get("tool").asText()).isEqualTo(subject);
    }

    @Test
    void readsTheDecisionAsATypedVerdictAndRejectsAnyOtherValue() {
        String line = AuditRecordJson.toJsonLine(AuditFixtures.record("evt-v"));
        assertThat(AuditRecordJson.parse(line).decision()).isEqualTo(AuditRecord.Verdict.ALLOW);
        assertThat(AuditRecordJson.parse(line.replace("\"decision\":\"allow\"", "\"decision\":\"deny\""))
                .decision()).isEqualTo(AuditRecord.Verdict.DENY);

        for (String other : new String[] {"\"ALLOW\"", "\"maybe\"", "null"}) {
            String bad = line.replace("\"decision\":\"allow\"", "\"decision\":" + other);
            assertThatThrownBy(() -> AuditRecordJson.parse(bad)).as(other)
                    .isInstanceOf(IllegalArgumentException.class);
        }
    }

    @Test
    void parsesItsOwnOutputBackToAnEqualRecord() {
        AuditRecord record = AuditFixtures.record("evt-3");

        assertThat(AuditRecordJson.parse(AuditRecordJson.toJsonLine(record))).isEqualTo(record);
    }

    @Test
    void readsEveryRecordOfAJsonlFileAndSkipsBlankLines(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("audit.jsonl");
        List<String> lines = new ArrayList<>();
        for (int i = 0; i < 3; i++) {
            lines.add(AuditRecordJson.toJsonLine(AuditFixtures.record("evt-" + i)));
            lines.add("");
        }
        Files.write(file, lines);

        assertThat(AuditRecordJson.readAll(file)).extracting(AuditRecord::eventId)
                .containsExactly("evt-0", "evt-1", "evt-2");
    }

    @Test
    void rejectsAnInvalidLineWithoutEchoingItsContent(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("audit.jsonl");
        Files.writeString(file, AuditRecordJson.toJsonLine(AuditFixtures.record("evt-1")) + "\n"
                + "{\"password\":\"hunter2\"\n");

        assertThatThrownBy(() -> AuditRecordJson.readAll(file))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("line 2 of " + file)
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void aResourceReadRecordHasNoToolAndRoundTripsWithItsMethodAndTarget() {
        AuditRecord read = new AuditRecord(AuditRecord.SCHEMA_VERSION, "evt-9", AuditFixtures.T0, "dec-9", null,
                "sess-1", "orders", null, "resources/read", "orders://acme/1001", Map.of(),
                AuditRecord.Verdict.DENY, "policy_denied", AuditRecord.Outcome.DENIED, 5, null, Map.of());

        String line = AuditRecordJson.toJsonLine(read);

        assertThat(line).contains("\"tool\":null,\"method\":\"resources/read\",\"target\":\"orders://acme/1001\"");
        assertThat(AuditRecordJson.parse(line)).isEqualTo(read);
    }

    @Test
    void aVersionOneLineReadsAsAToolCall() {
        String v1 = AuditRecordJson.toJsonLine(AuditFixtures.record("evt-1"))
                .replace("\"schema_version\":2", "\"schema_version\":1")
                .replace("\"method\":\"tools/call\",\"target\":null,", "");

        AuditRecord record = AuditRecordJson.parse(v1);

        assertThat(record.schemaVersion()).isEqualTo(1);
        assertThat(record.method()).isEqualTo("tools/call");
        assertThat(record.target()).isNull();
        assertThat(record.tool()).isEqualTo("refund_order");
    }
}
