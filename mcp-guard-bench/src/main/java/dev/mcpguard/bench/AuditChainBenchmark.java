package dev.mcpguard.bench;

import com.google.crypto.tink.KeyTemplates;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.PublicKeySign;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.signature.SignatureConfig;
import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.core.audit.AuditRecordJson;
import dev.mcpguard.core.audit.chain.AuditChainFormat;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.MessageDigest;
import java.time.Instant;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The CPU cost of the audit file's hash chain, apart from the disk: one record's line without the chain
 * ({@code recordLineUnchained}: the version-2 JSON line), the same line with the chain's work done as the sink does
 * it ({@code recordLineChained}: the line, {@code seq} and {@code prev_hash} appended, SHA-256 of the line), and
 * one checkpoint signature with Tink ({@code checkpointSignEcdsaP256}, {@code checkpointSignEd25519}) over a
 * checkpoint line of the real size. A checkpoint comes every 1,000 records by default, so its signature costs the
 * average record a thousandth of that.
 *
 * <p>Run: {@code java -jar mcp-guard-bench/target/benchmarks.jar AuditChain}
 */
@State(Scope.Thread)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class AuditChainBenchmark {

    private static final byte[] SEQ = ",\"seq\":".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] PREV = ",\"prev_hash\":\"".getBytes(StandardCharsets.US_ASCII);
    private static final byte[] END = "\"}".getBytes(StandardCharsets.US_ASCII);

    private final MessageDigest digest = AuditChainFormat.sha256();
    private AuditRecord record;
    private String prevHash = "sha256:" + "0".repeat(64);
    private long seq;
    private byte[] checkpoint;
    private PublicKeySign ecdsa;
    private PublicKeySign ed25519;

    @Setup
    public void setUp() throws GeneralSecurityException {
        record = new AuditRecord(AuditRecord.SCHEMA_VERSION, "evt-1", Instant.parse("2026-03-01T10:15:30.123456Z"),
                "dec-1", new AuditRecord.Caller("https://login.example.com/realms/acme", "alice", "acme",
                "support-agent", null, "BEARER_JWT"), "f1e2d3c4", "orders", "get_order",
                Map.of("order_id", "A-10017", "include", "hmac-sha256:9b2d4e6f0a1c3e5b7d9f1a3c5e7b9d1f"),
                AuditRecord.Verdict.ALLOW, null, AuditRecord.Outcome.SUCCESS, 180, null,
                Map.of("policy_revision", "42"));
        checkpoint = ("{\"schema_version\":3,\"record_type\":\"checkpoint\",\"reason\":\"interval\",\"chain_id\":"
                + "\"4f1c2d3e-5a6b-4c7d-8e9f-0a1b2c3d4e5f\",\"seq\":1001,\"time\":\"2026-03-01T10:16:30.123456Z\","
                + "\"records\":1000,\"prev_hash\":\"sha256:" + "ab".repeat(32) + "\",\"key_id\":375777854}")
                .getBytes(StandardCharsets.US_ASCII);
        SignatureConfig.register();
        ecdsa = KeysetHandle.generateNew(KeyTemplates.get("ECDSA_P256"))
                .getPrimitive(RegistryConfiguration.get(), PublicKeySign.class);
        ed25519 = KeysetHandle.generateNew(KeyTemplates.get("ED25519"))
                .getPrimitive(RegistryConfiguration.get(), PublicKeySign.class);
    }

    @Benchmark
    public byte[] recordLineUnchained() {
        return (AuditRecordJson.toJsonLine(record) + "\n").getBytes(StandardCharsets.UTF_8);
    }

    @Benchmark
    public byte[] recordLineChained() {
        String json = AuditRecordJson.toJsonLine(record);
        byte[] prefix = json.substring(0, json.length() - 1).getBytes(StandardCharsets.UTF_8);
        byte[] seqText = Long.toString(seq++).getBytes(StandardCharsets.US_ASCII);
        byte[] prev = prevHash.getBytes(StandardCharsets.US_ASCII);
        byte[] line = new byte[prefix.length + SEQ.length + seqText.length + PREV.length + prev.length
                + END.length + 1];
        int at = 0;
        for (byte[] part : new byte[][] {prefix, SEQ, seqText, PREV, prev, END}) {
            System.arraycopy(part, 0, line, at, part.length);
            at += part.length;
        }
        line[at] = '\n';
        prevHash = AuditChainFormat.hash(digest, line, 0, line.length - 1);
        return line;
    }

    @Benchmark
    public byte[] checkpointSignEcdsaP256() throws GeneralSecurityException {
        return ecdsa.sign(checkpoint);
    }

    @Benchmark
    public byte[] checkpointSignEd25519() throws GeneralSecurityException {
        return ed25519.sign(checkpoint);
    }
}
