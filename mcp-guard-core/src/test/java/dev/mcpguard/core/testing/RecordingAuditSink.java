package dev.mcpguard.core.testing;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.spi.AuditSink;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.locks.Condition;
import java.util.concurrent.locks.ReentrantLock;
import java.util.function.Predicate;

/**
 * An audit sink that keeps records in memory for assertions. {@link #await} blocks on a condition signalled by
 * every write (no polling, no spinning), so a test that waits for records written on server threads costs no CPU
 * while it waits.
 *
 * <p>Thread-safe. Records are never null (the chain never writes null; a null is rejected).
 */
public final class RecordingAuditSink implements AuditSink {

    private final ReentrantLock lock = new ReentrantLock();
    private final Condition written = lock.newCondition();
    private final List<AuditRecord> records = new ArrayList<>();

    @Override
    public void write(AuditRecord record) {
        Objects.requireNonNull(record, "record");
        lock.lock();
        try {
            records.add(record);
            written.signalAll();
        } finally {
            lock.unlock();
        }
    }

    /** A snapshot of the records written so far, oldest first. */
    public List<AuditRecord> records() {
        lock.lock();
        try {
            return List.copyOf(records);
        } finally {
            lock.unlock();
        }
    }

    /** Forgets the records written so far. */
    public void clear() {
        lock.lock();
        try {
            records.clear();
        } finally {
            lock.unlock();
        }
    }

    /**
     * The records matching {@code filter} once there are at least {@code count} of them, waiting for writes up
     * to {@code timeout}; the records found so far if the timeout passes (the caller's assertion then shows the
     * gap).
     */
    public List<AuditRecord> await(Predicate<AuditRecord> filter, int count, Duration timeout) {
        long remaining = timeout.toNanos();
        lock.lock();
        try {
            while (true) {
                List<AuditRecord> matching = records.stream().filter(filter).toList();
                if (matching.size() >= count || remaining <= 0) {
                    return matching;
                }
                remaining = written.awaitNanos(remaining);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new AssertionError("interrupted while awaiting audit records", e);
        } finally {
            lock.unlock();
        }
    }

    @Override
    public String toString() {
        return "RecordingAuditSink[" + records().size() + " records]";
    }
}
