package dev.mcpguard.core.audit;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.spi.AuditSink;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.Objects;

/**
 * Writes each audit record as one JSON line ({@link AuditRecordJson}) at INFO on the dedicated logger
 * {@value #LOGGER_NAME}, so the application's logging setup (an appender to a file, a collector, a SIEM) carries
 * the audit trail. Route that logger to its own appender, with {@code additivity="false"} if the audit trail must
 * not mix with application logs.
 *
 * <p>Fails closed: if INFO is disabled for {@value #LOGGER_NAME} (for example the root level was raised to WARN,
 * or no SLF4J provider is on the class path) records would vanish, so {@link #write} throws
 * {@link AuditWriteException} instead, and the audit guard withholds results. Durability is the logging
 * backend's: an asynchronous appender may still lose records on a crash; use {@link JsonlFileAuditSink} in
 * durable mode when that matters.
 *
 * <p>Thread-safe (SLF4J loggers are). Null records are rejected.
 */
public final class Slf4jAuditSink implements AuditSink {

    /** The name of the logger that receives audit records. */
    public static final String LOGGER_NAME = "mcp-guard.audit";

    private final Logger logger;

    /** A sink writing to the logger {@value #LOGGER_NAME}. */
    public Slf4jAuditSink() {
        this(LoggerFactory.getLogger(LOGGER_NAME));
    }

    Slf4jAuditSink(Logger logger) {
        this.logger = Objects.requireNonNull(logger, "logger");
    }

    /**
     * Logs {@code record} at INFO.
     *
     * @throws AuditWriteException if INFO is disabled for the audit logger or the record cannot be serialized
     */
    @Override
    public void write(AuditRecord record) throws AuditWriteException {
        Objects.requireNonNull(record, "record");
        if (!logger.isInfoEnabled()) {
            throw new AuditWriteException("audit logger '" + logger.getName()
                    + "' has INFO disabled; event " + record.eventId() + " not recorded");
        }
        String line;
        try {
            line = AuditRecordJson.toJsonLine(record);
        } catch (RuntimeException e) {
            throw new AuditWriteException("could not serialize audit event " + record.eventId(), e);
        }
        logger.info("{}", line);
    }

    @Override
    public String toString() {
        return "Slf4jAuditSink[" + logger.getName() + "]";
    }
}
