package dev.mcpguard.examples;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.spi.AuditSink;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** An audit sink that keeps records in memory for assertions. Thread-safe. */
final class RecordingAuditSink implements AuditSink {

    private final List<AuditRecord> records = new CopyOnWriteArrayList<>();

    @Override
    public void write(AuditRecord record) {
        records.add(record);
    }

    /** A snapshot of the records written so far, oldest first. */
    List<AuditRecord> records() {
        return List.copyOf(records);
    }

    void clear() {
        records.clear();
    }

    /**
     * The records matching {@code filter} once there are at least {@code count} of them, polling until
     * {@code timeout}; the records found so far if the deadline passes (the assertion then names the gap).
     */
    List<AuditRecord> await(Predicate<AuditRecord> filter, int count, Duration timeout) {
        Instant deadline = Instant.now().plus(timeout);
        List<AuditRecord> matching;
        do {
            matching = records.stream().filter(filter).toList();
            if (matching.size() >= count) {
                return matching;
            }
            Thread.onSpinWait();
        } while (Instant.now().isBefore(deadline));
        return matching;
    }
}
