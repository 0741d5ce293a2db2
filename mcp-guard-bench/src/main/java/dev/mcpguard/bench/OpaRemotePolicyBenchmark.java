package dev.mcpguard.bench;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.PolicyEngine.Operation;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import dev.mcpguard.core.policy.DecisionCacheConfig;
import dev.mcpguard.core.policy.ResilientPolicyEngine;
import dev.mcpguard.core.policy.opa.OpaRemotePolicyEngine;
import java.io.IOException;
import java.io.InputStream;
import java.net.ServerSocket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.LockSupport;
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
import org.openjdk.jmh.annotations.Warmup;

/**
 * Latency of one policy decision from a real local {@code opa run --server} (a sidecar) through
 * {@link OpaRemotePolicyEngine}: HTTP/1.1 keep-alive on loopback, JSON both ways. Compared with the same engine
 * behind {@link ResilientPolicyEngine} with a cache hit (the common case for repeated calls) and with the cache
 * disabled (the decorator's own cost: key digest, breaker).
 *
 * <p>OPA is found like the tests find it ({@link OpaBinary}).
 *
 * <p>Run: {@code mvn -q -pl mcp-guard-bench -am package -DskipTests &&
 * java -jar mcp-guard-bench/target/benchmarks.jar OpaRemotePolicy}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 3, time = 2)
@Fork(1)
public class OpaRemotePolicyBenchmark {

    private Process opa;
    private Path policyDir;
    private OpaRemotePolicyEngine remote;
    private ResilientPolicyEngine cached;
    private ResilientPolicyEngine uncached;
    private PolicyRequest request;

    @Setup
    public void setUp() throws Exception {
        policyDir = extractPolicy();
        int port;
        try (ServerSocket socket = new ServerSocket(0)) {
            port = socket.getLocalPort();
        }
        opa = new ProcessBuilder(OpaBinary.locate().toString(), "run", "--server", "--addr", "127.0.0.1:" + port,
                "--log-level", "error", "--disable-telemetry", "--bundle", policyDir.toString())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        URI base = URI.create("http://127.0.0.1:" + port);
        awaitHealthy(base);
        remote = OpaRemotePolicyEngine.builder(base).allowPlainHttpOnLoopback().build();
        cached = ResilientPolicyEngine.decorate(remote)
                .decisionCache(DecisionCacheConfig.of(10_000, Duration.ofMinutes(5))).build();
        uncached = ResilientPolicyEngine.decorate(remote).decisionCache(DecisionCacheConfig.DISABLED).build();
        CallerIdentity bob = CallerIdentity.builder("https://issuer.example", "bob").tenant("acme").clientId("agent")
                .scopes(Set.of("orders.read", "orders.refund")).roles(Set.of("support")).build();
        request = new PolicyRequest(Operation.CALL, "bench-decision", bob, "orders", ToolDescriptor.named("refund_order"),
                Map.of("order_id", "A-1", "amount", 120), Optional.of("session-1"), Instant.parse("2026-03-02T12:00:00Z"));
        if (!remote.decide(request).allowed()) {
            throw new IllegalStateException("benchmark request is not allowed by the policy: " + remote.decide(request));
        }
    }

    @TearDown
    public void tearDown() throws Exception {
        if (opa != null) {
            opa.destroy();
            if (!opa.waitFor(10, TimeUnit.SECONDS)) {
                opa.destroyForcibly();
            }
        }
        if (policyDir != null) {
            try (var files = Files.walk(policyDir)) {
                files.sorted(java.util.Comparator.reverseOrder()).forEach(p -> p.toFile().delete());
            }
        }
    }

    @Benchmark
    public Decision remoteDecision() {
        return remote.decide(request);
    }

    @Benchmark
    public Decision resilientUncached() {
        return uncached.decide(request);
    }

    @Benchmark
    public Decision resilientCacheHit() {
        return cached.decide(request);
    }

    private static Path extractPolicy() throws IOException {
        Path dir = Files.createTempDirectory("opa-bench");
        for (String resource : List.of(".manifest", "mcp/authz/decision.rego")) {
            Path target = dir.resolve(resource);
            Files.createDirectories(target.getParent());
            try (InputStream in = OpaRemotePolicyBenchmark.class.getResourceAsStream("/opa-bench/" + resource)) {
                if (in == null) {
                    throw new IllegalStateException("missing benchmark resource /opa-bench/" + resource);
                }
                Files.copy(in, target);
            }
        }
        return dir;
    }

    private static void awaitHealthy(URI base) throws InterruptedException {
        HttpClient client = HttpClient.newHttpClient();
        HttpRequest health = HttpRequest.newBuilder(base.resolve("/health")).timeout(Duration.ofMillis(500)).build();
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (System.nanoTime() < deadline) {
            try {
                if (client.send(health, HttpResponse.BodyHandlers.discarding()).statusCode() == 200) {
                    return;
                }
            } catch (IOException notYet) {
                // still starting
            }
            LockSupport.parkNanos(TimeUnit.MILLISECONDS.toNanos(20));
        }
        throw new IllegalStateException("opa did not become healthy at " + base);
    }
}
