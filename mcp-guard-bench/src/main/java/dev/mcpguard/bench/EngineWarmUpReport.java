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
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The first decisions of a fresh JVM, with and without the engine's warm-up: loads the reference policy (as
 * {@link OpaWasmPolicyBenchmark}'s {@code reference*} variants, pool size 2), then times each of the first
 * {@code decisions} {@code get_order} decisions one by one and prints percentiles per window. Run each setting in
 * its own JVM (the point is a cold JIT):
 *
 * <pre>{@code
 * java -cp mcp-guard-bench/target/benchmarks.jar dev.mcpguard.bench.EngineWarmUpReport 0     # no warm-up
 * java -cp mcp-guard-bench/target/benchmarks.jar dev.mcpguard.bench.EngineWarmUpReport 2000  # 2 s budget
 * java -cp mcp-guard-bench/target/benchmarks.jar dev.mcpguard.bench.EngineWarmUpReport 2000 20000 typical
 * }</pre>
 *
 * <p>Arguments: warm-up budget in ms (default 2000), decisions to time (default 20000), {@code typical} to add a
 * {@code get_order} by another user of another tenant to the warm-up ({@code warmUpRequests}). Not a JMH benchmark: a
 * single cold run is what it measures.
 */
public final class EngineWarmUpReport {

    private static final Logger log = LoggerFactory.getLogger(EngineWarmUpReport.class);

    private EngineWarmUpReport() {
    }

    public static void main(String[] args) throws IOException {
        long warmUpMillis = args.length > 0 ? Long.parseLong(args[0]) : 2000;
        int decisions = args.length > 1 ? Integer.parseInt(args[1]) : 20_000;
        boolean typical = args.length > 2 && args[2].equals("typical");
        CallerIdentity alice = CallerIdentity.builder("https://login.example.com", "alice").tenant("acme")
                .clientId("orders-agent").scopes(Set.of("orders.read", "orders.refund")).roles(Set.of("support"))
                .build();
        PolicyRequest getOrder = new PolicyRequest(Operation.CALL, "ref-1", alice, "orders",
                new ToolDescriptor("get_order", "Looks up one order.", true, false, true, false),
                Map.of("order_id", "acme-1001"), Optional.empty(), Instant.parse("2026-11-22T10:00:00Z"));
        // "typical": warm up on a read by another user of another tenant, not the very call timed below.
        PolicyRequest typicalRead = new PolicyRequest(Operation.CALL, "warm-1",
                CallerIdentity.builder("https://login.example.com", "bob").tenant("globex").clientId("orders-agent")
                        .scopes(Set.of("orders.read")).roles(Set.of("support")).build(), "orders",
                new ToolDescriptor("get_order", "Looks up one order.", true, false, true, false),
                Map.of("order_id", "globex-7"), Optional.empty(), Instant.parse("2026-11-21T08:00:00Z"));
        Path bundle = Files.createTempFile("mcp-guard-warm-up", ".tar.gz");
        bundle.toFile().deleteOnExit();
        Files.write(bundle, resource("/policy/orders-bundle.tar.gz"));
        String publicKey = new String(resource("/policy/demo-signing-public.pem"), StandardCharsets.US_ASCII);
        long loadStart = System.nanoTime();
        try (OpaWasmPolicyEngine engine = OpaWasmPolicyEngine.builder()
                .bundleSource(BundleSource.file(bundle))
                .verification(BundleVerification.publicKey(publicKey))
                .poolSize(2)
                .warmUp(Duration.ofMillis(warmUpMillis))
                .warmUpRequests(typical ? List.of(typicalRead) : List.of())
                .build()) {
            if (engine.pollNow() != OpaWasmPolicyEngine.LoadOutcome.LOADED) {
                throw new IllegalStateException("reference bundle did not load: " + engine.lastLoadError().orElse("?"));
            }
            long loadMillis = (System.nanoTime() - loadStart) / 1_000_000;
            long[] micros = new long[decisions];
            long runStart = System.nanoTime();
            for (int i = 0; i < decisions; i++) {
                long start = System.nanoTime();
                Decision decision = engine.decide(getOrder);
                micros[i] = (System.nanoTime() - start) / 1_000;
                if (!decision.allowed()) {
                    throw new IllegalStateException("get_order should be allowed, got " + decision);
                }
            }
            long runMillis = (System.nanoTime() - runStart) / 1_000_000;
            StringBuilder report = new StringBuilder();
            report.append(String.format("warm-up budget %d ms%s: load (fetch, verify, compile, smoke test, warm-up) %d ms;"
                    + " %d get_order decisions in %d ms%n", warmUpMillis, typical ? " (+ a typical get_order)" : "", loadMillis,
                    decisions, runMillis));
            report.append(String.format("%-16s %8s %8s %8s %8s%n", "decisions", "p50 us", "p90 us", "p99 us", "max us"));
            int from = 0;
            for (int to : new int[] {1, 10, 100, 1_000, 5_000, 10_000, decisions}) {
                if (to > decisions || to <= from) {
                    continue;
                }
                long[] window = Arrays.copyOfRange(micros, from, to);
                Arrays.sort(window);
                report.append(String.format("%-16s %8d %8d %8d %8d%n", (from + 1) + "-" + to, percentile(window, 50),
                        percentile(window, 90), percentile(window, 99), window[window.length - 1]));
                from = to;
            }
            log.info("Warm-up report:{}{}", System.lineSeparator(), report);
        }
    }

    private static long percentile(long[] sorted, int percent) {
        return sorted[Math.min(sorted.length - 1, (int) Math.ceil(sorted.length * percent / 100.0) - 1)];
    }

    private static byte[] resource(String name) throws IOException {
        try (InputStream in = EngineWarmUpReport.class.getResourceAsStream(name)) {
            if (in == null) {
                throw new IOException("missing resource " + name);
            }
            return in.readAllBytes();
        }
    }
}
