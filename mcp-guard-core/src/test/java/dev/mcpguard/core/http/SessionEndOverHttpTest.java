package dev.mcpguard.core.http;

import dev.mcpguard.core.mcp.McpSdkAdapter;
import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.core.identity.ApiKeyIdentityResolver;
import dev.mcpguard.core.session.InMemorySessionRegistry;
import dev.mcpguard.core.testing.EmbeddedTomcat;
import dev.mcpguard.core.testing.Eventually;
import dev.mcpguard.core.testing.MutableClock;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.ServerCapabilities;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 8, item 3, on the real Streamable HTTP transport: the MCP SDK 2.1.0 servlet transport behind the filter
 * in an embedded Tomcat. When the registry ends a session (revocation, idle timeout, lifetime, eviction at the
 * per-principal cap, DELETE) its open GET (SSE) stream ends and the SDK forgets the session.
 *
 * <p>The SDK servlet is mapped a second time at {@code /direct/mcp}, without the filter, only to observe the
 * SDK's own session map from outside: a notification POSTed there on a session id is 202 while the SDK holds
 * that session and 404 once it has forgotten it.
 */
class SessionEndOverHttpTest {

    static final String ALICE_KEY = "mgk_alice_7Hq2Lr9XbT4nVw1KcY8eHs0P";
    static final String BOB_KEY = "mgk_bob_3Jd8Hs1Lq5Zx9Cv6Bn2Mk4Pw7";
    static final String PROBE = EmbeddedTomcat.INITIALIZED;
    static final Duration IDLE = Duration.ofMinutes(30);
    static final Duration LIFETIME = Duration.ofHours(8);
    static final int CAP = 3;

    static final MutableClock clock = MutableClock.startingAt("2026-01-01T09:00:00Z");
    static final InMemorySessionRegistry sessions = InMemorySessionRegistry.builder()
            .clock(clock)
            .idleTimeout(IDLE)
            .absoluteLifetime(LIFETIME)
            .maximumSessionsPerPrincipal(CAP)
            .build();
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
    static EmbeddedTomcat tomcat;
    static URI base;
    static McpSyncServer server;
    static McpSessionCloser closer;
    static McpGuardHttpFilter filter;

    @BeforeAll
    static void start() throws Exception {
        HttpServletStreamableServerTransportProvider transport = HttpServletStreamableServerTransportProvider
                .builder()
                .mcpEndpoint("/mcp")
                .contextExtractor(McpSdkAdapter.contextExtractor())
                .sessionSweepInterval(null)
                .build();
        server = McpServer.sync(transport).serverInfo("sessions-test", "1")
                .capabilities(ServerCapabilities.builder().tools(true).build()).build();
        closer = McpSessionCloser.forTransport(transport, "/mcp");
        sessions.addEndListener(closer);
        filter = McpGuardHttpFilter.builder()
                .identityResolver(ApiKeyIdentityResolver.builder()
                        .addKey(McpGuardHttpFilterTest.key("alice-key", ALICE_KEY, "alice", Set.of()))
                        .addKey(McpGuardHttpFilterTest.key("bob-key", BOB_KEY, "bob", Set.of()))
                        .build())
                .sessionRegistry(sessions)
                .resource(URI.create("https://orders.example.com/mcp"))
                .authorizationServer(URI.create("https://login.example.com"))
                .mcpPath("/mcp")
                .build();
        tomcat = EmbeddedTomcat.start(transport, List.of("/mcp", "/direct/*"), filter, "/mcp");
        base = tomcat.base();
    }

    @AfterAll
    static void stop() throws Exception {
        server.closeGracefully();
        tomcat.close();
        closer.close();
        sessions.close();
    }

    @Test
    void aRevokedSessionsOpenSseStreamEndsAndTheSdkForgetsTheSession() throws Exception {
        String sessionId = openSession(ALICE_KEY);
        CompletableFuture<HttpResponse<byte[]>> stream = openSseStream(ALICE_KEY, sessionId);
        Eventually.within(Duration.ofSeconds(10), "the GET stream is open", () -> filter.openStreams(sessionId) == 1);
        assertThat(stream).isNotDone();
        assertThat(sdkHolds(sessionId)).isTrue();

        long start = System.nanoTime();
        sessions.revokeSession(sessionId);

        stream.get(10, TimeUnit.SECONDS); // completes once the whole stream has ended
        System.out.printf("SSE stream of a revoked session ended %.1f ms after the revocation%n",
                (System.nanoTime() - start) / 1e6);
        Eventually.within(Duration.ofSeconds(10), "the SDK forgets the revoked session", () -> !sdkHolds(sessionId));
        assertThat(filter.openStreams(sessionId)).isZero();
    }

    @Test
    void aSecondGetStreamOnASessionEndsTheFirstSoOneSessionHoldsOneStream() throws Exception {
        String sessionId = openSession(BOB_KEY);
        CompletableFuture<HttpResponse<byte[]>> first = openSseStream(BOB_KEY, sessionId);
        Eventually.within(Duration.ofSeconds(10), "the first stream is open", () -> filter.openStreams(sessionId) == 1);

        CompletableFuture<HttpResponse<byte[]>> second = openSseStream(BOB_KEY, sessionId);

        first.get(10, TimeUnit.SECONDS);
        // The first stream may end before the second is counted as open: wait for the count to settle at one.
        Eventually.within(Duration.ofSeconds(10), "the newer stream is the one open",
                () -> filter.openStreams(sessionId) == 1);
        assertThat(second).as("the newer stream stays").isNotDone();
        sessions.revokeSession(sessionId);
        second.get(10, TimeUnit.SECONDS);
    }

    @Test
    void theSdkForgetsSessionsThatWentIdleOrOutlivedTheirLifetimeOnceSwept() {
        String idle = openSession(ALICE_KEY);
        clock.advance(IDLE.minusMinutes(1));
        String busy = openSession(BOB_KEY);
        clock.advance(Duration.ofMinutes(2));
        assertThat(sdkHolds(idle)).isTrue();

        sessions.sweep();

        Eventually.within(Duration.ofSeconds(10), "the SDK forgets the idle session", () -> !sdkHolds(idle));
        assertThat(sdkHolds(busy)).as("a session in use stays").isTrue();

        for (int i = 0; i < LIFETIME.toMinutes() / 20 - 1; i++) {
            clock.advance(Duration.ofMinutes(20));
            assertThat(post(BOB_KEY, busy, PROBE).statusCode()).as("used every 20 minutes").isEqualTo(202);
        }
        clock.advance(Duration.ofMinutes(20));
        assertThat(sdkHolds(busy)).isTrue();
        sessions.sweep();
        Eventually.within(Duration.ofSeconds(10), "the SDK forgets the session past its lifetime",
                () -> !sdkHolds(busy));
    }

    @Test
    void aPrincipalAtItsCapLosesItsOwnOldestSessionAndTheSdkForgetsIt() {
        String other = openSession(BOB_KEY);
        List<String> own = new ArrayList<>();
        for (int i = 0; i < CAP + 2; i++) {
            own.add(openSession(ALICE_KEY));
            clock.advance(Duration.ofSeconds(1));
        }

        assertThat(sessions.sessions().stream().filter(s -> s.subject().equals("alice")).count()).isEqualTo(CAP);
        Eventually.within(Duration.ofSeconds(10), "the SDK forgets the two evicted sessions",
                () -> !sdkHolds(own.get(0)) && !sdkHolds(own.get(1)));
        assertThat(own.subList(2, own.size())).allMatch(SessionEndOverHttpTest::sdkHolds);
        assertThat(post(BOB_KEY, other, PROBE).statusCode()).as("the other principal's session works")
                .isEqualTo(202);
    }

    @Test
    void aClientDeleteThroughTheFilterEndsTheSessionEverywhere() throws Exception {
        McpSyncClient client = tomcat.client(BOB_KEY).clientInfo(new McpSchema.Implementation("sdk-client", "1"))
                .build();
        client.initialize();
        String sessionId = sessions.sessions().stream().filter(s -> s.subject().equals("bob"))
                .reduce((a, b) -> b.created().isAfter(a.created()) ? b : a).orElseThrow().sessionId();
        assertThat(sdkHolds(sessionId)).isTrue();

        client.closeGracefully();

        Eventually.within(Duration.ofSeconds(10), "the registry and the SDK forget the deleted session",
                () -> sessions.sessions().stream().noneMatch(s -> s.sessionId().equals(sessionId))
                        && !sdkHolds(sessionId));
    }

    @Test
    void sdkClientsOpeningSessionsInALoopKeepTheSdkMapBoundedAndAnotherPrincipalsSessionWorking() {
        McpSyncClient bob = tomcat.client(BOB_KEY).clientInfo(new McpSchema.Implementation("bob-client", "1")).build();
        bob.initialize();
        List<McpSyncClient> alices = new ArrayList<>();
        List<String> aliceSessions = new ArrayList<>();
        try {
            for (int i = 0; i < CAP + 4; i++) {
                Set<String> before = sessionIdsOf("alice");
                McpSyncClient alice = tomcat.client(ALICE_KEY)
                        .clientInfo(new McpSchema.Implementation("alice-client-" + i, "1")).build();
                alices.add(alice);
                alice.initialize();
                Set<String> after = sessionIdsOf("alice");
                after.removeAll(before);
                aliceSessions.addAll(after);
                clock.advance(Duration.ofSeconds(1));
            }

            assertThat(aliceSessions).hasSize(CAP + 4);
            Eventually.within(Duration.ofSeconds(10), "the SDK holds no more of alice's sessions than her cap",
                    () -> aliceSessions.stream().filter(SessionEndOverHttpTest::sdkHolds).count() <= CAP);
            assertThat(aliceSessions.subList(aliceSessions.size() - CAP, aliceSessions.size()))
                    .as("her newest sessions are the ones kept").allMatch(SessionEndOverHttpTest::sdkHolds);
            assertThat(bob.ping()).as("bob's SDK session survives alice's loop").isNotNull();
        } finally {
            alices.forEach(McpSyncClient::close);
            bob.closeGracefully();
        }
    }

    static Set<String> sessionIdsOf(String subject) {
        return sessions.sessions().stream().filter(s -> s.subject().equals(subject))
                .map(s -> s.sessionId()).collect(java.util.stream.Collectors.toCollection(java.util.HashSet::new));
    }

    static String openSession(String apiKey) {
        return tomcat.openSession(apiKey);
    }

    /** Whether the SDK's transport still holds {@code sessionId}, asked past the filter. */
    static boolean sdkHolds(String sessionId) {
        int status = send(HttpRequest.newBuilder(base.resolve("/direct/mcp"))
                .header("Accept", "application/json, text/event-stream")
                .header("Content-Type", "application/json")
                .header("Mcp-Session-Id", sessionId)
                .POST(HttpRequest.BodyPublishers.ofString(PROBE))).statusCode();
        assertThat(status).as("probe status").isIn(202, 404);
        return status == 202;
    }

    /** A GET (SSE) stream; the future completes when the stream has ended. */
    static CompletableFuture<HttpResponse<byte[]>> openSseStream(String apiKey, String sessionId) {
        return http.sendAsync(HttpRequest.newBuilder(base.resolve("/mcp"))
                .header("Accept", "text/event-stream")
                .header("X-API-Key", apiKey)
                .header("Mcp-Session-Id", sessionId)
                .GET().build(), HttpResponse.BodyHandlers.ofByteArray());
    }

    static HttpResponse<String> post(String apiKey, String sessionId, String body) {
        return tomcat.post(apiKey, sessionId, body);
    }

    static HttpResponse<String> send(HttpRequest.Builder request) {
        return EmbeddedTomcat.send(request);
    }
}
