package dev.mcpguard.core.audit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeyTemplates;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.signature.SignatureConfig;
import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.core.audit.chain.AuditChainVerifier;

import java.io.BufferedReader;
import java.io.File;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.OutputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.SecureRandom;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.jar.JarEntry;
import java.util.jar.JarOutputStream;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Kills a JVM that writes audit records under concurrent load with SIGKILL, over and over, and checks what the
 * file holds afterwards against what the process acknowledged ({@link KillLoopChild} prints {@code ACK <n>} only
 * after the guarded call returned its result, that is after {@link JsonlFileAuditSink#write} returned for its
 * record).
 *
 * <ul>
 *   <li>{@link JsonlFileAuditSink.Mode#DURABLE}: every acknowledged call has exactly one complete record line;
 *       lost = 0.</li>
 *   <li>{@link JsonlFileAuditSink.Mode#ASYNC}: an acknowledged record is not guaranteed. A kill -9 is a process
 *       crash: bytes the writer passed to {@code write()} survive in the page cache, the records still in the
 *       Java queue or in the batch the writer was assembling are lost, so at most {@code queueCapacity +
 *       maxBatchSize} acknowledged records per crash.</li>
 * </ul>
 *
 * <p>In both modes the file has no garbage: every line but the last is a complete record, and a torn last line is
 * reported, never counted as a record. Power loss (the page cache lost before a force) cannot be tested here.
 *
 * <p>Runs: {@value #RUNS_PROPERTY} (default {@value #DEFAULT_RUNS}); the acks before each kill are random,
 * from the seed {@value #SEED_PROPERTY} (printed, so a failing loop can be repeated).
 */
class JsonlFileAuditSinkKillTest {

    static final String RUNS_PROPERTY = "mcp.guard.killLoop.runs";
    static final String SEED_PROPERTY = "mcp.guard.killLoop.seed";
    static final int DEFAULT_RUNS = 100;
    /** Runs on one file before the loop starts a fresh one, so re-reading the whole file each run stays cheap. */
    private static final int RUNS_PER_FILE = 25;
    private static final int MAX_ACKS_BEFORE_KILL = 200;
    /** Numbers of run r start at r times this; a child never makes this many calls before it is killed. */
    private static final long NUMBERS_PER_RUN = 10_000_000L;
    /** What {@link Process#waitFor()} reports on Linux for a process ended by signal 9. */
    private static final int EXIT_BY_SIGKILL = 128 + 9;
    private static final int ASYNC_QUEUE_CAPACITY = 256;
    private static final int ASYNC_MAX_BATCH = 64;
    /** Every this many runs the test tears the file's last line itself (see {@link #killLoop}). */
    private static final int TEAR_EVERY_RUNS = 7;
    private static final byte[] TORN_FRAGMENT =
            "{\"schema_version\":3,\"event_id\":\"torn-by-the-test\",\"time\":\"2026-".getBytes(StandardCharsets.US_ASCII);
    /** How long one child may take to reach its acks before the run fails (a hang, not a timing assertion). */
    private static final Duration CHILD_DEADLINE = Duration.ofMinutes(2);

    private static final Logger log = LoggerFactory.getLogger(JsonlFileAuditSinkKillTest.class);
    private static final ObjectMapper JSON = new ObjectMapper();

    @TempDir
    Path dir;

    @Test
    void durableSinkKeepsEveryAcknowledgedRecordWhenTheJvmIsKilledUnderLoad() throws Exception {
        LoopResult result = killLoop(JsonlFileAuditSink.Mode.DURABLE);

        assertThat(result.lostPerRun().keySet()).as("acknowledged records lost per run").containsOnly(0);
        assertThat(result.acked()).isGreaterThanOrEqualTo(result.runs());
    }

    @Test
    void asyncSinkLosesAtMostItsQueueAndOneBatchOfAcknowledgedRecordsWhenTheJvmIsKilled() throws Exception {
        LoopResult result = killLoop(JsonlFileAuditSink.Mode.ASYNC);

        assertThat(result.lostPerRun().keySet()).as("acknowledged records lost per run")
                .allSatisfy(lost -> assertThat(lost).isBetween(0, ASYNC_QUEUE_CAPACITY + ASYNC_MAX_BATCH));
        assertThat(result.acked()).isGreaterThanOrEqualTo(result.runs());
    }

    private LoopResult killLoop(JsonlFileAuditSink.Mode mode) throws Exception {
        int runs = Integer.getInteger(RUNS_PROPERTY, DEFAULT_RUNS);
        long seed = Long.getLong(SEED_PROPERTY, new SecureRandom().nextLong());
        log.info("kill loop {}: {} runs, seed {} (-D{}={} repeats the ack counts)", mode, runs, seed,
                SEED_PROPERTY, seed);
        Random random = new Random(seed);
        Map<Integer, Integer> lostPerRun = new TreeMap<>();
        long acked = 0;
        int tornTails = 0;
        int maxTornBytes = 0;
        Path file = null;
        int runsOnFile = 0;
        int files = 0;
        Set<Long> recordedBefore = Set.of();
        Set<Long> ackedOnFile = new HashSet<>();
        long started = System.nanoTime();
        SignatureConfig.register();
        KeysetHandle privateKeyset = KeysetHandle.generateNew(KeyTemplates.get("ECDSA_P256"));
        KeysetHandle publicKeyset = privateKeyset.getPublicKeysetHandle();
        Path signingKeyset = dir.resolve("signing-keyset.json"); // a test key, cleartext for the child to read
        Files.writeString(signingKeyset,
                TinkJsonProtoKeysetFormat.serializeKeyset(privateKeyset, InsecureSecretKeyAccess.get()));
        List<String> jvmOptions = startupOptions(mode, signingKeyset);
        for (int run = 0; run < runs; run++) {
            if (file == null || runsOnFile == RUNS_PER_FILE) {
                file = dir.resolve("audit-" + files++ + ".jsonl");
                runsOnFile = 0;
                recordedBefore = Set.of();
                ackedOnFile.clear();
            }
            runsOnFile++;
            int acksBeforeKill = 1 + random.nextInt(MAX_ACKS_BEFORE_KILL);
            long first = run * NUMBERS_PER_RUN;
            List<Long> ackedNow = runChildUntilKilled(jvmOptions, mode, file, first, acksBeforeKill);
            String where = "run " + run + " (seed " + seed + ", kill after " + acksBeforeKill + " acks, file "
                    + file.getFileName() + ")";
            assertThat(ackedNow).as(where)
                    .allSatisfy(n -> assertThat(n).isBetween(first, first + NUMBERS_PER_RUN - 1));

            FileContents contents = assertFileIntact(file, where, publicKeyset);

            assertThat(contents.numbers()).as("%s: records already on disk before this run", where)
                    .containsAll(recordedBefore);
            if (mode == JsonlFileAuditSink.Mode.DURABLE) {
                assertThat(contents.numbers()).as("%s: acknowledged durable records", where).containsAll(ackedOnFile);
            }
            int lost = 0;
            for (long n : ackedNow) {
                if (!contents.numbers().contains(n)) {
                    lost++;
                }
            }
            lostPerRun.merge(lost, 1, Integer::sum);
            if (mode == JsonlFileAuditSink.Mode.DURABLE) {
                assertThat(lost).as("%s: acknowledged durable records missing", where).isZero();
            }
            acked += ackedNow.size();
            ackedOnFile.addAll(ackedNow);
            recordedBefore = contents.numbers();
            if (contents.tornBytes() == 0 && run % TEAR_EVERY_RUNS == TEAR_EVERY_RUNS - 1) {
                // A kill in the middle of write() is rare on a local disk (one write per batch), so every few runs
                // the loop leaves what one looks like: the first half of a record line, no newline. The verifier
                // must report it as a torn line, and the next child must recover past it.
                Files.write(file, TORN_FRAGMENT, StandardOpenOption.APPEND);
                contents = assertFileIntact(file, where + ", torn by the test", publicKeyset);
                assertThat(contents.tornBytes()).as(where).isEqualTo(TORN_FRAGMENT.length);
            }
            if (contents.tornBytes() > 0) {
                tornTails++;
                maxTornBytes = Math.max(maxTornBytes, contents.tornBytes());
                log.info("{}: torn last line of {} bytes (reported, not counted as a record)", where,
                        contents.tornBytes());
                // The next child reopens this same file: the sink ends the fragment with a newline and writes a
                // recovery checkpoint after it, which the verifier reports (never as a record).
            }
        }
        long seconds = (System.nanoTime() - started) / 1_000_000_000L;
        LoopResult result = new LoopResult(runs, acked, lostPerRun, tornTails, maxTornBytes);
        log.info("kill loop {} summary: runs={} acked_records={} lost={} lost_per_run_distribution={} torn_tails={}"
                        + " max_torn_bytes={} files={} seconds={} seed={}", mode, runs, acked,
                lostPerRun.entrySet().stream().mapToLong(e -> (long) e.getKey() * e.getValue()).sum(), lostPerRun,
                tornTails, maxTornBytes, files, seconds, seed);
        return result;
    }

    /**
     * Starts a {@link KillLoopChild} on {@code file}, reads its acks until {@code acksBeforeKill}, kills it with
     * SIGKILL, and returns every ack it printed before it died (the ones still in the pipe included). The exit
     * status proves the signal: 137 (128 + 9) on Linux.
     */
    private List<Long> runChildUntilKilled(List<String> jvmOptions, JsonlFileAuditSink.Mode mode, Path file,
                                           long first, int acksBeforeKill) throws IOException, InterruptedException {
        Path stderr = dir.resolve("child-stderr.txt");
        Process child = startChild(jvmOptions, mode, file, first, stderr);
        List<Long> acks = new ArrayList<>();
        boolean killed = false;
        // A child that hangs (no acks) must not hang the build: after CHILD_DEADLINE it is killed and the run fails.
        AtomicBoolean hung = new AtomicBoolean();
        CompletableFuture<Void> watchdog = CompletableFuture.runAsync(() -> {
            hung.set(child.isAlive());
            child.toHandle().destroyForcibly();
        }, CompletableFuture.delayedExecutor(CHILD_DEADLINE.toSeconds(), TimeUnit.SECONDS));
        try (BufferedReader out = new BufferedReader(
                new InputStreamReader(child.getInputStream(), StandardCharsets.US_ASCII))) {
            String line;
            while ((line = out.readLine()) != null) {
                if (!line.startsWith(KillLoopChild.ACK)) {
                    continue; // the child's own log lines
                }
                acks.add(Long.parseLong(line.substring(KillLoopChild.ACK.length())));
                if (!killed && acks.size() >= acksBeforeKill) {
                    // SIGKILL, as Process.destroyForcibly sends, but through the handle: Process.destroyForcibly
                    // also closes our end of the pipe, and the acks already in it reached us too.
                    killed = child.toHandle().destroyForcibly();
                }
            }
        } finally {
            watchdog.cancel(false);
            child.destroyForcibly();
        }
        int exit = child.waitFor();
        if (hung.get() && !killed) {
            fail("the child made " + acks.size() + " of " + acksBeforeKill + " acks in " + CHILD_DEADLINE
                    + " and was killed: " + Files.readString(stderr));
        }
        if (!killed) {
            fail("the child ended by itself (exit " + exit + ") after " + acks.size() + " acks: "
                    + Files.readString(stderr));
        }
        assertThat(exit).as("exit status of a child ended by SIGKILL (Process.destroyForcibly)")
                .isEqualTo(EXIT_BY_SIGKILL);
        return acks;
    }

    /**
     * The child JVM's options: a quick start (C1 only, serial GC) and, if a training run could record one, a
     * class-data archive of the classes the child loads, which roughly halves its start-up; {@code -Xshare:auto}
     * falls back to no archive if the JVM cannot map it.
     */
    private List<String> startupOptions(JsonlFileAuditSink.Mode mode, Path signingKeyset)
            throws IOException, InterruptedException {
        List<String> options = new ArrayList<>(List.of(
                "-XX:TieredStopAtLevel=1", "-Xshare:auto", "-XX:+UseSerialGC", "-Xmx256m",
                "-D" + KillLoopChild.SIGNING_KEYSET_PROPERTY + "=" + signingKeyset,
                "-cp", archivableClassPath()));
        Path archive = dir.resolve("kill-loop-" + mode + ".jsa");
        List<String> training = new ArrayList<>(options);
        training.add("-XX:ArchiveClassesAtExit=" + archive);
        training.add("-D" + KillLoopChild.EXIT_AFTER_ACKS_PROPERTY + "=200");
        Path stderr = dir.resolve("training-stderr.txt");
        Process child = startChild(training, mode, dir.resolve("training.jsonl"), 0, stderr);
        child.getInputStream().transferTo(OutputStream.nullOutputStream());
        int exit = child.waitFor();
        if (exit == 0 && Files.isRegularFile(archive)) {
            options.add("-XX:SharedArchiveFile=" + archive);
        } else {
            log.warn("no class-data archive for the kill loop (training run exit {}); children start slower: {}",
                    exit, Files.readString(stderr));
        }
        return options;
    }

    /**
     * The test's class path with each directory (target/classes, target/test-classes) copied into a jar: a
     * class-data archive covers classes from jars only.
     */
    private String archivableClassPath() throws IOException {
        List<String> entries = new ArrayList<>();
        String classPath = System.getProperty("surefire.test.class.path", System.getProperty("java.class.path"));
        for (String entry : classPath.split(File.pathSeparator)) {
            Path path = Path.of(entry);
            if (!Files.isDirectory(path)) {
                entries.add(entry);
                continue;
            }
            Path jar = dir.resolve("classpath-" + entries.size() + ".jar");
            try (JarOutputStream out = new JarOutputStream(Files.newOutputStream(jar));
                 Stream<Path> files = Files.walk(path)) {
                for (Path f : (Iterable<Path>) files.filter(Files::isRegularFile).sorted()::iterator) {
                    out.putNextEntry(new JarEntry(path.relativize(f).toString().replace(File.separatorChar, '/')));
                    Files.copy(f, out);
                    out.closeEntry();
                }
            }
            entries.add(jar.toString());
        }
        return String.join(File.pathSeparator, entries);
    }

    private Process startChild(List<String> jvmOptions, JsonlFileAuditSink.Mode mode, Path file, long first,
                               Path stderr) throws IOException {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of(KillLoopChild.class.getName(), mode.name(), file.toString(), Long.toString(first)));
        if (mode == JsonlFileAuditSink.Mode.ASYNC) {
            command.add(Integer.toString(ASYNC_QUEUE_CAPACITY));
            command.add(Integer.toString(ASYNC_MAX_BATCH));
        }
        return new ProcessBuilder(command)
                .redirectError(stderr.toFile())
                .redirectInput(ProcessBuilder.Redirect.from(Path.of("/dev/null").toFile()))
                .start();
    }

    /**
     * Checks the audit file as a reviewer would after a crash, and returns the numbers of the records in it: every
     * line but the last ends in {@code \n}, is printable ASCII and is a complete audit record of the loop's tool
     * (lines with a {@code record_type} key, the chain's checkpoints, are skipped); no number appears twice; bytes
     * after the last {@code \n} are a torn tail, whose length is returned and which never counts as a record.
     *
     * A line that is not JSON is accepted only as the torn fragment of an earlier crash, when the line after it is
     * the {@code recovery} checkpoint the next process wrote.
     *
     * <p>Then the chain verifier, with the public key, must find the chain intact: never {@code TAMPERED}, and its
     * only findings the ones a crash leaves (the torn last line, records after the last checkpoint, recovered
     * crashes, restarts after an unclean stop); a torn last line must be among them.
     */
    static FileContents assertFileIntact(Path file, String where, KeysetHandle publicKeyset) throws IOException {
        byte[] bytes = Files.readAllBytes(file);
        int end = bytes.length;
        while (end > 0 && bytes[end - 1] != '\n') {
            end--;
        }
        int tornBytes = bytes.length - end;
        Set<Long> numbers = new HashSet<>();
        int lineNumber = 0;
        int fragmentLine = 0;
        for (int start = 0; start < end; ) {
            int newline = start;
            while (bytes[newline] != '\n') {
                newline++;
            }
            lineNumber++;
            String at = where + ", line " + lineNumber;
            for (int i = start; i < newline; i++) {
                if (bytes[i] < 0x20 || bytes[i] > 0x7e) {
                    fail(at + ": byte " + (bytes[i] & 0xff) + " at offset " + i + " is not printable ASCII");
                }
            }
            String line = new String(bytes, start, newline - start, StandardCharsets.US_ASCII);
            start = newline + 1;
            JsonNode node;
            try {
                node = JSON.readTree(line);
            } catch (IOException e) {
                node = null;
            }
            if (fragmentLine != 0) {
                if (node == null || !"recovery".equals(node.path("reason").asText(null))) {
                    fail(where + ", line " + fragmentLine + ": not JSON, and not followed by a recovery checkpoint"
                            + " (garbage in the middle of the file)");
                }
                fragmentLine = 0;
            }
            if (node == null) {
                fragmentLine = lineNumber;
                continue;
            }
            if (node.isObject() && node.has("record_type")) {
                continue;
            }
            AuditRecord record;
            try {
                record = AuditRecordJson.parse(line);
            } catch (IllegalArgumentException e) {
                throw new AssertionError(at + ": not a complete audit record: " + abbreviate(line), e);
            }
            assertThat(record.tool()).as(at).isEqualTo(KillLoopChild.TOOL);
            assertThat(record.outcome()).as(at).isEqualTo(AuditRecord.Outcome.SUCCESS);
            long n = Long.parseLong(record.arguments().get(KillLoopChild.NUMBER_FIELD));
            if (!numbers.add(n)) {
                fail(at + ": a second record for call " + n);
            }
        }
        if (fragmentLine != 0) {
            fail(where + ", line " + fragmentLine + ": the last complete line is not JSON");
        }
        List<List<Path>> chains = AuditChainVerifier.chainFiles(List.of(file));
        assertThat(chains).as("%s: chains in the file", where).hasSize(1);
        AuditChainVerifier.Report report = AuditChainVerifier.withPublicKeyset(publicKeyset).verify(chains.get(0));
        assertThat(report.verdict()).as("%s: verdict (findings %s)", where, report.findings())
                .isNotEqualTo(AuditChainVerifier.Verdict.TAMPERED);
        assertThat(report.findings()).as(where).extracting(AuditChainVerifier.Finding::kind)
                .isSubsetOf(AFTER_A_CRASH);
        assertThat(report.records()).as("%s: records the verifier counted", where).isEqualTo(numbers.size());
        if (tornBytes > 0) {
            assertThat(report.findings()).as("%s: the torn last line is reported", where)
                    .extracting(AuditChainVerifier.Finding::kind).contains(AuditChainVerifier.Kind.TORN_LINE);
        }
        return new FileContents(Set.copyOf(numbers), tornBytes);
    }

    /** What a verifier may report about a file whose writers were killed: nothing that says tampered. */
    private static final Set<AuditChainVerifier.Kind> AFTER_A_CRASH = Set.of(AuditChainVerifier.Kind.TORN_LINE,
            AuditChainVerifier.Kind.UNSIGNED_TAIL, AuditChainVerifier.Kind.RECOVERED_CRASH,
            AuditChainVerifier.Kind.RESUMED_AFTER_CRASH, AuditChainVerifier.Kind.NOT_CLOSED);

    private static String abbreviate(String line) {
        return line.length() <= 200 ? line : line.substring(0, 200) + "...";
    }

    /** The records found in an intact file, by call number, and the length of a torn last line (0: none). */
    record FileContents(Set<Long> numbers, int tornBytes) {
    }

    private record LoopResult(int runs, long acked, Map<Integer, Integer> lostPerRun, int tornTails,
                              int maxTornBytes) {
    }
}
