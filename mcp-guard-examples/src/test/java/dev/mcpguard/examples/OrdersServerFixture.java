package dev.mcpguard.examples;

import dev.mcpguard.core.testing.RecordingAuditSink;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import dev.mcpguard.api.spi.AuditSink;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.UnaryOperator;
import java.util.stream.Stream;
import org.junit.jupiter.api.extension.AfterAllCallback;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeAllCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * A running {@link OrdersServer} on an ephemeral loopback port, its token issuer, the payments API it pays refunds
 * out through (with the {@code payments-api} credential provisioned in a temporary credential store), an in-memory
 * audit sink, and ways to talk to it: the real MCP SDK client over Streamable HTTP ({@link #clientFor}) or raw HTTP
 * ({@link #rawPost}) for what a well-behaved client would never send.
 *
 * <pre>{@code
 * @RegisterExtension
 * static final OrdersServerFixture fixture = new OrdersServerFixture();
 *
 * McpSyncClient alice = fixture.connectedClientFor(DemoUser.ALICE);
 * HttpResponse<String> response = fixture.rawPost(null, null, OrdersServerFixture.INITIALIZE);
 * }</pre>
 *
 * One server per test class (state such as refunds carries over between its tests); the audit sink is cleared
 * and clients are closed after each test. The server runs in environment {@code prod} unless the fixture is
 * created with other settings ({@code new OrdersServerFixture(settings -> settings.environment("dev"))}); tests
 * that need a second server start one with {@link #startServer} and close it themselves. The throttle allows
 * {@link #GENEROUS_CALLS_PER_MINUTE} calls per caller and tool unless the settings say otherwise; the policy's
 * own {@code rate_limit} obligations (10 refunds per minute) still apply.
 */
final class OrdersServerFixture implements BeforeAllCallback, AfterEachCallback, AfterAllCallback {

    /** A JSON-RPC {@code initialize} request body. */
    static final String INITIALIZE = """
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {
              "protocolVersion": "2025-06-18", "capabilities": {},
              "clientInfo": {"name": "raw-test", "version": "1"}}}""";
    /** The {@code notifications/initialized} body that completes the handshake. */
    static final String INITIALIZED = """
            {"jsonrpc": "2.0", "method": "notifications/initialized"}""";

    /** The static limit for tests that do not test throttling. */
    static final int GENEROUS_CALLS_PER_MINUTE = 10_000;

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    private final RecordingAuditSink audit = new RecordingAuditSink();
    private final List<McpSyncClient> clients = new CopyOnWriteArrayList<>();
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(TIMEOUT).build();
    private final UnaryOperator<OrdersServerSettings.Builder> customizer;
    private final List<Path> credentialDirs = new CopyOnWriteArrayList<>();
    private DemoIssuer issuer;
    private PaymentsApi payments;
    private OrdersServer server;

    /** A fixture whose server runs with the default settings (environment {@code prod}). */
    OrdersServerFixture() {
        this(UnaryOperator.identity());
    }

    /** A fixture whose server runs with the default settings changed by {@code customizer}. */
    OrdersServerFixture(UnaryOperator<OrdersServerSettings.Builder> customizer) {
        this.customizer = customizer;
    }

    @Override
    public void beforeAll(ExtensionContext context) {
        issuer = DemoIssuer.start();
        payments = PaymentsApi.start(issuer.issuer(), issuer.jwksUri());
        server = startServer(customizer, audit);
    }

    /**
     * Starts another server on a free port, trusting this fixture's issuer, paying refunds out through this
     * fixture's payments API with a freshly provisioned credential (its access token expired) in a credential store
     * of its own, with settings changed by {@code customizer} and audit records going to {@code auditSink}. The
     * caller closes it.
     */
    OrdersServer startServer(UnaryOperator<OrdersServerSettings.Builder> customizer, AuditSink auditSink) {
        Path credentials;
        try {
            credentials = Files.createTempDirectory("mcp-guard-orders-credentials");
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        credentialDirs.add(credentials);
        OrdersServer started = new OrdersServer(customizer.apply(OrdersServerSettings.builder()
                .port(0)
                .issuer(issuer.issuer())
                .jwksUri(issuer.jwksUri())
                .paymentsApi(payments.refundsUri())
                .credentialsDir(credentials)
                .callsPerMinute(GENEROUS_CALLS_PER_MINUTE)).build(), auditSink).start();
        PaymentsCredential.provision(started.credentialStore(), issuer);
        return started;
    }

    @Override
    public void afterEach(ExtensionContext context) {
        clients.forEach(McpSyncClient::close);
        clients.clear();
        audit.clear();
    }

    @Override
    public void afterAll(ExtensionContext context) {
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            if (payments != null) {
                payments.close();
            }
            if (issuer != null) {
                issuer.close();
            }
            credentialDirs.forEach(OrdersServerFixture::delete);
        }
    }

    private static void delete(Path dir) {
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }

    OrdersServer server() {
        return server;
    }

    DemoIssuer issuer() {
        return issuer;
    }

    PaymentsApi payments() {
        return payments;
    }

    RecordingAuditSink audit() {
        return audit;
    }

    /** The MCP endpoint URL. */
    URI endpoint() {
        return URI.create(server.baseUrl() + OrdersServer.MCP_ENDPOINT);
    }

    /** A valid token for {@code user}, for this server. */
    String tokenFor(DemoUser user) {
        return issuer.token(user, server.resourceUri());
    }

    /** An SDK client that sends {@code bearerToken} (none when null); not yet initialized; closed after the test. */
    McpSyncClient clientFor(String bearerToken) {
        McpSyncClient client = clientFor(server, bearerToken);
        clients.add(client);
        return client;
    }

    /**
     * An initialized SDK client of {@code target} (a server from {@link #startServer}) for {@code user}; the caller
     * closes it before closing {@code target}.
     */
    McpSyncClient connectedClientFor(OrdersServer target, DemoUser user) {
        McpSyncClient client = clientFor(target, issuer.token(user, target.resourceUri()));
        client.initialize();
        return client;
    }

    private McpSyncClient clientFor(OrdersServer target, String bearerToken) {
        return sdkClient(target, bearerToken);
    }

    /**
     * A real SDK client over Streamable HTTP for {@code target}, any server, sending {@code bearerToken} (none when
     * null); not yet initialized; the caller closes it.
     */
    static McpSyncClient sdkClient(OrdersServer target, String bearerToken) {
        HttpClientStreamableHttpTransport.Builder transport = HttpClientStreamableHttpTransport
                .builder(target.baseUrl().toString())
                .endpoint(OrdersServer.MCP_ENDPOINT);
        if (bearerToken != null) {
            transport.httpRequestCustomizer((request, method, uri, body, context) ->
                    request.header("Authorization", "Bearer " + bearerToken));
        }
        McpSyncClient client = McpClient.sync(transport.build())
                .clientInfo(new McpSchema.Implementation("orders-test", "1"))
                .requestTimeout(TIMEOUT)
                .initializationTimeout(TIMEOUT)
                .build();
        return client;
    }

    /** An initialized SDK client for {@code user} with a valid token. */
    McpSyncClient connectedClientFor(DemoUser user) {
        McpSyncClient client = clientFor(tokenFor(user));
        client.initialize();
        return client;
    }

    /**
     * POSTs {@code jsonBody} to the MCP endpoint as a Streamable HTTP client would, with {@code token} as bearer
     * and {@code sessionId} as {@code Mcp-Session-Id}, each omitted when null.
     */
    HttpResponse<String> rawPost(String token, String sessionId, String jsonBody) {
        return raw("POST", OrdersServer.MCP_ENDPOINT, token, sessionId, jsonBody);
    }

    /**
     * Sends {@code method} to {@code path} on this server with {@code token} as bearer and {@code sessionId} as
     * {@code Mcp-Session-Id} (each omitted when null), and {@code jsonBody} when not null.
     */
    HttpResponse<String> raw(String method, String path, String token, String sessionId, String jsonBody) {
        HttpRequest.Builder request = HttpRequest.newBuilder(server.baseUrl().resolve(path))
                .timeout(TIMEOUT)
                .header("Accept", "application/json, text/event-stream")
                .method(method, jsonBody == null ? HttpRequest.BodyPublishers.noBody()
                        : HttpRequest.BodyPublishers.ofString(jsonBody));
        if (jsonBody != null) {
            request.header("Content-Type", "application/json");
        }
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (sessionId != null) {
            request.header("Mcp-Session-Id", sessionId);
        }
        try {
            return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted", e);
        }
    }

    /** Opens a session over raw HTTP ({@code initialize} then {@code notifications/initialized}); its id. */
    String openRawSession(String token) {
        HttpResponse<String> response = rawPost(token, null, INITIALIZE);
        String sessionId = response.headers().firstValue("Mcp-Session-Id")
                .orElseThrow(() -> new AssertionError("initialize returned no session id: HTTP "
                        + response.statusCode() + " " + response.body()));
        HttpResponse<String> initialized = rawPost(token, sessionId, INITIALIZED);
        if (initialized.statusCode() / 100 != 2) {
            throw new AssertionError("notifications/initialized failed: HTTP " + initialized.statusCode());
        }
        return sessionId;
    }

    /** A JSON-RPC {@code tools/call} body. */
    static String toolsCall(int id, String tool, String argumentsJson) {
        return """
                {"jsonrpc": "2.0", "id": %d, "method": "tools/call",
                 "params": {"name": "%s", "arguments": %s}}""".formatted(id, tool, argumentsJson);
    }
}
