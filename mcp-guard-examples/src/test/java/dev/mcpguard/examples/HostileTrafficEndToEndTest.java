package dev.mcpguard.examples;

import static org.assertj.core.api.Assertions.assertThat;

import ch.qos.logback.classic.Logger;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.core.testing.Eventually;
import dev.mcpguard.core.testing.LogCapture;
import dev.mcpguard.core.testing.RawHttp;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.logging.Handler;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 8, items 2, 4 and 8 (response hygiene), as a hostile tenant attacks the example server from outside: with
 * ordinary tokens and raw HTTP over real sockets, against the real MCP SDK server on embedded Tomcat. Figures
 * (busy workers, time for an unauthenticated metadata request under the flood) are printed for the report.
 */
class HostileTrafficEndToEndTest {

    private static final int CONNECTIONS = 210;
    private static final int BUSY_WORKER_BOUND = 20;
    private static final ObjectMapper JSON = new ObjectMapper();

    @RegisterExtension
    static final OrdersServerFixture fixture = new OrdersServerFixture();

    private final HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(10)).build();

    @Test
    void slowBodiesWithoutATokenAreRefusedAndTheirConnectionsClosedWithoutDrainingTheBody() throws Exception {
        List<Socket> sockets = new ArrayList<>();
        int closedByServer = 0;
        try {
            for (int i = 0; i < CONNECTIONS; i++) {
                Socket socket = slowPost(null, 100_000);
                sockets.add(socket);
                String head = RawHttp.readHead(socket.getInputStream());
                assertThat(head).startsWith("HTTP/1.1 401").containsIgnoringCase("Connection: close");
                socket.setSoTimeout(5_000);
                assertThat(RawHttp.closedByServer(socket)).as("connection %d closed by the server", i).isTrue();
                closedByServer++;
            }
            int busy = busyWorkersOnceSettled();
            Duration metadata = timeMetadataRequest();
            System.out.printf("[figure] slow bodies without token: %d of %d connections closed by the server, "
                    + "busy workers %d, metadata request %d ms%n", closedByServer, CONNECTIONS, busy, metadata.toMillis());
            assertThat(closedByServer).isEqualTo(CONNECTIONS);
            assertThat(busy).isLessThan(BUSY_WORKER_BOUND);
        } finally {
            closeAll(sockets);
        }
    }

    @Test
    void slowBodiesWithAValidTokenHoldNoWorkerAndOtherPrincipalsAreServed() throws Exception {
        String token = fixture.tokenFor(DemoUser.ALICE);
        List<Socket> sockets = new ArrayList<>();
        try {
            for (int i = 0; i < CONNECTIONS; i++) {
                sockets.add(slowPost(token, 100_000));
            }
            McpSyncClient bob = fixture.connectedClientFor(DemoUser.BOB);
            int busy = busyWorkersOnceSettled();
            Duration metadata = timeMetadataRequest();
            McpSchema.CallToolResult victim = bob.callTool(new McpSchema.CallToolRequest("list_orders", Map.of()));

            int refusedInFlight = 0;
            int closedWhileReading = 0;
            for (Socket socket : sockets) {
                socket.setSoTimeout(30_000);
                String head = RawHttp.readHead(socket.getInputStream());
                if (head.startsWith("HTTP/1.1 429")) {
                    assertThat(head).containsIgnoringCase("Connection: close");
                    refusedInFlight++;
                } else {
                    // Stopped sending: the container's read timeout closes it, or the body deadline answers 408.
                    assertThat(head).satisfiesAnyOf(h -> assertThat(h).isEmpty(),
                            h -> assertThat(h).startsWith("HTTP/1.1 408"));
                    closedWhileReading++;
                }
                assertThat(RawHttp.closedByServer(socket)).isTrue();
            }
            System.out.printf("[figure] %d slow bodies with a valid token: busy workers %d, metadata request %d ms, "
                            + "%d refused at the in-flight bound (429), %d read without a worker until closed%n",
                    CONNECTIONS, busy, metadata.toMillis(), refusedInFlight, closedWhileReading);
            assertThat(victim.isError()).isFalse();
            assertThat(busy).isLessThan(BUSY_WORKER_BOUND);
            assertThat(closedWhileReading).isEqualTo(32);
        } finally {
            closeAll(sockets);
        }
    }

    @Test
    void rootsListChangedFloodWithTheEventStreamOpenHoldsAtMostOneWorkerPerSession() throws Exception {
        String token = fixture.tokenFor(DemoUser.ALICE);
        String sessionId = fixture.openRawSession(token);
        String rootsChanged = "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/roots/list_changed\"}";
        // The SDK sends nothing on a new event stream, so its headers never arrive; once a roots/list_changed
        // stays pending (the SDK waits for the client's roots/list answer, which never comes), the stream is open.
        CompletableFuture<HttpResponse<InputStream>> stream = http.sendAsync(HttpRequest.newBuilder(fixture.endpoint())
                .header("Authorization", "Bearer " + token).header("Mcp-Session-Id", sessionId)
                .header("Accept", "text/event-stream").GET().build(), HttpResponse.BodyHandlers.ofInputStream());
        try {
            CompletableFuture<HttpResponse<String>> pending = null;
            for (int attempt = 0; attempt < 50 && pending == null; attempt++) {
                CompletableFuture<HttpResponse<String>> probe = http.sendAsync(post(token, sessionId, rootsChanged),
                        HttpResponse.BodyHandlers.ofString());
                try {
                    probe.get(1, TimeUnit.SECONDS);
                } catch (TimeoutException e) {
                    pending = probe;
                }
            }
            assertThat(pending).as("a roots/list_changed held by the SDK").isNotNull();

            List<CompletableFuture<HttpResponse<String>>> flood = new ArrayList<>();
            for (int i = 0; i < 205; i++) {
                flood.add(http.sendAsync(post(token, sessionId, rootsChanged), HttpResponse.BodyHandlers.ofString()));
            }
            int coalesced = 0;
            int overInFlightBound = 0;
            for (CompletableFuture<HttpResponse<String>> response : flood) {
                int status = response.get(30, TimeUnit.SECONDS).statusCode();
                if (status == 202) {
                    coalesced++;
                } else if (status == 429) {
                    overInFlightBound++;
                }
            }
            int busy = busyWorkersOnceSettled();
            Duration metadata = timeMetadataRequest();
            boolean firstStillPending = !pending.isDone();
            System.out.printf("[figure] 205 roots/list_changed with SSE open: %d answered 202 at once (coalesced), "
                            + "%d 429 (session in-flight bound), busy workers %d, metadata request %d ms, "
                            + "the held one still pending: %s%n",
                    coalesced, overInFlightBound, busy, metadata.toMillis(), firstStillPending);
            assertThat(coalesced + overInFlightBound).isEqualTo(205);
            assertThat(firstStillPending).isTrue();
            assertThat(busy).isLessThan(BUSY_WORKER_BOUND);
            assertThat(pending.get(30, TimeUnit.SECONDS).body()).doesNotContain("stackTrace", "java.");
        } finally {
            stream.cancel(true);
        }
    }

    @Test
    void aMebibyteUnknownNotificationOrNonMessageIsRefusedAndLoggedBoundedAndEscaped() throws Exception {
        String token = fixture.tokenFor(DemoUser.ALICE);
        String sessionId = fixture.openRawSession(token);
        String padding = "A".repeat(1_000_000);
        try (LogCapture logs = LogCapture.everything()) {
            HttpResponse<String> unknown = http.send(post(token, sessionId,
                    "{\"jsonrpc\":\"2.0\",\"method\":\"notifications/x\\nERROR AuditGuard forged\",\"params\":{\"p\":\""
                            + padding + "\"}}"), HttpResponse.BodyHandlers.ofString());
            HttpResponse<String> notAMessage = http.send(post(token, sessionId,
                    "{\"jsonrpc\":\"2.0\",\"payload\":\"" + padding + "\"}"), HttpResponse.BodyHandlers.ofString());

            assertThat(unknown.statusCode()).isEqualTo(400);
            assertThat(notAMessage.statusCode()).isEqualTo(400);
            List<String> messages = logs.messages();
            long logged = messages.stream().mapToLong(String::length).sum();
            System.out.printf("[figure] 2 x 1 MB hostile bodies: %d characters logged in %d lines%n", logged,
                    messages.size());
            assertThat(logged).isLessThan(4096);
            assertThat(messages).noneMatch(m -> m.contains("\n"));
        }
    }

    @Test
    void authenticatedErrorBodiesCarryAJsonRpcErrorWithoutJavaInternals() throws Exception {
        String token = fixture.tokenFor(DemoUser.ALICE);
        String sessionId = fixture.openRawSession(token);
        // Accept without text/event-stream: the SDK refuses it with its serialized McpError.
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(fixture.endpoint())
                .header("Authorization", "Bearer " + token).header("Mcp-Session-Id", sessionId)
                .header("Accept", "application/json").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"tools/list\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.body()).doesNotContain("stackTrace", "java.", "StackTrace", "jdk");
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("jsonrpc").asText()).isEqualTo("2.0");
        assertThat(body.get("error").get("code").asInt()).isEqualTo(-32600);
    }

    @Test
    void containerErrorPagesDoNotNameTheServerVersion() throws Exception {
        HttpResponse<String> response = fixture.raw("GET", "/no-such-page", null, null, null);

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.body()).doesNotContain("Tomcat", "11.0");
    }

    @Test
    void aTokenInAMalformedHeaderLineIsNotLoggedByTheContainer() throws Exception {
        String token = fixture.tokenFor(DemoUser.ALICE);
        List<String> containerLog = new ArrayList<>();
        Handler handler = new Handler() {
            @Override
            public void publish(LogRecord record) {
                if (isLoggable(record)) {
                    containerLog.add(record.getMessage() + " " + record.getThrown());
                }
            }

            @Override
            public void flush() {
            }

            @Override
            public void close() {
            }
        };
        java.util.logging.Logger root = java.util.logging.Logger.getLogger("");
        root.addHandler(handler);
        try (Socket socket = new Socket("127.0.0.1", fixture.server().port())) {
            socket.setSoTimeout(10_000);
            socket.getOutputStream().write(("POST /mcp?t=" + token + "\u0001 HTTP/1.1\r\nHost: 127.0.0.1\r\n"
                    + "Authorization: Bearer " + token + "\r\nX-Broken Header: Bearer " + token + "\r\n\r\n")
                    .getBytes(StandardCharsets.ISO_8859_1));
            String head = RawHttp.readHead(socket.getInputStream());
            assertThat(head).startsWith("HTTP/1.1 400");
        } finally {
            root.removeHandler(handler);
        }
        System.out.printf("[figure] container log lines for a malformed request carrying a token: %d%n",
                containerLog.size());
        assertThat(containerLog).noneMatch(line -> line.contains(token.substring(0, 40)));
    }

    // --- raw HTTP helpers ---

    private HttpRequest post(String token, String sessionId, String body) {
        return HttpRequest.newBuilder(fixture.endpoint())
                .timeout(Duration.ofSeconds(30))
                .header("Authorization", "Bearer " + token).header("Mcp-Session-Id", sessionId)
                .header("Accept", "application/json, text/event-stream").header("Content-Type", "application/json")
                .POST(HttpRequest.BodyPublishers.ofString(body)).build();
    }

    /** Sends the head of a POST announcing {@code contentLength} bytes, then only the first few of them. */
    private Socket slowPost(String token, int contentLength) throws IOException {
        Socket socket = new Socket("127.0.0.1", fixture.server().port());
        socket.setSoTimeout(10_000);
        OutputStream out = socket.getOutputStream();
        out.write(("POST /mcp HTTP/1.1\r\nHost: 127.0.0.1\r\nAccept: application/json, text/event-stream\r\n"
                + "Content-Type: application/json\r\nContent-Length: " + contentLength + "\r\n"
                + (token == null ? "" : "Authorization: Bearer " + token + "\r\n") + "\r\n{\"jsonrpc\":")
                .getBytes(StandardCharsets.US_ASCII));
        out.flush();
        return socket;
    }

    private Duration timeMetadataRequest() throws Exception {
        long start = System.nanoTime();
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(
                        URI.create(fixture.server().baseUrl() + "/.well-known/oauth-protected-resource/mcp"))
                .timeout(Duration.ofSeconds(30)).GET().build(), HttpResponse.BodyHandlers.ofString());
        assertThat(response.statusCode()).isEqualTo(200);
        return Duration.ofNanos(System.nanoTime() - start);
    }

    /**
     * The busy workers once fewer than {@value #BUSY_WORKER_BOUND}, checked for up to 5 s while the hostile
     * connections are still open: inside the container's 10 s connection timeout, so a worker that a slow body held
     * would still be held. A single snapshot races with header parsing on a loaded machine. The current count if it
     * never drops (the caller's assertion then fails with it).
     */
    private static int busyWorkersOnceSettled() {
        Eventually.atMost(Duration.ofSeconds(5), () -> fixture.server().busyWorkersForTests() < BUSY_WORKER_BOUND);
        return fixture.server().busyWorkersForTests();
    }

    private static void closeAll(List<Socket> sockets) {
        sockets.forEach(HostileTrafficEndToEndTest::closeQuietly);
    }

    private static void closeQuietly(AutoCloseable closeable) {
        try {
            closeable.close();
        } catch (Exception e) {
            // already closed
        }
    }
}
