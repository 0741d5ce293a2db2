package dev.mcpguard.api.spi;

import dev.mcpguard.api.AuditRecord;

/**
 * Receives one {@link AuditRecord} per tool call: allowed, denied or failed.
 *
 * <p>Implementations must be thread-safe. {@link #write} returns only when the sink has taken responsibility for
 * the record (written it, flushed it when durable, or queued it in a bounded queue that blocks rather than drops);
 * a record that cannot be taken is an {@link AuditWriteException}, never a silent loss.
 */
public interface AuditSink extends AutoCloseable {

    /** Records {@code record}. */
    void write(AuditRecord record) throws AuditWriteException;

    /** Flushes and releases resources; records written before {@code close} are not lost. */
    @Override
    default void close() {
    }

    /** The sink could not take a record. Messages never contain record values beyond ids. */
    final class AuditWriteException extends Exception {
        private static final long serialVersionUID = 1L;

        public AuditWriteException(String message, Throwable cause) {
            super(message, cause);
        }

        public AuditWriteException(String message) {
            super(message);
        }
    }
}
