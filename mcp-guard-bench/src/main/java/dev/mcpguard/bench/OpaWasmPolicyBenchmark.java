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
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
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
 * One embedded OPA (wasm) decision: input document, evaluation in a pooled instance, result reading. The bundle
 * is {@code opa/bench-bundle.tar.gz} (the authz test policy, signed; its public key sits beside it), loaded and
 * verified once at setup. Pool size 2, so the two-thread run measures contention on this 2-core reference box.
 *
 * <p>Run: {@code mvn -q -pl mcp-guard-bench -am package -DskipTests && java -jar mcp-guard-bench/target/benchmarks.jar OpaWasmPolicy}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class OpaWasmPolicyBenchmark {

    private OpaWasmPolicyEngine engine;
    private PolicyRequest booleanAllow;
    private PolicyRequest objectAllow;

    @Setup
    public void setUp() throws IOException {
        Path bundle = Files.createTempFile("mcp-guard-bench-bundle", ".tar.gz");
        bundle.toFile().deleteOnExit();
        Files.write(bundle, resource("/opa/bench-bundle.tar.gz"));
        String publicKey = new String(resource("/opa/bench-bundle-public.pem"), StandardCharsets.US_ASCII);
        engine = OpaWasmPolicyEngine.builder()
                .bundleSource(BundleSource.file(bundle))
                .verification(BundleVerification.publicKey(publicKey))
                .poolSize(2)
                .build();
        if (engine.pollNow() != OpaWasmPolicyEngine.LoadOutcome.LOADED) {
            throw new IllegalStateException("benchmark bundle did not load: " + engine.lastLoadError().orElse("?"));
        }
        CallerIdentity caller = CallerIdentity.builder("https://issuer.bench", "alice").tenant("acme")
                .clientId("agent").scopes(Set.of("orders.read")).roles(Set.of("support")).build();
        booleanAllow = new PolicyRequest(Operation.CALL, "bench-1", caller, "orders", ToolDescriptor.named("refund_order"),
                Map.of("order_id", "A-1", "amount", 50), Optional.empty(), Instant.parse("2026-01-01T00:00:00Z"));
        objectAllow = new PolicyRequest(Operation.CALL, "bench-2", caller, "orders", ToolDescriptor.named("lookup_order"),
                Map.of("order_id", "A-1"), Optional.empty(), Instant.parse("2026-01-01T00:00:00Z"));
        requireAllowed(engine.decide(booleanAllow));
        requireAllowed(engine.decide(objectAllow));
    }

    @TearDown
    public void tearDown() {
        engine.close();
    }

    @Benchmark
    public Decision booleanResultOneThread() {
        return engine.decide(booleanAllow);
    }

    @Benchmark
    public Decision objectResultWithObligationsOneThread() {
        return engine.decide(objectAllow);
    }

    @Benchmark
    @Threads(2)
    public Decision booleanResultTwoThreads() {
        return engine.decide(booleanAllow);
    }

    private static void requireAllowed(Decision decision) {
        if (!decision.allowed()) {
            throw new IllegalStateException("benchmark policy should allow, got " + decision);
        }
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = OpaWasmPolicyBenchmark.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing resource " + name);
            }
            return in.readAllBytes();
        }
    }
}
