package dev.mcpguard.core.audit;

import com.google.crypto.tink.KeysetHandle;
import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.spi.AuditSink;
import dev.mcpguard.core.audit.AuditChain.Lines;
import dev.mcpguard.core.audit.chain.AuditChainFormat;
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
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.GeneralSecurityException;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.UUID;
import java.util.stream.Stream;
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
 * <p>The file is a hash chain (schema version 3, {@code docs/audit.md}): every line carries its {@code seq} and the
 * hash of the line before it ({@code prev_hash}), and the sink puts checkpoint lines in the chain (signed when a
 * {@link Builder#signer signer} is set) at the start, every {@link Builder#checkpointEveryRecords N records} or
 * {@link Builder#checkpointInterval T}, at close, and when it opens an existing file ({@code resume}, or
 * {@code recovery} after a torn last line, which keeps the fragment as its own line). The chain advances in the
 * order lines reach the file: a batch cut off again takes its place in the chain with it. With
 * {@link Builder#maxFileBytes} the file is rotated and the chain continues in the next file.
 * {@code mcp-guard audit verify} checks it.
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
    /** Room for a checkpoint line, for buffer sizes and the rotation estimate. */
    private static final int CHECKPOINT_BYTES = 1024;
    /** Room for {@code ,"seq":N,"prev_hash":"sha256:..."}} and the \n of a record line. */
    private static final int CHAIN_FIELD_BYTES = 112;

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
    private final long maxFileBytes;
    private final Duration checkpointInterval;
    /** The hash chain; used only by the one appender of the moment (leader, writer, opening or closing sink). */
    private final AuditChain chain;
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
        this.maxFileBytes = builder.maxFileBytes;
        this.checkpointInterval = builder.checkpointInterval;
        Path parent = file.toAbsolutePath().getParent();
        if (parent != null) {
            Files.createDirectories(parent);
        }
        this.channel = open(file);
        try {
            this.chain = openChain(builder);
        } catch (IOException | RuntimeException e) {
            closeQuietly();
            throw e;
        }
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
            // Without its chain fields: the appender adds seq and prev_hash in the order lines reach the file.
            line = AuditRecordJson.toChainRecordPrefix(record).getBytes(StandardCharsets.UTF_8);
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
                appendClosingCheckpoint();
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
        // An interrupt during channel I/O closes the channel for everyone; a request thread cancelled by its
        // server must not break the audit file, so the flag is held back until the batch is done.
        boolean interrupted = Thread.interrupted();
        AuditChain.Mark mark = null;
        try {
            try {
                rotateIfFull(estimatedBytes(batch.stream().map(p -> p.line).toList()));
            } catch (IOException e) {
                return e;
            }
            mark = chain.mark();
            ByteBuffer buffer;
            try {
                buffer = assemble(batch.stream().map(p -> p.line).toList());
            } catch (IOException e) {
                chain.reset(mark);
                return e;
            }
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
                        chain.reset(mark);
                        return e;
                    }
                    buffer.rewind();
                } catch (IOException e) {
                    interrupted |= Thread.interrupted();
                    restoreAfterFailedAppend(sizeBefore, e);
                    chain.reset(mark); // the batch's lines are cut off again: so is their place in the chain
                    return e;
                } catch (InterruptedException e) {
                    interrupted = true; // from the test hook
                    restoreAfterFailedAppend(sizeBefore, new InterruptedIOException("audit batch interrupted"));
                    chain.reset(mark);
                    return new InterruptedIOException("audit batch interrupted");
                }
            }
        } finally {
            if (interrupted) {
                Thread.currentThread().interrupt();
            }
        }
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
                    // Idle for a while: wait, and let the next offer wake us; sign the tail if it stays idle.
                    first = queue.poll(checkpointInterval.toNanos(), TimeUnit.NANOSECONDS);
                    if (first == null) {
                        if (chain.recordsSinceCheckpoint() > 0) {
                            appendCheckpoint("interval");
                            channel.force(false);
                        }
                        continue;
                    }
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
            appendCheckpoint("close");
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
        List<byte[]> lines = entries.stream().map(e -> e.line).toList();
        rotateIfFull(estimatedBytes(lines));
        appendAll(channel, assemble(lines));
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

    // ---- the chain ----------------------------------------------------------------------------------------------

    /**
     * Reads the end of the existing file and writes the chain's opening line: {@code start} for a new (or
     * version-2) file, {@code resume} after a complete last line, {@code recovery} after a torn one (which first
     * gets its own \n, so its bytes stay as they are), or the end of a rotation a crash interrupted.
     */
    private AuditChain openChain(Builder builder) throws IOException {
        AuditChainTail.Tail tail;
        try (FileChannel reader = FileChannel.open(file, StandardOpenOption.READ)) {
            tail = AuditChainTail.read(reader);
        }
        Lines out = new Lines(1024);
        AuditChain opened;
        try {
            if (!tail.chained()) {
                AuditChainTail.Tail rotated = tail.unchainedLines() == 0 ? interruptedRotation() : null;
                if (rotated != null) {
                    // A crash after the full file was renamed and before the new one got its first line.
                    opened = continueChain(rotated, builder);
                    opened.startFile();
                    String previous = lastRotatedSibling().getFileName().toString();
                    opened.appendCheckpoint(out, "continue", json -> json.writeStringField("previous_file", previous));
                } else {
                    opened = new AuditChain(UUID.randomUUID().toString(), 0, null, 0, 0, 0, builder.signer,
                            builder.clock, builder.checkpointEveryRecords, builder.checkpointInterval);
                    if (tail.torn() != null) {
                        AuditChain.appendRaw(out, "\n");
                    }
                    long unchained = tail.unchainedLines();
                    opened.appendCheckpoint(out, "start",
                            json -> json.writeNumberField("previous_unchained_lines", unchained));
                }
            } else {
                opened = continueChain(tail, builder);
                long unsigned = tail.unsignedRecords();
                if (tail.torn() != null) {
                    AuditChain.appendRaw(out, "\n");
                    AuditChainTail.Torn torn = tail.torn();
                    opened.appendCheckpoint(out, "recovery", json -> {
                        json.writeNumberField("unsigned_records", unsigned);
                        json.writeNumberField("torn_bytes", torn.bytes());
                        json.writeStringField("torn_sha256", torn.sha256());
                    });
                    log.warn("Audit file {} ended in a torn line of {} bytes (a crash during a write); it was kept"
                            + " as its own line and the chain continues after a recovery checkpoint", file,
                            torn.bytes());
                } else if (tail.lastLineIsCheckpoint() && "rotate".equals(tail.lastCheckpointReason())) {
                    this.chainForOpening = opened;
                    completeRotation();
                    return opened;
                } else {
                    opened.appendCheckpoint(out, "resume", json -> json.writeNumberField("unsigned_records", unsigned));
                }
            }
        } catch (GeneralSecurityException e) {
            throw new IOException("could not sign the opening checkpoint of audit file " + file, e);
        }
        appendAll(channel, out.asBuffer());
        channel.force(false);
        return opened;
    }

    /** Set only while {@link #openChain} completes a rotation, before {@link #chain} is assigned. */
    private AuditChain chainForOpening;

    private AuditChain chain() {
        return chain != null ? chain : chainForOpening;
    }

    private static AuditChain continueChain(AuditChainTail.Tail tail, Builder builder) {
        return new AuditChain(tail.chainId(), tail.lastSeq() + 1, tail.lastHash(), tail.records(),
                tail.unsignedRecords(), tail.fileFirstSeq(), builder.signer, builder.clock,
                builder.checkpointEveryRecords, builder.checkpointInterval);
    }

    /** The newest rotated sibling's tail if it ends in a {@code rotate} checkpoint, else null. */
    private AuditChainTail.Tail interruptedRotation() throws IOException {
        Path last = lastRotatedSibling();
        if (last == null) {
            return null;
        }
        try (FileChannel reader = FileChannel.open(last, StandardOpenOption.READ)) {
            AuditChainTail.Tail tail = AuditChainTail.read(reader);
            return tail.chained() && tail.torn() == null && tail.lastLineIsCheckpoint()
                    && "rotate".equals(tail.lastCheckpointReason()) ? tail : null;
        }
    }

    private Path lastRotatedSibling() throws IOException {
        Path dir = file.toAbsolutePath().getParent();
        String active = file.getFileName().toString();
        try (Stream<Path> files = Files.list(dir)) {
            return files.filter(f -> active.equals(AuditChainFormat.activeNameOf(f.getFileName().toString())))
                    .max((a, b) -> Long.compare(AuditChainFormat.rotatedSeqOf(a.getFileName().toString()),
                            AuditChainFormat.rotatedSeqOf(b.getFileName().toString())))
                    .orElse(null);
        }
    }

    /** The records as chained lines, with the interval checkpoints they call for. */
    private ByteBuffer assemble(List<byte[]> recordPrefixes) throws IOException {
        Lines out = new Lines((int) Math.min(Integer.MAX_VALUE - 16, estimatedBytes(recordPrefixes)));
        try {
            chain.appendRecords(out, recordPrefixes);
        } catch (GeneralSecurityException e) {
            throw new IOException("could not sign an audit checkpoint for " + file, e);
        }
        return out.asBuffer();
    }

    private static long estimatedBytes(List<byte[]> recordPrefixes) {
        long bytes = 2 * CHECKPOINT_BYTES;
        for (byte[] prefix : recordPrefixes) {
            bytes += prefix.length + CHAIN_FIELD_BYTES;
        }
        return bytes;
    }

    /** Appends a checkpoint on its own (close, idle interval). The caller forces. */
    private void appendCheckpoint(String reason) throws IOException {
        Lines out = new Lines(CHECKPOINT_BYTES);
        try {
            chain.appendCheckpoint(out, reason, json -> { });
        } catch (GeneralSecurityException e) {
            throw new IOException("could not sign the " + reason + " checkpoint of " + file, e);
        }
        appendAll(channel, out.asBuffer());
    }

    private void appendClosingCheckpoint() {
        if (failure != null || !channel.isOpen()) {
            return;
        }
        try {
            appendCheckpoint("close");
        } catch (IOException | RuntimeException e) {
            log.error("Could not write the close checkpoint of audit file {}; its last records stay unsigned", file,
                    e);
        }
    }

    /**
     * When {@code maxFileBytes} is set and the next {@code bytes} would take the active file past it: appends a
     * {@code rotate} checkpoint, renames the file after the first seq it holds and starts a new one with a
     * {@code continue} checkpoint. A failed rotate line is cut off again (the batch fails, the sink keeps working);
     * a failure after it (rename, new file) fails the sink.
     */
    private void rotateIfFull(long bytes) throws IOException {
        if (maxFileBytes <= 0 || chain.nextSeq() - chain.fileFirstSeq() < 2
                || channel.size() + bytes <= maxFileBytes) {
            return;
        }
        AuditChain.Mark mark = chain.mark();
        long sizeBefore = channel.size();
        try {
            Lines out = new Lines(CHECKPOINT_BYTES);
            String next = file.getFileName().toString();
            chain.appendCheckpoint(out, "rotate", json -> json.writeStringField("next_file", next));
            appendAll(channel, out.asBuffer());
            channel.force(false);
        } catch (IOException | GeneralSecurityException | RuntimeException e) {
            chain.reset(mark);
            IOException failed = e instanceof IOException io ? io
                    : new IOException("could not write the rotate checkpoint of " + file, e);
            restoreAfterFailedAppend(sizeBefore, failed);
            throw failed;
        }
        try {
            completeRotation();
        } catch (IOException | RuntimeException e) {
            failure = e;
            closeQuietly();
            log.error("Audit file {} could not be rotated after its rotate checkpoint; the audit sink is failed and"
                    + " rejects every further record", file, e);
            throw e instanceof IOException io ? io : new IOException("audit file rotation failed", e);
        }
    }

    /** Renames the full file (whose last line is its rotate checkpoint) and opens the next with {@code continue}. */
    private void completeRotation() throws IOException {
        AuditChain c = chain();
        String rotatedName = AuditChainFormat.rotatedName(file.getFileName().toString(), c.fileFirstSeq());
        Path rotated = file.resolveSibling(rotatedName);
        channel.force(false);
        channel.close();
        Files.move(file, rotated, StandardCopyOption.ATOMIC_MOVE);
        forceDirectory();
        channel = open(file);
        c.startFile();
        Lines out = new Lines(CHECKPOINT_BYTES);
        try {
            c.appendCheckpoint(out, "continue", json -> json.writeStringField("previous_file", rotatedName));
        } catch (GeneralSecurityException e) {
            throw new IOException("could not sign the continue checkpoint of " + file, e);
        }
        appendAll(channel, out.asBuffer());
        channel.force(false);
        forceDirectory();
        log.info("Audit file {} rotated to {}", file, rotatedName);
    }

    private void forceDirectory() {
        Path dir = file.toAbsolutePath().getParent();
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException | RuntimeException e) {
            log.debug("Could not force directory {} (not supported here)", dir, e);
        }
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
        private CheckpointSigner signer;
        private int checkpointEveryRecords = 1_000;
        private Duration checkpointInterval = Duration.ofSeconds(60);
        private long maxFileBytes;
        private Clock clock = Clock.systemUTC();

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

        /**
         * Signs every checkpoint with the primary key of {@code privateKeyset}, a Tink keyset with a private
         * signature key (templates {@code ECDSA_P256} or {@code ED25519}; {@code mcp-guard audit keygen} makes one).
         * The reviewer verifies with the public keyset. Needs Tink on the class path (an optional dependency);
         * without a signer the checkpoints carry no signature and the chain shows accidental damage only.
         *
         * @throws IllegalArgumentException if the keyset has no private signature key
         */
        public Builder signer(KeysetHandle privateKeyset) {
            this.signer = TinkCheckpointSigner.of(Objects.requireNonNull(privateKeyset, "privateKeyset"));
            return this;
        }

        /** A checkpoint after this many records, 1 to 10,000,000. Default 1,000. */
        public Builder checkpointEveryRecords(int records) {
            if (records < 1 || records > 10_000_000) {
                throw new IllegalArgumentException("checkpointEveryRecords must be between 1 and 10000000, got "
                        + records);
            }
            this.checkpointEveryRecords = records;
            return this;
        }

        /**
         * A checkpoint once this long has passed since the last, written with the next batch (and, in
         * {@link Mode#ASYNC}, by the idle writer), 1 s to 1 day. Default 60 s.
         */
        public Builder checkpointInterval(Duration interval) {
            Objects.requireNonNull(interval, "checkpointInterval");
            if (interval.compareTo(Duration.ofSeconds(1)) < 0 || interval.compareTo(Duration.ofDays(1)) > 0) {
                throw new IllegalArgumentException("checkpointInterval must be between PT1S and PT24H, got "
                        + interval);
            }
            this.checkpointInterval = interval;
            return this;
        }

        /**
         * Rotates the file before a batch would take it past this size: a {@code rotate} checkpoint, a rename to
         * {@code <name>.<first seq, 20 digits>.<ext>} and a new file starting with {@code continue}; the chain
         * goes on across files. {@code 0} (default): never rotate. Else at least 64 KiB.
         */
        public Builder maxFileBytes(long maxFileBytes) {
            if (maxFileBytes != 0 && maxFileBytes < 64 * 1024) {
                throw new IllegalArgumentException("maxFileBytes must be 0 (off) or at least 65536, got "
                        + maxFileBytes);
            }
            this.maxFileBytes = maxFileBytes;
            return this;
        }

        /** The clock of checkpoint times and intervals. Default the system UTC clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Tests: a signer that is not Tink's (a failing one). */
        Builder signer(CheckpointSigner signer) {
            this.signer = Objects.requireNonNull(signer, "signer");
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
