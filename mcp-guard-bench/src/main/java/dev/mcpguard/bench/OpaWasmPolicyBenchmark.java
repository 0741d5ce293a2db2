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
 * <p>The {@code reference*} variants evaluate the reference policy instead ({@code policies/}, as the example ships
 * it: {@code mcp-guard-examples}' {@code policy/orders-bundle.tar.gz}, signed with the demo key) on the example's
 * calls: {@code get_order} (a tenant-scoped read with redaction obligations, the example's most common call),
 * {@code refund_order} (argument checks, approval and a budget obligation) and {@code delete_customer} by the
 * on-call subject the example's break-glass exception names (its window is parsed, and is in the past: denied).
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
    private OpaWasmPolicyEngine reference;
    private PolicyRequest referenceGetOrder;
    private PolicyRequest referenceRefund;
    private PolicyRequest referenceBreakGlass;

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
        setUpReference();
    }

    private void setUpReference() throws IOException {
        Path bundle = Files.createTempFile("mcp-guard-bench-reference", ".tar.gz");
        bundle.toFile().deleteOnExit();
        Files.write(bundle, resource("/policy/orders-bundle.tar.gz"));
        String publicKey = new String(resource("/policy/demo-signing-public.pem"), StandardCharsets.US_ASCII);
        reference = OpaWasmPolicyEngine.builder()
                .bundleSource(BundleSource.file(bundle))
                .verification(BundleVerification.publicKey(publicKey))
                .poolSize(2)
                .build();
        if (reference.pollNow() != OpaWasmPolicyEngine.LoadOutcome.LOADED) {
            throw new IllegalStateException("reference bundle did not load: " + reference.lastLoadError().orElse("?"));
        }
        CallerIdentity alice = CallerIdentity.builder("https://login.example.com", "alice").tenant("acme")
                .clientId("orders-agent").scopes(Set.of("orders.read", "orders.refund")).roles(Set.of("support"))
                .build();
        CallerIdentity oncall = CallerIdentity.builder("https://login.example.com", "oncall-example").tenant("acme")
                .clientId("orders-agent").scopes(Set.of("customers.delete")).roles(Set.of("admin")).build();
        Instant now = Instant.parse("2026-11-22T10:00:00Z");
        referenceGetOrder = new PolicyRequest(Operation.CALL, "ref-1", alice, "orders",
                new ToolDescriptor("get_order", "Looks up one order.", true, false, true, false),
                Map.of("order_id", "acme-1001"), Optional.empty(), now);
        referenceRefund = new PolicyRequest(Operation.CALL, "ref-2", alice, "orders",
                new ToolDescriptor("refund_order", "Refunds an order.", false, false, false, false),
                Map.of("order_id", "acme-1001", "amount", 120), Optional.empty(), now);
        referenceBreakGlass = new PolicyRequest(Operation.CALL, "ref-3", oncall, "orders",
                new ToolDescriptor("delete_customer", "Deletes a customer.", false, true, false, false),
                Map.of("customer_id", "acme-77"), Optional.empty(), now);
        requireAllowed(reference.decide(referenceGetOrder));
        requireAllowed(reference.decide(referenceRefund));
        Decision breakGlass = reference.decide(referenceBreakGlass);
        if (breakGlass.allowed()) {
            throw new IllegalStateException("the example's break-glass window is in the past; got " + breakGlass);
        }
    }

    @TearDown
    public void tearDown() {
        engine.close();
        reference.close();
    }

    @Benchmark
    public Decision referenceGetOrderOneThread() {
        return reference.decide(referenceGetOrder);
    }

    @Benchmark
    public Decision referenceRefundOneThread() {
        return reference.decide(referenceRefund);
    }

    @Benchmark
    public Decision referenceBreakGlassOneThread() {
        return reference.decide(referenceBreakGlass);
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
