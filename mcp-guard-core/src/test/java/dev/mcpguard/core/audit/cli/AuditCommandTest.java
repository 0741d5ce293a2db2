package dev.mcpguard.core.audit.cli;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.core.audit.JsonlFileAuditSink;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.PosixFilePermissions;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

import static org.assertj.core.api.Assertions.assertThat;

class AuditCommandTest {

    @TempDir
    Path dir;

    private final ByteArrayOutputStream out = new ByteArrayOutputStream();
    private final ByteArrayOutputStream err = new ByteArrayOutputStream();

    @Test
    void keygenWritesAPrivateKeysetOnlyTheOwnerCanReadAndNeverOverwrites() throws Exception {
        Path privateKeyset = dir.resolve("audit-signing.json");
        Path publicKeyset = dir.resolve("audit-signing.pub.json");

        assertThat(run("keygen", "--private-keyset", privateKeyset.toString(), "--public-keyset",
                publicKeyset.toString(), "--algorithm", "ed25519")).isZero();

        assertThat(PosixFilePermissions.toString(Files.getPosixFilePermissions(privateKeyset))).isEqualTo("rw-------");
        assertThat(Files.readString(publicKeyset)).contains("Ed25519PublicKey").doesNotContain("PrivateKey");
        assertThat(stdout()).contains("KMS").doesNotContain(Files.readString(privateKeyset));
        String before = Files.readString(privateKeyset);
        assertThat(run("keygen", "--private-keyset", privateKeyset.toString(), "--public-keyset",
                dir.resolve("other.json").toString())).isEqualTo(1);
        assertThat(Files.readString(privateKeyset)).isEqualTo(before);
    }

    @Test
    void verifyPrintsASummaryLineFirstAndExitsByVerdictWithoutPrintingRecordContents() throws Exception {
        Path privateKeyset = dir.resolve("k.json");
        Path publicKeyset = dir.resolve("k.pub.json");
        assertThat(run("keygen", "--private-keyset", privateKeyset.toString(), "--public-keyset",
                publicKeyset.toString())).isZero();
        KeysetHandle signing = TinkJsonProtoKeysetFormat.parseKeyset(Files.readString(privateKeyset),
                InsecureSecretKeyAccess.get());
        Path file = dir.resolve("logs/audit.jsonl");
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).signer(signing).build()) {
            for (int i = 1; i <= 3; i++) {
                sink.write(record("evt-" + i));
            }
        }

        assertThat(run("verify", file.toString(), "--public-key", publicKeyset.toString())).isZero();
        assertThat(stdout().lines().findFirst().orElseThrow()).startsWith("OK chain ")
                .contains("3 records in 1 file, 2 checkpoints, last signed seq 4");

        assertThat(run("verify", dir.resolve("logs").toString())).isEqualTo(3);
        assertThat(stdout()).startsWith("INCOMPLETE chain ").contains("signatures were not checked");

        List<String> lines = new ArrayList<>(Files.readAllLines(file));
        lines.set(2, lines.get(2).replace("\"tenant\":\"acme\"", "\"tenant\":\"other\""));
        Files.writeString(file, String.join("\n", lines) + "\n");
        assertThat(run("verify", file.toString(), "--public-key", publicKeyset.toString())).isEqualTo(1);
        assertThat(stdout().lines().findFirst().orElseThrow())
                .isEqualTo("TAMPERED " + file + ":3 seq 2: edited: its hash does not match the prev_hash of the"
                        + " next chain line (line 4)");
        assertThat(stdout()).doesNotContain("alice").doesNotContain("acme").doesNotContain("refund_order");
    }

    @Test
    void usageAndInputErrorsExitWithTwo() throws Exception {
        Path privateKeyset = dir.resolve("k.json");
        assertThat(run("keygen", "--private-keyset", privateKeyset.toString(), "--public-keyset",
                dir.resolve("k.pub.json").toString())).isZero();

        assertThat(run()).isEqualTo(2);
        assertThat(run("verify")).isEqualTo(2);
        assertThat(run("verify", dir.resolve("missing.jsonl").toString())).isEqualTo(2);
        Files.createDirectories(dir.resolve("empty"));
        assertThat(run("verify", dir.resolve("empty").toString())).as("a directory without audit files").isEqualTo(2);
        assertThat(run("frobnicate")).isEqualTo(2);
        Files.writeString(dir.resolve("audit.jsonl"), "");
        assertThat(run("verify", dir.resolve("audit.jsonl").toString(), "--public-key", privateKeyset.toString()))
                .isEqualTo(2);
        assertThat(stderr()).contains("private keyset is refused").doesNotContain(Files.readString(privateKeyset));
        assertThat(run("keygen", "--private-keyset", "a", "--public-keyset", "b", "--algorithm", "rsa")).isEqualTo(2);
    }

    private int run(String... args) {
        out.reset();
        err.reset();
        return AuditCommand.run(args, new PrintStream(out, true, StandardCharsets.UTF_8),
                new PrintStream(err, true, StandardCharsets.UTF_8));
    }

    private String stdout() {
        return out.toString(StandardCharsets.UTF_8);
    }

    private String stderr() {
        return err.toString(StandardCharsets.UTF_8);
    }

    private static AuditRecord record(String eventId) {
        return new AuditRecord(AuditRecord.SCHEMA_VERSION, eventId, Instant.parse("2026-03-01T10:15:30Z"), "dec-1",
                new AuditRecord.Caller("https://issuer.example", "alice", "acme", "agent-app", null, "BEARER_JWT"),
                "sess-1", "orders", "refund_order", Map.of(), AuditRecord.Verdict.ALLOW, null,
                AuditRecord.Outcome.SUCCESS, 1234, null, Map.of());
    }
}
