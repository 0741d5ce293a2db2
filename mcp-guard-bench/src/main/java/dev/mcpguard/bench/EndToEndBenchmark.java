package dev.mcpguard.bench;

import dev.mcpguard.api.spi.AuditSink;
import dev.mcpguard.bench.EndToEndSettings.AuditMode;
import dev.mcpguard.bench.EndToEndSettings.Variant;
import dev.mcpguard.core.audit.JsonlFileAuditSink;
import dev.mcpguard.examples.DemoIssuer;
import dev.mcpguard.examples.DemoUser;
import dev.mcpguard.examples.OrdersServer;
import dev.mcpguard.examples.OrdersServerSettings;
import dev.mcpguard.examples.UnguardedOrdersServer;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import java.io.IOException;
import java.io.PrintStream;
import java.io.UncheckedIOException;
import java.lang.management.ManagementFactory;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.locks.LockSupport;
import java.util.logging.Level;
import java.util.stream.Stream;
import org.HdrHistogram.Histogram;

/**
 * End-to-end latency of one MCP {@code tools/call} (or, with {@code --request read}, one {@code resources/read})
 * over Streamable HTTP on loopback, the guarded example server
 * against the same server unguarded and the same server behind an nginx hop, all started by this one JVM (nginx
 * as a child process):
 * <ul>
 *   <li><b>A</b>: {@link UnguardedOrdersServer}, the example's tools on a bare MCP Java SDK server;</li>
 *   <li><b>B-async</b>, <b>B-durable</b>: {@link OrdersServer}, the example exactly as it is wired (JWT from an
 *       in-process mock-oauth2-server, the signed reference policy bundle, sessions, throttle, schema checks,
 *       redaction), with an async or a durable JSON Lines audit file;</li>
 *   <li><b>C</b>: A's server behind a loopback nginx ({@link LoopbackNginx}); skipped with a message when there
 *       is no nginx and it cannot be installed.</li>
 * </ul>
 * The client is the real MCP Java SDK client, one session (and connection) per client thread, calling
 * {@code get_order} for an order the caller's tenant owns (or reading {@value #RESOURCE_URI}, the same order as a
 * resource). Every client sends a bearer token, also to A and C,
 * which ignore it, so every variant gets the same bytes. Variants run interleaved in rounds (for each round, for
 * each client count: A, B-async, B-durable, C), warm-up rounds first; only the request is timed ({@code nanoTime}
 * around {@code callTool} or {@code readResource}, pre-built requests, one HdrHistogram per client thread merged between phases).
 *
 * <pre>
 * scripts/bench-end-to-end.sh --rounds 3 --time 2s
 * </pre>
 *
 * <p>Not thread-safe: one {@link #run} at a time per JVM.
 */
public final class EndToEndBenchmark {

    /** The tool every client calls, and its arguments: an order of the caller's tenant. */
    static final String TOOL = "get_order";
    static final Map<String, Object> ARGUMENTS = Map.of("order_id", "acme-1001");
    /** The resource every client reads with {@code --request read}: the same order, by the orders template. */
    static final String RESOURCE_URI = "orders://acme/1001";

    /** Latencies above this are recorded as this (the histogram's range); no call should come near. */
    private static final long MAX_RECORDED_NANOS = TimeUnit.SECONDS.toNanos(30);
    private static final Duration TOKEN_LIFETIME = Duration.ofHours(12);
    private static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(30);
    private static final Duration AUDIT_DRAIN_TIMEOUT = Duration.ofSeconds(30);

    // Tomcat logs through java.util.logging; held strongly, since java.util.logging forgets unreferenced levels.
    private static final org.slf4j.Logger log = org.slf4j.LoggerFactory.getLogger(EndToEndBenchmark.class);
    private static final java.util.logging.Logger TOMCAT_LOG = java.util.logging.Logger.getLogger("org.apache");
    // On stop, Tomcat warns about the MCP SDK's shared Reactor threads, which outlive the web context by design.
    private static final java.util.logging.Logger TOMCAT_LEAK_LOG =
            java.util.logging.Logger.getLogger("org.apache.catalina.loader.WebappClassLoaderBase");

    private final EndToEndSettings settings;
    private final PrintStream progress;
    private final ExecutorService clientThreads;
    /** One histogram per client thread, reset before each phase and merged after it, outside the timed calls. */
    private final Histogram[] clientHistograms;

    private EndToEndBenchmark(EndToEndSettings settings, PrintStream progress) {
        this.settings = settings;
        this.progress = progress;
        this.clientThreads = Executors.newFixedThreadPool(settings.maxClients(), clientThreadFactory());
        this.clientHistograms = new Histogram[settings.maxClients()];
        for (int i = 0; i < clientHistograms.length; i++) {
            clientHistograms[i] = newHistogram();
        }
    }

    public static void main(String[] args) {
        if (java.util.Arrays.asList(args).contains("--help")) {
            log.info("{}", EndToEndSettings.USAGE);
            return;
        }
        EndToEndSettings settings;
        try {
            settings = EndToEndSettings.parse(args);
        } catch (IllegalArgumentException e) {
            log.error("Invalid option: {}", e.getMessage());
            System.exit(2);
            return;
        }
        run(settings, System.err).print(System.out);
        // The MCP SDK's shared Reactor schedulers are not daemon threads; do not wait for them.
        System.exit(0);
    }

    /**
     * Starts the variants, runs the warm-up and measured rounds, stops everything and returns the figures.
     * Progress goes to {@code progress}; nothing is printed to standard output.
     */
    public static EndToEndReport run(EndToEndSettings settings, PrintStream progress) {
        return new EndToEndBenchmark(settings, progress).run();
    }

    private EndToEndReport run() {
        TOMCAT_LOG.setLevel(Level.WARNING);
        TOMCAT_LEAK_LOG.setLevel(Level.SEVERE);
        String loadAtStart = loadAverage();
        Map<String, String> machine = new LinkedHashMap<>();
        machine.put(EndToEndReport.REQUEST_FACT, settings.request().method());
        Map<String, String> skipped = new LinkedHashMap<>();
        List<Target> targets = new ArrayList<>();
        // Servers, proxies and the issuer, closed in reverse order (nginx before its upstream).
        List<AutoCloseable> resources = new ArrayList<>();
        Path runDir;
        try {
            Files.createDirectories(settings.workDir());
            runDir = Files.createTempDirectory(settings.workDir(), "run-");
        } catch (IOException e) {
            throw new UncheckedIOException("cannot create a run directory in " + settings.workDir(), e);
        }
        try {
            DemoIssuer issuer = DemoIssuer.start();
            resources.add(issuer);
            startTargets(issuer, runDir, targets, resources, skipped, machine);
            progress.printf("End-to-end: %s, %d client session(s) each%n",
                    String.join(", ", targets.stream().map(Target::name).toList()), settings.maxClients());

            Map<String, Histogram> totals = new LinkedHashMap<>();
            Map<String, Long> errors = new LinkedHashMap<>();
            Map<String, Long> elapsed = new LinkedHashMap<>();
            Map<String, List<Long>> roundP50s = new LinkedHashMap<>();
            for (int round = 1; round <= settings.warmupRounds(); round++) {
                progress.printf("warm-up round %d of %d%n", round, settings.warmupRounds());
                for (int clients : settings.clients()) {
                    for (Target target : targets) {
                        runPhase(target, clients, settings.warmupTime());
                    }
                }
            }
            for (int round = 1; round <= settings.rounds(); round++) {
                progress.printf("round %d of %d (load average %s)%n", round, settings.rounds(), loadAverage());
                for (int clients : settings.clients()) {
                    for (Target target : targets) {
                        Phase phase = runPhase(target, clients, settings.roundTime());
                        String key = target.name() + "@" + clients;
                        totals.computeIfAbsent(key, k -> newHistogram()).add(phase.histogram());
                        errors.merge(key, phase.errors(), Long::sum);
                        elapsed.merge(key, phase.elapsedNanos(), Long::sum);
                        roundP50s.computeIfAbsent(key, k -> new ArrayList<>()).add(phase.p50Nanos());
                    }
                }
            }
            List<EndToEndReport.Row> rows = new ArrayList<>();
            for (int clients : settings.clients()) {
                for (Target target : targets) {
                    String key = target.name() + "@" + clients;
                    rows.add(EndToEndReport.Row.of(target.name(), clients, totals.get(key), errors.get(key),
                            elapsed.get(key), roundP50s.get(key)));
                }
            }
            Map<String, String> variants = new LinkedHashMap<>();
            targets.forEach(t -> variants.put(t.name(), t.description()));
            Map<String, String> facts = machineFacts(machine, runDir);
            closeAll(targets, resources);
            facts.put("load average (1, 5, 15 min)", "start " + loadAtStart + ", end " + loadAverage());
            return new EndToEndReport(rows, facts, variants, skipped);
        } finally {
            closeAll(targets, resources);
            clientThreads.shutdownNow();
            deleteQuietly(runDir);
        }
    }

    // ---------------------------------------------------------------- variants

    private void startTargets(DemoIssuer issuer, Path runDir, List<Target> targets, List<AutoCloseable> resources,
                              Map<String, String> skipped, Map<String, String> machine) {
        boolean wantA = settings.variants().contains(Variant.A);
        boolean wantC = settings.variants().contains(Variant.C);
        List<Target> guarded = new ArrayList<>();
        String anyAudience = null;
        if (settings.variants().contains(Variant.B)) {
            for (AuditMode mode : settings.auditModes()) {
                for (boolean guardrails : settings.guardrails()) {
                    String modeName = mode.name().toLowerCase(Locale.ROOT) + (guardrails ? "" : "-noguardrails");
                    Path auditFile = runDir.resolve("audit-" + modeName + ".jsonl");
                    JsonlFileAuditSink sink = auditSink(auditFile, mode);
                    // The example exactly as it is wired; only the audit sink and the generous rate limits are ours
                    // (and, for a "-noguardrails" target, the guardrails switched off to show what they cost).
                    OrdersServer server = new OrdersServer(OrdersServerSettings.builder()
                            .port(0)
                            .issuer(issuer.issuer())
                            .jwksUri(issuer.jwksUri())
                            .auditFile(auditFile)
                            .credentialsDir(runDir.resolve("credentials-" + modeName))
                            // The bench measures cost, not refusals: no client comes near these.
                            .callsPerMinute(1_000_000)
                            .requestsPerMinute(1_000_000)
                            .guardrails(guardrails)
                            .build(), sink);
                    resources.add(server); // closes the sink too
                    server.start();
                    String audience = server.resourceUri().toString();
                    anyAudience = anyAudience == null ? audience : anyAudience;
                    guarded.add(new Target("B-" + modeName, "the example's OrdersServer as wired (JWT from an "
                            + "in-process mock-oauth2-server, reference policy bundle " + server.policyRevision()
                            + " behind its decision cache, sessions, throttle, schema checks, redaction, "
                            + (guardrails ? "guardrails" : "NO guardrails") + "), "
                            + mode.name().toLowerCase(Locale.ROOT) + " JSONL audit",
                            server.baseUrl(), i -> token(issuer, i, audience),
                            mode == AuditMode.ASYNC ? Optional.of(sink) : Optional.empty()));
                }
            }
        }
        if (wantA || wantC) {
            UnguardedOrdersServer unguarded = UnguardedOrdersServer.start(0);
            resources.add(unguarded);
            // A and C send a token too (one B would accept), so every variant gets the same bytes.
            String audience = anyAudience != null ? anyAudience : unguarded.baseUrl() + OrdersServer.MCP_ENDPOINT;
            java.util.function.IntFunction<String> tokens = i -> token(issuer, i, audience);
            if (wantA) {
                targets.add(new Target("A", "UnguardedOrdersServer: the same tools, Tomcat settings and SDK "
                        + "transport, no guard", unguarded.baseUrl(), tokens, Optional.empty()));
            }
            targets.addAll(guarded);
            if (wantC) {
                startNginx(unguarded, runDir, tokens, resources, skipped, machine).ifPresent(targets::add);
            }
        } else {
            targets.addAll(guarded);
        }
        for (Target target : targets) {
            for (int i = 0; i < settings.maxClients(); i++) {
                target.clients.add(connect(target.baseUrl, target.tokens.apply(i)));
            }
        }
    }

    private static String token(DemoIssuer issuer, int client, String audience) {
        return issuer.token(benchUser(client), List.of(audience), TOKEN_LIFETIME, Map.of());
    }

    private Optional<Target> startNginx(UnguardedOrdersServer upstream, Path runDir,
                                        java.util.function.IntFunction<String> tokens, List<AutoCloseable> resources,
                                        Map<String, String> skipped, Map<String, String> machine) {
        StringBuilder why = new StringBuilder();
        Optional<Path> binary = settings.nginx().isPresent() ? settings.nginx() : LoopbackNginx.locate(why);
        if (binary.isEmpty()) {
            progress.println("Variant C skipped: no nginx (" + why + ")");
            skipped.put("C", "no nginx: " + why);
            machine.put("nginx", "none (variant C skipped)");
            return Optional.empty();
        }
        try {
            LoopbackNginx nginx = LoopbackNginx.start(binary.get(), upstream.baseUrl(), runDir.resolve("nginx"));
            resources.add(nginx);
            machine.put("nginx", LoopbackNginx.version(binary.get()) + " (" + binary.get() + "), one event loop, "
                    + "keep-alive upstream (up to " + LoopbackNginx.UPSTREAM_KEEPALIVE + " idle connections)");
            return Optional.of(new Target("C", "A behind a loopback nginx reverse proxy (HTTP/1.1, keep-alive "
                    + "upstream, unbuffered)", nginx.baseUrl(), tokens, Optional.empty()));
        } catch (IOException e) {
            progress.println("Variant C skipped: nginx did not start (" + e.getMessage() + ")");
            skipped.put("C", "nginx did not start: " + e.getMessage());
            machine.put("nginx", "did not start (variant C skipped)");
            return Optional.empty();
        }
    }

    private static JsonlFileAuditSink auditSink(Path file, AuditMode mode) {
        try {
            return JsonlFileAuditSink.builder(file)
                    .mode(mode == AuditMode.ASYNC ? JsonlFileAuditSink.Mode.ASYNC : JsonlFileAuditSink.Mode.DURABLE)
                    .build();
        } catch (IOException e) {
            throw new UncheckedIOException("cannot open the audit file " + file, e);
        }
    }

    /** Client {@code i}'s user: a reader of tenant {@code acme}, a subject of its own (sessions and buckets are per caller). */
    private static DemoUser benchUser(int i) {
        return new DemoUser("bench-client-" + i, "acme", List.of("orders.read"), List.of());
    }

    private static McpSyncClient connect(URI baseUrl, String bearerToken) {
        String authorization = "Bearer " + bearerToken;
        HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport.builder(baseUrl.toString())
                .endpoint(OrdersServer.MCP_ENDPOINT)
                .addHttpRequestCustomizer((request, method, uri, body, context) ->
                        request.header("Authorization", authorization))
                .build();
        McpSyncClient client = McpClient.sync(transport)
                .clientInfo(McpSchema.Implementation.builder("mcp-guard-bench", "1.0").build())
                .requestTimeout(CLIENT_TIMEOUT)
                .build();
        client.initialize();
        return client;
    }

    // ---------------------------------------------------------------- measurement

    /** One variant with one client count for one duration. */
    private record Phase(Histogram histogram, long errors, long elapsedNanos) {
        long p50Nanos() {
            return histogram.getTotalCount() == 0 ? 0 : histogram.getValueAtPercentile(50);
        }
    }

    /** What one client thread did in a phase. */
    private record ClientRun(long errors, long endNanos, String firstError) {
    }

    private Phase runPhase(Target target, int clients, Duration time) {
        CountDownLatch ready = new CountDownLatch(clients);
        CountDownLatch go = new CountDownLatch(1);
        long[] deadline = new long[1]; // written before go opens, read after it: the latch orders the two
        List<Future<ClientRun>> runs = new ArrayList<>();
        for (int i = 0; i < clients; i++) {
            McpSyncClient client = target.clients.get(i);
            Histogram histogram = clientHistograms[i];
            histogram.reset();
            Callable<Boolean> request = request(client, settings.request());
            runs.add(clientThreads.submit(() -> {
                ready.countDown();
                go.await();
                return callUntil(request, deadline[0], histogram);
            }));
        }
        awaitUninterruptibly(ready);
        long start = System.nanoTime();
        deadline[0] = start + time.toNanos();
        go.countDown();
        long errors = 0;
        long end = start;
        String firstError = null;
        for (Future<ClientRun> future : runs) {
            ClientRun run = get(future);
            errors += run.errors();
            end = Math.max(end, run.endNanos());
            firstError = firstError != null ? firstError : run.firstError();
        }
        Histogram merged = newHistogram();
        for (int i = 0; i < clients; i++) {
            merged.add(clientHistograms[i]);
        }
        target.calls += merged.getTotalCount() + errors;
        if (errors > 0) {
            progress.printf("  %s with %d client(s): %d of %d calls failed, first: %s%n", target.name(), clients,
                    errors, merged.getTotalCount() + errors, firstError);
        }
        target.awaitAuditWritten(progress);
        return new Phase(merged, errors, end - start);
    }

    /**
     * One pre-built request of {@code kind} on {@code client}: true when it succeeded, false for a tool error
     * result or empty contents; throws when the client does.
     */
    private static Callable<Boolean> request(McpSyncClient client, EndToEndSettings.Request kind) {
        return switch (kind) {
            case CALL -> {
                CallToolRequest call = CallToolRequest.builder(TOOL).arguments(ARGUMENTS).build();
                yield () -> !Boolean.TRUE.equals(client.callTool(call).isError());
            }
            case READ -> {
                McpSchema.ReadResourceRequest read = new McpSchema.ReadResourceRequest(RESOURCE_URI);
                yield () -> !client.readResource(read).contents().isEmpty();
            }
        };
    }

    /** Sends until the deadline. Only the request is inside the timer; failed ones are counted, not timed. */
    private static ClientRun callUntil(Callable<Boolean> request, long deadline, Histogram histogram) {
        long errors = 0;
        String firstError = null;
        long now = System.nanoTime();
        while (now < deadline) {
            long started = now;
            boolean succeeded;
            try {
                succeeded = request.call();
            } catch (Exception e) {
                now = System.nanoTime();
                errors++;
                firstError = firstError != null ? firstError : e.getClass().getSimpleName() + ": " + e.getMessage();
                continue;
            }
            now = System.nanoTime();
            if (!succeeded) {
                errors++;
                firstError = firstError != null ? firstError : "an error result or no contents";
            } else {
                histogram.recordValue(Math.min(now - started, MAX_RECORDED_NANOS));
            }
        }
        return new ClientRun(errors, now, firstError);
    }

    private static Histogram newHistogram() {
        return new Histogram(MAX_RECORDED_NANOS, 3);
    }

    // ---------------------------------------------------------------- machine facts

    private Map<String, String> machineFacts(Map<String, String> collected, Path runDir) {
        Map<String, String> facts = new LinkedHashMap<>();
        facts.put("cores", Runtime.getRuntime().availableProcessors() + cpuModel().map(m -> " (" + m + ")").orElse(""));
        facts.put("OS", System.getProperty("os.name") + " " + System.getProperty("os.version") + " "
                + System.getProperty("os.arch"));
        facts.put("JDK", System.getProperty("java.vm.name") + " " + System.getProperty("java.runtime.version")
                + ", max heap " + Runtime.getRuntime().maxMemory() / (1024 * 1024) + " MB"
                // Below 2 the JDK HttpClient (the MCP client) starts a thread per response: the same in every variant.
                + ", common pool parallelism " + java.util.concurrent.ForkJoinPool.getCommonPoolParallelism()
                + jvmArguments().map(a -> ", JVM options " + a).orElse(""));
        facts.putAll(collected);
        facts.put("audit files", runDir.toAbsolutePath() + " on " + fileStoreType(runDir) + " (deleted after the run)");
        facts.put("schedule", settings.warmupRounds() + " warm-up round(s) of " + human(settings.warmupTime())
                + ", then " + settings.rounds() + " round(s) of " + human(settings.roundTime())
                + " per variant and client count, interleaved; clients " + settings.clients()
                + ", one MCP session each; " + (settings.request() == EndToEndSettings.Request.CALL
                        ? "tool " + TOOL + " " + ARGUMENTS : "resource " + RESOURCE_URI));
        return facts;
    }

    /** {@code /proc/loadavg}'s three averages, or the JVM's one-minute figure elsewhere. */
    static String loadAverage() {
        try {
            String[] fields = Files.readString(Path.of("/proc/loadavg")).trim().split("\\s+");
            return fields[0] + " " + fields[1] + " " + fields[2];
        } catch (IOException | RuntimeException e) {
            return String.format(Locale.ROOT, "%.2f", ManagementFactory.getOperatingSystemMXBean().getSystemLoadAverage());
        }
    }

    private static Optional<String> cpuModel() {
        try (Stream<String> lines = Files.lines(Path.of("/proc/cpuinfo"))) {
            return lines.filter(l -> l.startsWith("model name")).findFirst()
                    .map(l -> l.substring(l.indexOf(':') + 1).trim());
        } catch (IOException | RuntimeException e) {
            return Optional.empty();
        }
    }

    private static Optional<String> jvmArguments() {
        List<String> arguments = ManagementFactory.getRuntimeMXBean().getInputArguments();
        return arguments.isEmpty() ? Optional.empty() : Optional.of(String.join(" ", arguments));
    }

    private static String fileStoreType(Path dir) {
        try {
            return Files.getFileStore(dir).type();
        } catch (IOException e) {
            return "an unknown file system";
        }
    }

    private static String human(Duration d) {
        return d.toMillis() % 1000 == 0 ? d.toSeconds() + " s" : d.toMillis() + " ms";
    }

    // ---------------------------------------------------------------- plumbing

    /** One variant as the clients see it: where they connect, their sessions, and its async sink if it has one. */
    private static final class Target {
        private final String name;
        private final String description;
        private final URI baseUrl;
        private final java.util.function.IntFunction<String> tokens;
        private final Optional<JsonlFileAuditSink> asyncSink;
        private final List<McpSyncClient> clients = new ArrayList<>();
        /** Calls made to this variant so far (each leaves one audit record on a guarded server). */
        private long calls;

        Target(String name, String description, URI baseUrl, java.util.function.IntFunction<String> tokens,
               Optional<JsonlFileAuditSink> asyncSink) {
            this.name = name;
            this.description = description;
            this.baseUrl = baseUrl;
            this.tokens = tokens;
            this.asyncSink = asyncSink;
        }

        String name() {
            return name;
        }

        String description() {
            return description;
        }

        /**
         * Waits until the async sink has written a record for every call made so far, so that its writer thread
         * does not run during the next variant's phase.
         */
        void awaitAuditWritten(PrintStream progress) {
            if (asyncSink.isEmpty()) {
                return;
            }
            JsonlFileAuditSink sink = asyncSink.get();
            long deadline = System.nanoTime() + AUDIT_DRAIN_TIMEOUT.toNanos();
            while (sink.writtenCount() < calls && System.nanoTime() < deadline) {
                LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(1));
            }
            if (sink.writtenCount() < calls) {
                progress.printf("  %s: the async audit sink wrote %d records for %d calls within %s%n", name,
                        sink.writtenCount(), calls, AUDIT_DRAIN_TIMEOUT);
            }
        }

        void closeClients() {
            for (McpSyncClient client : clients) {
                try {
                    client.closeGracefully();
                } catch (RuntimeException e) {
                    // The server may be gone already; nothing to report.
                }
            }
            clients.clear();
        }
    }

    private void closeAll(List<Target> targets, List<AutoCloseable> resources) {
        targets.forEach(Target::closeClients);
        targets.clear();
        for (int i = resources.size() - 1; i >= 0; i--) {
            try {
                resources.get(i).close();
            } catch (Exception e) {
                progress.println("  closing " + resources.get(i) + ": " + e);
            }
        }
        resources.clear();
    }

    private static java.util.concurrent.ThreadFactory clientThreadFactory() {
        AtomicInteger n = new AtomicInteger();
        return r -> {
            Thread t = new Thread(r, "e2e-client-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        };
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    private static ClientRun get(Future<ClientRun> future) {
        try {
            return future.get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        } catch (ExecutionException e) {
            throw new IllegalStateException("a client thread failed: " + e.getCause(), e.getCause());
        }
    }

    private static void deleteQuietly(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            // Leftovers in target/ are harmless.
        }
    }
}
