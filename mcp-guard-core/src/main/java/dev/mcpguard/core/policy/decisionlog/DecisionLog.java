package dev.mcpguard.core.policy.decisionlog;

import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectWriter;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import dev.mcpguard.core.internal.PolicyEvaluationRecorder;
import dev.mcpguard.core.internal.PolicyEvaluationRecorder.Evaluation;
import java.io.IOException;
import java.io.InputStream;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * OPA decision logs for mcp-guard's policy decisions: every decision an OPA engine (embedded or remote) evaluated,
 * or the decision cache answered, becomes one event in the format of OPA's decision-log plugin (its
 * {@code EventV1}), so pipelines that ingest OPA's decision logs ingest these too. Wire it with
 * {@code McpGuard.Builder.decisionLog(decisionLog)}; the request phase and the result phase of a call are one
 * event each.
 *
 * <pre>{@code
 * {"labels": {"id": "<instance id>", "version": "<mcp-guard version>", ...your labels},
 *  "decision_id": "<the decision id the audit record and the client see>",
 *  "bundles": {"<name>": {"revision": "<revision>"}},
 *  "path": "mcp/authz/decision",
 *  "input": {...the policy input document, masked...},
 *  "result": {...the policy's result; absent when undefined...},
 *  "erased": ["/input/arguments"], "masked": ["/input/arguments/api_key"],
 *  "timestamp": "2026-12-03T14:15:36.444098194Z",
 *  "metrics": {"counter_mcp_guard_decision_cache_hit": 0, "timer_rego_query_eval_ns": 41000}}
 * }</pre>
 *
 * <p>Masking (see {@link Builder#erase} and {@link Builder#mask}) works as OPA's {@code system.log.mask} rules;
 * by default {@code /input/arguments} is erased (client input that may hold personal data or secrets; the audit
 * trail does not keep argument values either), and members named like credentials are always masked. An event
 * larger than {@link Builder#maxEventBytes} loses its {@code input}, then its {@code result} (each listed in
 * {@code erased}); one still too large is dropped.
 *
 * <p>Never in the call's way: events are queued (bounded, {@link Builder#bufferEvents}) and written by one
 * background thread; when the queue is full, an event cannot be encoded, or the sink throws, the event is dropped
 * and counted in {@link #dropped()} (the first drop of each kind logged at ERROR), as OPA drops decision logs when
 * its buffer is full. The audit sink, not the decision log, is the system of record. Decisions made without an
 * evaluation (an open circuit breaker, an oversized input, no bundle loaded) and engines other than the OPA
 * engines produce no event, as OPA logs only what it evaluated.
 *
 * <p>Thread-safe. {@link #close()} it at shutdown: it writes what is queued and closes the sink.
 */
public final class DecisionLog implements AutoCloseable {

    /** Default {@link Builder#maxEventBytes}: 64 KiB. */
    public static final int DEFAULT_MAX_EVENT_BYTES = 64 * 1024;
    /** Default {@link Builder#bufferEvents}. */
    public static final int DEFAULT_BUFFER_EVENTS = 10_000;
    /** Default {@link Builder#erase}: the call's argument values. */
    public static final List<String> DEFAULT_ERASE = List.of("/input/arguments");
    /** The value masked members get. */
    public static final String REDACTED = DecisionLogMask.REDACTED;
    /** The metric that tells a decision answered by the decision cache (1) from an evaluation (0). */
    public static final String CACHE_HIT_METRIC = "counter_mcp_guard_decision_cache_hit";

    static final int MIN_MAX_EVENT_BYTES = 4 * 1024;
    static final int MAX_MAX_EVENT_BYTES = 16 * 1024 * 1024;
    private static final int MAX_LABELS = 32;
    private static final int MAX_LABEL_LENGTH = 256;
    private static final Logger log = LoggerFactory.getLogger(DecisionLog.class);
    private static final DateTimeFormatter SECONDS = DateTimeFormatter.ofPattern("yyyy-MM-dd'T'HH:mm:ss")
            .withZone(ZoneOffset.UTC);
    private static final Pending CLOSE = new Pending(null, false, "", Instant.EPOCH, Instant.EPOCH);

    /** One event to write: the evaluation and this call's facts. */
    record Pending(Evaluation evaluation, boolean fromCache, String decisionId, Instant requestTime,
                   Instant timestamp) {
    }

    private final DecisionLogSink sink;
    private final Map<String, String> labels;
    private final DecisionLogMask mask;
    private final int maxEventBytes;
    private final Clock clock;
    private final ObjectMapper mapper = new ObjectMapper();
    private final ObjectWriter writer = mapper.writer().with(JsonWriteFeature.ESCAPE_NON_ASCII);
    private final BlockingQueue<Pending> queue;
    private final Thread writerThread;
    private final AtomicLong written = new AtomicLong();
    private final AtomicLong dropped = new AtomicLong();
    private final AtomicBoolean bufferFullLogged = new AtomicBoolean();
    private final AtomicBoolean failureLogged = new AtomicBoolean();
    private final AtomicBoolean oversizeLogged = new AtomicBoolean();
    private final AtomicBoolean closed = new AtomicBoolean();

    private DecisionLog(Builder builder) {
        this.sink = builder.sink;
        Map<String, String> all = new LinkedHashMap<>();
        all.put("id", builder.instanceId);
        all.put("version", Version.MCP_GUARD);
        all.putAll(new TreeMap<>(builder.labels));
        this.labels = java.util.Collections.unmodifiableMap(all);
        this.mask = new DecisionLogMask(builder.erase, builder.mask);
        this.maxEventBytes = builder.maxEventBytes;
        this.clock = builder.clock;
        this.queue = new ArrayBlockingQueue<>(builder.bufferEvents);
        this.writerThread = new Thread(this::drain, "mcp-guard-decision-log");
        writerThread.setDaemon(true);
        writerThread.start();
    }

    /** Starts a builder for a decision log writing to {@code sink}. */
    public static Builder builder(DecisionLogSink sink) {
        return new Builder(sink);
    }

    /**
     * {@code engine}, with each of its evaluated decisions logged here; the decisions are unchanged.
     * {@code McpGuard.Builder.decisionLog} does this for the guard's policy step.
     */
    public PolicyEngine decorate(PolicyEngine engine) {
        return new DecisionLoggingPolicyEngine(engine, this);
    }

    /** Events written to the sink so far. */
    public long written() {
        return written.get();
    }

    /** Events dropped so far: buffer full, too large even without input and result, encoding or sink failure. */
    public long dropped() {
        return dropped.get();
    }

    /** The labels every event carries: {@code id}, {@code version}, then the configured ones. */
    public Map<String, String> labels() {
        return labels;
    }

    /**
     * Queues the event of {@code decision}, when an evaluation made it. Never throws and never blocks.
     */
    void record(Decision decision, PolicyRequest request, PolicyEvaluationRecorder.Recording recording) {
        try {
            if (recording.evaluation().isEmpty()) {
                return;
            }
            if (closed.get()) {
                dropped.incrementAndGet();
                return;
            }
            Pending pending = new Pending(recording.evaluation().get(), recording.fromCache(), decision.decisionId(),
                    request.time(), clock.instant());
            if (!queue.offer(pending)) {
                dropped.incrementAndGet();
                if (bufferFullLogged.compareAndSet(false, true)) {
                    log.error("Decision log buffer is full ({} events): events are dropped and counted (the "
                            + "audit trail is unaffected); is the sink {} slow?", queue.remainingCapacity()
                            + queue.size(), sink);
                }
            }
        } catch (RuntimeException e) {
            dropped.incrementAndGet();
            logFailureOnce(request.decisionId(), e);
        }
    }

    private void drain() {
        while (true) {
            Pending pending;
            try {
                pending = queue.take();
            } catch (InterruptedException e) {
                return;
            }
            if (pending == CLOSE) {
                return;
            }
            try {
                String event = encode(pending);
                if (event == null) {
                    dropped.incrementAndGet();
                    if (oversizeLogged.compareAndSet(false, true)) {
                        log.error("Decision log event {} is over {} bytes even without input and result; dropped",
                                pending.decisionId(), maxEventBytes);
                    }
                    continue;
                }
                sink.write(event);
                written.incrementAndGet();
            } catch (IOException | RuntimeException | StackOverflowError e) {
                dropped.incrementAndGet();
                logFailureOnce(pending.decisionId(), e);
            }
        }
    }

    /** Logs the first failure at ERROR (class only: a message could quote the event), later ones at DEBUG. */
    private void logFailureOnce(String decisionId, Throwable e) {
        if (failureLogged.compareAndSet(false, true)) {
            log.error("Decision log event {} could not be written to {} ({}); it is dropped, and later failures are "
                    + "counted in dropped() and logged at DEBUG (the audit trail is unaffected)", decisionId, sink,
                    e.getClass().getName());
        } else {
            log.debug("Decision log event {} dropped ({})", decisionId, e.getClass().getName());
        }
    }

    /** The event line for {@code pending}, or null when it is too large even without input and result. */
    String encode(Pending pending) throws IOException {
        Evaluation evaluation = pending.evaluation();
        ObjectNode parts = mapper.createObjectNode();
        JsonNode input = evaluation.input().deepCopy();
        if (pending.fromCache() && input instanceof ObjectNode object && object.has("decision_id")) {
            // The cached evaluation's input differs from this call's only in these (the cache key covers the rest).
            Instant time = pending.requestTime();
            object.put("decision_id", pending.decisionId());
            object.put("time", time.toString());
            object.put("time_ns", time.getEpochSecond() * 1_000_000_000L + time.getNano());
        }
        parts.set("input", input);
        evaluation.result().ifPresent(result -> parts.set("result", result.deepCopy()));
        List<String> erased = new ArrayList<>();
        List<String> masked = new ArrayList<>();
        mask.apply(parts, erased, masked);
        String line = assemble(pending, parts, erased, masked);
        for (String part : List.of("input", "result")) {
            if (line.length() <= maxEventBytes) {
                return line;
            }
            if (parts.remove(part) != null) {
                erased.add("/" + part);
                masked.removeIf(path -> path.startsWith("/" + part + "/") || path.equals("/" + part));
                if (oversizeLogged.compareAndSet(false, true)) {
                    log.warn("Decision log event {} is over {} bytes: its {} is erased (listed in erased)",
                            pending.decisionId(), maxEventBytes, part);
                }
            }
            line = assemble(pending, parts, erased, masked);
        }
        return line.length() <= maxEventBytes ? line : null;
    }

    /** The event in the field order of OPA's EventV1; printable ASCII (non-ASCII escaped). */
    private String assemble(Pending pending, ObjectNode parts, List<String> erased, List<String> masked)
            throws IOException {
        Evaluation evaluation = pending.evaluation();
        ObjectNode event = mapper.createObjectNode();
        ObjectNode labelNode = event.putObject("labels");
        labels.forEach(labelNode::put);
        event.put("decision_id", pending.decisionId());
        if (!evaluation.bundles().isEmpty()) {
            ObjectNode bundles = event.putObject("bundles");
            new TreeMap<>(evaluation.bundles()).forEach((name, revision) -> {
                ObjectNode bundle = bundles.putObject(name);
                if (!revision.isEmpty()) {
                    bundle.put("revision", revision);
                }
            });
        }
        event.put("path", evaluation.path());
        if (parts.has("input")) {
            event.set("input", parts.get("input"));
        }
        if (parts.has("result")) {
            event.set("result", parts.get("result"));
        }
        if (!erased.isEmpty()) {
            ArrayNode node = event.putArray("erased");
            erased.forEach(node::add);
        }
        if (!masked.isEmpty()) {
            ArrayNode node = event.putArray("masked");
            masked.forEach(node::add);
        }
        event.put("timestamp", rfc3339Nano(pending.timestamp()));
        ObjectNode metrics = event.putObject("metrics");
        TreeMap<String, Long> measured = new TreeMap<>();
        if (pending.fromCache()) {
            measured.put(CACHE_HIT_METRIC, 1L); // the original evaluation's timings are not this decision's
        } else {
            measured.putAll(evaluation.metrics());
            measured.put(CACHE_HIT_METRIC, 0L);
        }
        measured.forEach(metrics::put);
        return writer.writeValueAsString(event);
    }

    /** Go's {@code time.RFC3339Nano} in UTC: seconds, then the fraction without trailing zeros, then {@code Z}. */
    static String rfc3339Nano(Instant instant) {
        StringBuilder text = new StringBuilder(SECONDS.format(instant));
        if (instant.getNano() != 0) {
            String fraction = String.format(java.util.Locale.ROOT, "%09d", instant.getNano());
            int end = fraction.length();
            while (fraction.charAt(end - 1) == '0') {
                end--;
            }
            text.append('.').append(fraction, 0, end);
        }
        return text.append('Z').toString();
    }

    /**
     * Stops taking events, writes those queued (waiting at most 10 seconds for the writer), and closes the sink.
     * Events recorded after this are dropped. Idempotent.
     */
    @Override
    public void close() {
        if (!closed.compareAndSet(false, true)) {
            return;
        }
        try {
            // A sink stuck in write leaves the queue full: give up on it after the same 10 s.
            if (queue.offer(CLOSE, 10, TimeUnit.SECONDS)) {
                writerThread.join(TimeUnit.SECONDS.toMillis(10));
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        if (writerThread.isAlive()) {
            writerThread.interrupt();
            log.error("Decision log writer did not finish within 10 s; {} queued events dropped", queue.size());
        }
        dropped.addAndGet(queue.size());
        queue.clear();
        try {
            sink.close();
        } catch (IOException | RuntimeException e) {
            log.warn("Decision log sink {} did not close cleanly ({})", sink, e.getClass().getName());
        }
    }

    @Override
    public String toString() {
        return "DecisionLog[" + sink + ", id=" + labels.get("id") + "]";
    }

    /** mcp-guard's version, from the filtered resource; {@code unknown} when it cannot be read. */
    private static final class Version {
        static final String MCP_GUARD = read();

        private static String read() {
            try (InputStream in = DecisionLog.class.getResourceAsStream("version.properties")) {
                if (in == null) {
                    return "unknown";
                }
                Properties properties = new Properties();
                properties.load(in);
                String version = properties.getProperty("version", "unknown");
                return version.isBlank() || version.startsWith("$") ? "unknown" : version;
            } catch (IOException | RuntimeException e) {
                return "unknown";
            }
        }
    }

    /**
     * Configures a {@link DecisionLog}. Not thread-safe; build once. Setters reject bad values with a message
     * that shows the value.
     */
    public static final class Builder {
        private final DecisionLogSink sink;
        private String instanceId = UUID.randomUUID().toString();
        private Map<String, String> labels = Map.of();
        private List<String> erase = DEFAULT_ERASE;
        private List<String> mask = List.of();
        private int maxEventBytes = DEFAULT_MAX_EVENT_BYTES;
        private int bufferEvents = DEFAULT_BUFFER_EVENTS;
        private Clock clock = Clock.systemUTC();

        private Builder(DecisionLogSink sink) {
            this.sink = Objects.requireNonNull(sink, "sink");
        }

        /** The {@code labels.id} of every event (OPA: the instance's id); default a random UUID per decision log. */
        public Builder instanceId(String instanceId) {
            this.instanceId = label("instanceId", instanceId);
            return this;
        }

        /** Labels every event carries besides {@code id} and {@code version} (which they may not name); at most 32. */
        public Builder labels(Map<String, String> labels) {
            Objects.requireNonNull(labels, "labels");
            if (labels.size() > MAX_LABELS) {
                throw new IllegalArgumentException("at most " + MAX_LABELS + " labels, got " + labels.size());
            }
            labels.forEach((key, value) -> {
                label("label name", key);
                label("label " + key, value);
                if (key.equals("id") || key.equals("version")) {
                    throw new IllegalArgumentException("label '" + key + "' is set by the decision log itself");
                }
            });
            this.labels = Map.copyOf(labels);
            return this;
        }

        /**
         * Paths removed from every event (OPA's string mask rules), each {@code /input/...} or
         * {@code /result/...}; replaces the default {@link #DEFAULT_ERASE} (pass an empty list to keep the
         * arguments; credential-like members are masked regardless).
         */
        public Builder erase(List<String> paths) {
            this.erase = checkedPaths(paths);
            return this;
        }

        /** Paths whose value is replaced by {@value DecisionLog#REDACTED} (OPA's {@code upsert} rules). Default none. */
        public Builder mask(List<String> paths) {
            this.mask = checkedPaths(paths);
            return this;
        }

        /** Largest event line, in bytes (see the class javadoc); default 64 KiB; 4 KiB to 16 MiB. */
        public Builder maxEventBytes(int maxEventBytes) {
            if (maxEventBytes < MIN_MAX_EVENT_BYTES || maxEventBytes > MAX_MAX_EVENT_BYTES) {
                throw new IllegalArgumentException("maxEventBytes must be within [" + MIN_MAX_EVENT_BYTES + ", "
                        + MAX_MAX_EVENT_BYTES + "], got " + maxEventBytes);
            }
            this.maxEventBytes = maxEventBytes;
            return this;
        }

        /** Events queued for the writer before new ones are dropped; default 10,000; 1 to 1,000,000. */
        public Builder bufferEvents(int bufferEvents) {
            if (bufferEvents < 1 || bufferEvents > 1_000_000) {
                throw new IllegalArgumentException("bufferEvents must be within [1, 1000000], got " + bufferEvents);
            }
            this.bufferEvents = bufferEvents;
            return this;
        }

        /** The clock of the events' {@code timestamp}; default the UTC system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Builds the decision log and starts its writer thread. */
        public DecisionLog build() {
            return new DecisionLog(this);
        }

        private static List<String> checkedPaths(List<String> paths) {
            List<String> copy = List.copyOf(Objects.requireNonNull(paths, "paths"));
            copy.forEach(DecisionLogMask::segments);
            return copy;
        }

        private static String label(String what, String value) {
            Objects.requireNonNull(value, what);
            if (value.isEmpty() || value.length() > MAX_LABEL_LENGTH) {
                throw new IllegalArgumentException(what + " must be 1 to " + MAX_LABEL_LENGTH + " characters, got "
                        + value.length());
            }
            return value;
        }
    }
}
