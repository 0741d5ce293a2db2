package dev.mcpguard.core.guardrails;

import com.sun.net.httpserver.HttpServer;
import dev.mcpguard.api.Finding;
import dev.mcpguard.api.spi.ContentClassifier;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
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
 * What the guard adds around an external classifier, per call, for a result of {@code textBytes} of text in
 * 256-character strings: {@link BoundedClassifier} over an in-process classifier that answers at once
 * ({@code inProcess}: bounding the text, the budget's timer scheduled and unscheduled, the findings validated), and
 * the whole {@link HttpContentClassifier} round trip to a classifier service on loopback (the JDK's HTTP server
 * answering a fixed body; {@code httpLoopback}: JSON encoding, HTTP/1.1 keep-alive exchange, bounded body, parsing).
 * {@code findings}: none (benign text) or one per string (every string flagged). The model's own time is not in
 * either figure. In the package of the classes it measures, which are package-private.
 *
 * <p>Run: {@code mvn -q -o -pl mcp-guard-bench -am package -DskipTests &&
 * java -jar mcp-guard-bench/target/benchmarks.jar ClassifierBounds -wi 2 -i 3 -f 1}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class ClassifierBoundsBenchmark {

    private static final int ITEM_CHARS = 256;

    @Param({"1024", "16384"})
    public int textBytes;

    @Param({"none", "every_item"})
    public String findings;

    private ContentClassifier.Request request;
    private BoundedClassifier inProcess;
    private BoundedClassifier overHttp;
    private HttpServer server;
    private ExecutorService serverThreads;

    @Setup
    public void setUp() throws IOException {
        List<ContentClassifier.Item> items = new ArrayList<>();
        String sentence = "Order 4711 shipped on Tuesday; the customer asked for a refund of the late fee. ";
        for (int i = 0; i * ITEM_CHARS < textBytes; i++) {
            items.add(new ContentClassifier.Item("$.content[" + i + "].text",
                    sentence.repeat(ITEM_CHARS / sentence.length() + 1).substring(0, ITEM_CHARS)));
        }
        request = new ContentClassifier.Request(ContentClassifier.Request.RESULT, "orders", "tools/call",
                "get_order", items);
        List<Finding> answer = findings.equals("none") ? List.of() : items.stream()
                .map(item -> new Finding("prompt_injection", "semantic", item.path(), 0.9)).toList();
        ContentClassifier immediate = new ContentClassifier() {
            @Override
            public String name() {
                return "in_process";
            }

            @Override
            public CompletionStage<List<Finding>> classify(ContentClassifier.Request request) {
                return CompletableFuture.completedFuture(answer);
            }
        };
        inProcess = BoundedClassifier.builder(immediate).maxFindings(1000).build();

        StringBuilder body = new StringBuilder("{\"findings\":[");
        for (int i = 0; i < answer.size(); i++) {
            body.append(i == 0 ? "" : ",").append("{\"kind\":\"prompt_injection\",\"rule_id\":\"semantic\",\"path\":\"")
                    .append(answer.get(i).path()).append("\",\"confidence\":0.9}");
        }
        byte[] response = body.append("]}").toString().getBytes(StandardCharsets.UTF_8);
        // The JDK server writes headers and body apart; without TCP_NODELAY, Nagle's algorithm and the client's
        // delayed ACK add about 40 ms per exchange, a figure of this test server, not of the guard.
        System.setProperty("sun.net.httpserver.nodelay", "true");
        serverThreads = Executors.newFixedThreadPool(2);
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(serverThreads);
        server.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            exchange.getResponseHeaders().set("Content-Type", "application/json");
            exchange.sendResponseHeaders(200, response.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(response);
            }
        });
        server.start();
        HttpContentClassifier http = HttpContentClassifier.builder("loopback",
                        URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1/classify"))
                .allowPlainHttpOnLoopback().requestTimeout(Duration.ofSeconds(5)).build();
        overHttp = BoundedClassifier.builder(http).budget(Duration.ofSeconds(5)).maxFindings(1000).build();
    }

    @TearDown
    public void tearDown() {
        server.stop(0);
        serverThreads.shutdownNow();
    }

    @Benchmark
    public BoundedClassifier.Result inProcess() {
        return inProcess.classify(request).toCompletableFuture().join();
    }

    @Benchmark
    public BoundedClassifier.Result httpLoopback() {
        BoundedClassifier.Result result = overHttp.classify(request).toCompletableFuture().join();
        if (result.unavailable()) {
            throw new IllegalStateException("the loopback classifier failed: " + result.failure());
        }
        return result;
    }
}
