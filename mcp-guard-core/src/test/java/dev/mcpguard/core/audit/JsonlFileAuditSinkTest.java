package dev.mcpguard.core.audit;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.spi.AuditSink.AuditWriteException;
import dev.mcpguard.core.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import dev.mcpguard.core.testing.Eventually;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Consumer;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

@Timeout(60)
class JsonlFileAuditSinkTest {

    private final ObjectMapper mapper = new ObjectMapper();

    @TempDir
    Path dir;

    // ---- durable ------------------------------------------------------------------------------------------------

    @Test
    void durableSinkWritesEveryRecordOfManyThreadsAsOneWholeLine() throws Exception {
        Path file = dir.resolve("nested/dirs/audit.jsonl");
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).build()) {
            writeConcurrently(sink, 8, 500);

            assertThat(sink.writtenCount()).isEqualTo(4000);
            assertThat(sink.failedCount()).isZero();
        }
        assertEveryLineIsAValidRecord(file, 4000);
    }

    @Test
    void durableSinkMakesARecordReadableAsSoonAsWriteReturns() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).build()) {
            sink.write(AuditFixtures.record("evt-1"));

            assertThat(AuditRecordJson.readAll(file)).extracting(AuditRecord::eventId).containsExactly("evt-1");
        }
    }

    @Test
    void durableSinkAppendsToAnExistingFile() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).build()) {
            sink.write(AuditFixtures.record("evt-1"));
        }
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).build()) {
            sink.write(AuditFixtures.record("evt-2"));
        }

        assertThat(AuditRecordJson.readAll(file)).extracting(AuditRecord::eventId).containsExactly("evt-1", "evt-2");
    }

    @Test
    void durableSinkKeepsTheChannelOpenWhenTheWritingThreadIsInterrupted() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).build()) {
            Thread.currentThread().interrupt();
            sink.write(AuditFixtures.record("evt-1"));
            assertThat(Thread.interrupted()).as("interrupt flag restored").isTrue();

            sink.write(AuditFixtures.record("evt-2"));
            assertThat(sink.isFailed()).isFalse();
        }
        assertThat(AuditRecordJson.readAll(file)).hasSize(2);
    }

    @Test
    void durableSinkReopensTheFileWhenItsChannelWasClosedUnderIt() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).build()) {
            sink.write(AuditFixtures.record("evt-1"));
            sink.channel().close();

            assertThatThrownBy(() -> sink.write(AuditFixtures.record("evt-2")))
                    .isInstanceOf(AuditWriteException.class)
                    .hasMessageContaining("evt-2").hasMessageContaining(file.toString());
            sink.write(AuditFixtures.record("evt-3"));

            assertThat(sink.isFailed()).isFalse();
            assertThat(sink.failedCount()).isEqualTo(1);
        }
        assertThat(AuditRecordJson.readAll(file)).extracting(AuditRecord::eventId).containsExactly("evt-1", "evt-3");
    }

    @Test
    void durableSinkFailsAndRejectsEveryLaterRecordWhenTheFileCannotBeReopened() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        try (LogCapture logs = LogCapture.of(JsonlFileAuditSink.class.getName());
             JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).build()) {
            sink.write(AuditFixtures.record("evt-1"));
            sink.channel().close();
            Files.delete(file);
            Files.createDirectory(file);

            assertThatThrownBy(() -> sink.write(AuditFixtures.record("evt-2"))).isInstanceOf(AuditWriteException.class);
            assertThatThrownBy(() -> sink.write(AuditFixtures.record("evt-3")))
                    .isInstanceOf(AuditWriteException.class)
                    .hasMessageContaining("failed earlier").hasMessageContaining("evt-3");

            assertThat(sink.isFailed()).isTrue();
            assertThat(sink.failedCount()).isEqualTo(2);
            assertThat(logs.events()).anyMatch(e -> e.getLevel() == Level.ERROR);
        }
    }

    @Test
    void durableSinkRejectsWritesAfterClose() throws Exception {
        JsonlFileAuditSink sink = JsonlFileAuditSink.builder(dir.resolve("audit.jsonl")).build();
        sink.close();
        sink.close();

        assertThatThrownBy(() -> sink.write(AuditFixtures.record("evt-1")))
                .isInstanceOf(AuditWriteException.class).hasMessageContaining("closed");
    }

    // ---- durable: group commit -----------------------------------------------------------------------------------

    @Test
    void durableWritersUnderContentionShareForcesAndEachReturnsOnlyAfterAForceCoveringItsRecord() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        Set<String> forced = ConcurrentHashMap.newKeySet();
        AtomicInteger releasedBeforeTheirForce = new AtomicInteger();
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).writerHook(new JsonlFileAuditSink.WriterHook() {
            @Override
            public void beforeBatch(int size) {
            }

            @Override
            public void afterForce(List<String> eventIds) {
                forced.addAll(eventIds);
            }
        }).build()) {
            int threads = 8;
            int perThread = 250;
            ExecutorService pool = Executors.newFixedThreadPool(threads);
            CountDownLatch start = new CountDownLatch(1);
            List<Future<Void>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        String id = "evt-" + thread + "-" + i;
                        sink.write(AuditFixtures.record(id));
                        if (!forced.contains(id)) {
                            releasedBeforeTheirForce.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<Void> f : futures) {
                f.get(60, TimeUnit.SECONDS);
            }
            pool.shutdown();

            assertThat(releasedBeforeTheirForce).as("callers released before the force covering them").hasValue(0);
            assertThat(sink.writtenCount()).isEqualTo(threads * perThread);
            assertThat(sink.forceCount()).as("forces shared under contention").isLessThan(threads * perThread);
        }
        assertEveryLineIsAValidRecord(file, 2000);
    }

    @Test
    void linesQueuedDuringAForceAreAppendedAndForcedTogetherByTheNextLeader() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        HeldLeader held = new HeldLeader();
        List<List<String>> batches = new CopyOnWriteArrayList<>();
        held.afterForce = batches::add;
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).writerHook(held).build()) {
            Future<Void> first = write(pool, sink, "evt-0");
            assertThat(held.entered.await(10, TimeUnit.SECONDS)).isTrue();
            List<Future<Void>> waiting = new ArrayList<>();
            for (int i = 1; i <= 7; i++) {
                waiting.add(write(pool, sink, "evt-" + i));
            }
            Eventually.within(Duration.ofSeconds(10), "7 lines waiting", () -> sink.waitingLines() == 7);
            assertThat(waiting).noneMatch(Future::isDone);
            assertThat(first).isNotDone();

            held.release.countDown();
            first.get(10, TimeUnit.SECONDS);
            for (Future<Void> f : waiting) {
                f.get(10, TimeUnit.SECONDS);
            }

            assertThat(sink.forceCount()).isEqualTo(2);
            assertThat(batches).hasSize(2);
            assertThat(batches.get(0)).containsExactly("evt-0");
            assertThat(batches.get(1)).containsExactlyInAnyOrder("evt-1", "evt-2", "evt-3", "evt-4", "evt-5",
                    "evt-6", "evt-7");
        } finally {
            pool.shutdownNow();
        }
        assertEveryLineIsAValidRecord(file, 8);
    }

    @Test
    void aFailedForceFailsEveryWriteOfItsBatchCutsTheBatchOffAndTheSinkKeepsWorking() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        HeldLeader held = new HeldLeader();
        AtomicInteger forcesAttempted = new AtomicInteger();
        held.beforeForce = size -> {
            if (forcesAttempted.incrementAndGet() == 2) {
                throw new IOException("simulated fsync failure");
            }
        };
        ExecutorService pool = Executors.newFixedThreadPool(8);
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).writerHook(held).build()) {
            Future<Void> first = write(pool, sink, "evt-0");
            assertThat(held.entered.await(10, TimeUnit.SECONDS)).isTrue();
            List<Future<Void>> batch = new ArrayList<>();
            for (int i = 1; i <= 5; i++) {
                batch.add(write(pool, sink, "evt-" + i));
            }
            Eventually.within(Duration.ofSeconds(10), "5 lines waiting", () -> sink.waitingLines() == 5);
            held.release.countDown();

            first.get(10, TimeUnit.SECONDS);
            for (int i = 0; i < batch.size(); i++) {
                String id = "evt-" + (i + 1);
                assertThatThrownBy(batch.get(i)::get).isInstanceOf(ExecutionException.class)
                        .cause().isInstanceOf(AuditWriteException.class).hasMessageContaining(id)
                        .hasRootCauseMessage("simulated fsync failure");
            }
            assertThat(sink.failedCount()).isEqualTo(5);
            assertThat(sink.isFailed()).isFalse();

            sink.write(AuditFixtures.record("evt-6"));
        } finally {
            pool.shutdownNow();
        }
        assertThat(AuditRecordJson.readAll(file)).extracting(AuditRecord::eventId).containsExactly("evt-0", "evt-6");
    }

    @Test
    void closeWritesEveryLineAlreadyTakenBeforeItClosesAndRefusesLaterOnes() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        HeldLeader held = new HeldLeader();
        ExecutorService pool = Executors.newFixedThreadPool(8);
        JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).writerHook(held).build();
        try {
            Future<Void> first = write(pool, sink, "evt-0");
            assertThat(held.entered.await(10, TimeUnit.SECONDS)).isTrue();
            List<Future<Void>> waiting = List.of(write(pool, sink, "evt-1"), write(pool, sink, "evt-2"),
                    write(pool, sink, "evt-3"));
            Eventually.within(Duration.ofSeconds(10), "3 lines waiting", () -> sink.waitingLines() == 3);

            Future<?> closing = pool.submit(sink::close);
            Eventually.within(Duration.ofSeconds(10), "close begun", sink::closing);
            assertThatThrownBy(() -> sink.write(AuditFixtures.record("evt-late")))
                    .isInstanceOf(AuditWriteException.class).hasMessageContaining("closed");
            assertThat(closing).isNotDone();

            held.release.countDown();
            closing.get(10, TimeUnit.SECONDS);
            first.get(10, TimeUnit.SECONDS);
            for (Future<Void> f : waiting) {
                f.get(10, TimeUnit.SECONDS);
            }
            assertThat(sink.writtenCount()).isEqualTo(4);
            assertThat(sink.channel().isOpen()).isFalse();
        } finally {
            held.release.countDown();
            pool.shutdownNow();
        }
        assertThat(AuditRecordJson.readAll(file)).extracting(AuditRecord::eventId)
                .containsExactlyInAnyOrder("evt-0", "evt-1", "evt-2", "evt-3");
    }

    @Test
    void anInterruptArrivingDuringTheForceDoesNotFailTheBatchNorDuplicateItsLines() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        AtomicInteger forcesAttempted = new AtomicInteger();
        HeldLeader interrupting = new HeldLeader();
        interrupting.release.countDown();
        interrupting.beforeForce = size -> {
            if (forcesAttempted.incrementAndGet() == 1) {
                Thread.currentThread().interrupt(); // the request is cancelled while its line is being forced
            }
        };
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file).writerHook(interrupting).build()) {
            sink.write(AuditFixtures.record("evt-1"));
            assertThat(Thread.interrupted()).as("interrupt flag restored").isTrue();

            assertThat(forcesAttempted).hasValue(2);
            assertThat(sink.isFailed()).isFalse();
            assertThat(sink.failedCount()).isZero();
            sink.write(AuditFixtures.record("evt-2"));
        }
        assertThat(AuditRecordJson.readAll(file)).extracting(AuditRecord::eventId).containsExactly("evt-1", "evt-2");
    }

    @Test
    void builderRejectsBadSettingsShowingTheValue() {
        JsonlFileAuditSink.Builder builder = JsonlFileAuditSink.builder(dir.resolve("a.jsonl"));

        assertThatThrownBy(() -> builder.queueCapacity(0)).hasMessageContaining("got 0");
        assertThatThrownBy(() -> builder.maxEnqueueWait(Duration.ofSeconds(-1))).hasMessageContaining("PT-1S");
        assertThatThrownBy(() -> builder.maxBatchSize(100_000)).hasMessageContaining("got 100000");
    }

    // ---- async --------------------------------------------------------------------------------------------------

    @Test
    void asyncSinkWritesEveryQueuedRecordOfManyThreadsByTheTimeCloseReturns() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file)
                .mode(JsonlFileAuditSink.Mode.ASYNC).queueCapacity(16).maxBatchSize(7).build();

        writeConcurrently(sink, 8, 500);
        sink.close();

        assertThat(sink.writtenCount()).isEqualTo(4000);
        assertThat(sink.failedCount()).isZero();
        assertEveryLineIsAValidRecord(file, 4000);
        assertThat(sink.awaitWriterStopped(Duration.ofSeconds(5))).isTrue();
    }

    @Test
    void asyncSinkWritesARecordWhileTheWriterLingersWithoutBeingWoken() throws Exception {
        BatchesSeen batches = new BatchesSeen(1);
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(dir.resolve("audit.jsonl"))
                .mode(JsonlFileAuditSink.Mode.ASYNC).writerHook(batches).build()) {
            sink.write(AuditFixtures.record("evt-lingering"));

            // The writer polls between lingers and finds the record without any wake-up from write().
            assertThat(batches.await()).as("the writer picked the record up before close").isTrue();
        }
    }

    @Test
    void asyncSinkWakesAWriterThatWaitsOnTheQueueForEachNewRecord() throws Exception {
        BatchesSeen batches = new BatchesSeen(2);
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(dir.resolve("audit.jsonl"))
                .mode(JsonlFileAuditSink.Mode.ASYNC).writerIdleLingers(0).writerHook(batches).build()) {
            // With no lingers the writer waits on the queue whenever it is empty: each write must wake it, or
            // the record would sit in the queue until close.
            sink.write(AuditFixtures.record("evt-first"));
            batches.awaitFirst();
            sink.write(AuditFixtures.record("evt-after-idle"));

            assertThat(batches.await()).as("the second record was written before close").isTrue();
        }
    }

    /** Counts the async writer's batches; {@link #await} waits (bounded) for the expected number. Thread-safe. */
    private static final class BatchesSeen implements JsonlFileAuditSink.WriterHook {
        private final CountDownLatch first = new CountDownLatch(1);
        private final CountDownLatch all;

        BatchesSeen(int expected) {
            this.all = new CountDownLatch(expected);
        }

        @Override
        public void beforeBatch(int size) {
            first.countDown();
            all.countDown();
        }

        void awaitFirst() throws InterruptedException {
            assertThat(first.await(30, TimeUnit.SECONDS)).as("the first batch").isTrue();
        }

        boolean await() throws InterruptedException {
            return all.await(30, TimeUnit.SECONDS);
        }
    }

    @Test
    void asyncSinkUsesANamedDaemonWriterThread() throws Exception {
        try (JsonlFileAuditSink sink = JsonlFileAuditSink.builder(dir.resolve("audit.jsonl"))
                .mode(JsonlFileAuditSink.Mode.ASYNC).build()) {
            assertThat(Thread.getAllStackTraces().keySet())
                    .anyMatch(t -> t.getName().equals(JsonlFileAuditSink.WRITER_THREAD_NAME) && t.isDaemon());
        }
    }

    @Test
    void asyncSinkBlocksWhenTheQueueIsFullThenThrowsRatherThanDrop() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        CountDownLatch writerEntered = new CountDownLatch(1);
        CountDownLatch releaseWriter = new CountDownLatch(1);
        JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file)
                .mode(JsonlFileAuditSink.Mode.ASYNC).queueCapacity(1).maxEnqueueWait(Duration.ofMillis(200))
                .writerHook(size -> {
                    writerEntered.countDown();
                    releaseWriter.await(30, TimeUnit.SECONDS);
                })
                .build();
        try {
            sink.write(AuditFixtures.record("evt-1"));
            assertThat(writerEntered.await(10, TimeUnit.SECONDS)).isTrue(); // writer holds evt-1
            sink.write(AuditFixtures.record("evt-2"));                    // fills the queue

            long start = System.nanoTime();
            assertThatThrownBy(() -> sink.write(AuditFixtures.record("evt-3")))
                    .isInstanceOf(AuditWriteException.class)
                    .hasMessageContaining("stayed full").hasMessageContaining("evt-3");
            assertThat(Duration.ofNanos(System.nanoTime() - start)).isGreaterThanOrEqualTo(Duration.ofMillis(200));
            assertThat(sink.failedCount()).isEqualTo(1);
        } finally {
            releaseWriter.countDown();
            sink.close();
        }
        assertThat(AuditRecordJson.readAll(file)).extracting(AuditRecord::eventId).containsExactly("evt-1", "evt-2");
        assertThat(sink.writtenCount()).isEqualTo(2);
    }

    @Test
    void asyncSinkFailsLoudlyOnAnIoErrorAndCountsTheRecordsItCouldNotWrite() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        CountDownLatch writerEntered = new CountDownLatch(1);
        CountDownLatch releaseWriter = new CountDownLatch(1);
        try (LogCapture logs = LogCapture.of(JsonlFileAuditSink.class.getName())) {
            JsonlFileAuditSink sink = JsonlFileAuditSink.builder(file)
                    .mode(JsonlFileAuditSink.Mode.ASYNC)
                    .writerHook(size -> {
                        writerEntered.countDown();
                        releaseWriter.await(30, TimeUnit.SECONDS);
                    })
                    .build();
            sink.write(AuditFixtures.record("evt-1"));
            assertThat(writerEntered.await(10, TimeUnit.SECONDS)).isTrue();
            sink.write(AuditFixtures.record("evt-2"));
            sink.write(AuditFixtures.record("evt-3"));

            sink.channel().close(); // the disk goes away under the writer
            releaseWriter.countDown();
            assertThat(sink.awaitWriterStopped(Duration.ofSeconds(10))).isTrue();

            assertThat(sink.isFailed()).isTrue();
            assertThat(sink.failedCount()).isEqualTo(3);
            assertThat(sink.writtenCount()).isZero();
            assertThatThrownBy(() -> sink.write(AuditFixtures.record("evt-4")))
                    .isInstanceOf(AuditWriteException.class).hasMessageContaining("evt-4");
            assertThat(sink.failedCount()).isEqualTo(4);
            assertThat(logs.events()).filteredOn(e -> e.getLevel() == Level.ERROR).singleElement()
                    .satisfies(e -> assertThat(e.getFormattedMessage())
                            .contains("3 queued audit records could not be written", file.toString(), "evt-1"));
            sink.close();
        }
    }

    @Test
    void asyncSinkRejectsWritesAfterClose() throws Exception {
        JsonlFileAuditSink sink = JsonlFileAuditSink.builder(dir.resolve("audit.jsonl"))
                .mode(JsonlFileAuditSink.Mode.ASYNC).build();
        sink.close();

        assertThatThrownBy(() -> sink.write(AuditFixtures.record("evt-1")))
                .isInstanceOf(AuditWriteException.class).hasMessageContaining("closed");
        assertThat(sink.awaitWriterStopped(Duration.ofSeconds(10))).isTrue();
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    private static void writeConcurrently(JsonlFileAuditSink sink, int threads, int perThread) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<Void>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                int thread = t;
                futures.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < perThread; i++) {
                        sink.write(AuditFixtures.record("evt-" + thread + "-" + i));
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<Void> f : futures) {
                f.get(30, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }
    }

    private static Future<Void> write(ExecutorService pool, JsonlFileAuditSink sink, String eventId) {
        return pool.submit(() -> {
            sink.write(AuditFixtures.record(eventId));
            return null;
        });
    }

    /** Holds the first durable batch until released; optional force behaviour. Thread-safe. */
    private static final class HeldLeader implements JsonlFileAuditSink.WriterHook {
        final CountDownLatch entered = new CountDownLatch(1);
        final CountDownLatch release = new CountDownLatch(1);
        volatile ForceAction beforeForce = size -> { };
        volatile Consumer<List<String>> afterForce = ids -> { };

        @Override
        public void beforeBatch(int size) throws InterruptedException {
            entered.countDown();
            if (!release.await(30, TimeUnit.SECONDS)) {
                throw new IllegalStateException("test never released the leader");
            }
        }

        @Override
        public void beforeForce(int size) throws IOException {
            beforeForce.run(size);
        }

        @Override
        public void afterForce(List<String> eventIds) {
            afterForce.accept(eventIds);
        }
    }

    @FunctionalInterface
    private interface ForceAction {
        void run(int size) throws IOException;
    }

    private void assertEveryLineIsAValidRecord(Path file, int expected) throws Exception {
        List<String> lines = Files.readAllLines(file).stream().filter(l -> !AuditRecordJson.isChainLine(l)).toList();
        assertThat(lines).hasSize(expected);
        Set<String> ids = new HashSet<>();
        for (String line : lines) {
            assertThat(mapper.readTree(line).isObject()).isTrue();
            ids.add(AuditRecordJson.parse(line).eventId());
        }
        assertThat(ids).hasSize(expected);
    }
}
