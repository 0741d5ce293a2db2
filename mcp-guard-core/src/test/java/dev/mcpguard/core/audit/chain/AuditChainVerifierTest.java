package dev.mcpguard.core.audit.chain;

import com.google.crypto.tink.KeyTemplates;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.signature.SignatureConfig;
import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.core.audit.JsonlFileAuditSink;
import dev.mcpguard.core.audit.chain.AuditChainVerifier.Finding;
import dev.mcpguard.core.audit.chain.AuditChainVerifier.Kind;
import dev.mcpguard.core.audit.chain.AuditChainVerifier.Report;
import dev.mcpguard.core.audit.chain.AuditChainVerifier.Verdict;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.CsvSource;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

import static org.assertj.core.api.Assertions.assertThat;

/**
 * {@link AuditChainVerifier} on real files written by the real {@link JsonlFileAuditSink} with a real Tink key,
 * then tampered with as an attacker with write access but no key would.
 *
 * <p>The standard file ({@link #writeStandard}): 12 records, a checkpoint every 5, closed. Its lines:
 * <pre>
 *  1 start seq 0 | 2-6 records seq 1-5 | 7 interval seq 6 | 8-12 records seq 7-11 | 13 interval seq 12
 * 14-15 records seq 13-14 | 16 close seq 15
 * </pre>
 */
@Timeout(120)
class AuditChainVerifierTest {

    private static KeysetHandle privateKeyset;
    private static KeysetHandle publicKeyset;

    @TempDir
    Path dir;

    @BeforeAll
    static void keys() throws GeneralSecurityException {
        SignatureConfig.register();
        privateKeyset = KeysetHandle.generateNew(KeyTemplates.get("ECDSA_P256"));
        publicKeyset = privateKeyset.getPublicKeysetHandle();
    }

    // ---- intact ---------------------------------------------------------------------------------------------------

    @Test
    void anIntactClosedSignedFileIsOkWithItsCounts() throws Exception {
        Path file = writeStandard("audit.jsonl");

        Report report = verify(file);

        assertThat(report.verdict()).isEqualTo(Verdict.OK);
        assertThat(report.records()).isEqualTo(12);
        assertThat(report.checkpoints()).isEqualTo(4);
        assertThat(report.lastSignedSeq()).isEqualTo(15);
        assertThat(report.keyId()).isEqualTo(Integer.toUnsignedLong(privateKeyset.getPrimary().getId()));
        assertThat(report.findings()).isEmpty();
    }

    @Test
    void anEd25519SignedFileIsOkToo() throws Exception {
        KeysetHandle ed = KeysetHandle.generateNew(KeyTemplates.get("ED25519"));
        Path file = dir.resolve("audit.jsonl");
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).signer(ed).build()) {
            sink.write(record("evt-1"));
        }

        assertThat(AuditChainVerifier.withPublicKeyset(ed.getPublicKeysetHandle()).verify(List.of(file)).verdict())
                .isEqualTo(Verdict.OK);
    }

    @Test
    void withoutAPublicKeyTheBestVerdictIsIncomplete() throws Exception {
        Path file = writeStandard("audit.jsonl");

        Report report = AuditChainVerifier.withoutKey().verify(List.of(file));

        assertThat(report.verdict()).isEqualTo(Verdict.INCOMPLETE);
        assertThat(report.findings()).extracting(Finding::kind).containsExactly(Kind.SIGNATURES_NOT_CHECKED);
    }

    // ---- tampered -------------------------------------------------------------------------------------------------

    /** A middle record, the last record before a checkpoint, and a checkpoint (whose signature then fails). */
    @ParameterizedTest(name = "line {0}: {1} -> {2}")
    @CsvSource(delimiter = '|', value = {
            "4  | \"decision\":\"allow\" | \"decision\":\"deny\"     | 3  | EDITED",
            "6  | \"subject\":\"alice\"  | \"subject\":\"mallory\"  | 5  | EDITED",
            "16 | \"records\":12       | '\"records\":12 '      | 15 | BAD_SIGNATURE"})
    void anEditedLineIsNamedByLineAndSeq(int line, String field, String edited, long seq, Kind kind)
            throws Exception {
        Path file = writeStandard("audit.jsonl");
        editLine(file, line, l -> l.replace(field, edited));

        assertTampered(verify(file), file, line, seq, kind);
    }

    @Test
    void aDeletedRecordIsNamedAtTheLineWhereItIsMissing() throws Exception {
        Path file = writeStandard("audit.jsonl");
        deleteLines(file, 9, 9);

        Report report = verify(file);

        assertTampered(report, file, 9, 9, Kind.DELETED);
        assertThat(report.tampered().detail()).contains("seq 8 missing");
        assertThat(report.lastVerifiedSeq()).isEqualTo(7);
    }

    @Test
    void aDeletedCheckpointIsNamed() throws Exception {
        Path file = writeStandard("audit.jsonl");
        deleteLines(file, 7, 7);

        assertTampered(verify(file), file, 7, 7, Kind.DELETED);
    }

    @Test
    void twoSwappedLinesAreReportedAsReordered() throws Exception {
        Path file = writeStandard("audit.jsonl");
        List<String> lines = new ArrayList<>(Files.readAllLines(file));
        String third = lines.get(2);
        lines.set(2, lines.get(3));
        lines.set(3, third);
        write(file, lines);

        assertTampered(verify(file), file, 3, 3, Kind.REORDERED);
    }

    @Test
    void aForgedLineWithARecomputedPrevHashIsReportedAsInserted() throws Exception {
        Path file = writeStandard("audit.jsonl");
        write(file, withForgedRecordAfterLine4(file));

        assertTampered(verify(file), file, 5, 4, Kind.INSERTED);
    }

    @Test
    void aForgedLineWithTheWholeRestOfTheChainRecomputedFailsAtTheNextCheckpointsSignature() throws Exception {
        Path file = writeStandard("audit.jsonl");
        List<String> lines = withForgedRecordAfterLine4(file);
        // The attacker renumbers every later line, recounts the records and recomputes every prev_hash: only the
        // signatures cannot be redone without the key.
        for (int i = 5; i < lines.size(); i++) {
            String line = lines.get(i);
            long seq = seqOf(line);
            line = line.replace("\"seq\":" + seq + ",", "\"seq\":" + (seq + 1) + ",");
            Matcher records = Pattern.compile("\"records\":(\\d+)").matcher(line);
            if (line.contains("\"record_type\"") && records.find()) {
                line = line.replace(records.group(), "\"records\":" + (Long.parseLong(records.group(1)) + 1));
            }
            lines.set(i, relink(line, lines.get(i - 1)));
        }
        write(file, lines);

        assertTampered(verify(file), file, 8, 7, Kind.BAD_SIGNATURE);
    }

    @Test
    void aCheckpointSplicedFromAnotherChainIsNamed() throws Exception {
        Path file = writeStandard("audit.jsonl");
        KeysetHandle otherKey = KeysetHandle.generateNew(KeyTemplates.get("ECDSA_P256"));
        Path other = dir.resolve("other/audit.jsonl");
        writeStandard(other, otherKey);
        List<String> lines = new ArrayList<>(Files.readAllLines(file));
        lines.set(6, Files.readAllLines(other).get(6));
        write(file, lines);

        Report report = verify(file);

        assertTampered(report, file, 7, 6, Kind.INSERTED);
        assertThat(report.tampered().detail()).contains("another chain");
    }

    @Test
    void aFileSignedByAnotherKeyIsReportedAsUnknownKey() throws Exception {
        Path file = writeStandard("audit.jsonl");
        KeysetHandle wrong = KeysetHandle.generateNew(KeyTemplates.get("ECDSA_P256")).getPublicKeysetHandle();

        Report report = AuditChainVerifier.withPublicKeyset(wrong).verify(List.of(file));

        assertTampered(report, file, 1, 0, Kind.UNKNOWN_KEY);
    }

    @Test
    void anUnsignedChainVerifiedWithAKeyIsTamperedAtItsFirstCheckpoint() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).build()) {
            sink.write(record("evt-1"));
        }

        assertTampered(verify(file), file, 1, 0, Kind.BAD_SIGNATURE);
    }

    @Test
    void aHugeLineIsCutAndReportedWithoutBeingHeldInMemory() throws Exception {
        Path file = writeStandard("audit.jsonl");
        List<String> lines = Files.readAllLines(file);
        write(file, lines.subList(0, 5));
        try (RandomAccessFile raf = new RandomAccessFile(file.toFile(), "rw")) {
            raf.setLength(raf.length() + 16L * 1024 * 1024); // a sparse 16 MiB line of zero bytes, no \n
            raf.seek(raf.length());
            raf.write('\n');
        }

        Report report = verify(file);

        assertTampered(report, file, 6, -1, Kind.NOT_A_CHAIN_LINE);
        assertThat(report.tampered().detail()).contains("16777216 bytes");
    }

    @Test
    void theLineReaderKeepsAtMostItsLimitOfAnyLineButHashesAndCountsAllOfIt() throws Exception {
        byte[] huge = new byte[5 * 1024 * 1024 + 17];
        java.util.Arrays.fill(huge, (byte) 'x');
        huge[huge.length - 1] = '\n';
        ChainLineReader reader = new ChainLineReader(new java.io.ByteArrayInputStream(huge), 1024);

        ChainLineReader.Line line = reader.next();

        assertThat(line.bytes).hasSize(1024);
        assertThat(line.size).isEqualTo(huge.length - 1);
        assertThat(line.overlong()).isTrue();
        assertThat(line.hash).isEqualTo(AuditChainFormat.hash(AuditChainFormat.sha256(), huge, 0, huge.length - 1));
        assertThat(reader.next()).isNull();
    }

    // ---- truncated ------------------------------------------------------------------------------------------------

    @Test
    void aFileTruncatedInTheMiddleOfALineIsIncompleteAndNamesTheTornLineAndTheLastVerifiedSeq() throws Exception {
        Path file = writeStandard("audit.jsonl");
        List<String> lines = Files.readAllLines(file);
        String kept = String.join("\n", lines.subList(0, 13)) + "\n" + lines.get(13).substring(0, 100);
        Files.writeString(file, kept, StandardCharsets.UTF_8);

        Report report = verify(file);

        assertThat(report.verdict()).isEqualTo(Verdict.INCOMPLETE);
        assertThat(report.findings()).filteredOn(f -> f.kind() == Kind.TORN_LINE).singleElement()
                .satisfies(f -> assertThat(f.line()).isEqualTo(14));
        assertThat(report.lastVerifiedSeq()).isEqualTo(12);
        assertThat(report.lastSignedSeq()).isEqualTo(12);
    }

    @Test
    void wholeLinesTruncatedFromTheEndLeaveAnUnsignedTailThatIsIncomplete() throws Exception {
        Path file = writeStandard("audit.jsonl");
        deleteLines(file, 15, 16);

        Report report = verify(file);

        assertThat(report.verdict()).isEqualTo(Verdict.INCOMPLETE);
        assertThat(report.findings()).filteredOn(f -> f.kind() == Kind.UNSIGNED_TAIL).singleElement()
                .satisfies(f -> {
                    assertThat(f.line()).isEqualTo(14);
                    assertThat(f.seq()).isEqualTo(13);
                });
        assertThat(report.lastSignedSeq()).isEqualTo(12);
        assertThat(report.lastVerifiedSeq()).isEqualTo(13);
    }

    // ---- rotation -------------------------------------------------------------------------------------------------

    @Test
    void aChainRotatedAcrossFilesVerifiesFromTheActiveFileOrTheDirectory() throws Exception {
        List<Path> files = writeRotated(4);

        Report fromActive = verify(files.get(files.size() - 1));
        List<List<Path>> inDir = AuditChainVerifier.chainFiles(List.of(dir));

        assertThat(fromActive.verdict()).isEqualTo(Verdict.OK);
        assertThat(fromActive.files()).isEqualTo(files.size());
        assertThat(fromActive.records()).isEqualTo(300);
        assertThat(inDir).containsExactly(files);
    }

    @Test
    void aDeletedMiddleFileIsNamedAtTheFirstLineOfTheFileAfterIt() throws Exception {
        List<Path> files = writeRotated(3);
        long expected = seqOf(Files.readAllLines(files.get(1)).get(0));
        Files.delete(files.get(1));

        Report report = verify(files.get(files.size() - 1));

        assertTampered(report, files.get(2), 1, seqOf(Files.readAllLines(files.get(2)).get(0)), Kind.DELETED);
        assertThat(report.tampered().detail()).contains("continues at seq " + expected);
    }

    @Test
    void swappedMiddleFilesAreReportedAsReordered() throws Exception {
        List<Path> files = writeRotated(4);
        Path tmp = dir.resolve("swap.tmp");
        Files.move(files.get(1), tmp);
        Files.move(files.get(2), files.get(1));
        Files.move(tmp, files.get(2));

        Report report = verify(files.get(files.size() - 1));

        assertTampered(report, files.get(1), 1, seqOf(Files.readAllLines(files.get(1)).get(0)), Kind.REORDERED);
    }

    @Test
    void anOldestFileRemovedByRetentionLeavesAnIncompleteButVerifiedChain() throws Exception {
        List<Path> files = writeRotated(3);
        Files.delete(files.get(0));

        Report report = verify(files.get(files.size() - 1));

        assertThat(report.verdict()).isEqualTo(Verdict.INCOMPLETE);
        assertThat(report.findings()).extracting(Finding::kind).containsExactly(Kind.EARLIER_FILES_MISSING);
        assertThat(report.findings().get(0).file()).isEqualTo(files.get(1));
    }

    @Test
    void aLastFileEndingInARotateCheckpointIsIncompleteNamingIt() throws Exception {
        List<Path> files = writeRotated(3);
        Files.delete(files.get(files.size() - 1)); // the active file: a crash right after the rename, or removed
        Path last = files.get(files.size() - 2);
        List<String> lines = Files.readAllLines(last);

        Report report = AuditChainVerifier.withPublicKeyset(publicKeyset).verify(files.subList(0, files.size() - 1));

        assertThat(report.verdict()).isEqualTo(Verdict.INCOMPLETE);
        assertThat(report.findings()).singleElement().satisfies(f -> {
            assertThat(f.kind()).isEqualTo(Kind.NEXT_FILE_MISSING);
            assertThat(f.file()).isEqualTo(last);
            assertThat(f.line()).isEqualTo(lines.size());
            assertThat(f.seq()).isEqualTo(seqOf(lines.get(lines.size() - 1)));
        });
    }

    // ---- restarts -------------------------------------------------------------------------------------------------

    @Test
    void aTornTailFollowedByARestartIsOkWithTheRecoveredCrashReported() throws Exception {
        Path file = writeStandard("audit.jsonl");
        deleteLines(file, 16, 16); // the crash came before close
        Files.writeString(file, "{\"schema_version\":3,\"event_id\":\"evt-torn", StandardOpenOption.APPEND);
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).signer(privateKeyset).build()) {
            sink.write(record("evt-after"));
        }

        Report report = verify(file);

        assertThat(report.verdict()).isEqualTo(Verdict.OK);
        assertThat(report.findings()).extracting(Finding::kind, Finding::line)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(Kind.RECOVERED_CRASH, 16L));
        assertThat(report.records()).isEqualTo(13);
    }

    @Test
    void aTornTailWithoutARestartIsIncompleteNamingTheTornLine() throws Exception {
        Path file = writeStandard("audit.jsonl");
        Files.writeString(file, "{\"schema_version\":3,\"event_id\":\"evt-torn", StandardOpenOption.APPEND);

        Report report = verify(file);

        assertThat(report.verdict()).isEqualTo(Verdict.INCOMPLETE);
        assertThat(report.findings()).extracting(Finding::kind, Finding::line)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(Kind.TORN_LINE, 17L));
    }

    @Test
    void aCleanRestartIsOkWithoutWarningsAndAnUncleanOneWarnsOfTheRecordsLeftUnsigned() throws Exception {
        Path clean = writeStandard("audit.jsonl");
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(clean).signer(privateKeyset).build()) {
            sink.write(record("evt-after"));
        }
        Path unclean = writeStandard("crashed.jsonl");
        deleteLines(unclean, 16, 16); // killed after records seq 13 and 14, before close
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(unclean).signer(privateKeyset).build()) {
            sink.write(record("evt-after"));
        }

        Report cleanReport = verify(clean);
        Report uncleanReport = verify(unclean);

        assertThat(cleanReport.verdict()).isEqualTo(Verdict.OK);
        assertThat(cleanReport.findings()).isEmpty();
        assertThat(uncleanReport.verdict()).isEqualTo(Verdict.OK);
        assertThat(uncleanReport.findings()).singleElement().satisfies(f -> {
            assertThat(f.kind()).isEqualTo(Kind.RESUMED_AFTER_CRASH);
            assertThat(f.line()).isEqualTo(16);
            assertThat(f.seq()).isEqualTo(15);
            assertThat(f.detail()).contains("2 records");
        });
    }

    @Test
    void versionTwoLinesBeforeTheChainAreReportedAsUnchained() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        Files.writeString(file, "{\"schema_version\":2,\"event_id\":\"old-1\"}\n{\"schema_version\":2,\"event_id\":"
                + "\"old-2\"}\n");
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).signer(privateKeyset).build()) {
            sink.write(record("evt-1"));
        }

        Report report = verify(file);

        assertThat(report.verdict()).isEqualTo(Verdict.INCOMPLETE);
        assertThat(report.findings()).extracting(Finding::kind, Finding::line)
                .containsExactly(org.assertj.core.groups.Tuple.tuple(Kind.UNCHAINED_LINES, 1L));
        deleteLines(file, 1, 1);
        assertTampered(verify(file), file, 2, 0, Kind.DELETED);
    }

    // ---- helpers --------------------------------------------------------------------------------------------------

    private Report verify(Path file) throws IOException {
        List<List<Path>> chains = AuditChainVerifier.chainFiles(List.of(file));
        assertThat(chains).hasSize(1);
        return AuditChainVerifier.withPublicKeyset(publicKeyset).verify(chains.get(0));
    }

    private static void assertTampered(Report report, Path file, long line, long seq, Kind kind) {
        assertThat(report.verdict()).as("verdict; findings %s", report.findings()).isEqualTo(Verdict.TAMPERED);
        assertThat(report.tampered().kind()).as("kind of %s", report.tampered()).isEqualTo(kind);
        assertThat(report.tampered().file()).isEqualTo(file);
        assertThat(report.tampered().line()).as("line of %s", report.tampered()).isEqualTo(line);
        assertThat(report.tampered().seq()).as("seq of %s", report.tampered()).isEqualTo(seq);
    }

    private Path writeStandard(String name) throws Exception {
        return writeStandard(dir.resolve(name), privateKeyset);
    }

    private static Path writeStandard(Path file, KeysetHandle key) throws Exception {
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).signer(key).checkpointEveryRecords(5)
                .build()) {
            for (int i = 1; i <= 12; i++) {
                sink.write(record("evt-" + i));
            }
        }
        assertThat(Files.readAllLines(file)).hasSize(16);
        return file;
    }

    /** 300 records rotated at 64 KiB into at least {@code atLeast} files; the files in chain order. */
    private List<Path> writeRotated(int atLeast) throws Exception {
        Path file = dir.resolve("audit.jsonl");
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).signer(privateKeyset)
                .maxFileBytes(64 * 1024).build()) {
            for (int i = 0; i < 300; i++) {
                sink.write(record("evt-" + i));
            }
        }
        List<Path> files = AuditChainVerifier.chainFiles(List.of(file)).get(0);
        assertThat(files).hasSizeGreaterThanOrEqualTo(atLeast);
        return files;
    }

    private static AuditRecord record(String eventId) {
        return new AuditRecord(AuditRecord.SCHEMA_VERSION, eventId, Instant.parse("2026-03-01T10:15:30Z"), "dec-1",
                new AuditRecord.Caller("https://issuer.example", "alice", "acme", "agent-app", null, "BEARER_JWT"),
                "sess-1", "orders", "refund_order", Map.of("order_id", "hmac-sha256:" + "ab".repeat(32)),
                AuditRecord.Verdict.ALLOW, null, AuditRecord.Outcome.SUCCESS, 1234, null,
                Map.of("policy_revision", "42", "padding", "x".repeat(300)));
    }

    /** The file's lines with a forged record, seq 4 and linked to line 4, put in as line 5. */
    private static List<String> withForgedRecordAfterLine4(Path file) throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(file));
        lines.add(4, forgedRecordAfter(lines.get(3), 4));
        return lines;
    }

    /** A record line the attacker makes up: a copy of {@code previous}'s shape, linked to it. */
    private static String forgedRecordAfter(String previous, long seq) {
        String forged = previous.replace("\"event_id\":\"evt-3\"", "\"event_id\":\"evt-forged\"")
                .replace("\"seq\":" + seqOf(previous) + ",", "\"seq\":" + seq + ",");
        return relink(forged, previous);
    }

    private static String relink(String line, String previous) {
        return line.replaceFirst("\"prev_hash\":(\"sha256:[0-9a-f]{64}\"|null)",
                "\"prev_hash\":\"" + sha256(previous) + "\"");
    }

    private static long seqOf(String line) {
        Matcher m = Pattern.compile("\"seq\":(\\d+)").matcher(line);
        assertThat(m.find()).isTrue();
        return Long.parseLong(m.group(1));
    }

    private static String sha256(String line) {
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        return AuditChainFormat.hash(AuditChainFormat.sha256(), bytes, 0, bytes.length);
    }

    private static void editLine(Path file, int lineNo, java.util.function.UnaryOperator<String> edit)
            throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(file));
        String edited = edit.apply(lines.get(lineNo - 1));
        assertThat(edited).as("the edit changed line %d", lineNo).isNotEqualTo(lines.get(lineNo - 1));
        lines.set(lineNo - 1, edited);
        write(file, lines);
    }

    private static void deleteLines(Path file, int from, int to) throws IOException {
        List<String> lines = new ArrayList<>(Files.readAllLines(file));
        lines.subList(from - 1, to).clear();
        write(file, lines);
    }

    private static void write(Path file, List<String> lines) throws IOException {
        Files.writeString(file, String.join("\n", lines) + "\n", StandardCharsets.UTF_8);
    }
}
