package dev.mcpguard.core.audit;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.spi.AuditSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.InterruptedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.ClosedByInterruptException;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.LockSupport;
import java.util.concurrent.locks.ReentrantLock;

/**
 * An append-only audit file with one JSON record per line ({@link AuditRecordJson}), in one of two modes:
 *
 * <ul>
 *   <li>{@link Mode#DURABLE} (the default): {@link #write} returns only once its line is appended and forced to
 *       the storage device, so a record the guard saw written survives a crash; lines never interleave. Concurrent
 *       writers share forces (<em>group commit</em>): the first writer to find no force under way becomes the
 *       leader, appends every line waiting at that moment in one write, forces once and then releases all their
 *       callers; lines that arrive meanwhile wait and are appended and forced together by the next leader, one of
 *       their own callers. So N concurrent calls cost about one or two forces, not N, and a lone writer writes and
 *       forces on its own thread with no hand-off. If an append or force fails, the batch's lines are cut off
 *       again and every write of that batch throws; the sink keeps working. A thread interrupt during the I/O
 *       (a cancelled request) does not fail the batch: the file is reopened and the batch written again. If the
 *       file cannot be restored or reopened, the sink is failed: every waiting and later write throws.</li>
 *   <li>{@link Mode#ASYNC}: {@link #write} puts the line on a bounded queue that one daemon thread
 *       ({@value #WRITER_THREAD_NAME}) appends in batches, forcing after each batch. While records keep coming,
 *       the writer looks at the queue every millisecond rather than waiting to be woken, so a write costs its
 *       caller no thread wake-up; a record reaches the file about a millisecond plus one force after
 *       {@code write} returns. After about 50 ms without records the writer waits on the queue again. A full queue makes
 *       {@code write} wait up to {@link Builder#maxEnqueueWait(Duration)}, then throw: records are never dropped
 *       silently. If the writer hits an I/O error the sink is failed: later writes throw, and the records that were
 *       queued but not written are counted in {@link #failedCount()} and reported once in an ERROR log. A crash
 *       loses at most the queued records, which is the price of not waiting for the disk.</li>
 * </ul>
 *
 * <p>{@link #close()} drains the queue, forces and closes the file; a write after close throws. Call it on
 * shutdown: the writer is a daemon thread and does not keep the JVM alive. Error messages and logs name the file
 * and event ids, never record contents.
 *
 * <pre>{@code
 * JsonlFileAuditSink sink = JsonlFileAuditSink.builder(Path.of("/var/log/mcp/audit.jsonl"))
 *         .mode(JsonlFileAuditSink.Mode.ASYNC)
 *         .queueCapacity(10_000)
 *         .maxEnqueueWait(Duration.ofSeconds(2))
 *         .build();
 * }</pre>
 *
 * <p>Thread-safe: any number of threads may write concurrently. Null records are rejected.
 */
public final class JsonlFileAuditSink implements AuditSink {

    /** The name of the writer thread in {@link Mode#ASYNC}. */
    public static final String WRITER_THREAD_NAME = "mcp-guard-audit-writer";

    private static final Logger log = LoggerFactory.getLogger(JsonlFileAuditSink.class);
    private static final Entry STOP = new Entry("stop", new byte[0]);
    /** How often a durable batch is written again when interrupts keep closing the channel under it. */
    private static final int MAX_INTERRUPTED_ATTEMPTS = 3;
    /**
     * How long the async writer sleeps when it finds the queue empty, before it looks again. While traffic flows
     * the writer polls at this interval instead of waiting on the queue, so producers never pay for waking it.
     */
    private static final long WRITER_LINGER_NANOS = TimeUnit.MILLISECONDS.toNanos(1);
    /** After this many empty looks in a row (about 50 ms idle), the writer waits on the queue until woken. */
    static final int WRITER_IDLE_LINGERS = 50;

    /** How {@link #write} takes responsibility for a record. */
    public enum Mode {
        /** Appended and forced to disk before {@code write} returns. */
        DURABLE,
        /** Queued in a bounded, blocking queue; appended and forced in batches by one writer thread. */
        ASYNC
    }

    private final Path file;
    private final Mode mode;
    private final Duration maxEnqueueWait;
    private final Duration closeTimeout;
    private final int maxBatchSize;
    private final WriterHook writerHook;
    private final int writerIdleLingers;
    private final ReentrantLock lock = new ReentrantLock();
    /** Signalled (under {@link #lock}) each time a leader has finished a batch, in {@link Mode#DURABLE}. */
    private final Condition batchDone = lock.newCondition();
    /** Durable lines waiting for the next leader; guarded by {@link #lock}. */
    private List<Pending> pending = new ArrayList<>();
    /** Whether a durable batch is being appended and forced; guarded by {@link #lock}. */
    private boolean leading;
    private final AtomicLong forces = new AtomicLong();
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();
    private final BlockingQueue<Entry> queue;
    private final Thread writer;
    private volatile FileChannel channel;
    private volatile boolean closed;
    private volatile Throwable failure;

    private JsonlFileAuditSink(Builder builder) throws IOException {
        this.file = builder.file;
        this.mode = builder.mode;
        this.maxEnqueueWait = builder.maxEnqueueWait;
        this.closeTimeout = builder.closeTimeout;
        this.maxBatchSize = builder.maxBatchSize;
        this.writerHook = builder.writerHook;
        this.writerIdleLingers = builder.writerIdleLingers;
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        this.channel = open(file);
        if (mode == Mode.ASYNC) {
            this.queue = new ArrayBlockingQueue<>(builder.queueCapacity);
            this.writer = new Thread(this::runWriter, WRITER_THREAD_NAME);
            this.writer.setDaemon(true);
            this.writer.start();
        } else {
            this.queue = null;
            this.writer = null;
        }
    }

    /** Starts a builder for a sink appending to {@code file} (created, with its parent directories, if absent). */
    public static Builder builder(Path file) {
        return new Builder(file);
    }

    /**
     * Takes {@code record}: in {@link Mode#DURABLE} appended and on disk, in {@link Mode#ASYNC} queued.
     *
     * @throws AuditWriteException if the sink is closed or failed, the append failed, the queue stayed full for
     *                             the configured wait, or the thread was interrupted while waiting
     */
    @Override
    public void write(AuditRecord record) throws AuditWriteException {
        Objects.requireNonNull(record, "record");
        String eventId = record.eventId();
        byte[] line;
        try {
            line = (AuditRecordJson.toJsonLine(record) + "\n").getBytes(StandardCharsets.UTF_8);
        } catch (RuntimeException e) {
            failed.incrementAndGet();
            throw new AuditWriteException("could not serialize audit event " + eventId, e);
        }
        if (mode == Mode.DURABLE) {
            writeDurably(eventId, line);
        } else {
            enqueue(new Entry(eventId, line));
        }
    }

    /**
     * Stops taking records, writes every record already taken, forces and closes the file. Waits up to the
     * configured close timeout for the writer thread. Idempotent.
     */
    @Override
    public void close() {
        if (mode == Mode.DURABLE) {
            lock.lock();
            try {
                if (closed) {
                    return;
                }
                closed = true; // no line joins `pending` from now on; those already there are written first
                while (leading || !pending.isEmpty()) {
                    if (leading) {
                        batchDone.awaitUninterruptibly();
                    } else {
                        lead();
                    }
                }
                forceAndClose();
            } finally {
                lock.unlock();
            }
            return;
        }
        lock.lock();
        try {
            if (closed) {
                return;
            }
            closed = true;
        } finally {
            lock.unlock();
        }
        try {
            // Every record queued before `closed` was set sits before STOP in the queue, so the writer writes it.
            if (failure == null && !queue.offer(STOP, closeTimeout.toMillis(), TimeUnit.MILLISECONDS)) {
                log.error("Audit writer for {} did not accept the stop signal within {}; {} queued records may be"
                        + " unwritten", file, closeTimeout, queue.size());
            }
            writer.join(closeTimeout.toMillis());
            if (writer.isAlive()) {
                log.error("Audit writer for {} did not finish within {}; {} queued records may be unwritten",
                        file, closeTimeout, queue.size());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            log.error("Interrupted while closing audit file {}; {} queued records may be unwritten", file,
                    queue.size());
        }
    }

    /** The file this sink appends to. */
    public Path file() {
        return file;
    }

    /** The mode chosen at build time. */
    public Mode mode() {
        return mode;
    }

    /** Records appended and forced to disk so far. */
    public long writtenCount() {
        return written.get();
    }

    /**
     * Records this sink took or was offered but did not write: rejected writes (closed, failed, queue full,
     * I/O error) and, in {@link Mode#ASYNC}, records lost in the queue when the writer failed.
     */
    public long failedCount() {
        return failed.get();
    }

    /** True when an unrecoverable I/O error stopped the sink; every write then throws. */
    public boolean isFailed() {
        return failure != null;
    }

    @Override
    public String toString() {
        return "JsonlFileAuditSink[" + file + ", " + mode + (failure != null ? ", failed" : "")
                + (closed ? ", closed" : "") + "]";
    }

    // ---- durable mode -------------------------------------------------------------------------------------------

    private void writeDurably(String eventId, byte[] line) throws AuditWriteException {
        Pending mine = new Pending(eventId, line);
        lock.lock();
        try {
            checkUsable(eventId);
            pending.add(mine);
            while (!mine.done) {
                if (leading) {
                    // Not interruptible: the line may already be on its way to disk, and the caller must learn
                    // whether it got there. The interrupt status is kept.
                    batchDone.awaitUninterruptibly();
                } else {
                    lead();
                }
            }
        } finally {
            lock.unlock();
        }
        if (mine.failure != null) {
            throw new AuditWriteException("could not write audit event " + eventId + " to " + file, mine.failure);
        }
    }

    /**
     * Appends and forces every pending line as one batch, then releases their callers. Called with {@link #lock}
     * held and no leader; releases the lock during the I/O so further lines can queue for the next batch.
     */
    private void lead() {
        leading = true;
        List<Pending> batch = pending;
        pending = new ArrayList<>();
        Throwable outcome;
        lock.unlock();
        try {
            outcome = appendAndForce(batch);
        } catch (RuntimeException | Error e) {
            outcome = e;
        } finally {
            lock.lock();
        }
        IOException failedWith = null;
        if (outcome instanceof IOException io) {
            failedWith = io;
        } else if (outcome != null) {
            failedWith = new IOException("audit batch failed: " + outcome.getClass().getName(), outcome);
        }
        for (Pending line : batch) {
            line.failure = failedWith;
            line.done = true;
        }
        if (failedWith == null) {
            written.addAndGet(batch.size());
        } else {
            failed.addAndGet(batch.size());
        }
        leading = false;
        batchDone.signalAll();
        if (outcome instanceof Error error) {
            throw error;
        }
    }

    /**
     * Appends {@code batch} and forces it; null on success, otherwise the failure, with the batch cut off the file
     * again. Never throws for I/O. Called by the leader only, without {@link #lock}.
     */
    private IOException appendAndForce(List<Pending> batch) {
        Throwable sinkFailure = failure;
        if (sinkFailure != null) {
            return sinkFailure instanceof IOException io ? io : new IOException("audit sink failed", sinkFailure);
        }
        ByteBuffer buffer = concatenate(batch);
        // An interrupt during channel I/O closes the channel for everyone; a request thread cancelled by its
        // server must not break the audit file, so the flag is held back until the batch is done.
        boolean interrupted = Thread.interrupted();
        try {
            for (int attempt = 1; ; attempt++) {
                long sizeBefore = -1;
                try {
                    writerHook.beforeBatch(batch.size());
                    FileChannel ch = channel;
                    sizeBefore = ch.size();
                    appendAll(ch, buffer);
                    writerHook.beforeForce(batch.size());
                    ch.force(false);
                    forces.incrementAndGet();
                    writerHook.afterForce(batch.stream().map(line -> line.eventId).toList());
                    return null;
                } catch (ClosedByInterruptException e) {
                    // Interrupted again during the I/O: not a disk failure. Reopen, cut off, write the batch again.
                    interrupted |= Thread.interrupted();
                    restoreAfterFailedAppend(sizeBefore, e);
                    if (failure != null || attempt >= MAX_INTERRUPTED_ATTEMPTS) {
                        return e;
                    }
                    buffer.rewind();
                } catch (IOException e) {
                    interrupted |= Thread.interrupted();
                    restoreAfterFailedAppend(sizeBefore, e);
                    return e;
                } catch (InterruptedException e) {
                    interrupted = true; // from the test hook
                    restoreAfterFailedAppend(sizeBefore, new InterruptedIOException("audit batch interrupted"));
                    return new InterruptedIOException("audit batch interrupted");
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
    }

    private static ByteBuffer concatenate(List<Pending> batch) {
        if (batch.size() == 1) {
            return ByteBuffer.wrap(batch.get(0).line);
        }
        int size = 0;
        for (Pending line : batch) {
            size += line.line.length;
        }
        ByteBuffer buffer = ByteBuffer.allocate(size);
        for (Pending line : batch) {
            buffer.put(line.line);
        }
        return buffer.flip();
    }

    /** Cuts a partial line off again so the next record starts on its own line; fails the sink if it cannot. */
    private void restoreAfterFailedAppend(long sizeBefore, IOException cause) {
        try {
            if (!channel.isOpen()) {
                channel = open(file);
            }
            if (sizeBefore >= 0 && channel.size() > sizeBefore) {
                channel.truncate(sizeBefore);
                channel.force(false);
            }
        } catch (IOException | RuntimeException e) {
            cause.addSuppressed(e);
            failure = cause;
            closeQuietly();
            log.error("Audit file {} could not be restored after a failed append; the audit sink is failed and"
                    + " rejects every further record", file, e);
        }
    }

    // ---- async mode ---------------------------------------------------------------------------------------------

    private void enqueue(Entry entry) throws AuditWriteException {
        checkUsable(entry.eventId);
        boolean queued;
        try {
            queued = queue.offer(entry, maxEnqueueWait.toNanos(), TimeUnit.NANOSECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            failed.incrementAndGet();
            throw new AuditWriteException("interrupted while waiting for room in the audit queue of " + file
                    + "; event " + entry.eventId + " not recorded");
        }
        if (!queued) {
            failed.incrementAndGet();
            throw new AuditWriteException("audit queue of " + file + " stayed full (" + queue.remainingCapacity()
                    + " free) for " + maxEnqueueWait + "; event " + entry.eventId + " not recorded");
        }
        // The sink may have closed or failed while this record was being queued. If the writer has not taken it
        // yet, take it back and say so, rather than leave it in a queue nobody drains.
        if ((closed || failure != null) && entry.withdraw()) {
            queue.remove(entry);
            failed.incrementAndGet();
            throw new AuditWriteException("audit sink for " + file + (failure != null ? " failed" : " closed")
                    + "; event " + entry.eventId + " not recorded", failure);
        }
    }

    private void runWriter() {
        List<Entry> batch = new ArrayList<>(maxBatchSize);
        List<Entry> taken = new ArrayList<>(maxBatchSize);
        boolean stop = false;
        try {
            int idleLingers = 0;
            while (!stop) {
                Entry first = queue.poll();
                if (first == null) {
                    if (idleLingers < writerIdleLingers) {
                        // Not waiting on the queue: a producer's offer then finds no waiter to wake, so no
                        // futex call lands on the guarded request's thread while traffic flows.
                        idleLingers++;
                        LockSupport.parkNanos(WRITER_LINGER_NANOS);
                        if (Thread.interrupted()) {
                            throw new InterruptedException();
                        }
                        continue;
                    }
                    first = queue.take(); // idle for a while: wait, and let the next offer wake us
                }
                idleLingers = 0;
                batch.add(first);
                queue.drainTo(batch, maxBatchSize - 1);
                for (Entry e : batch) {
                    if (e == STOP) {
                        stop = true;
                    } else if (e.take()) {
                        taken.add(e);
                    }
                }
                batch.clear();
                if (stop) {
                    // Producers that raced with close either withdraw their record or leave it to us.
                    queue.drainTo(batch);
                    for (Entry e : batch) {
                        if (e != STOP && e.take()) {
                            taken.add(e);
                        }
                    }
                    batch.clear();
                }
                if (!taken.isEmpty()) {
                    writerHook.beforeBatch(taken.size());
                    writeBatch(taken);
                    written.addAndGet(taken.size());
                    taken.clear();
                }
            }
            channel.force(false);
            channel.close();
        } catch (InterruptedException e) {
            failWriter(new InterruptedIOException("audit writer interrupted"), taken);
        } catch (IOException | RuntimeException e) {
            failWriter(e, taken);
        } catch (Error e) {
            failWriter(e, taken);
            throw e;
        }
    }

    private void writeBatch(List<Entry> entries) throws IOException {
        int size = 0;
        for (Entry e : entries) {
            size += e.line.length;
        }
        ByteBuffer buffer = ByteBuffer.allocate(size);
        for (Entry e : entries) {
            buffer.put(e.line);
        }
        buffer.flip();
        appendAll(channel, buffer);
        channel.force(false);
    }

    private void failWriter(Throwable cause, List<Entry> inFlight) {
        failure = cause; // set first: producers that queue after this point withdraw their own record
        long lost = inFlight.size();
        List<Entry> rest = new ArrayList<>();
        queue.drainTo(rest);
        for (Entry e : rest) {
            if (e != STOP && e.take()) {
                lost++;
            }
        }
        failed.addAndGet(lost);
        closeQuietly();
        log.error("Audit writer for {} failed; {} queued audit records could not be written and the sink rejects"
                + " every further record (first lost event: {})", file, lost,
                inFlight.isEmpty() ? (rest.isEmpty() ? "none" : rest.get(0).eventId) : inFlight.get(0).eventId,
                cause);
    }

    // ---- shared -------------------------------------------------------------------------------------------------

    private void checkUsable(String eventId) throws AuditWriteException {
        if (closed) {
            failed.incrementAndGet();
            throw new AuditWriteException("audit sink for " + file + " is closed; event " + eventId
                    + " not recorded");
        }
        Throwable cause = failure;
        if (cause != null) {
            failed.incrementAndGet();
            throw new AuditWriteException("audit sink for " + file + " failed earlier; event " + eventId
                    + " not recorded", cause);
        }
    }

    private static FileChannel open(Path file) throws IOException {
        return FileChannel.open(file, StandardOpenOption.CREATE, StandardOpenOption.APPEND, StandardOpenOption.WRITE);
    }

    private static void appendAll(FileChannel ch, ByteBuffer buffer) throws IOException {
        while (buffer.hasRemaining()) {
            ch.write(buffer);
        }
    }

    private void forceAndClose() {
        try {
            if (channel.isOpen()) {
                channel.force(false);
            }
        } catch (IOException e) {
            log.error("Could not force audit file {} on close", file, e);
        } finally {
            closeQuietly();
        }
    }

    private void closeQuietly() {
        try {
            channel.close();
        } catch (IOException e) {
            log.warn("Could not close audit file {}", file, e);
        }
    }

    // ---- test seams ---------------------------------------------------------------------------------------------

    /** The open channel; tests close it to simulate an I/O failure. */
    FileChannel channel() {
        return channel;
    }

    /** How many times the file was forced after a batch ({@link Mode#DURABLE}); close and recovery not counted. */
    long forceCount() {
        return forces.get();
    }

    /** Durable lines waiting for the next batch (not the one being forced). */
    int waitingLines() {
        lock.lock();
        try {
            return pending.size();
        } finally {
            lock.unlock();
        }
    }

    /** Whether {@link #close()} has begun. */
    boolean closing() {
        return closed;
    }

    /** Waits for the async writer thread to end; true if it has. */
    boolean awaitWriterStopped(Duration timeout) throws InterruptedException {
        if (writer == null) {
            return true;
        }
        writer.join(timeout.toMillis());
        return !writer.isAlive();
    }

    /**
     * Called by the async writer, and by the durable leader, before it appends each batch; tests use it to hold
     * the writer, fail the force and see which records a force covered.
     */
    @FunctionalInterface
    interface WriterHook {
        WriterHook NONE = size -> { };

        void beforeBatch(int size) throws InterruptedException;

        /** Durable mode: after the batch was appended, before the force; throwing stands for a failed force. */
        default void beforeForce(int size) throws IOException {
        }

        /** Durable mode: after the force returned, before the batch's callers are released. */
        default void afterForce(List<String> eventIds) {
        }
    }

    /** A durable line and, once its batch is done, how it went; fields guarded by {@link #lock}. */
    private static final class Pending {
        final String eventId;
        final byte[] line;
        boolean done;
        IOException failure;

        Pending(String eventId, byte[] line) {
            this.eventId = eventId;
            this.line = line;
        }
    }

    /** A queued line. Exactly one of the writer (take) and the producer (withdraw) decides its fate. */
    private static final class Entry {
        private static final int QUEUED = 0;
        private static final int TAKEN = 1;
        private static final int WITHDRAWN = 2;

        final String eventId;
        final byte[] line;
        private final AtomicInteger state = new AtomicInteger(QUEUED);

        Entry(String eventId, byte[] line) {
            this.eventId = eventId;
            this.line = line;
        }

        boolean take() {
            return state.compareAndSet(QUEUED, TAKEN);
        }

        boolean withdraw() {
            return state.compareAndSet(QUEUED, WITHDRAWN);
        }
    }

    /**
     * Builds a {@link JsonlFileAuditSink}. Setters reject bad values at once with a message showing the value.
     * Not thread-safe.
     */
    public static final class Builder {
        private final Path file;
        private Mode mode = Mode.DURABLE;
        private int queueCapacity = 10_000;
        private Duration maxEnqueueWait = Duration.ofSeconds(5);
        private Duration closeTimeout = Duration.ofSeconds(30);
        private int maxBatchSize = 512;
        private WriterHook writerHook = WriterHook.NONE;
        private int writerIdleLingers = WRITER_IDLE_LINGERS;

        private Builder(Path file) {
            this.file = Objects.requireNonNull(file, "file");
        }

        /** {@link Mode#DURABLE} (default) or {@link Mode#ASYNC}. */
        public Builder mode(Mode mode) {
            this.mode = Objects.requireNonNull(mode, "mode");
            return this;
        }

        /** Queue capacity in {@link Mode#ASYNC}, 1 to 10,000,000. Default 10,000. */
        public Builder queueCapacity(int queueCapacity) {
            if (queueCapacity < 1 || queueCapacity > 10_000_000) {
                throw new IllegalArgumentException(
                        "queueCapacity must be between 1 and 10000000, got " + queueCapacity);
            }
            this.queueCapacity = queueCapacity;
            return this;
        }

        /** How long a write waits for room in a full queue ({@link Mode#ASYNC}), 0 to 10 minutes. Default 5 s. */
        public Builder maxEnqueueWait(Duration maxEnqueueWait) {
            this.maxEnqueueWait = requireRange("maxEnqueueWait", maxEnqueueWait, Duration.ZERO);
            return this;
        }

        /** How long {@link #close()} waits for the writer to drain ({@link Mode#ASYNC}). Default 30 s. */
        public Builder closeTimeout(Duration closeTimeout) {
            this.closeTimeout = requireRange("closeTimeout", closeTimeout, Duration.ofMillis(1));
            return this;
        }

        /** Most records appended per batch, and per force, in {@link Mode#ASYNC}, 1 to 65,536. Default 512. */
        public Builder maxBatchSize(int maxBatchSize) {
            if (maxBatchSize < 1 || maxBatchSize > 65_536) {
                throw new IllegalArgumentException("maxBatchSize must be between 1 and 65536, got " + maxBatchSize);
            }
            this.maxBatchSize = maxBatchSize;
            return this;
        }

        /** Tests: how many empty 1 ms looks the async writer makes before it waits on the queue ({@code 0}: at once). */
        Builder writerIdleLingers(int writerIdleLingers) {
            if (writerIdleLingers < 0) {
                throw new IllegalArgumentException("writerIdleLingers must be >= 0, got " + writerIdleLingers);
            }
            this.writerIdleLingers = writerIdleLingers;
            return this;
        }

        Builder writerHook(WriterHook writerHook) {
            this.writerHook = Objects.requireNonNull(writerHook, "writerHook");
            return this;
        }

        /**
         * Opens (creating if needed) the file and, in {@link Mode#ASYNC}, starts the writer thread.
         *
         * @throws IOException if the file or its parent directories cannot be created or opened
         */
        public JsonlFileAuditSink build() throws IOException {
            return new JsonlFileAuditSink(this);
        }

        private static Duration requireRange(String name, Duration value, Duration min) {
            Objects.requireNonNull(value, name);
            if (value.compareTo(min) < 0 || value.compareTo(Duration.ofMinutes(10)) > 0) {
                throw new IllegalArgumentException(name + " must be between " + min + " and PT10M, got " + value);
            }
            return value;
        }
    }
}
