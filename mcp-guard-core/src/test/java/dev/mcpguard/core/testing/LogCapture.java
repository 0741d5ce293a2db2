package dev.mcpguard.core.testing;

import ch.qos.logback.classic.Level;
import ch.qos.logback.classic.Logger;
import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.core.read.ListAppender;
import java.util.List;
import java.util.Objects;
import org.slf4j.LoggerFactory;

/**
 * Captures log events (Logback) until closed: of every logger ({@link #everything()}) or of one logger and its
 * children ({@link #of(String)}). The one log-capture fixture of the core and examples tests.
 *
 * <p>Thread-safe: events may be logged from any thread while a test reads snapshots. Use with
 * try-with-resources; {@link #close()} detaches the appender and restores any level it lowered.
 *
 * <pre>{@code
 * try (LogCapture logs = LogCapture.everything()) {
 *     ...
 *     assertThat(logs.allText()).doesNotContain(secret);
 * }
 * }</pre>
 */
public final class LogCapture implements AutoCloseable {

    private final ListAppender<ILoggingEvent> appender = new ListAppender<>();
    private final Logger logger;
    private final Logger lowered;
    private final Level loweredFrom;

    private LogCapture(Logger logger, Logger lowered) {
        this.logger = logger;
        this.lowered = lowered;
        this.loweredFrom = lowered == null ? null : lowered.getLevel();
        if (lowered != null) {
            lowered.setLevel(Level.DEBUG);
        }
        appender.start();
        logger.addAppender(appender);
    }

    /** Every event of every logger, at the levels the logging configuration lets through. */
    public static LogCapture everything() {
        return new LogCapture(logger(org.slf4j.Logger.ROOT_LOGGER_NAME), null);
    }

    /**
     * Every event of every logger, with {@code loggerName} (and its children) lowered to DEBUG while capturing,
     * for example {@code "io.modelcontextprotocol"} to see what the SDK logs about hostile input.
     */
    public static LogCapture everythingWithDebugOf(String loggerName) {
        return new LogCapture(logger(org.slf4j.Logger.ROOT_LOGGER_NAME), logger(loggerName));
    }

    /** The events of {@code loggerName} and its children. */
    public static LogCapture of(String loggerName) {
        return new LogCapture(logger(loggerName), null);
    }

    /** The events of {@code loggerName} and its children, lowered to DEBUG while capturing. */
    public static LogCapture ofAtDebug(String loggerName) {
        Logger logger = logger(loggerName);
        return new LogCapture(logger, logger);
    }

    /** The events of the logger named for {@code type} and its children. */
    public static LogCapture of(Class<?> type) {
        return of(type.getName());
    }

    private static Logger logger(String name) {
        return (Logger) LoggerFactory.getLogger(Objects.requireNonNull(name, "loggerName"));
    }

    /** A snapshot of the events captured so far, oldest first. */
    public List<ILoggingEvent> events() {
        synchronized (appender) { // ListAppender appends under this lock (AppenderBase.doAppend is synchronized)
            return List.copyOf(appender.list);
        }
    }

    /** The formatted messages captured so far, oldest first. */
    public List<String> messages() {
        return events().stream().map(ILoggingEvent::getFormattedMessage).toList();
    }

    /** Formatted messages plus every throwable's class and message (causes too), one per line: for leak checks. */
    public String allText() {
        StringBuilder text = new StringBuilder();
        for (ILoggingEvent e : events()) {
            text.append(e.getFormattedMessage()).append('\n');
            for (var t = e.getThrowableProxy(); t != null; t = t.getCause()) {
                text.append(t.getClassName()).append(": ").append(t.getMessage()).append('\n');
            }
        }
        return text.toString();
    }

    /** Forgets the events captured so far. */
    public void clear() {
        synchronized (appender) {
            appender.list.clear();
        }
    }

    @Override
    public void close() {
        logger.detachAppender(appender);
        if (lowered != null) {
            lowered.setLevel(loweredFrom);
        }
    }
}
