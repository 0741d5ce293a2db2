package dev.mcpguard.core.testing;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.NullNode;
import dev.mcpguard.core.policy.opa.EmbeddedEvaluator;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * Differential harness: one Rego module (and optional data), one rule, MANY inputs, evaluated by the real
 * {@code opa} (ONE {@code opa run --server} process for all inputs, one HTTP query per input, so an error on one
 * input is that input's outcome) and by the embedded engine ({@link EmbeddedEvaluator}: the module built with
 * {@code opa build -t wasm -e <rule>}, loaded into a real {@code OpaWasmPolicyEngine}).
 *
 * <pre>{@code
 * List<OpaDifferential.Pair> pairs = OpaDifferential.module("""
 *         package probe
 *         out := time.parse_rfc3339_ns(input.s)
 *         """).rule("probe/out").compare(inputs);
 * assertThat(OpaDifferential.mismatches(pairs)).isEmpty();
 * }</pre>
 *
 * <p>Outcomes are a value, undefined, or an error; two values are equal as JSON with numbers compared by value
 * ({@code 1} equals {@code 1.0}); two errors are equal whatever their messages. An embedded evaluation still
 * running after {@link #EMBEDDED_LIMIT} (OPA's wasm runtime looping) is interrupted and is {@code UNFINISHED},
 * which equals nothing: a hang is reported as a mismatch instead of stalling the suite. Immutable;
 * {@link #compare} starts and stops its own processes, so a harness may be shared between threads.
 */
public final class OpaDifferential {

    /**
     * Results are read with exact decimals (BigDecimal, trailing zeroes kept), so a difference beyond double
     * precision is seen.
     */
    private static final ObjectMapper MAPPER = new ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .setNodeFactory(com.fasterxml.jackson.databind.node.JsonNodeFactory.withExactBigDecimals(true));

    /**
     * The embedded side reads inputs as Jackson's defaults do (integers exact, big ones as BigInteger; decimals as
     * double, {@code -0.0} and {@code 1.23456789E8} written back as such), as the MCP SDK hands arguments over.
     */
    private static final ObjectMapper INPUT_MAPPER = new ObjectMapper();

    /**
     * How long one embedded evaluation may run before it is interrupted and reported {@code UNFINISHED}. Far above
     * any real evaluation (milliseconds), so it only separates a hang from an answer; not an assertion on speed.
     */
    static final Duration EMBEDDED_LIMIT = Duration.ofSeconds(30);

    private final String module;
    private final JsonNode data;
    private final String rule;
    private final Clock clock;

    private OpaDifferential(String module, JsonNode data, String rule, Clock clock) {
        this.module = module;
        this.data = data;
        this.rule = rule;
        this.clock = clock;
    }

    /** A harness for a Rego module (one file's text); evaluates rule {@code probe/out} unless {@link #rule} says. */
    public static OpaDifferential module(String rego) {
        return new OpaDifferential(Objects.requireNonNull(rego, "rego"), null, "probe/out", Clock.systemUTC());
    }

    /** The same harness with {@code data} as the data document (both sides). */
    public OpaDifferential data(JsonNode data) {
        return new OpaDifferential(module, Objects.requireNonNull(data, "data"), rule, clock);
    }

    /** The same harness evaluating {@code rule}, a slash path such as {@code probe/out}. */
    public OpaDifferential rule(String rule) {
        return new OpaDifferential(module, data, Objects.requireNonNull(rule, "rule"), clock);
    }

    /** The same harness with the embedded engine's clock ({@code time.now_ns}); OPA always uses real time. */
    public OpaDifferential clock(Clock clock) {
        return new OpaDifferential(module, data, rule, Objects.requireNonNull(clock, "clock"));
    }

    /** What one engine made of one input. */
    public record Outcome(Kind kind, JsonNode value, String error) {

        /** The outcomes of an evaluation; {@code UNFINISHED}: interrupted after {@link #EMBEDDED_LIMIT}. */
        public enum Kind { VALUE, UNDEFINED, ERROR, UNFINISHED }

        static Outcome of(JsonNode value) {
            return new Outcome(Kind.VALUE, value, "");
        }

        static Outcome undefined() {
            return new Outcome(Kind.UNDEFINED, NullNode.getInstance(), "");
        }

        static Outcome failed(String error) {
            return new Outcome(Kind.ERROR, NullNode.getInstance(), error);
        }

        static Outcome unfinished() {
            return new Outcome(Kind.UNFINISHED, NullNode.getInstance(), "still running after " + EMBEDDED_LIMIT);
        }

        /**
         * Same kind and, for values, the same JSON with numbers compared by value; error messages are ignored;
         * an unfinished evaluation is the same as nothing.
         */
        public boolean sameAs(Outcome other) {
            return kind == other.kind && kind != Kind.UNFINISHED && (kind != Kind.VALUE || sameJson(value, other.value));
        }

        @Override
        public String toString() {
            return switch (kind) {
                case VALUE -> value.toString();
                case UNDEFINED -> "undefined";
                case ERROR -> "error(" + error + ")";
                case UNFINISHED -> "unfinished(" + error + ")";
            };
        }
    }

    /** One input with what OPA and the embedded engine made of it. */
    public record Pair(int index, String input, Outcome opa, Outcome embedded) {
        public boolean matches() {
            return opa.sameAs(embedded);
        }

        @Override
        public String toString() {
            return "#" + index + " input " + input + ": opa " + opa + ", embedded " + embedded;
        }
    }

    /** The pairs that differ. */
    public static List<Pair> mismatches(List<Pair> pairs) {
        return pairs.stream().filter(p -> !p.matches()).collect(Collectors.toList());
    }

    /** Evaluates the rule for every input on both sides; pairs in input order. */
    public List<Pair> compare(List<? extends JsonNode> inputs) {
        List<String> texts = new ArrayList<>();
        for (JsonNode input : inputs) {
            texts.add(write(input));
        }
        return compareJson(texts);
    }

    /**
     * As {@link #compare} for inputs given as JSON text, sent to OPA byte for byte (for inputs Jackson would not
     * write, such as a lone surrogate escape or {@code 0010}); the embedded side gets them as Jackson parses them,
     * and an input Jackson cannot parse is an error there.
     */
    public List<Pair> compareJson(List<String> inputs) {
        Path work;
        try {
            work = Files.createTempDirectory("opa-differential");
            Path src = Files.createDirectories(work.resolve("src"));
            Files.writeString(src.resolve("probe.rego"), module);
            if (data != null) {
                Files.writeString(src.resolve("data.json"), write(data));
            }
            Path bundle = work.resolve("bundle.tar.gz");
            OpaBinary.run(work, List.of("build", "-t", "wasm", "-e", rule, "-b", src.toString(), "-o", bundle.toString()));
            List<Outcome> expected = new ArrayList<>();
            try (OpaServer opa = OpaServer.startWithFiles(src)) {
                HttpClient client = HttpClient.newHttpClient();
                URI uri = opa.baseUri().resolve("/v1/data/" + rule);
                for (String input : inputs) {
                    expected.add(askOpa(client, uri, input));
                }
            }
            List<Pair> pairs = new ArrayList<>();
            ExecutorService worker = Executors.newSingleThreadExecutor(task -> {
                Thread thread = new Thread(task, "opa-differential-embedded");
                thread.setDaemon(true);
                return thread;
            });
            EmbeddedEvaluator embedded = EmbeddedEvaluator.load(bundle, rule, clock);
            try {
                for (int i = 0; i < inputs.size(); i++) {
                    Outcome outcome = askEmbedded(worker, embedded, inputs.get(i));
                    pairs.add(new Pair(i, inputs.get(i), expected.get(i), outcome));
                    if (outcome.kind() == Outcome.Kind.UNFINISHED) {
                        // A fresh engine for the next input: the interrupted one's instance is still being replaced.
                        embedded.close();
                        embedded = EmbeddedEvaluator.load(bundle, rule, clock);
                    }
                }
            } finally {
                embedded.close();
                worker.shutdownNow();
            }
            deleteTree(work);
            return pairs;
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static Outcome askOpa(HttpClient client, URI uri, String input) throws IOException {
        HttpRequest request = HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(30))
                .header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"input\":" + input + "}", StandardCharsets.UTF_8)).build();
        try {
            HttpResponse<String> response = client.send(request, HttpResponse.BodyHandlers.ofString(StandardCharsets.UTF_8));
            if (response.statusCode() != 200) {
                return Outcome.failed(response.statusCode() + " " + response.body());
            }
            JsonNode body = MAPPER.readTree(response.body());
            return body.has("result") ? Outcome.of(body.get("result")) : Outcome.undefined();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted asking opa", e);
        }
    }

    /** Asks on {@code worker}, interrupting an evaluation that runs past {@link #EMBEDDED_LIMIT}. */
    private static Outcome askEmbedded(ExecutorService worker, EmbeddedEvaluator embedded, String input) {
        CountDownLatch done = new CountDownLatch(1);
        Future<Outcome> answer = worker.submit(() -> {
            try {
                return askEmbedded(embedded, input);
            } finally {
                done.countDown();
            }
        });
        try {
            return answer.get(EMBEDDED_LIMIT.toMillis(), TimeUnit.MILLISECONDS);
        } catch (TimeoutException hung) {
            answer.cancel(true);
            try {
                // Chicory checks the interrupt flag in loops; a worker that never stops would stall every later input.
                if (!done.await(EMBEDDED_LIMIT.toMillis(), TimeUnit.MILLISECONDS)) {
                    throw new IllegalStateException("the embedded engine ignored an interrupt evaluating " + input);
                }
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                throw new IllegalStateException("interrupted waiting for the embedded engine", e);
            }
            return Outcome.unfinished();
        } catch (ExecutionException e) {
            return Outcome.failed(e.getCause().getClass().getSimpleName() + ": " + e.getCause().getMessage());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted asking the embedded engine", e);
        }
    }

    private static Outcome askEmbedded(EmbeddedEvaluator embedded, String input) {
        try {
            Optional<JsonNode> value = embedded.evaluate(INPUT_MAPPER.readTree(input));
            return value.map(Outcome::of).orElseGet(Outcome::undefined);
        } catch (Exception e) {
            return Outcome.failed(e.getClass().getSimpleName() + ": " + e.getMessage());
        }
    }

    static boolean sameJson(JsonNode a, JsonNode b) {
        if (a.isNumber() && b.isNumber()) {
            boolean aInfinite = a.isDouble() && !Double.isFinite(a.doubleValue());
            boolean bInfinite = b.isDouble() && !Double.isFinite(b.doubleValue());
            if (aInfinite || bInfinite) {
                return aInfinite && bInfinite && a.doubleValue() == b.doubleValue();
            }
            return a.decimalValue().compareTo(b.decimalValue()) == 0;
        }
        if (a.isObject() && b.isObject()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (Iterator<Map.Entry<String, JsonNode>> it = a.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                JsonNode other = b.get(field.getKey());
                if (other == null || !sameJson(field.getValue(), other)) {
                    return false;
                }
            }
            return true;
        }
        if (a.isArray() && b.isArray()) {
            if (a.size() != b.size()) {
                return false;
            }
            for (int i = 0; i < a.size(); i++) {
                if (!sameJson(a.get(i), b.get(i))) {
                    return false;
                }
            }
            return true;
        }
        return a.equals(b);
    }

    private static String write(JsonNode node) {
        try {
            return MAPPER.writeValueAsString(node);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static void deleteTree(Path root) throws IOException {
        try (var paths = Files.walk(root)) {
            for (Path path : paths.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(path);
            }
        }
    }
}
