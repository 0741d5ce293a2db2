package dev.mcpguard.bench;

import com.google.crypto.tink.KeyTemplates;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.signature.SignatureConfig;
import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.core.audit.AuditRecordJson;
import dev.mcpguard.core.audit.JsonlFileAuditSink;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.time.Instant;
import java.util.Comparator;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantLock;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Durable audit writes ({@link JsonlFileAuditSink.Mode#DURABLE}: appended and forced before {@code write}
 * returns) with 1 and 8 writing threads, against the algorithm DURABLE used before group commit: one writer at a
 * time, one {@code force} per record ({@code forcePerRecord*}, the same lines on a file of its own, in the same
 * run). {@code durable*} write the hash chain (schema version 3, unsigned checkpoints every 1,000 records);
 * {@code durableSignedEightThreads} signs them with ECDSA P-256. Throughput in records per second; for the latency of one write (p50, p99) run it in sample mode:
 * {@code java -jar mcp-guard-bench/target/benchmarks.jar AuditSink -bm sample -tu us}.
 *
 * <p>The files go to {@code -Dmcpguard.bench.auditDir} (default {@code java.io.tmpdir}): put it on the disk the
 * audit trail would use; on tmpfs a force costs nothing and the figures mean nothing.
 *
 * <p>Run: {@code mvn -q -pl mcp-guard-bench -am package -DskipTests && java -jar mcp-guard-bench/target/benchmarks.jar AuditSink}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.Throughput)
@OutputTimeUnit(TimeUnit.SECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 4, time = 2)
@Fork(1)
public class AuditSinkBenchmark {

    private final AtomicLong sequence = new AtomicLong();
    private Path dir;
    private JsonlFileAuditSink durable;
    private JsonlFileAuditSink durableSigned;
    private ForcePerRecordFile forcePerRecord;

    @Setup
    public void setUp() throws IOException {
        Path base = Path.of(System.getProperty("mcpguard.bench.auditDir", System.getProperty("java.io.tmpdir")));
        dir = Files.createTempDirectory(Files.createDirectories(base), "mcp-guard-audit-bench");
        durable = JsonlFileAuditSink.builder(dir.resolve("durable.jsonl")).build();
        try {
            SignatureConfig.register();
            durableSigned = JsonlFileAuditSink.builder(dir.resolve("durable-signed.jsonl"))
                    .signer(KeysetHandle.generateNew(KeyTemplates.get("ECDSA_P256"))).build();
        } catch (GeneralSecurityException e) {
            throw new IOException("could not make the benchmark's signing key", e);
        }
        forcePerRecord = new ForcePerRecordFile(dir.resolve("force-per-record.jsonl"));
    }

    @TearDown
    public void tearDown() throws IOException {
        durable.close();
        durableSigned.close();
        forcePerRecord.close();
        try (Stream<Path> files = Files.walk(dir)) {
            files.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        }
    }

    @Benchmark
    @Threads(1)
    public void durableOneThread() throws Exception {
        durable.write(record());
    }

    @Benchmark
    @Threads(8)
    public void durableEightThreads() throws Exception {
        durable.write(record());
    }

    @Benchmark
    @Threads(8)
    public void durableSignedEightThreads() throws Exception {
        durableSigned.write(record());
    }

    @Benchmark
    @Threads(1)
    public void forcePerRecordOneThread() throws IOException {
        forcePerRecord.write(record());
    }

    @Benchmark
    @Threads(8)
    public void forcePerRecordEightThreads() throws IOException {
        forcePerRecord.write(record());
    }

    private AuditRecord record() {
        return new AuditRecord(AuditRecord.SCHEMA_VERSION, "evt-" + sequence.incrementAndGet(),
                Instant.parse("2026-03-01T10:15:30.123456Z"), "dec-1",
                new AuditRecord.Caller("https://login.example.com/realms/acme", "alice", "acme", "support-agent",
                        null, "BEARER_JWT"),
                "f1e2d3c4", "orders", "get_order",
                Map.of("order_id", "A-10017", "include", "hmac-sha256:9b2d4e6f0a1c3e5b7d9f1a3c5e7b9d1f"),
                AuditRecord.Verdict.ALLOW, null, AuditRecord.Outcome.SUCCESS, 180, null,
                Map.of("policy_revision", "42"));
    }

    /** DURABLE before group commit: serialized append, size check and force for every record. */
    static final class ForcePerRecordFile {
        private final ReentrantLock lock = new ReentrantLock();
        private final FileChannel channel;

        ForcePerRecordFile(Path file) throws IOException {
            channel = FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND,
                    StandardOpenOption.WRITE);
        }

        void write(AuditRecord record) throws IOException {
            byte[] line = (AuditRecordJson.toJsonLine(record) + "\n").getBytes(StandardCharsets.UTF_8);
            lock.lock();
            try {
                channel.size();
                ByteBuffer buffer = ByteBuffer.wrap(line);
                while (buffer.hasRemaining()) {
                    channel.write(buffer);
                }
                channel.force(false);
            } finally {
                lock.unlock();
            }
        }

        void close() throws IOException {
            channel.close();
        }
    }
}
