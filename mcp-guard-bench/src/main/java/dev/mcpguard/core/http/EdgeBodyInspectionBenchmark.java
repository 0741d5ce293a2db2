package dev.mcpguard.core.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.spi.SessionRegistry.SessionCheck;
import dev.mcpguard.core.session.InMemorySessionRegistry;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
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

/**
 * The per-request work of the HTTP edge that does not need a socket: inspecting a buffered MCP POST body
 * ({@link JsonRpcMessageInspector}, one streaming pass) against the tree parse it replaced (kept here only as the
 * baseline: {@code readTree} with the same constraints and the same member lookups), and the session check of a
 * bound session ({@link InMemorySessionRegistry#check}). In the package of the classes it measures, which are
 * package-private.
 *
 * <p>Run: {@code java -jar mcp-guard-bench/target/benchmarks.jar EdgeBodyInspection -f 1 -wi 3 -i 5}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class EdgeBodyInspectionBenchmark {

    private static final ObjectMapper TREE = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(200).build()).build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** Size of the {@code note} argument in bytes: 0 is the example's one-argument {@code tools/call}. */
    @Param({"0", "16384"})
    public int argumentBytes;

    private final JsonRpcMessageInspector inspector = new JsonRpcMessageInspector();
    private byte[] body;
    private InMemorySessionRegistry sessions;
    private CallerIdentity caller;

    @Setup
    public void setUp() {
        String note = argumentBytes == 0 ? "" : ",\"note\":\"" + "x".repeat(argumentBytes) + "\"";
        body = ("{\"jsonrpc\":\"2.0\",\"id\":\"7f3c2a-17\",\"method\":\"tools/call\",\"params\":{\"name\":\"get_order\","
                + "\"arguments\":{\"order_id\":\"acme-1001\"" + note + "},\"_meta\":{\"progressToken\":17}}}")
                .getBytes(StandardCharsets.UTF_8);
        sessions = InMemorySessionRegistry.ofDefaults();
        caller = CallerIdentity.builder("https://login.example.com/realms/acme", "alice").clientId("orders-agent")
                .tenant("acme").tokenId("jti-1").build();
        sessions.bind("0f8e1c9a-5b7d-4e2f-9a3c-6d1b2e4f7a80", caller);
    }

    @TearDown
    public void tearDown() {
        sessions.close();
    }

    @Benchmark
    public JsonRpcMessageInspector.Inspection inspectStreaming() {
        return inspector.inspect(body);
    }

    /** The mechanism before issue 12: a full tree, then the same member checks. */
    @Benchmark
    public Object inspectTreeBaseline() throws IOException {
        JsonNode root = TREE.readTree(body);
        if (!"2.0".equals(root.path("jsonrpc").textValue())) {
            return null;
        }
        JsonNode id = root.get("id");
        JsonNode method = root.get("method");
        JsonNode params = root.get("params");
        return id != null && method != null && method.isTextual() && (params == null || params.isObject())
                ? method.textValue() : null;
    }

    @Benchmark
    public SessionCheck sessionCheck() {
        return sessions.check("0f8e1c9a-5b7d-4e2f-9a3c-6d1b2e4f7a80", caller);
    }
}
