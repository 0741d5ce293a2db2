package dev.mcpguard.core.guardrails;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.sun.net.httpserver.HttpExchange;
import com.sun.net.httpserver.HttpServer;
import java.io.IOException;
import java.io.OutputStream;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;

/**
 * A real HTTP classifier service on a loopback port (the JDK's {@link HttpServer}) whose answer each test scripts
 * with {@link #answer(Script)}: findings, errors, oversized or malformed bodies, or no answer until
 * {@link #release()} (a latch, so a test can make the client's budget expire without sleeping). Records every
 * request it receives. Thread-safe; close it after the test.
 */
final class LocalClassifierServer implements AutoCloseable {

    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** How the server answers one request. */
    @FunctionalInterface
    interface Script {
        void answer(HttpExchange exchange, Received request) throws IOException;
    }

    /** One request as the server received it. */
    record Received(String method, String path, String contentType, String authorization, JsonNode body) {
    }

    private final CountDownLatch release = new CountDownLatch(1);
    private final List<Received> received = new CopyOnWriteArrayList<>();
    private final ExecutorService executor = Executors.newCachedThreadPool();
    private final HttpServer server;
    private volatile Script behaviour = (exchange, request) -> respond(exchange, 200, "{\"findings\": []}");

    LocalClassifierServer() throws IOException {
        server = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        server.setExecutor(executor);
        server.createContext("/", exchange -> {
            try {
                byte[] body = exchange.getRequestBody().readAllBytes();
                Received request = new Received(exchange.getRequestMethod(), exchange.getRequestURI().getPath(),
                        exchange.getRequestHeaders().getFirst("Content-Type"),
                        exchange.getRequestHeaders().getFirst("Authorization"),
                        body.length == 0 ? null : MAPPER.readTree(body));
                received.add(request);
                behaviour.answer(exchange, request);
            } catch (IOException e) {
                // the client gave up (timeout, too large): expected in these tests
            } finally {
                exchange.close();
            }
        });
        server.start();
    }

    /** The classify endpoint, {@code http://127.0.0.1:<port>/v1/classify}. */
    URI endpoint() {
        return URI.create("http://127.0.0.1:" + server.getAddress().getPort() + "/v1/classify");
    }

    /** Scripts the answer to every following request. */
    void answer(Script script) {
        this.behaviour = script;
    }

    /** Answers every following request with {@code status} and {@code body}. */
    void answer(int status, String body) {
        answer((exchange, request) -> respond(exchange, status, body));
    }

    /** Answers every following request only once {@link #release()} is called (or the server closes). */
    void answerNever() {
        answer((exchange, request) -> {
            awaitRelease();
            respond(exchange, 200, "{\"findings\": []}");
        });
    }

    /** Lets requests held by {@link #answerNever()} answer. */
    void release() {
        release.countDown();
    }

    /** Waits for {@link #release()}; for scripted handlers. */
    void awaitRelease() {
        try {
            release.await(30, TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** The requests received so far, oldest first. */
    List<Received> received() {
        return List.copyOf(received);
    }

    static void respond(HttpExchange exchange, int status, String body) throws IOException {
        byte[] bytes = body.getBytes(StandardCharsets.UTF_8);
        exchange.getResponseHeaders().set("Content-Type", "application/json");
        exchange.sendResponseHeaders(status, bytes.length == 0 ? -1 : bytes.length);
        if (bytes.length > 0) {
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(bytes);
            }
        }
    }

    @Override
    public void close() throws InterruptedException {
        release.countDown();
        server.stop(0);
        executor.shutdownNow();
        executor.awaitTermination(5, TimeUnit.SECONDS);
    }
}
