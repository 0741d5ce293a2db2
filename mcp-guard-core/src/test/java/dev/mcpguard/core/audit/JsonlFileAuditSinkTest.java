package dev.mcpguard.core.audit;

import ch.qos.logback.classic.Level;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.spi.AuditSink.AuditWriteException;
import dev.mcpguard.core.testing.LogCapture;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

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

    private void assertEveryLineIsAValidRecord(Path file, int expected) throws Exception {
        List<String> lines = Files.readAllLines(file);
        assertThat(lines).hasSize(expected);
        Set<String> ids = new HashSet<>();
        for (String line : lines) {
            assertThat(mapper.readTree(line).isObject()).isTrue();
            ids.add(AuditRecordJson.parse(line).eventId());
        }
        assertThat(ids).hasSize(expected);
    }
}
