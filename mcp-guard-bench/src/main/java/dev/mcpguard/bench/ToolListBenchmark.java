package dev.mcpguard.bench;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.http.GuardRequestAttributes;
import dev.mcpguard.core.policy.DecisionCacheConfig;
import dev.mcpguard.core.policy.ResilientPolicyEngine;
import dev.mcpguard.core.policy.opa.BundleSource;
import dev.mcpguard.core.policy.opa.BundleVerification;
import dev.mcpguard.core.policy.opa.OpaWasmPolicyEngine;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.server.McpStatelessServerHandler;
import io.modelcontextprotocol.server.McpStatelessSyncServer;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpStatelessServerTransport;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;
import reactor.core.publisher.Mono;

/**
 * {@code tools/list} of {@value #TOOLS} tools through the MCP SDK's own request handler (a stateless sync server,
 * the response written to JSON bytes), unguarded and guarded with the reference policy ({@code policies/}, built
 * with the pinned {@code opa} at setup, with a generated {@code data.json} that configures the {@value #TOOLS}
 * tools; about half are visible to the caller): in list mode (the bundle has {@code mcp/authz/visible_tools}, one
 * evaluation per list) or per-tool mode (a bundle without it, one evaluation per tool), each with the default
 * decision cache of {@link ResilientPolicyEngine} or without a cache. Every invocation is a new request (a new
 * transport context), as each HTTP request is. On a sync server (the {@code server} parameter) the SDK itself hops
 * to bounded-elastic for every tool's filter call, about 10 µs each, which no filter can avoid.
 *
 * <p>Run from the repository root (the policy sources are read from {@code policies/}):
 * {@code mvn -q -o -pl mcp-guard-bench -am package -DskipTests && java -jar mcp-guard-bench/target/benchmarks.jar ToolList}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MILLISECONDS)
@Warmup(iterations = 3, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class ToolListBenchmark {

    static final int TOOLS = 1_000;

    /** unguarded, or guarded in list or per-tool mode, with or without the decision cache. */
    @Param({"unguarded", "list-cached", "list-uncached", "perTool-cached", "perTool-uncached"})
    public String variant;

    /**
     * sync: the SDK runs a sync server's list filter on bounded-elastic once per tool (a thread hop each, whatever
     * the filter does); sync-immediate: the same with the SDK's {@code immediateExecution(true)}, filters and tools on
     * the calling thread; async: mcp-guard's async filter, which hops only when policy must be asked.
     */
    @Param({"async", "sync", "sync-immediate"})
    public String server;

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private final JacksonMcpJsonMapper json = new JacksonMcpJsonMapper(MAPPER);
    private OpaWasmPolicyEngine engine;
    private AutoCloseable running;
    private McpStatelessServerHandler handler;
    private CallerIdentity alice;
    private long ids;
    private int expectedVisible;

    @Setup
    public void setUp() throws Exception {
        alice = CallerIdentity.builder("https://login.example.com", "alice").tenant("acme").clientId("agent")
                .scopes(Set.of("orders.read")).roles(Set.of("support")).build();
        List<McpStatelessServerFeatures.SyncToolSpecification> specs = new ArrayList<>();
        List<McpStatelessServerFeatures.AsyncToolSpecification> asyncSpecs = new ArrayList<>();
        McpSchema.CallToolResult ok = McpSchema.CallToolResult.builder().addTextContent("ok").build();
        for (int i = 0; i < TOOLS; i++) {
            specs.add(McpStatelessServerFeatures.SyncToolSpecification.builder().tool(tool(i))
                    .callHandler((context, request) -> ok).build());
            asyncSpecs.add(McpStatelessServerFeatures.AsyncToolSpecification.builder().tool(tool(i))
                    .callHandler((context, request) -> Mono.just(ok)).build());
        }
        CapturingTransport transport = new CapturingTransport();
        boolean sync = server.startsWith("sync");
        McpServer.StatelessSyncSpecification syncSpec = sync ? McpServer.sync(transport).jsonMapper(json)
                .immediateExecution(server.equals("sync-immediate"))
                .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build()) : null;
        McpServer.StatelessAsyncSpecification asyncSpec = sync ? null : McpServer.async(transport).jsonMapper(json)
                .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build());
        if (variant.equals("unguarded")) {
            if (sync) {
                syncSpec.tools(specs);
            } else {
                asyncSpec.tools(asyncSpecs);
            }
            expectedVisible = TOOLS;
        } else {
            boolean listMode = variant.startsWith("list");
            engine = OpaWasmPolicyEngine.builder().bundleSource(BundleSource.file(referenceBundle(listMode)))
                    .verification(BundleVerification.insecureUnsigned()).environment(Map.of("name", "prod"))
                    .poolSize(1).build();
            if (engine.pollNow() != OpaWasmPolicyEngine.LoadOutcome.LOADED) {
                throw new IllegalStateException("bundle did not load: " + engine.lastLoadError().orElse("?"));
            }
            ResilientPolicyEngine policy = ResilientPolicyEngine.decorate(engine)
                    .decisionCache(variant.endsWith("uncached") ? DecisionCacheConfig.DISABLED
                            : DecisionCacheConfig.DEFAULTS).build();
            engine.onBundleChange(policy::onBundleChange);
            McpGuard guard = McpGuard.builder().serverName("orders").policyEngine(policy)
                    .auditSink(record -> { }).build();
            if (sync) {
                syncSpec.tools(guard.guardStatelessSyncTools(specs)).addToolFilter(guard.toolFilter());
            } else {
                asyncSpec.tools(asyncSpecs.stream().map(guard::guard).toList()).addToolFilter(guard.asyncToolFilter());
            }
            expectedVisible = TOOLS / 2;
        }
        if (sync) {
            McpStatelessSyncServer built = syncSpec.build();
            running = built::close;
        } else {
            var built = asyncSpec.build();
            running = built::close;
        }
        handler = transport.handler;
        int shown = MAPPER.readTree(list()).path("result").path("tools").size();
        if (shown != expectedVisible) {
            throw new IllegalStateException(variant + ": expected " + expectedVisible + " tools, listed " + shown);
        }
    }

    @TearDown
    public void tearDown() {
        try {
            running.close();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        if (engine != null) {
            engine.close();
        }
    }

    @Benchmark
    public byte[] listTools() throws IOException {
        return list();
    }

    private byte[] list() throws IOException {
        McpTransportContext request = McpTransportContext.create(Map.of(GuardRequestAttributes.CALLER, alice));
        McpSchema.JSONRPCResponse response = handler.handleRequest(request,
                new McpSchema.JSONRPCRequest(McpSchema.JSONRPC_VERSION, McpSchema.METHOD_TOOLS_LIST, ++ids, Map.of()))
                .block();
        return json.writeValueAsBytes(response);
    }

    /** Tool i: a tenant-scoped read (i % 4 == 0), a support write (1), an admin write (2), a destructive admin write (3). */
    private static McpSchema.Tool tool(int i) {
        boolean read = i % 4 == 0;
        return McpSchema.Tool.builder().name(name(i)).description("Tool number " + i + " of the bench server")
                .inputSchema(Map.of("type", "object"))
                .annotations(new McpSchema.ToolAnnotations(null, read, i % 4 == 3, false, false, null))
                .build();
    }

    private static String name(int i) {
        return String.format("tool_%04d", i);
    }

    /** The reference policy with data for the bench tools, built with both entrypoints or the decision one only. */
    private static Path referenceBundle(boolean withListEntrypoint) throws IOException, InterruptedException {
        Path policies = null;
        for (Path dir = Path.of("").toAbsolutePath(); dir != null; dir = dir.getParent()) {
            if (Files.isDirectory(dir.resolve("policies/mcp/authz"))) {
                policies = dir.resolve("policies/mcp/authz");
                break;
            }
        }
        if (policies == null) {
            throw new IllegalStateException("run from the repository: policies/mcp/authz not found");
        }
        Path stage = Files.createTempDirectory("mcp-guard-tool-list-bench");
        Path authz = Files.createDirectories(stage.resolve("bundle/mcp/authz"));
        try (Stream<Path> files = Files.list(policies)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".rego") && !f.toString().endsWith("_test.rego"))
                    .toList()) {
                Files.copy(file, authz.resolve(file.getFileName()));
            }
        }
        ObjectNode data = (ObjectNode) MAPPER.readTree(policies.resolve("data.json").toFile());
        ObjectNode tools = ((ObjectNode) data.path("config").path("servers").path("orders")).putObject("tools");
        for (int i = 0; i < TOOLS; i++) {
            ObjectNode tool = tools.putObject(name(i));
            switch (i % 4) {
                case 0 -> {
                    tool.put("read_only", true);
                    tool.putArray("required_scopes").add("orders.read");
                    tool.put("tenant_scoped", true);
                }
                case 1 -> {
                    tool.put("read_only", false);
                    tool.putArray("allowed_roles").add("support");
                }
                case 2 -> {
                    tool.put("read_only", false);
                    tool.putArray("allowed_roles").add("admin");
                }
                default -> {
                    tool.put("read_only", false);
                    tool.put("destructive", true);
                    tool.putArray("allowed_roles").add("admin");
                }
            }
        }
        MAPPER.writeValue(authz.resolve("data.json").toFile(), data);
        Path out = stage.resolve("bundle.tar.gz");
        List<String> command = new ArrayList<>(List.of(OpaBinary.locate().toString(), "build", "-t", "wasm",
                "-e", "mcp/authz/decision"));
        if (withListEntrypoint) {
            command.addAll(List.of("-e", "mcp/authz/visible_tools"));
        }
        command.addAll(List.of("-b", stage.resolve("bundle").toString(), "-o", out.toString()));
        Process process = new ProcessBuilder(command).redirectErrorStream(true).start();
        String output = new String(process.getInputStream().readAllBytes());
        if (process.waitFor() != 0) {
            throw new IllegalStateException("opa build failed: " + output);
        }
        return out;
    }

    /** Keeps the SDK's request handler, so the benchmark calls what the transport would. */
    static final class CapturingTransport implements McpStatelessServerTransport {
        volatile McpStatelessServerHandler handler;

        @Override
        public void setMcpHandler(McpStatelessServerHandler handler) {
            this.handler = handler;
        }

        @Override
        public Mono<Void> closeGracefully() {
            return Mono.empty();
        }
    }
}
