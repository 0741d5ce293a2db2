package dev.mcpguard.bench;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.PolicyEngine.Operation;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import dev.mcpguard.core.policy.opa.BundleSource;
import dev.mcpguard.core.policy.opa.BundleVerification;
import dev.mcpguard.core.policy.opa.OpaWasmPolicyEngine;
import java.io.IOException;
import java.io.InputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * One embedded OPA (wasm) decision of a regex-heavy policy: {@code opa-regex/mcp/authz/decision.rego}, argument
 * hygiene for a ticket tool with 22 {@code regex.match} / {@code glob.match} calls per allowed decision. The
 * bundle is built from that source with the real {@code opa build -t wasm} at setup ({@link OpaBinary}), so
 * {@code scripts/bench-regex-policy.sh} can run {@code opa bench} (OPA's own evaluator) on the very same
 * policy and on {@code opa-regex/input.json}, the input document of {@link #sameCall()}.
 *
 * <p>{@link #sameCall()} repeats one call; {@link #distinctCalls()} cycles through 64 calls whose argument
 * strings all differ (the patterns are the policy's, so compiled-pattern reuse applies, nothing else can).
 *
 * <p>Run: {@code scripts/bench-regex-policy.sh} (this benchmark and opa bench side by side), or
 * {@code mvn -q -pl mcp-guard-bench -am package -DskipTests && java -jar mcp-guard-bench/target/benchmarks.jar RegexPolicy}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
// Long warm-up: the module's Chicory-compiled classes are large, and on 2 busy cores the JIT needs tens of seconds.
@Warmup(iterations = 10, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RegexPolicyBenchmark {

    private static final int DISTINCT_CALLS = 64;

    private Path workDir;
    private OpaWasmPolicyEngine engine;
    private PolicyRequest request;
    private PolicyRequest[] distinct;
    private int next;

    @Setup
    public void setUp() throws Exception {
        workDir = Files.createTempDirectory("mcp-guard-bench-regex");
        Path policy = workDir.resolve("policy");
        for (String resource : List.of(".manifest", "mcp/authz/decision.rego")) {
            Path target = policy.resolve(resource);
            Files.createDirectories(target.getParent());
            try (InputStream in = RegexPolicyBenchmark.class.getResourceAsStream("/opa-regex/" + resource)) {
                if (in == null) {
                    throw new IllegalStateException("missing benchmark resource /opa-regex/" + resource);
                }
                Files.copy(in, target);
            }
        }
        Path bundle = workDir.resolve("bundle.tar.gz");
        Process build = new ProcessBuilder(OpaBinary.locate().toString(), "build", "--bundle", policy.toString(),
                "--target", "wasm", "--entrypoint", OpaWasmPolicyEngine.DEFAULT_ENTRYPOINT,
                "--output", bundle.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.INHERIT).start();
        if (build.waitFor() != 0) {
            throw new IllegalStateException("opa build failed with exit code " + build.exitValue());
        }
        engine = OpaWasmPolicyEngine.builder()
                .bundleSource(BundleSource.file(bundle))
                .verification(BundleVerification.insecureUnsigned())
                .poolSize(2)
                .build();
        if (engine.pollNow() != OpaWasmPolicyEngine.LoadOutcome.LOADED) {
            throw new IllegalStateException("benchmark bundle did not load: " + engine.lastLoadError().orElse("?"));
        }
        request = call(0);
        requireAllowed(engine.decide(request));
        distinct = new PolicyRequest[DISTINCT_CALLS];
        for (int i = 0; i < DISTINCT_CALLS; i++) {
            distinct[i] = call(i);
            requireAllowed(engine.decide(distinct[i]));
        }
        // The policy must also deny: a bad argument in a call otherwise like the benchmark's.
        Map<String, Object> bad = new LinkedHashMap<>(request.arguments());
        bad.put("link", "https://status.example.com/../admin");
        Decision denied = engine.decide(new PolicyRequest(Operation.CALL, "bench-regex-bad", request.caller(),
                request.server(), request.tool(), bad, request.sessionId(), request.time()));
        if (denied.allowed()) {
            throw new IllegalStateException("benchmark policy should deny a traversal link, got " + denied);
        }
    }

    @TearDown
    public void tearDown() throws IOException {
        if (engine != null) {
            engine.close();
        }
        if (workDir != null) {
            try (var files = Files.walk(workDir)) {
                files.sorted(Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Benchmark
    public Decision sameCall() {
        return engine.decide(request);
    }

    @Benchmark
    public Decision distinctCalls() {
        PolicyRequest call = distinct[next];
        next = (next + 1) % DISTINCT_CALLS;
        return engine.decide(call);
    }

    @Benchmark
    @Threads(2)
    public Decision sameCallTwoThreads() {
        return engine.decide(request);
    }

    /** Call {@code 0} is {@code opa-regex/input.json}; others vary every argument string the policy matches. */
    private static PolicyRequest call(int i) {
        String n = i == 0 ? "" : Integer.toString(i);
        CallerIdentity caller = CallerIdentity.builder("https://issuer.eu.example.com", "alice").tenant("acme-eu")
                .clientId("agent").scopes(Set.of("tickets.write")).roles(Set.of("support")).build();
        Map<String, Object> arguments = new LinkedHashMap<>();
        arguments.put("ticket_id", "OPS-" + (4711 + i));
        arguments.put("reporter", "alice.smith" + n + "@acme.example.com");
        arguments.put("priority", List.of("high", "low", "medium", "critical").get(i % 4));
        arguments.put("due_date", "2026-03-" + (10 + i % 20));
        arguments.put("title", "Checkout fails with HTTP 502 for EU customers" + (i == 0 ? "" : " (" + i + ")"));
        arguments.put("body", "Since 09:40 UTC the checkout service answers 502 for about " + (3 + i)
                + "% of requests in eu-west-1. The gateway logs show upstream timeouts after 30 s; rollback of "
                + "release 2026.03.1 did not help. Steps: open the cart, pay by card, wait. Expected: order "
                + "confirmation. Actual: error page.");
        arguments.put("link", "https://status.example.com/incidents/2026-03-02" + (i == 0 ? "" : "-" + i));
        arguments.put("attachment", "/uploads/acme-eu/gateway-latency" + n + ".png");
        arguments.put("labels", List.of("checkout", "eu-west-" + (1 + i % 3)));
        return new PolicyRequest(Operation.CALL, "bench-regex", caller, "tickets", ToolDescriptor.named("create_ticket"),
                arguments, Optional.of(String.format("0f8e4a52-3c1d-4b7a-9e2f-5d6c7b8a%04x", i)),
                Instant.parse("2026-03-02T12:00:00Z"));
    }

    private static void requireAllowed(Decision decision) {
        if (!decision.allowed()) {
            throw new IllegalStateException("benchmark policy should allow, got " + decision);
        }
    }
}
