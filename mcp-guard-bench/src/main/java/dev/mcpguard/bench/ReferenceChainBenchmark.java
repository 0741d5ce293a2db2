package dev.mcpguard.bench;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.spi.AuditSink;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.audit.JsonlFileAuditSink;
import dev.mcpguard.core.http.GuardRequestAttributes;
import dev.mcpguard.core.policy.DecisionCacheConfig;
import dev.mcpguard.core.policy.ResilientPolicyEngine;
import dev.mcpguard.core.policy.opa.BundleSource;
import dev.mcpguard.core.policy.opa.BundleVerification;
import dev.mcpguard.core.policy.opa.OpaWasmPolicyEngine;
import dev.mcpguard.core.session.InMemorySessionRegistry;
import dev.mcpguard.core.throttle.RateLimit;
import dev.mcpguard.core.throttle.TokenBucketThrottle;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpAsyncServerExchange;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Level;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The whole guard chain as {@code OrdersServer} wires it, around a trivial handler: the reference policy bundle of
 * the examples jar in the embedded {@link OpaWasmPolicyEngine} behind {@link ResilientPolicyEngine} (decision cache
 * and breaker), a bound MCP session in an {@link InMemorySessionRegistry}, the SDK's argument schema check, the
 * policy's {@code redact_fields} obligation applied to the result, a {@link TokenBucketThrottle} per caller and
 * tool (limits high enough never to deny here) and an audit sink. The caller is already resolved (as the HTTP
 * filter leaves it, under {@link GuardRequestAttributes#CALLER}), so JWT verification is not in these figures.
 *
 * <p>{@link #call}: the {@code get_order} call of the demo, with parameters
 * <ul>
 *   <li>{@code engine}: {@code reference} (the reference policy) or {@code lambda} (a trivial engine returning the
 *       same allow with the same obligations: what the chain costs on top of the engine's {@code decide});</li>
 *   <li>{@code cache}: {@code cached} (the same call repeated, a decision-cache hit) or {@code evaluated} (cache
 *       off, every call evaluated);</li>
 *   <li>{@code sink}: {@code memory} (counts records) or {@code async} ({@link JsonlFileAuditSink} in
 *       {@code ASYNC} mode on a temporary file; the durable mode is {@code AuditSinkBenchmark}'s).</li>
 * </ul>
 * {@link #sized}: the same call with one more argument of {@code kb} KiB, a string ({@code shape=string}) or a
 * nested object of small records ({@code shape=nested}), cached or evaluated, reference policy, in-memory sink:
 * the cost per KB of arguments.
 *
 * <p>Run: {@code mvn -q -o -pl mcp-guard-bench -am package -DskipTests && java -jar
 * mcp-guard-bench/target/benchmarks.jar ReferenceChain -f 1 -wi 3 -i 5}
 */
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 4, time = 2)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ReferenceChainBenchmark {

    static final String SESSION_ID = "bench-session-1";

    /** The reference policy is slow in a fresh JVM (about 10 s of JIT); this many decisions warm it at setup. */
    static final int ENGINE_WARMUP_DECISIONS = 20_000;

    /** The chain of the demo's {@code get_order} around a handler answering a fixed order. */
    @State(Scope.Benchmark)
    public static class Chain {
        @Param({"reference", "lambda"})
        public String engine;
        @Param({"cached", "evaluated"})
        public String cache;
        @Param({"memory", "async"})
        public String sink;

        final LongAdder audited = new LongAdder();
        Fixture fixture;
        CallToolRequest request;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            fixture = new Fixture(engine, cache.equals("cached"), sink, 1024 * 1024, audited);
            request = new CallToolRequest("get_order", Map.of("order_id", "acme-1001"));
            fixture.warm(request, ENGINE_WARMUP_DECISIONS);
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            fixture.close();
        }
    }

    /** The same chain (reference policy, in-memory sink) with one large argument. */
    @State(Scope.Benchmark)
    public static class Sized {
        @Param({"1", "16", "256", "1024"})
        public int kb;
        @Param({"string", "nested"})
        public String shape;
        @Param({"cached", "evaluated"})
        public String cache;

        final LongAdder audited = new LongAdder();
        Fixture fixture;
        CallToolRequest request;

        @Setup(Level.Trial)
        public void setUp() throws IOException {
            // Room for a 1 MiB argument plus the rest of the input document.
            fixture = new Fixture("reference", cache.equals("cached"), "memory", 4 * 1024 * 1024, audited);
            Map<String, Object> arguments = new LinkedHashMap<>();
            arguments.put("order_id", "acme-1001");
            if (shape.equals("string")) {
                arguments.put("note", "x".repeat(kb * 1024));
            } else {
                arguments.put("filter", nested(kb * 1024));
            }
            request = new CallToolRequest("get_order", arguments);
            fixture.warm(request, Math.max(10, ENGINE_WARMUP_DECISIONS / kb));
        }

        @TearDown(Level.Trial)
        public void tearDown() throws Exception {
            fixture.close();
        }

        /** About {@code bytes} of JSON: an object of small records, as a client's parsed JSON would be. */
        static Map<String, Object> nested(int bytes) {
            Map<String, Object> filter = new LinkedHashMap<>();
            // Each record serializes to about 64 bytes: "r00001":{"sku":"sku-00001","qty":7,"tags":["a","b"]}
            for (int i = 0; filter.size() * 64 < bytes; i++) {
                Map<String, Object> line = new LinkedHashMap<>();
                line.put("sku", String.format("sku-%05d", i));
                line.put("qty", i % 10);
                line.put("tags", new ArrayList<>(List.of("a", "b")));
                filter.put(String.format("r%05d", i), line);
            }
            return filter;
        }
    }

    /** One wired guard and its pieces; closed at teardown. */
    static final class Fixture implements AutoCloseable {
        final McpServerFeatures.SyncToolSpecification guarded;
        final McpSyncServerExchange exchange;
        private final OpaWasmPolicyEngine opa;
        private final AuditSink auditSink;
        private final InMemorySessionRegistry sessions;
        private final McpGuard guard;
        private final Path auditFile;

        Fixture(String engine, boolean cached, String sink, int maxInputBytes, LongAdder audited) throws IOException {
            PolicyEngine base;
            if (engine.equals("reference")) {
                opa = referencePolicy(maxInputBytes);
                base = opa;
            } else {
                opa = null;
                Map<String, Object> obligations = Map.of("redact_fields",
                        List.of("customer.email", "customer.phone", "payment.card_last4"));
                base = request -> new Decision.Allow(request.decisionId(), obligations);
            }
            ResilientPolicyEngine policy = ResilientPolicyEngine.decorate(base)
                    .decisionCache(cached ? DecisionCacheConfig.ofDefaults() : DecisionCacheConfig.DISABLED)
                    .build();
            if (sink.equals("async")) {
                auditFile = Files.createTempFile("mcp-guard-bench-audit", ".jsonl");
                auditSink = JsonlFileAuditSink.builder(auditFile).mode(JsonlFileAuditSink.Mode.ASYNC).build();
            } else {
                auditFile = null;
                auditSink = record -> audited.increment();
            }
            sessions = InMemorySessionRegistry.builder().build();
            guard = McpGuard.builder()
                    .serverName("orders")
                    .policyEngine(policy)
                    .auditSink(auditSink)
                    .sessionRegistry(sessions)
                    .validateArguments()
                    .throttle(TokenBucketThrottle.builder()
                            .limit(RateLimit.perCaller().perTool()
                                    .capacity(RateLimit.MAX_TOKENS).refillPerSecond(RateLimit.MAX_TOKENS).build())
                            .build())
                    .build();
            McpSchema.Tool tool = McpSchema.Tool.builder()
                    .name("get_order")
                    .title("Get order")
                    .description("Returns one order of your tenant.")
                    .inputSchema(Map.of("type", "object",
                            "properties", Map.of(
                                    "order_id", Map.of("type", "string"),
                                    "note", Map.of("type", "string"),
                                    "filter", Map.of("type", "object")),
                            "required", List.of("order_id")))
                    .annotations(McpSchema.ToolAnnotations.builder()
                            .readOnlyHint(true).idempotentHint(true).openWorldHint(false).build())
                    .build();
            Map<String, Object> order = Map.of("id", "acme-1001", "status", "shipped",
                    "customer", Map.of("name", "Ada", "email", "ada@example.com", "phone", "+1 555 0100"),
                    "payment", Map.of("card_last4", "4242", "amount", 120));
            guarded = guard.guardWithContext(tool, (ex, req, ctx) -> CallToolResult.builder()
                    .structuredContent(order).build());
            CallerIdentity alice = CallerIdentity.builder("https://issuer.example", "alice").tenant("acme")
                    .clientId("agent").scopes(Set.of("orders.read")).build();
            sessions.bind(SESSION_ID, alice);
            McpTransportContext context = McpTransportContext.create(Map.of(GuardRequestAttributes.CALLER, alice));
            exchange = new McpSyncServerExchange(new McpAsyncServerExchange(SESSION_ID, null, null, null, context));
        }

        /** Checks the call is allowed and its result redacted, then warms the engine's JIT with {@code calls} calls. */
        void warm(CallToolRequest request, int calls) {
            CallToolResult result = call(request);
            if (Boolean.TRUE.equals(result.isError()) || String.valueOf(result.structuredContent()).contains("ada@")) {
                throw new IllegalStateException("the benchmark call should be allowed and redacted, got " + result);
            }
            for (int i = 0; i < calls; i++) {
                call(request);
            }
        }

        CallToolResult call(CallToolRequest request) {
            return guarded.callHandler().apply(exchange, request);
        }

        @Override
        public void close() throws Exception {
            guard.close();
            auditSink.close();
            sessions.close();
            if (opa != null) {
                opa.close();
            }
            if (auditFile != null) {
                Files.deleteIfExists(auditFile);
            }
        }

        private static OpaWasmPolicyEngine referencePolicy(int maxInputBytes) throws IOException {
            Path bundle = Files.createTempFile("mcp-guard-bench-reference", ".tar.gz");
            bundle.toFile().deleteOnExit();
            Files.write(bundle, resource("/policy/orders-bundle.tar.gz"));
            String publicKey = new String(resource("/policy/demo-signing-public.pem"), StandardCharsets.US_ASCII);
            OpaWasmPolicyEngine engine = OpaWasmPolicyEngine.builder()
                    .bundleSource(BundleSource.file(bundle))
                    .verification(BundleVerification.publicKey(publicKey))
                    .environment(Map.of("name", "dev"))
                    .maxInputBytes(maxInputBytes)
                    .build();
            if (engine.pollNow() != OpaWasmPolicyEngine.LoadOutcome.LOADED) {
                throw new IllegalStateException("reference bundle did not load: " + engine.lastLoadError().orElse("?"));
            }
            return engine;
        }

        private static byte[] resource(String name) throws IOException {
            try (InputStream in = ReferenceChainBenchmark.class.getResourceAsStream(name)) {
                if (in == null) {
                    throw new IOException("missing resource " + name);
                }
                return in.readAllBytes();
            }
        }
    }

    @Benchmark
    public CallToolResult call(Chain chain) {
        return chain.fixture.call(chain.request);
    }

    @Benchmark
    public CallToolResult sized(Sized sized) {
        return sized.fixture.call(sized.request);
    }
}
