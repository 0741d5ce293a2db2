package dev.mcpguard.core.audit;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.crypto.tink.KeyTemplates;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.PublicKeyVerify;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.signature.SignatureConfig;
import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.spi.AuditSink.AuditWriteException;
import dev.mcpguard.core.audit.chain.AuditChainFormat;
import dev.mcpguard.core.testing.MutableClock;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Stream;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

/** The hash chain and checkpoints of {@link JsonlFileAuditSink} (schema version 3), on real files. */
@Timeout(60)
class JsonlFileAuditSinkChainTest {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static KeysetHandle privateKeyset;

    @TempDir
    Path dir;

    @BeforeAll
    static void keys() throws GeneralSecurityException {
        SignatureConfig.register();
        privateKeyset = KeysetHandle.generateNew(KeyTemplates.get("ECDSA_P256"));
    }

    @Test
    void aNewFileIsOneChainFromStartToCloseWithSignedCheckpoints() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).signer(privateKeyset).build()) {
            sink.write(AuditFixtures.record("evt-1"));
            sink.write(AuditFixtures.record("evt-2"));
        }

        List<JsonNode> lines = assertOneChain(file);
        assertThat(lines).extracting(l -> l.path("reason").asText(l.path("event_id").asText()))
                .containsExactly("start", "evt-1", "evt-2", "close");
        assertThat(lines.get(0).get("prev_hash").isNull()).isTrue();
        assertThat(lines.get(0).get("previous_unchained_lines").asLong()).isZero();
        assertThat(lines.get(1).get("schema_version").asInt()).isEqualTo(3);
        assertThat(lines.get(1).has("record_type")).as("record lines carry no record_type").isFalse();
        assertThat(lines.get(3).get("records").asLong()).isEqualTo(2);
        assertThat(lines.get(3).get("chain_id").asText()).isEqualTo(lines.get(0).get("chain_id").asText());
        assertThat(lines.get(3).get("key_id").asLong())
                .isEqualTo(Integer.toUnsignedLong(privateKeyset.getPrimary().getId()));
        assertSignaturesVerify(file, privateKeyset.getPublicKeysetHandle());
        assertThat(AuditRecordJson.readAll(file)).extracting(AuditRecord::eventId).containsExactly("evt-1", "evt-2");
    }

    @Test
    void aSignatureByAnotherKeyDoesNotVerify() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).signer(privateKeyset).build()) {
            sink.write(AuditFixtures.record("evt-1"));
        }
        KeysetHandle other = KeysetHandle.generateNew(KeyTemplates.get("ED25519")).getPublicKeysetHandle();

        assertThatThrownBy(() -> assertSignaturesVerify(file, other)).isInstanceOf(GeneralSecurityException.class);
    }

    @Test
    void writesAnIntervalCheckpointEveryNRecordsAndAfterTheIntervalHasPassed() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        MutableClock clock = MutableClock.startingAt("2026-03-01T10:00:00Z");
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).clock(clock).checkpointEveryRecords(3)
                .checkpointInterval(Duration.ofSeconds(60)).build()) {
            for (int i = 1; i <= 4; i++) {
                sink.write(AuditFixtures.record("evt-" + i));
            }
            clock.advance(Duration.ofSeconds(60));
            sink.write(AuditFixtures.record("evt-5"));
        }

        List<JsonNode> lines = assertOneChain(file);
        assertThat(lines).extracting(l -> l.path("reason").asText(l.path("event_id").asText()))
                .containsExactly("start", "evt-1", "evt-2", "evt-3", "interval", "evt-4", "evt-5", "interval",
                        "close");
        assertThat(lines.get(4).get("records").asLong()).isEqualTo(3);
        assertThat(lines.get(7).get("time").asText()).isEqualTo("2026-03-01T10:01:00Z");
        assertThat(lines.get(8).get("key_id").isNull()).as("no signer: unsigned").isTrue();
        assertThat(lines.get(8).get("signature").isNull()).isTrue();
    }

    @Test
    void aBatchCutOffAfterAFailedForceTakesItsPlaceInTheChainWithIt() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        AtomicInteger forces = new AtomicInteger();
        JsonlFileAuditSink.WriterHook failSecondForce = new JsonlFileAuditSink.WriterHook() {
            @Override
            public void beforeBatch(int size) {
            }

            @Override
            public void beforeForce(int size) throws IOException {
                if (forces.incrementAndGet() == 2) {
                    throw new IOException("simulated fsync failure");
                }
            }
        };
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).checkpointEveryRecords(2)
                .writerHook(failSecondForce).build()) {
            sink.write(AuditFixtures.record("evt-1"));
            // evt-2 would complete an interval: the record and its checkpoint are cut off together.
            assertThatThrownBy(() -> sink.write(AuditFixtures.record("evt-2"))).isInstanceOf(AuditWriteException.class);
            sink.write(AuditFixtures.record("evt-3"));
        }

        List<JsonNode> lines = assertOneChain(file);
        assertThat(lines).extracting(l -> l.path("reason").asText(l.path("event_id").asText()))
                .containsExactly("start", "evt-1", "evt-3", "interval", "close");
        assertThat(lines.get(2).get("seq").asLong()).isEqualTo(2);
        assertThat(lines.get(3).get("records").asLong()).isEqualTo(2);
    }

    @Test
    void aFailingSignerFailsTheBatchAndLeavesTheChainAsItWas() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        AtomicInteger signatures = new AtomicInteger();
        CheckpointSigner failsThirdSignature = new CheckpointSigner() {
            @Override
            public long keyId() {
                return 7;
            }

            @Override
            public byte[] sign(byte[] data) throws GeneralSecurityException {
                if (signatures.incrementAndGet() == 2) {
                    throw new GeneralSecurityException("simulated signer failure");
                }
                return new byte[] {1, 2, 3};
            }
        };
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).checkpointEveryRecords(1)
                .signer(failsThirdSignature).build()) {
            assertThatThrownBy(() -> sink.write(AuditFixtures.record("evt-1"))).isInstanceOf(AuditWriteException.class)
                    .hasRootCauseMessage("simulated signer failure");
            sink.write(AuditFixtures.record("evt-2"));
        }

        assertThat(assertOneChain(file)).extracting(l -> l.path("reason").asText(l.path("event_id").asText()))
                .containsExactly("start", "evt-2", "interval", "close");
    }

    @Test
    void aCleanRestartResumesTheChainWithTheSameIdAndNextSeq() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).build()) {
            sink.write(AuditFixtures.record("evt-1"));
        }
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).build()) {
            sink.write(AuditFixtures.record("evt-2"));
        }

        List<JsonNode> lines = assertOneChain(file);
        assertThat(lines).extracting(l -> l.path("reason").asText(l.path("event_id").asText()))
                .containsExactly("start", "evt-1", "close", "resume", "evt-2", "close");
        assertThat(lines.get(3).get("unsigned_records").asLong()).isZero();
        assertThat(lines.get(3).get("records").asLong()).isEqualTo(1);
        assertThat(lines.get(5).get("records").asLong()).isEqualTo(2);
    }

    @Test
    void aRestartAfterACrashResumesAndCountsTheRecordsThatWereLeftUnsigned() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        Path crashed = dir.resolve("crashed.jsonl");
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).build()) {
            sink.write(AuditFixtures.record("evt-1"));
            sink.write(AuditFixtures.record("evt-2"));
            Files.copy(file, crashed); // the file as a kill -9 would leave it: no close checkpoint
        }
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(crashed).build()) {
            sink.write(AuditFixtures.record("evt-3"));
        }

        List<JsonNode> lines = assertOneChain(crashed);
        assertThat(lines).extracting(l -> l.path("reason").asText(l.path("event_id").asText()))
                .containsExactly("start", "evt-1", "evt-2", "resume", "evt-3", "close");
        assertThat(lines.get(3).get("unsigned_records").asLong()).isEqualTo(2);
        assertThat(lines.get(3).get("records").asLong()).isEqualTo(2);
    }

    @Test
    void aTornLastLineIsKeptAsItsOwnLineAndARecoveryCheckpointContinuesTheChain() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).build()) {
            sink.write(AuditFixtures.record("evt-1"));
        }
        byte[] before = Files.readAllBytes(file);
        byte[] torn = "{\"schema_version\":3,\"event_id\":\"evt-half".getBytes(StandardCharsets.US_ASCII);
        Files.write(file, torn, StandardOpenOption.APPEND);

        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).build()) {
            sink.write(AuditFixtures.record("evt-2"));
        }

        byte[] after = Files.readAllBytes(file);
        assertThat(new String(after, 0, before.length + torn.length, StandardCharsets.US_ASCII))
                .as("existing bytes never rewritten").isEqualTo(new String(before, StandardCharsets.US_ASCII)
                        + new String(torn, StandardCharsets.US_ASCII));
        List<String> raw = Files.readAllLines(file);
        assertThat(raw.get(3)).isEqualTo(new String(torn, StandardCharsets.US_ASCII));
        JsonNode recovery = JSON.readTree(raw.get(4));
        assertThat(recovery.get("reason").asText()).isEqualTo("recovery");
        assertThat(recovery.get("seq").asLong()).isEqualTo(3);
        assertThat(recovery.get("prev_hash").asText()).isEqualTo(sha256(raw.get(2)));
        assertThat(recovery.get("torn_bytes").asLong()).isEqualTo(torn.length);
        assertThat(recovery.get("torn_sha256").asText()).isEqualTo(sha256(raw.get(3)));
        assertThat(recovery.get("unsigned_records").asLong()).isZero();
        assertThat(AuditRecordJson.isChainLine(raw.get(4))).isTrue();
    }

    @Test
    void aVersionTwoFileGetsANewChainWhoseStartCountsTheUnchainedLines() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        Files.writeString(file, AuditRecordJson.toJsonLine(AuditFixtures.record("old-1")) + "\n"
                + AuditRecordJson.toJsonLine(AuditFixtures.record("old-2")) + "\n");
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).build()) {
            sink.write(AuditFixtures.record("evt-1"));
        }

        List<String> raw = Files.readAllLines(file);
        JsonNode start = JSON.readTree(raw.get(2));
        assertThat(start.get("reason").asText()).isEqualTo("start");
        assertThat(start.get("seq").asLong()).isZero();
        assertThat(start.get("previous_unchained_lines").asLong()).isEqualTo(2);
        assertThat(AuditRecordJson.readAll(file)).extracting(AuditRecord::eventId)
                .containsExactly("old-1", "old-2", "evt-1");
        assertThat(AuditRecordJson.readAll(file).get(0).schemaVersion()).isEqualTo(2);
        assertThat(AuditRecordJson.readAll(file).get(2).schemaVersion()).isEqualTo(3);
    }

    @Test
    void rotationRenamesTheFullFileAfterItsFirstSeqAndTheChainContinuesInTheNext() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        int records = 400; // about 600 bytes each: several 64 KiB files
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).maxFileBytes(64 * 1024).build()) {
            for (int i = 0; i < records; i++) {
                sink.write(AuditFixtures.record("evt-" + i));
            }
        }

        List<Path> files = chainFiles();
        assertThat(files).hasSizeGreaterThanOrEqualTo(3);
        assertThat(files.get(0).getFileName().toString()).isEqualTo("audit.00000000000000000000.jsonl");
        List<JsonNode> all = new ArrayList<>();
        for (int i = 0; i < files.size(); i++) {
            Path f = files.get(i);
            assertThat(Files.size(f)).isLessThanOrEqualTo(64 * 1024);
            List<JsonNode> lines = parseLines(f);
            if (i > 0) {
                assertThat(lines.get(0).get("reason").asText()).isEqualTo("continue");
                assertThat(lines.get(0).get("previous_file").asText())
                        .isEqualTo(files.get(i - 1).getFileName().toString());
                assertThat(f.getFileName().toString()).isEqualTo(i == files.size() - 1 ? "audit.jsonl"
                        : AuditChainFormat.rotatedName("audit.jsonl", lines.get(0).get("seq").asLong()));
            }
            if (i < files.size() - 1) {
                assertThat(lines.get(lines.size() - 1).get("reason").asText()).isEqualTo("rotate");
                assertThat(lines.get(lines.size() - 1).get("next_file").asText()).isEqualTo("audit.jsonl");
            }
            all.addAll(lines);
        }
        assertLinked(all, files.stream().flatMap(JsonlFileAuditSinkChainTest::rawLines).toList());
        assertThat(all.stream().filter(l -> !l.has("record_type")).count()).isEqualTo(records);
    }

    @Test
    void aRestartFindsARotationACrashLeftHalfDoneAndFinishesIt() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).maxFileBytes(64 * 1024).build()) {
            for (int i = 0; i < 150; i++) {
                sink.write(AuditFixtures.record("evt-" + i));
            }
        }
        List<Path> files = chainFiles();
        Path last = files.get(files.size() - 2);
        // Undo the last rename and the continue line: the crash came between the rotate checkpoint and the rename.
        Files.delete(file);
        Files.move(last, file);

        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).build()) {
            sink.write(AuditFixtures.record("evt-after"));
        }

        List<Path> after = chainFiles();
        assertThat(after).extracting(p -> p.getFileName().toString()).isEqualTo(files.stream()
                .map(p -> p.getFileName().toString()).toList());
        List<JsonNode> active = parseLines(file);
        assertThat(active.get(0).get("reason").asText()).isEqualTo("continue");
        assertThat(active.get(1).get("event_id").asText()).isEqualTo("evt-after");
        assertLinked(after.stream().flatMap(f -> parseLines(f).stream()).toList(),
                after.stream().flatMap(JsonlFileAuditSinkChainTest::rawLines).toList());
    }

    @Test
    void theAsyncWriterChainsItsBatchesAndClosesTheChain() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).mode(JsonlFileAuditSink.Mode.ASYNC)
                .maxBatchSize(7).checkpointEveryRecords(50).signer(privateKeyset).build();
        for (int i = 0; i < 300; i++) {
            sink.write(AuditFixtures.record("evt-" + i));
        }
        sink.close();

        List<JsonNode> lines = assertOneChain(file);
        assertThat(lines.stream().filter(l -> "interval".equals(l.path("reason").asText())).count()).isEqualTo(6);
        assertThat(lines.get(lines.size() - 1).get("reason").asText()).isEqualTo("close");
        assertThat(lines.get(lines.size() - 1).get("records").asLong()).isEqualTo(300);
        assertSignaturesVerify(file, privateKeyset.getPublicKeysetHandle());
    }

    @Test
    void builderRejectsBadChainSettingsShowingTheValue() {
        JsonlFileAuditSink.Builder builder = JsonlFileAuditSink.builder(dir.resolve("a.jsonl"));

        assertThatThrownBy(() -> builder.checkpointEveryRecords(0)).hasMessageContaining("got 0");
        assertThatThrownBy(() -> builder.checkpointInterval(Duration.ofMillis(10))).hasMessageContaining("PT0.01S");
        assertThatThrownBy(() -> builder.maxFileBytes(100)).hasMessageContaining("got 100");
        assertThatThrownBy(() -> {
            try {
                com.google.crypto.tink.aead.AeadConfig.register();
                builder.signer(KeysetHandle.generateNew(KeyTemplates.get("AES128_GCM")));
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        }).isInstanceOf(IllegalArgumentException.class).hasMessageContaining("private signature key");
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private List<Path> chainFiles() throws IOException {
        try (Stream<Path> list = Files.list(dir)) {
            List<Path> rotated = new ArrayList<>(list.filter(p -> p.getFileName().toString().matches(
                    "audit\\.\\d{20}\\.jsonl")).sorted().toList());
            rotated.add(dir.resolve("audit.jsonl"));
            return rotated;
        }
    }

    private static Stream<String> rawLines(Path file) {
        try {
            return Files.readAllLines(file).stream();
        } catch (IOException e) {
            throw new IllegalStateException(e);
        }
    }

    private static List<JsonNode> parseLines(Path file) {
        return rawLines(file).map(l -> {
            try {
                return JSON.readTree(l);
            } catch (IOException e) {
                throw new IllegalStateException(e);
            }
        }).toList();
    }

    /** Asserts the file is one chain from seq 0; returns its parsed lines. */
    private static List<JsonNode> assertOneChain(Path file) throws IOException {
        List<JsonNode> lines = parseLines(file);
        assertLinked(lines, Files.readAllLines(file));
        return lines;
    }

    private static void assertLinked(List<JsonNode> lines, List<String> raw) {
        String chainId = lines.get(0).get("chain_id").asText();
        long records = 0;
        for (int i = 0; i < lines.size(); i++) {
            JsonNode line = lines.get(i);
            assertThat(line.get("seq").asLong()).as("seq of line %d", i + 1).isEqualTo(i);
            if (i > 0) {
                assertThat(line.get("prev_hash").asText()).as("prev_hash of line %d", i + 1)
                        .isEqualTo(sha256(raw.get(i - 1)));
            }
            if (line.has("record_type")) {
                assertThat(line.get("chain_id").asText()).isEqualTo(chainId);
                assertThat(line.get("records").asLong()).as("records of line %d", i + 1).isEqualTo(records);
            } else {
                records++;
            }
        }
    }

    private static void assertSignaturesVerify(Path file, KeysetHandle publicKeyset) throws Exception {
        PublicKeyVerify verify = publicKeyset.getPrimitive(RegistryConfiguration.get(), PublicKeyVerify.class);
        int verified = 0;
        for (String line : Files.readAllLines(file)) {
            if (!AuditRecordJson.isChainLine(line)) {
                continue;
            }
            String signature = JSON.readTree(line).get("signature").asText();
            int at = line.lastIndexOf(",\"signature\":");
            byte[] signed = (line.substring(0, at) + "}").getBytes(StandardCharsets.UTF_8);
            verify.verify(Base64.getUrlDecoder().decode(signature), signed);
            verified++;
        }
        assertThat(verified).isPositive();
    }

    private static String sha256(String line) {
        byte[] bytes = line.getBytes(StandardCharsets.UTF_8);
        return AuditChainFormat.hash(AuditChainFormat.sha256(), bytes, 0, bytes.length);
    }
}
