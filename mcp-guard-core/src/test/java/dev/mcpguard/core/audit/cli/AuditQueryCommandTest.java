package dev.mcpguard.core.audit.cli;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.core.audit.AuditRecordJson;
import dev.mcpguard.core.audit.JsonlFileAuditSink;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class AuditQueryCommandTest {

    private static final Instant T0 = Instant.parse("2026-03-01T10:00:00Z");
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    private static AuditRecord allowed(String eventId, Instant time, String subject, String tenant, String tool) {
        return new AuditRecord(AuditRecord.SCHEMA_VERSION, eventId, time, "dec-" + eventId,
                new AuditRecord.Caller("https://issuer.example", subject, tenant, "agent", null, "BEARER_JWT"),
                "sess-1", "orders", tool, Map.of("order_id", "A-17"), AuditRecord.Verdict.ALLOW, null,
                AuditRecord.Outcome.SUCCESS, 120, null, Map.of());
    }

    private static AuditRecord denied(String eventId, Instant time, String subject, String reason) {
        return new AuditRecord(AuditRecord.SCHEMA_VERSION, eventId, time, "dec-" + eventId,
                new AuditRecord.Caller("https://issuer.example", subject, "acme", "agent", null, "BEARER_JWT"),
                "sess-1", "orders", "refund_order", Map.of(), AuditRecord.Verdict.DENY, reason,
                AuditRecord.Outcome.DENIED, 80, null, Map.of());
    }

    /** Writes {@code records} with the real durable sink, as a server would. */
    private Path written(String name, AuditRecord... records) throws IOException {
        Path file = dir.resolve(name);
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).build()) {
            for (AuditRecord record : records) {
                sink.write(record);
            }
        } catch (Exception e) {
            throw new IOException(e);
        }
        return file;
    }

    private static void append(Path file, byte[] bytes) throws IOException {
        Files.write(file, bytes, StandardOpenOption.APPEND);
    }

    private static void append(Path file, String text) throws IOException {
        append(file, text.getBytes(StandardCharsets.UTF_8));
    }

    private int query(Object... args) {
        String[] strings = Arrays.stream(args).map(String::valueOf).toArray(String[]::new);
        return AuditQueryCommand.run(strings, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private List<String> outLines() {
        return out.toString(StandardCharsets.UTF_8).lines().toList();
    }

    private String errText() {
        return err.toString(StandardCharsets.UTF_8);
    }

    @Test
    void filtersBySubjectAndDecisionAcrossRotatedFilesInNameOrder() throws IOException {
        Files.createDirectories(dir.resolve("logs"));
        written("logs/audit-2.jsonl", allowed("e3", T0.plusSeconds(30), "alice", "acme", "get_order"),
                denied("e4", T0.plusSeconds(40), "alice", "policy_denied"));
        written("logs/audit-1.jsonl", allowed("e1", T0, "alice", "acme", "get_order"),
                allowed("e2", T0.plusSeconds(10), "bob", "acme", "get_order"));
        Files.writeString(dir.resolve("logs/notes.txt"), "not an audit file\n");

        int exit = query("query", dir.resolve("logs"), "--subject", "alice", "--decision", "allow");

        assertThat(exit).isZero();
        List<String> lines = outLines();
        assertThat(lines.get(0)).startsWith("time").contains("decision_id").contains("event_id");
        assertThat(lines).hasSize(4);
        assertThat(lines.get(1)).startsWith("2026-03-01T10:00:00Z").contains("alice").endsWith("e1");
        assertThat(lines.get(2)).startsWith("2026-03-01T10:00:30Z").endsWith("e3");
        assertThat(lines.get(3)).isEqualTo("2 records");
        assertThat(errText()).isEmpty();
    }

    @Test
    void filtersByTimeWindowFromInclusiveToExclusiveAndByEveryField() throws IOException {
        Path file = written("audit.jsonl", allowed("e1", T0, "alice", "acme", "get_order"),
                allowed("e2", T0.plusSeconds(10), "bob", "globex", "list_orders"),
                denied("e3", T0.plusSeconds(20), "carol", "rate_limited"));

        assertThat(query(file, "--from", "2026-03-01T10:00:10Z", "--to", "2026-03-01T10:00:20Z",
                "--format", "json")).isZero();
        assertThat(outLines()).extracting(this::eventIdOf).containsExactly("e2");

        for (String[] filter : List.of(new String[] {"--tenant", "globex"}, new String[] {"--tool", "list_orders"},
                new String[] {"--method", "tools/call", "--subject", "bob"}, new String[] {"--decision-id", "dec-e2"},
                new String[] {"--event-id", "e2"}, new String[] {"--outcome", "success", "--subject", "bob"},
                new String[] {"--from", "2026-03-01T11:00:05+01:00", "--to", "2026-03-01T10:00:15Z"})) {
            out.reset();
            Object[] args = new Object[filter.length + 3];
            args[0] = file;
            System.arraycopy(filter, 0, args, 1, filter.length);
            args[filter.length + 1] = "--format";
            args[filter.length + 2] = "json";
            assertThat(query(args)).isZero();
            assertThat(outLines()).as(String.join(" ", filter)).extracting(this::eventIdOf).containsExactly("e2");
        }

        out.reset();
        assertThat(query(file, "--reason", "rate_limited", "--decision", "deny", "--format", "json")).isZero();
        assertThat(outLines()).extracting(this::eventIdOf).containsExactly("e3");
    }

    @Test
    void printsZeroRecordsAndExitsZeroWhenNothingMatches() throws IOException {
        Path file = written("audit.jsonl", allowed("e1", T0, "alice", "acme", "get_order"));

        assertThat(query(file, "--subject", "mallory")).isZero();

        assertThat(outLines()).containsExactly("0 records");
    }

    @Test
    void jsonFormatPrintsEachMatchingStoredLineAsWritten() throws IOException {
        AuditRecord record = allowed("e1", T0, "alice", "acme", "get_order");
        Path file = written("audit.jsonl", record, denied("e2", T0, "bob", "policy_denied"));

        assertThat(query(file, "--event-id", "e1", "--format", "json")).isZero();

        assertThat(outLines()).containsExactly(storedLine(file, "e1"));
        assertThat(errText()).contains("1 record");
    }

    @Test
    void limitStopsAfterThatManyMatches() throws IOException {
        Path file = written("audit.jsonl", allowed("e1", T0, "alice", "acme", "t"),
                allowed("e2", T0, "alice", "acme", "t"), allowed("e3", T0, "alice", "acme", "t"));

        assertThat(query(file, "--limit", "2", "--format", "json")).isZero();

        assertThat(outLines()).extracting(this::eventIdOf).containsExactly("e1", "e2");
        assertThat(errText()).contains("2 records (limit reached)");
    }

    @Test
    void tableShowsControlCharactersAndAnsiEscapesOfATamperedFileEscaped() throws IOException {
        Path file = written("audit.jsonl", allowed("e1", T0, "alice", "acme", "get_order"));
        // Valid JSON whose values decode to ESC sequences, a carriage return, C1 CSI, a bidi override, DEL.
        String tampered = AuditRecordJson.toJsonLine(allowed("e2", T0, "x", "acme", "get_order"))
                .replace("\"subject\":\"x\"", "\"subject\":\"\\u001b[31mr\\r\"")
                .replace("\"decision_id\":\"dec-e2\"", "\"decision_id\":\"\\u001b[2Jdec-e2\"")
                .replace("\"tool\":\"get_order\"", "\"tool\":\"\u009b1m\u202eevil\u007f\"");
        append(file, tampered + "\n");

        assertThat(query(file)).isZero();

        String table = out.toString(StandardCharsets.UTF_8);
        assertThat(table).contains("\\u001b[31mr\\u000d").contains("\\u001b[2Jdec-e2")
                .contains("\\u009b1m\\u202eevil\\u007f");
        assertThat(table.chars()).allSatisfy(c -> assertThat(c == '\n' || (c >= 0x20 && c < 0x7f)).isTrue());
        assertThat(outLines()).hasSize(4);

        out.reset();
        assertThat(query(file, "--event-id", "e2", "--format", "json")).isZero();
        String json = outLines().get(0);
        assertThat(json.chars()).allSatisfy(c -> assertThat(c >= 0x20 && c < 0x7f).isTrue());
        assertThat(JSON.readTree(json).get("tool").asText()).isEqualTo("\u009b1m\u202eevil\u007f");
    }

    @Test
    void tableCutsLongValuesToTheColumnWidth() throws IOException {
        Path file = written("audit.jsonl", allowed("e1", T0, "a".repeat(500), "acme", "get_order"));

        assertThat(query(file)).isZero();

        assertThat(outLines().get(1)).contains("a".repeat(19) + "~").doesNotContain("a".repeat(20));
    }

    @Test
    void unparsableAndTornLinesAreCountedAndReportedOnStderrNeverAsRecords() throws IOException {
        Path file = written("audit.jsonl", allowed("e1", T0, "alice", "acme", "get_order"));
        append(file, "this is not json\n");
        append(file, "{\"schema_version\":2,\"event_id\":\"half\"}\n");
        append(file, new byte[] {'{', '"', 0x1b, '[', '3', '1', 'm', '"', ':', '1', '}', '\n'}); // raw ESC
        append(file, "[1,2,3]\n");
        String complete = AuditRecordJson.toJsonLine(allowed("e9", T0, "alice", "acme", "get_order"));
        append(file, complete.substring(0, complete.length() - 20)); // torn: no final newline

        assertThat(query(file, "--format", "json")).isZero();

        assertThat(outLines()).extracting(this::eventIdOf).containsExactly("e1");
        String err = errText();
        // The sink wrote its start checkpoint, the record and its close checkpoint: appended lines start at 4.
        assertThat(err).contains("audit.jsonl:4: not an audit record").contains("audit.jsonl:5:")
                .contains("audit.jsonl:6:").contains("audit.jsonl:7:")
                .contains("audit.jsonl:8: torn last line")
                .contains("skipped 4 lines that are not audit records, 0 lines longer than 1048576 bytes, 1 torn");
        assertThat(err).doesNotContain("this is not json").doesNotContain("\u001b");
    }

    @Test
    void chainLinesWithARecordTypeAreSkippedAndNotReported() throws IOException {
        Path file = dir.resolve("audit.jsonl");
        Files.writeString(file, "{\"schema_version\":3,\"record_type\":\"checkpoint\",\"reason\":\"start\","
                + "\"seq\":0,\"prev_hash\":null}\n");
        AuditRecord record = allowed("e1", T0, "alice", "acme", "get_order");
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).build()) {
            sink.write(record);
        } catch (Exception e) {
            throw new IOException(e);
        }

        assertThat(query(file, "--format", "json")).isZero();

        assertThat(outLines()).containsExactly(storedLine(file, "e1"));
        assertThat(errText()).doesNotContain("warning");
    }

    @Test
    void aLineOfOneGigabyteIsSkippedAndCountedWithoutBeingHeldInMemory() throws IOException {
        Path file = written("audit.jsonl", allowed("e1", T0, "alice", "acme", "get_order"));
        // A sparse hole: one line of 1 GiB of zero bytes, without using the disk space.
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            long hugeEnd = ch.size() + (1L << 30);
            ch.write(ByteBuffer.wrap("\n".getBytes(StandardCharsets.US_ASCII)), hugeEnd);
        }
        append(file, AuditRecordJson.toJsonLine(allowed("e2", T0, "alice", "acme", "get_order")) + "\n");

        assertThat(query(file, "--format", "json")).isZero();

        assertThat(outLines()).extracting(this::eventIdOf).containsExactly("e1", "e2");
        assertThat(errText()).contains("audit.jsonl:4: longer than 1048576 bytes") // after start, e1, close
                .contains("1 lines longer than 1048576 bytes");
    }

    @Test
    void lineReaderKeepsAtMostItsBoundAndSkipsLongerLinesWhole() throws IOException {
        byte[] input = ("0123456789abcdef\n" + "0123456789abcdefX".repeat(1000) + "\nok\ntail")
                .getBytes(StandardCharsets.US_ASCII);
        AuditQueryCommand.BoundedLineReader lines =
                new AuditQueryCommand.BoundedLineReader(new ByteArrayInputStream(input), 16);

        assertThat(lines.next()).isEqualTo(AuditQueryCommand.BoundedLineReader.Kind.LINE);
        assertThat(lines.text()).isEqualTo("0123456789abcdef");
        assertThat(lines.next()).isEqualTo(AuditQueryCommand.BoundedLineReader.Kind.TOO_LONG);
        assertThat(lines.length()).isZero();
        assertThat(lines.next()).isEqualTo(AuditQueryCommand.BoundedLineReader.Kind.LINE);
        assertThat(lines.text()).isEqualTo("ok");
        assertThat(lines.next()).isEqualTo(AuditQueryCommand.BoundedLineReader.Kind.TORN);
        assertThat(lines.text()).isEqualTo("tail");
        assertThat(lines.lineNumber()).isEqualTo(4);
        assertThat(lines.next()).isEqualTo(AuditQueryCommand.BoundedLineReader.Kind.END);
    }

    @Test
    void usageErrorsExitTwo() throws IOException {
        Path file = written("audit.jsonl", allowed("e1", T0, "alice", "acme", "get_order"));

        assertThat(query(file, "--colour", "red")).isEqualTo(2);
        assertThat(errText()).contains("unknown option --colour");
        for (Object[] args : List.of(new Object[] {file, "--from", "yesterday"}, new Object[] {file, "--to"},
                new Object[] {file, "--decision", "maybe"}, new Object[] {file, "--outcome", "ok"},
                new Object[] {file, "--limit", "0"}, new Object[] {file, "--limit", "x"},
                new Object[] {file, "--format", "xml"}, new Object[] {"query"},
                new Object[] {file, "--subject", "a", "--subject", "b"},
                new Object[] {file, "--from", "2026-03-02T00:00:00Z", "--to", "2026-03-01T00:00:00Z"})) {
            err.reset();
            assertThat(query(args)).as(Arrays.toString(args)).isEqualTo(2);
            assertThat(errText()).startsWith("usage error: ");
        }
        assertThat(out.size()).isZero();
    }

    @Test
    void missingFileExitsOne() {
        assertThat(query(dir.resolve("absent.jsonl"))).isEqualTo(1);

        assertThat(errText()).contains("cannot read").contains("absent.jsonl");
        assertThat(out.size()).isZero();
    }

    /** The line of {@code file} that holds the record {@code eventId}, as the sink stored it. */
    private static String storedLine(Path file, String eventId) throws IOException {
        List<String> lines = Files.readAllLines(file, StandardCharsets.US_ASCII).stream()
                .filter(line -> !AuditRecordJson.isChainLine(line))
                .filter(line -> line.contains("\"event_id\":\"" + eventId + "\""))
                .toList();
        assertThat(lines).as("stored lines of %s", eventId).hasSize(1);
        return lines.get(0);
    }

    private String eventIdOf(String jsonLine) {
        try {
            return JSON.readTree(jsonLine).get("event_id").asText();
        } catch (IOException e) {
            throw new AssertionError("not JSON: " + jsonLine, e);
        }
    }
}
