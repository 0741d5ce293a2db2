package dev.mcpguard.core.mcp;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.spi.AuditSink;
import dev.mcpguard.api.spi.AuditSink.AuditWriteException;
import dev.mcpguard.core.internal.Ids;
import dev.mcpguard.core.internal.ClientText;
import dev.mcpguard.core.telemetry.UnknownToolObserver;
import dev.mcpguard.core.internal.Ids;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.BiConsumer;

/**
 * Audit records for {@code tools/call} requests naming a tool the server does not have, which the SDK answers
 * with a JSON-RPC error before any guard could run. Without them, probing for tool names is invisible.
 *
 * <p>Bounded, so a flood of such calls cannot flood the audit trail, and without letting one caller silence the
 * records of others. Time is cut into fixed windows ({@link Limits#window()}); within one window:
 * <ul>
 *   <li>each principal (issuer and subject) gets at most {@link Limits#recordsPerCaller()} records, one per call;</li>
 *   <li>all principals together get at most {@link Limits#recordsPerWindow()} such records;</li>
 *   <li>every call beyond that is counted, never dropped silently: when the window ends, each principal with
 *       suppressed calls gets one summary record (tool {@value #SUMMARY_TOOL}, detail
 *       {@code unknown_tool_calls_suppressed}); principals beyond {@link Limits#trackedCallers()} distinct ones
 *       are counted together in one summary without a caller.</li>
 * </ul>
 * A summary is written by a timer at the end of the window, or earlier by the next unknown-tool call after it.
 *
 * <p>Thread-safe: decisions are taken under one lock; records are written outside it. Null arguments are
 * rejected.
 */
final class UnknownToolAudit {

    /** The {@code tool} of a summary record. */
    static final String SUMMARY_TOOL = "*";
    /** The reason code of every record written here. */
    static final ReasonCode UNKNOWN_TOOL = ReasonCode.UNKNOWN_TOOL;
    /** Requested names longer than this are cut in the record (the JSON writer escapes what is left). */
    static final int MAX_TOOL_NAME_CHARS = 128;

    private static final Logger log = LoggerFactory.getLogger(UnknownToolAudit.class);
    private static final String ANONYMOUS = "\u0000anonymous";

    private final AuditSink sink;
    private final String serverName;
    private final Clock clock;
    private final Limits limits;
    private final BiConsumer<Duration, Runnable> scheduler;
    /** Told of every call, sampled or not (telemetry); never throws. */
    private volatile UnknownToolObserver observer = (session, tool) -> { };

    // Guarded by this.
    private Instant windowStart;
    private int recordedInWindow;
    private final Map<String, CallerCount> callers = new LinkedHashMap<>();
    private long untrackedSuppressed;
    private boolean flushScheduled;

    UnknownToolAudit(AuditSink sink, String serverName, Clock clock, Limits limits) {
        this(sink, serverName, clock, limits, (delay, task) -> CompletableFuture
                .delayedExecutor(Math.max(1, delay.toMillis()), TimeUnit.MILLISECONDS).execute(task));
    }

    UnknownToolAudit(AuditSink sink, String serverName, Clock clock, Limits limits,
                     BiConsumer<Duration, Runnable> scheduler) {
        this.sink = Objects.requireNonNull(sink, "sink");
        this.serverName = Objects.requireNonNull(serverName, "serverName");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.limits = Objects.requireNonNull(limits, "limits");
        this.scheduler = Objects.requireNonNull(scheduler, "scheduler");
    }

    /** Tells {@code observer} of every call from now on (set once, when the guard is built). */
    void observe(UnknownToolObserver observer) {
        this.observer = Objects.requireNonNull(observer, "observer");
    }

    /**
     * Records (or counts) one call to {@code requestedTool}, which the server does not have. {@code requestedTool}
     * is the name exactly as the client sent it; empty when it is not known.
     */
    void record(Optional<CallerIdentity> caller, Optional<String> sessionId, String requestedTool) {
        Objects.requireNonNull(caller, "caller");
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(requestedTool, "requestedTool");
        observer.unknownTool(sessionId, requestedTool);
        Instant now = clock.instant();
        List<AuditRecord> toWrite = new ArrayList<>(2);
        boolean schedule = false;
        synchronized (this) {
            toWrite.addAll(rollWindowIfEnded(now));
            String key = caller.map(c -> c.issuer() + '\u0000' + c.subject()).orElse(ANONYMOUS);
            CallerCount count = callers.get(key);
            if (count == null && callers.size() < limits.trackedCallers()) {
                count = new CallerCount(caller.map(AuditRecord.Caller::of).orElse(null));
                callers.put(key, count);
            }
            boolean sampled = count != null && count.recorded < limits.recordsPerCaller()
                    && recordedInWindow < limits.recordsPerWindow();
            if (sampled) {
                count.recorded++;
                recordedInWindow++;
                toWrite.add(callRecord(now, caller, sessionId, requestedTool));
            } else {
                if (count != null) {
                    count.suppressed++;
                    count.lastTool = requestedTool;
                } else {
                    untrackedSuppressed++;
                }
                if (!flushScheduled) {
                    flushScheduled = true;
                    schedule = true;
                }
            }
        }
        write(toWrite);
        if (schedule) {
            scheduleFlush();
        }
    }

    /** Writes the summaries of the current window if it has ended; what the timer runs. */
    void flushEndedWindow() {
        List<AuditRecord> summaries;
        boolean reschedule = false;
        synchronized (this) {
            flushScheduled = false;
            summaries = rollWindowIfEnded(clock.instant());
            if (summaries.isEmpty() && hasSuppressed()) {
                // The timer fired before the window ended by this clock: try again at its end.
                flushScheduled = true;
                reschedule = true;
            }
        }
        write(summaries);
        if (reschedule) {
            scheduleFlush();
        }
    }

    private void scheduleFlush() {
        Duration delay;
        synchronized (this) {
            delay = windowStart == null ? limits.window()
                    : Duration.between(clock.instant(), windowStart.plus(limits.window()));
        }
        try {
            scheduler.accept(delay.isNegative() ? Duration.ZERO : delay, this::flushEndedWindow);
        } catch (RuntimeException e) {
            // Not fatal: the next unknown-tool call after the window writes the summaries.
            log.warn("Could not schedule the summary of suppressed unknown-tool audit records ({})",
                    e.getClass().getName());
            synchronized (this) {
                flushScheduled = false;
            }
        }
    }

    /** Ends the window if {@code now} is past it, returning its summaries; starts a window if none. Under lock. */
    private List<AuditRecord> rollWindowIfEnded(Instant now) {
        if (windowStart == null) {
            windowStart = now;
            return List.of();
        }
        Instant windowEnd = windowStart.plus(limits.window());
        if (now.isBefore(windowEnd)) {
            return List.of();
        }
        List<AuditRecord> summaries = new ArrayList<>();
        for (CallerCount count : callers.values()) {
            if (count.suppressed > 0) {
                summaries.add(summaryRecord(now, count.caller, count.suppressed, count.lastTool, windowEnd));
            }
        }
        if (untrackedSuppressed > 0) {
            summaries.add(summaryRecord(now, null, untrackedSuppressed, null, windowEnd));
        }
        callers.clear();
        untrackedSuppressed = 0;
        recordedInWindow = 0;
        windowStart = now;
        return summaries;
    }

    private boolean hasSuppressed() {
        return untrackedSuppressed > 0 || callers.values().stream().anyMatch(c -> c.suppressed > 0);
    }

    private AuditRecord callRecord(Instant now, Optional<CallerIdentity> caller, Optional<String> sessionId,
                                   String requestedTool) {
        String id = Ids.newId(clock);
        return new AuditRecord(AuditRecord.SCHEMA_VERSION, id, now, id, caller.map(AuditRecord.Caller::of).orElse(null),
                sessionId.orElse(null), serverName, bounded(requestedTool), Map.of(), AuditRecord.Verdict.DENY,
                UNKNOWN_TOOL.value(),
                AuditRecord.Outcome.DENIED, 0, null, Map.of());
    }

    private AuditRecord summaryRecord(Instant now, AuditRecord.Caller caller, long suppressed, String lastTool,
                                      Instant windowEnd) {
        Map<String, String> details = new LinkedHashMap<>();
        details.put("unknown_tool_calls_suppressed", Long.toString(suppressed));
        details.put("window_start", DateTimeFormatter.ISO_INSTANT.format(windowStart));
        details.put("window_end", DateTimeFormatter.ISO_INSTANT.format(windowEnd));
        if (lastTool != null) {
            details.put("last_tool", bounded(lastTool));
        }
        String id = Ids.newId(clock);
        return new AuditRecord(AuditRecord.SCHEMA_VERSION, id, now, null, caller, null, serverName, SUMMARY_TOOL,
                Map.of(), AuditRecord.Verdict.DENY, UNKNOWN_TOOL.value(), AuditRecord.Outcome.DENIED, 0, null, details);
    }

    private static String bounded(String name) {
        if (name.length() <= MAX_TOOL_NAME_CHARS) {
            return name;
        }
        int end = MAX_TOOL_NAME_CHARS;
        if (Character.isHighSurrogate(name.charAt(end - 1))) {
            end--;
        }
        return name.substring(0, end) + "...(+" + (name.length() - end) + " chars)";
    }

    private void write(List<AuditRecord> records) {
        for (AuditRecord record : records) {
            try {
                sink.write(record);
            } catch (AuditWriteException | RuntimeException e) {
                // The SDK refuses the call anyway; there is no result to withhold.
                log.error("Audit record {} of a call to unknown tool '{}' could not be written ({})",
                        record.eventId(), ClientText.forLog(record.tool()), e.getClass().getName());
            }
        }
    }

    private static final class CallerCount {
        final AuditRecord.Caller caller;
        int recorded;
        long suppressed;
        String lastTool;

        CallerCount(AuditRecord.Caller caller) {
            this.caller = caller;
        }
    }

    /**
     * How many unknown-tool calls are audited one by one, per {@code window}: at most {@code recordsPerCaller}
     * per principal and {@code recordsPerWindow} in all, with counts kept for at most {@code trackedCallers}
     * distinct principals (the rest are counted together).
     *
     * @param recordsPerCaller at least 1
     * @param recordsPerWindow at least {@code recordsPerCaller}
     * @param trackedCallers   at least 1
     * @param window           positive
     */
    record Limits(int recordsPerCaller, int recordsPerWindow, int trackedCallers, Duration window) {

        /** 10 records per principal and 1,000 in all per minute; counts for 1,000 principals. */
        static final Limits DEFAULTS = new Limits(10, 1_000, 1_000, Duration.ofMinutes(1));

        Limits {
            Objects.requireNonNull(window, "window");
            if (recordsPerCaller < 1) {
                throw new IllegalArgumentException("recordsPerCaller must be at least 1, got " + recordsPerCaller);
            }
            if (recordsPerWindow < recordsPerCaller) {
                throw new IllegalArgumentException("recordsPerWindow must be at least recordsPerCaller ("
                        + recordsPerCaller + "), got " + recordsPerWindow);
            }
            if (trackedCallers < 1) {
                throw new IllegalArgumentException("trackedCallers must be at least 1, got " + trackedCallers);
            }
            if (window.isZero() || window.isNegative()) {
                throw new IllegalArgumentException("window must be positive, got " + window);
            }
        }
    }
}
