package dev.mcpguard.core.http;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.core.identity.ApiKeyIdentityResolver;
import dev.mcpguard.core.session.InMemorySessionRegistry;
import dev.mcpguard.core.testing.Eventually;
import dev.mcpguard.core.testing.MutableClock;
import dev.mcpguard.core.testing.RawHttp;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Set;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.startup.Tomcat;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * The filter's request limits in a real Tomcat, over real sockets: per-principal rate and in-flight bounds, body
 * size and deadline, JSON-RPC checks and roots/list_changed coalescing, all before the server (a stand-in servlet
 * that counts what reaches it and can hold requests) sees anything.
 */
class McpGuardHttpFilterLimitsTest {

    static final String ALICE_KEY = "mgk_alice_4f9Qz1Lr7XbT2nVw8KcY0eHs";
    static final String BOB_KEY = "mgk_bob_9Jd3Hs5Lq1Zx7Cv2Bn6Mk0Pw";
    static final String CAROL_KEY = "mgk_carol_2Wq8Er4Ty6Ui0Op3As5Df7G";
    static final String DAVE_KEY = "mgk_dave_7Yh2Kd9Lp4Qw1Ez6Rt3Xc8Vb";
    static final String ERIN_KEY = "mgk_erin_5Rt8Yu2Io6Pa9Sd1Fg4Hj7Kl";
    static final ObjectMapper JSON = new ObjectMapper();
    static final MutableClock clock = MutableClock.startingAt("2026-01-01T00:00:00Z");
    static final AtomicInteger reachedServer = new AtomicInteger();
    static final AtomicInteger held = new AtomicInteger();
    static volatile CountDownLatch release = new CountDownLatch(0);
    static final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    static Tomcat tomcat;
    static URI base;

    @BeforeAll
    static void startTomcat() throws Exception {
        ApiKeyIdentityResolver apiKeys = ApiKeyIdentityResolver.builder()
                .addKey(McpGuardHttpFilterTest.key("alice-key", ALICE_KEY, "alice", Set.of()))
                .addKey(McpGuardHttpFilterTest.key("bob-key", BOB_KEY, "bob", Set.of()))
                .addKey(McpGuardHttpFilterTest.key("carol-key", CAROL_KEY, "carol", Set.of()))
                .addKey(McpGuardHttpFilterTest.key("dave-key", DAVE_KEY, "dave", Set.of()))
                .addKey(McpGuardHttpFilterTest.key("erin-key", ERIN_KEY, "erin", Set.of()))
                .build();
        McpGuardHttpFilter guard = McpGuardHttpFilter.builder()
                .identityResolver(apiKeys)
                .sessionRegistry(InMemorySessionRegistry.ofDefaults())
                .resource(URI.create("https://orders.example.com/mcp"))
                .authorizationServer(URI.create("https://login.example.com"))
                .requestLimits(HttpRequestLimits.custom()
                        .maxBodyBytes(1024)
                        .bodyReadTimeout(Duration.ofSeconds(5))
                        .requestRate(5, 60)
                        .maxInFlightPerPrincipal(2)
                        .maxInFlightPerSession(2)
                        .build())
                .clock(clock)
                .build();
        Path baseDir = Files.createTempDirectory("mcp-guard-tomcat-limits");
        tomcat = new Tomcat();
        tomcat.setBaseDir(baseDir.toString());
        tomcat.setPort(0);
        Context context = tomcat.addContext("", baseDir.toString());
        Tomcat.addServlet(context, "mcp", new HoldingServlet()).setAsyncSupported(true);
        context.addServletMappingDecoded("/mcp", "mcp");
        McpGuardHttpFilterTest.addFilter(context, "guard", guard);
        tomcat.getConnector();
        tomcat.start();
        base = URI.create("http://localhost:" + tomcat.getConnector().getLocalPort());
    }

    @AfterAll
    static void stopTomcat() throws LifecycleException {
        release.countDown();
        tomcat.stop();
        tomcat.destroy();
    }

    @Test
    void refusesAPrincipalsThirdConcurrentRequestWhileAnotherPrincipalIsServed() throws Exception {
        release = new CountDownLatch(1);
        held.set(0);
        String hold = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"hold\"}";
        CompletableFuture<HttpResponse<String>> first = sendAsync(post(ALICE_KEY, null, hold));
        CompletableFuture<HttpResponse<String>> second = sendAsync(post(ALICE_KEY, null, hold));
        Eventually.within(Duration.ofSeconds(10), "two requests held by the server", () -> held.get() == 2);

        HttpResponse<String> third = send(post(ALICE_KEY, null, "{\"jsonrpc\":\"2.0\",\"id\":3,\"method\":\"ping\"}"));
        HttpResponse<String> bob = send(post(BOB_KEY, null, "{\"jsonrpc\":\"2.0\",\"id\":4,\"method\":\"ping\"}"));
        release.countDown();

        assertThat(third.statusCode()).isEqualTo(429);
        assertThat(third.headers().firstValue("Connection")).hasValue("close");
        assertThat(json(third).get("error").get("message").asText()).isEqualTo("too many requests in flight");
        assertThat(bob.statusCode()).isEqualTo(200);
        assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(second.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(send(post(ALICE_KEY, null, "{\"jsonrpc\":\"2.0\",\"id\":5,\"method\":\"ping\"}")).statusCode())
                .as("slots are given back when the responses complete").isEqualTo(200);
    }

    @Test
    void limitsEachPrincipalsRequestRateOfEveryMethodAndRefillsWithTheClock() throws Exception {
        for (int i = 0; i < 5; i++) {
            assertThat(send(get(CAROL_KEY)).statusCode()).isEqualTo(200);
        }
        HttpResponse<String> sixth = send(post(CAROL_KEY, null, "{\"jsonrpc\":\"2.0\",\"id\":6,\"method\":\"ping\"}"));
        HttpResponse<String> dave = send(get(DAVE_KEY));

        assertThat(sixth.statusCode()).isEqualTo(429);
        assertThat(sixth.headers().firstValue("Retry-After")).hasValue("1");
        assertThat(dave.statusCode()).isEqualTo(200);
        clock.advance(Duration.ofSeconds(2));
        assertThat(send(get(CAROL_KEY)).statusCode()).isEqualTo(200);
    }

    @Test
    void aFloodOfToolsListIsRefusedByThePrincipalsRequestRateBeforeTheServerListsAnything() throws Exception {
        int before = reachedServer.get();
        int refused = 0;
        for (int i = 0; i < 20; i++) {
            HttpResponse<String> list = send(post(ERIN_KEY, null,
                    "{\"jsonrpc\":\"2.0\",\"id\":" + i + ",\"method\":\"tools/list\",\"params\":{}}"));
            if (list.statusCode() == 429) {
                refused++;
                assertThat(list.headers().firstValue("Retry-After")).isPresent();
            } else {
                assertThat(list.statusCode()).isEqualTo(200);
            }
        }

        assertThat(refused).as("all but the burst of 5").isEqualTo(15);
        assertThat(reachedServer.get() - before).as("lists the server had to answer").isEqualTo(5);
    }

    @Test
    void refusesADeclaredBodyOverTheLimitAndClosesTheConnectionWithoutReadingIt() throws Exception {
        int before = reachedServer.get();
        try (Socket socket = rawPost(BOB_KEY, 2000, "{\"jsonrpc\":")) {
            String head = RawHttp.readHead(socket.getInputStream());

            assertThat(head).startsWith("HTTP/1.1 413").containsIgnoringCase("Connection: close");
            assertThat(closedByServer(socket)).isTrue();
        }
        assertThat(reachedServer.get()).isEqualTo(before);
    }

    @Test
    void refusesABodyStillArrivingAfterTheDeadlineWith408AndClosesTheConnection() throws Exception {
        int before = reachedServer.get();
        try (Socket socket = rawPost(BOB_KEY, 100, "{\"jsonrpc\":")) {
            // The deadline starts when the filter starts reading, which the test cannot see: keep trickling a byte
            // and moving the clock past any deadline until the filter answers.
            String head = "";
            socket.setSoTimeout(500);
            for (int i = 0; i < 40 && head.isEmpty(); i++) {
                clock.advance(Duration.ofSeconds(6));
                socket.getOutputStream().write(' ');
                socket.getOutputStream().flush();
                try {
                    head = RawHttp.readHead(socket.getInputStream());
                } catch (java.net.SocketTimeoutException e) {
                    // not answered yet
                }
            }

            assertThat(head).startsWith("HTTP/1.1 408").containsIgnoringCase("Connection: close");
            assertThat(closedByServer(socket)).isTrue();
        }
        assertThat(reachedServer.get()).isEqualTo(before);
    }

    @Test
    void handsOnABodyThatHadAlreadyArrivedOnTheRequestThreadWithoutASecondDispatch() throws Exception {
        clock.advance(Duration.ofMinutes(1));
        String body = "{\"jsonrpc\":\"2.0\",\"id\":21,\"method\":\"echo\",\"params\":{\"n\":\"" + "x".repeat(300) + "\"}}";
        try (Socket socket = rawPost(DAVE_KEY, body.length(), body)) {
            String response = RawHttp.readHead(socket.getInputStream());

            assertThat(response).startsWith("HTTP/1.1 200");
            assertThat(readBody(socket, ("REQUEST " + body).length())).isEqualTo("REQUEST " + body);
        }
    }

    @Test
    void handsOnTheWholeBodyWhenItsRestArrivesAfterTheFirstRead() throws Exception {
        clock.advance(Duration.ofMinutes(1));
        String body = "{\"jsonrpc\":\"2.0\",\"id\":22,\"method\":\"echo\",\"params\":{}}";
        int split = 12;
        try (Socket socket = rawPost(DAVE_KEY, body.length(), body.substring(0, split))) {
            socket.getOutputStream().write(body.substring(split).getBytes(StandardCharsets.US_ASCII));
            socket.getOutputStream().flush();
            String response = RawHttp.readHead(socket.getInputStream());

            assertThat(response).startsWith("HTTP/1.1 200");
            // REQUEST when the rest came before the first read, ASYNC after it: read what the head declares.
            int length = Integer.parseInt(response.replaceAll("(?is).*content-length: *(\\d+).*", "$1"));
            String echoed = readBody(socket, length);
            assertThat(echoed).matches("(REQUEST|ASYNC) .*").endsWith(" " + body);
        }
    }

    @Test
    void refusesMalformedMessagesAndUnknownNotificationsBeforeTheServerSeesThem() throws Exception {
        int before = reachedServer.get();
        HttpResponse<String> notJson = send(post(DAVE_KEY, null, "{\"jsonrpc\":\"2.0\",\"method\":"));
        HttpResponse<String> notAMessage = send(post(DAVE_KEY, null, "{\"jsonrpc\":\"2.0\",\"x\":1}"));
        HttpResponse<String> batch = send(post(DAVE_KEY, null, "[{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}]"));
        HttpResponse<String> unknown = send(post(DAVE_KEY, null,
                "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/made_up\"}"));

        assertThat(notJson.statusCode()).isEqualTo(400);
        assertThat(json(notJson).get("error").get("code").asInt()).isEqualTo(-32600);
        assertThat(notAMessage.statusCode()).isEqualTo(400);
        assertThat(batch.statusCode()).isEqualTo(400);
        assertThat(unknown.statusCode()).isEqualTo(400);
        assertThat(json(unknown).get("error").get("message").asText()).isEqualTo("unknown notification method");
        assertThat(reachedServer.get()).isEqualTo(before);
        clock.advance(Duration.ofMinutes(1));
    }

    @Test
    void coalescesARootsListChangedIntoTheOneTheServerIsStillHandlingOnTheSameSession() throws Exception {
        clock.advance(Duration.ofMinutes(1));
        HttpResponse<String> initialize = send(post(BOB_KEY, null,
                "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}"));
        String sessionId = initialize.headers().firstValue(McpGuardHttpFilter.SESSION_HEADER).orElseThrow();
        release = new CountDownLatch(1);
        held.set(0);
        String rootsChanged = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/roots/list_changed\"}";
        CompletableFuture<HttpResponse<String>> first = sendAsync(post(BOB_KEY, sessionId, rootsChanged));
        Eventually.within(Duration.ofSeconds(10), "the first roots/list_changed held", () -> held.get() == 1);
        int before = reachedServer.get();

        HttpResponse<String> second = send(post(BOB_KEY, sessionId, rootsChanged));
        release.countDown();

        assertThat(second.statusCode()).isEqualTo(202);
        assertThat(reachedServer.get()).isEqualTo(before);
        assertThat(first.get(10, TimeUnit.SECONDS).statusCode()).isEqualTo(200);
        assertThat(send(post(BOB_KEY, sessionId, rootsChanged)).statusCode())
                .as("handed on again once the first is done").isEqualTo(200);
    }

    @Test
    void serverErrorBodiesAreReplacedByAJsonRpcErrorWithoutInternals() throws Exception {
        clock.advance(Duration.ofMinutes(1));
        HttpResponse<String> response = send(post(ALICE_KEY, null, "{\"jsonrpc\":\"2.0\",\"id\":9,\"method\":\"fail\"}"));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).doesNotContain("stackTrace", "java.lang");
        assertThat(json(response).get("error").get("message").asText()).isEqualTo("invalid request");
    }

    /** Counts requests; holds "hold" requests and roots notifications until released; fails "fail" with internals. */
    static final class HoldingServlet extends HttpServlet {
        private static final long serialVersionUID = 1L;

        @Override
        protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            reachedServer.incrementAndGet();
            String body = new String(req.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (body.contains("\"initialize\"")) {
                resp.setHeader(McpGuardHttpFilter.SESSION_HEADER, UUID.randomUUID().toString());
            }
            if (body.contains("\"echo\"")) {
                resp.setContentType("text/plain");
                resp.getWriter().write(req.getDispatcherType() + " " + body);
                return;
            }
            if (body.contains("\"fail\"")) {
                resp.setContentType("application/json");
                resp.setStatus(400);
                resp.getWriter().write("{\"stackTrace\":[{\"className\":\"java.lang.Thread\"}]}");
                return;
            }
            if (body.contains("\"hold\"") || body.contains("roots/list_changed")) {
                held.incrementAndGet();
                try {
                    release.await(10, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
            resp.setContentType("text/plain");
            resp.getWriter().write("ok");
        }

        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            resp.setContentType("text/plain");
            resp.getWriter().write("ok");
        }
    }

    private static HttpRequest.Builder post(String apiKey, String sessionId, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve("/mcp"))
                .POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json").header("X-API-Key", apiKey);
        if (sessionId != null) {
            request.header(McpGuardHttpFilter.SESSION_HEADER, sessionId);
        }
        return request;
    }

    private static HttpRequest.Builder get(String apiKey) {
        return HttpRequest.newBuilder(base.resolve("/mcp")).GET().header("X-API-Key", apiKey);
    }

    private static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static CompletableFuture<HttpResponse<String>> sendAsync(HttpRequest.Builder request) {
        return http.sendAsync(request.timeout(Duration.ofSeconds(20)).build(), HttpResponse.BodyHandlers.ofString());
    }

    private static JsonNode json(HttpResponse<String> response) throws IOException {
        return JSON.readTree(response.body());
    }

    private static Socket rawPost(String apiKey, int contentLength, String firstBytes) throws IOException {
        Socket socket = new Socket("127.0.0.1", tomcat.getConnector().getLocalPort());
        socket.setSoTimeout(10_000);
        socket.getOutputStream().write(("POST /mcp HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n"
                + "X-API-Key: " + apiKey + "\r\nContent-Length: " + contentLength + "\r\n\r\n" + firstBytes)
                .getBytes(StandardCharsets.US_ASCII));
        socket.getOutputStream().flush();
        return socket;
    }

    /** Reads up to {@code max} bytes of a response body after its head, until the server stops sending. */
    private static String readBody(Socket socket, int max) throws IOException {
        byte[] bytes = new byte[max];
        int read = 0;
        while (read < max) {
            int n = socket.getInputStream().read(bytes, read, max - read);
            if (n < 0) {
                break;
            }
            read += n;
        }
        return new String(bytes, 0, read, StandardCharsets.UTF_8);
    }

    /** True when the server closes the connection, although the client never sent the rest of the body. */
    private static boolean closedByServer(Socket socket) throws IOException {
        socket.setSoTimeout(5_000);
        return RawHttp.closedByServer(socket);
    }
}
