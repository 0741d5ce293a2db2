package dev.mcpguard.core.policy.decisionlog;

import java.io.IOException;
import java.nio.file.Path;

/**
 * Where a {@link DecisionLog} writes its events: each event is one line of JSON (no line break in it) in OPA's
 * decision-log event format, the object OPA's decision-log plugin uploads for every decision.
 *
 * <p>Called from one thread only, the decision log's writer, never from a call's thread: a slow sink delays only
 * later events, and when the decision log's buffer is full new events are dropped (and counted), as OPA drops
 * events when its buffer is full. An exception from {@link #write} drops that event; the calls are never affected
 * (decision logs are not the audit trail: the audit sink is the system of record).
 *
 * <pre>{@code
 * DecisionLog decisions = DecisionLog.builder(DecisionLogSink.jsonlFile(Path.of("/var/log/mcp/decisions.jsonl")))
 *         .labels(Map.of("app", "orders"))
 *         .build();
 * }</pre>
 */
public interface DecisionLogSink extends AutoCloseable {

    /** The SLF4J logger {@link #slf4j()} writes to, at INFO. */
    String SLF4J_LOGGER_NAME = "dev.mcpguard.decision_log";

    /** Writes one event: a JSON object, printable ASCII, without a line break. */
    void write(String event) throws IOException;

    /** Releases what the sink holds; called once by {@link DecisionLog#close()}. Default: nothing. */
    @Override
    default void close() throws IOException {
    }

    /**
     * A sink that appends each event and a {@code \n} to {@code file} (created if missing, owner read/write only
     * where the file system has POSIX permissions), flushed after each event but not forced to disk: these lines
     * are for log pipelines, the audit file is the durable record.
     */
    static DecisionLogSink jsonlFile(Path file) throws IOException {
        return new JsonlFileDecisionLogSink(file);
    }

    /** A sink that logs each event as the message of an INFO line of the logger {@value #SLF4J_LOGGER_NAME}. */
    static DecisionLogSink slf4j() {
        return new Slf4jDecisionLogSink();
    }
}
