package dev.mcpguard.core.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.core.identity.ApiKeyIdentityResolver;
import dev.mcpguard.core.mcp.McpSdkAdapter;
import dev.mcpguard.core.session.InMemorySessionRegistry;
import dev.mcpguard.core.testing.EmbeddedTomcat;
import dev.mcpguard.core.testing.MutableClock;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import jakarta.servlet.ServletConfig;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpHeaders;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 13, the edge: browser clients (the MCP Inspector's web UI, browser-based agents) on an allowed origin get
 * correct CORS answers from the filter in front of the real MCP SDK 2.1.0 Streamable HTTP transport on embedded
 * Tomcat, and every other origin is still refused (the DNS-rebinding defence). The preflights are raw
 * {@code java.net.http} requests, because the SDK client, not being a browser, never sends one.
 */
class BrowserOriginsOverHttpTest {

    static final String ALICE_KEY = "mgk_alice_cors_5Tq9Lr2XbW4nVz1KcY8eH";
    static final String BOB_KEY = "mgk_bob_cors_2Hs7Lq4Zx1Cv8Bn5Mk3Pw9";
    static final String DAVE_KEY = "mgk_dave_cors_6Wq1Er8Ty3Ui5Op0As2Df";
    /** Every principal's request burst; the clock never advances, so the bucket never refills. */
    static final int BURST = 100;
    static final String INSPECTOR = "http://localhost:6274";
    static final String AGENT = "https://agent.example.com";
    static final String SAME_ORIGIN = "https://orders.example.com";
    static final String EVIL = "https://evil.example.net";
    static final ObjectMapper JSON = new ObjectMapper();

    static final InMemorySessionRegistry sessions = InMemorySessionRegistry.ofDefaults();
    static final AtomicInteger optionsReachingTheServer = new AtomicInteger();
    static final MutableClock clock = MutableClock.startingAt("2026-01-01T09:00:00Z");
    static EmbeddedTomcat tomcat;
    static McpSyncServer server;

    @BeforeAll
    static void start() {
        HttpServletStreamableServerTransportProvider transport = HttpServletStreamableServerTransportProvider
                .builder()
                .mcpEndpoint("/mcp")
                .contextExtractor(McpSdkAdapter.contextExtractor())
                .sessionSweepInterval(null)
                .build();
        server = McpServer.sync(transport).serverInfo("cors-test", "1")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
                .tools(McpServerFeatures.SyncToolSpecification.builder()
                        .tool(McpSchema.Tool.builder().name("ping").inputSchema(new McpSchema.JsonSchema(
                                "object", Map.of(), List.of(), null, null, null)).build())
                        .callHandler((exchange, request) ->
                                McpSchema.CallToolResult.builder().addTextContent("pong").build())
                        .build())
                .build();
        McpGuardHttpFilter filter = McpGuardHttpFilter.builder()
                .identityResolver(ApiKeyIdentityResolver.builder()
                        .addKey(McpGuardHttpFilterTest.key("alice-key", ALICE_KEY, "alice", Set.of()))
                        .addKey(McpGuardHttpFilterTest.key("bob-key", BOB_KEY, "bob", Set.of()))
                        .addKey(McpGuardHttpFilterTest.key("dave-key", DAVE_KEY, "dave", Set.of()))
                        .build())
                .sessionRegistry(sessions)
                .requestLimits(HttpRequestLimits.custom().requestRate(BURST, BURST).build())
                .clock(clock)
                .resource(URI.create(SAME_ORIGIN + "/mcp"))
                .mcpPath("/mcp")
                .allowedOrigin(INSPECTOR)
                .allowedOrigin("HTTPS://Agent.Example.com:443")
                .build();
        tomcat = EmbeddedTomcat.start(new OptionsCountingServlet(transport), List.of("/mcp"), filter, "/*");
    }

    @AfterAll
    static void stop() throws Exception {
        server.closeGracefully();
        tomcat.close();
        sessions.close();
    }

    @Test
    void answersAPreflightFromAnAllowedOriginWith204AndExactlyTheCorsHeadersWithoutReachingTheServer() {
        int before = optionsReachingTheServer.get();

        HttpResponse<String> response = send(preflight(INSPECTOR, "POST",
                "accept, authorization, content-type, last-event-id, mcp-protocol-version, mcp-session-id, "
                        + "x-api-key"));

        assertThat(response.statusCode()).isEqualTo(204);
        assertThat(corsHeaders(response.headers())).containsExactlyInAnyOrderEntriesOf(Map.of(
                "access-control-allow-origin", List.of(INSPECTOR),
                "access-control-allow-methods", List.of("GET, POST, DELETE, OPTIONS"),
                "access-control-allow-headers", List.of("accept, authorization, content-type, last-event-id, "
                        + "mcp-protocol-version, mcp-session-id, x-api-key"),
                "access-control-max-age", List.of("600")));
        assertThat(response.headers().allValues("Vary"))
                .containsExactly("Origin, Access-Control-Request-Method, Access-Control-Request-Headers");
        assertThat(response.body()).isEmpty();
        assertThat(optionsReachingTheServer.get()).as("the preflight never reaches the MCP server").isEqualTo(before);
    }

    @Test
    void allowsOnlyTheRequestedHeadersAndNoneWhenNoneAreRequested() {
        HttpResponse<String> some = send(preflight(AGENT, "DELETE", "Mcp-Session-Id ,AUTHORIZATION"));
        HttpResponse<String> none = send(preflight(AGENT, "GET", null));

        assertThat(some.statusCode()).isEqualTo(204);
        assertThat(some.headers().firstValue("Access-Control-Allow-Origin")).contains(AGENT);
        assertThat(some.headers().allValues("Access-Control-Allow-Headers"))
                .containsExactly("mcp-session-id, authorization");
        assertThat(none.statusCode()).isEqualTo(204);
        assertThat(none.headers().firstValue("Access-Control-Allow-Headers")).isEmpty();
        assertThat(none.headers().firstValue("Access-Control-Allow-Methods")).contains("GET, POST, DELETE, OPTIONS");
    }

    @Test
    void treatsAnOptionsRequestWithoutARequestedMethodAsAnOrdinaryRequestThatMustAuthenticate() {
        int before = optionsReachingTheServer.get();
        HttpRequest.Builder plain = HttpRequest.newBuilder(tomcat.base().resolve("/mcp"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody()).header("Origin", INSPECTOR);

        HttpResponse<String> anonymous = send(plain.copy());
        assertThat(anonymous.statusCode()).isEqualTo(401);
        assertThat(optionsReachingTheServer.get()).isEqualTo(before);

        send(plain.copy().header("X-API-Key", ALICE_KEY));
        assertThat(optionsReachingTheServer.get()).as("an authenticated OPTIONS goes on").isEqualTo(before + 1);
    }

    @Test
    void refusesAPreflightAskingForAHeaderOrMethodNotAllowedWithoutCorsHeaders() throws Exception {
        HttpResponse<String> header = send(preflight(INSPECTOR, "POST", "authorization, x-forwarded-user"));
        HttpResponse<String> method = send(preflight(INSPECTOR, "PUT", "authorization"));
        HttpResponse<String> lowerCase = send(preflight(INSPECTOR, "post", null));
        HttpResponse<String> tooMany = send(preflight(INSPECTOR, "POST", "accept, ".repeat(300) + "accept"));

        for (HttpResponse<String> response : List.of(header, method, lowerCase, tooMany)) {
            assertThat(response.statusCode()).isEqualTo(403);
            assertThat(corsHeaders(response.headers())).isEmpty();
            assertThat(JSON.readTree(response.body()).get("error").asText()).isEqualTo("cors_preflight_refused");
        }
        assertThat(JSON.readTree(header.body()).get("error_description").asText())
                .isEqualTo("request header not allowed");
        assertThat(JSON.readTree(method.body()).get("error_description").asText()).isEqualTo("method not allowed");
        assertThat(JSON.readTree(tooMany.body()).get("error_description").asText())
                .isEqualTo("too many request headers");
    }

    @Test
    void refusesAPreflightAndARequestFromAnotherOriginWith403AndNoCorsHeaders() throws Exception {
        HttpResponse<String> preflight = send(preflight(EVIL, "POST", "authorization, content-type"));
        HttpResponse<String> post = send(post(EVIL, ALICE_KEY, EmbeddedTomcat.INITIALIZE));
        HttpResponse<String> nullOrigin = send(post("null", ALICE_KEY, EmbeddedTomcat.INITIALIZE));
        // Same host, another port: another origin (a rebinding page on the attacker's name never gets here either).
        HttpResponse<String> otherPort = send(post("http://localhost:6275", ALICE_KEY, EmbeddedTomcat.INITIALIZE));

        for (HttpResponse<String> response : List.of(preflight, post, nullOrigin, otherPort)) {
            assertThat(response.statusCode()).isEqualTo(403);
            assertThat(JSON.readTree(response.body()).get("error").asText()).isEqualTo("origin_not_allowed");
            assertThat(corsHeaders(response.headers())).isEmpty();
            assertThat(response.headers().firstValue("Vary")).isEmpty();
            assertThat(response.headers().firstValue("Mcp-Session-Id")).isEmpty();
        }
    }

    @Test
    void answersAnActualRequestFromAnAllowedOriginWithTheCorsHeadersAndASession() {
        HttpResponse<String> response = send(post(INSPECTOR, ALICE_KEY, EmbeddedTomcat.INITIALIZE));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Mcp-Session-Id")).isPresent();
        assertThat(corsHeaders(response.headers())).containsExactlyInAnyOrderEntriesOf(Map.of(
                "access-control-allow-origin", List.of(INSPECTOR),
                "access-control-expose-headers", List.of("Mcp-Session-Id, WWW-Authenticate, Mcp-Protocol-Version")));
        assertThat(response.headers().allValues("Vary")).containsExactly("Origin");
    }

    @Test
    void echoesTheOriginAsTheBrowserSentIt() {
        HttpResponse<String> response = send(post(AGENT, ALICE_KEY, EmbeddedTomcat.INITIALIZE));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().allValues("Access-Control-Allow-Origin")).containsExactly(AGENT);
    }

    @Test
    void carriesTheCorsHeadersOnA401SoThePageCanReadTheChallenge() throws Exception {
        HttpResponse<String> noKey = send(post(INSPECTOR, null, EmbeddedTomcat.INITIALIZE));
        HttpResponse<String> badKey = send(post(INSPECTOR, "mgk_wrong_0Zx9Cv8Bn7Mq6Wl5Ek4Rj3", EmbeddedTomcat.INITIALIZE));

        for (HttpResponse<String> response : List.of(noKey, badKey)) {
            assertThat(response.statusCode()).isEqualTo(401);
            assertThat(response.headers().firstValue("WWW-Authenticate")).isPresent();
            assertThat(response.headers().firstValue("Access-Control-Allow-Origin")).contains(INSPECTOR);
            assertThat(response.headers().firstValue("Access-Control-Expose-Headers"))
                    .contains("Mcp-Session-Id, WWW-Authenticate, Mcp-Protocol-Version");
            assertThat(response.headers().allValues("Vary")).containsExactly("Origin");
        }
        assertThat(JSON.readTree(badKey.body()).get("error").asText()).isEqualTo("invalid_token");
    }

    @Test
    void carriesTheCorsHeadersOnA404ForAnUnknownSession() {
        HttpResponse<String> response = send(post(INSPECTOR, ALICE_KEY, EmbeddedTomcat.INITIALIZED)
                .header("Mcp-Session-Id", "no-such-session"));

        assertThat(response.statusCode()).isEqualTo(404);
        assertThat(response.headers().firstValue("Access-Control-Allow-Origin")).contains(INSPECTOR);
    }

    @Test
    void carriesTheCorsHeadersOnA403ForAnotherPrincipalsSession() {
        String alicesSession = tomcat.openSession(ALICE_KEY);

        HttpResponse<String> response = send(post(INSPECTOR, BOB_KEY, EmbeddedTomcat.INITIALIZED)
                .header("Mcp-Session-Id", alicesSession));

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.body()).contains("session_principal_mismatch");
        assertThat(response.headers().firstValue("Access-Control-Allow-Origin")).contains(INSPECTOR);
        assertThat(response.headers().firstValue("Access-Control-Expose-Headers")).isPresent();
    }

    @Test
    void carriesTheCorsHeadersOnA429SoThePageCanReadTheRetryAfter() {
        HttpResponse<String> response = null;
        for (int i = 0; i <= BURST && (response == null || response.statusCode() != 429); i++) {
            response = send(post(INSPECTOR, DAVE_KEY, EmbeddedTomcat.INITIALIZED));
        }

        assertThat(response.statusCode()).isEqualTo(429);
        assertThat(response.headers().firstValue("Retry-After")).isPresent();
        assertThat(response.headers().firstValue("Access-Control-Allow-Origin")).contains(INSPECTOR);
        assertThat(response.headers().firstValue("Access-Control-Expose-Headers"))
                .contains("Mcp-Session-Id, WWW-Authenticate, Mcp-Protocol-Version");
        assertThat(response.headers().allValues("Vary")).containsExactly("Origin");
    }

    @Test
    void acceptsASameOriginRequestFromThePagesOfTheServersOwnOrigin() {
        HttpResponse<String> response = send(post(SAME_ORIGIN, ALICE_KEY, EmbeddedTomcat.INITIALIZE));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Access-Control-Allow-Origin")).contains(SAME_ORIGIN);
    }

    @Test
    void letsTheRealSdkClientWorkWithTheOriginHeaderABrowserWouldSend() {
        McpSyncClient client = McpClient.sync(HttpClientStreamableHttpTransport.builder(tomcat.base().toString())
                        .endpoint("/mcp")
                        .httpRequestCustomizer((request, method, uri, body, context) ->
                                request.header("X-API-Key", ALICE_KEY).header("Origin", INSPECTOR))
                        .build())
                .requestTimeout(Duration.ofSeconds(10))
                .build();
        try {
            client.initialize();

            McpSchema.CallToolResult result = client.callTool(new McpSchema.CallToolRequest("ping", Map.of()));

            assertThat(((McpSchema.TextContent) result.content().get(0)).text()).isEqualTo("pong");
        } finally {
            client.close();
        }
    }

    @Test
    void refusesAWildcardOriginWhenBuilding() {
        for (String wildcard : List.of("*", "https://*.example.com", "http://localhost:*")) {
            assertThatThrownBy(() -> McpGuardHttpFilter.builder().allowedOrigin(wildcard))
                    .isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("one exact origin")
                    .hasMessageContaining(wildcard);
        }
    }

    /** The response headers whose name starts with {@code access-control-}, by lower-case name. */
    static Map<String, List<String>> corsHeaders(HttpHeaders headers) {
        Map<String, List<String>> cors = new TreeMap<>();
        headers.map().forEach((name, values) -> {
            if (name.toLowerCase(Locale.ROOT).startsWith("access-control-")) {
                cors.put(name.toLowerCase(Locale.ROOT), values);
            }
        });
        return cors;
    }

    /** A browser's preflight: OPTIONS with Origin, the method and (unless null) the headers it asks for. */
    static HttpRequest.Builder preflight(String origin, String method, String headers) {
        HttpRequest.Builder request = HttpRequest.newBuilder(tomcat.base().resolve("/mcp"))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", origin)
                .header("Access-Control-Request-Method", method);
        if (headers != null) {
            request.header("Access-Control-Request-Headers", headers);
        }
        return request;
    }

    /** A POST as a browser page on {@code origin} sends it, presenting {@code apiKey} unless null. */
    static HttpRequest.Builder post(String origin, String apiKey, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(tomcat.base().resolve("/mcp"))
                .header("Accept", "application/json, text/event-stream")
                .header("Content-Type", "application/json")
                .header("Origin", origin)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (apiKey != null) {
            request.header("X-API-Key", apiKey);
        }
        return request;
    }

    static HttpResponse<String> send(HttpRequest.Builder request) {
        return EmbeddedTomcat.send(request);
    }

    /** The SDK transport servlet, counting the OPTIONS requests that reach it. */
    static final class OptionsCountingServlet extends HttpServlet {
        private final HttpServlet delegate;

        OptionsCountingServlet(HttpServlet delegate) {
            this.delegate = delegate;
        }

        @Override
        public void init(ServletConfig config) throws ServletException {
            super.init(config);
            delegate.init(config);
        }

        @Override
        public void service(ServletRequest request, ServletResponse response) throws ServletException, IOException {
            if ("OPTIONS".equals(((HttpServletRequest) request).getMethod())) {
                optionsReachingTheServer.incrementAndGet();
            }
            delegate.service(request, response);
        }

        @Override
        public void destroy() {
            delegate.destroy();
        }
    }
}
