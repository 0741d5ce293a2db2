package dev.mcpguard.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.sun.net.httpserver.HttpServer;
import dev.mcpguard.core.testing.RecordingAuditSink;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An orders server configured with nothing but its issuer finds the issuer's keys through the issuer's metadata
 * (OIDC discovery, here the real mock-oauth2-server's), and one whose issuer serves no usable metadata does not
 * start, saying which setting to fix.
 */
class IssuerDiscoveryEndToEndTest {

    @TempDir
    Path dir;

    private OrdersServerSettings.Builder settings() {
        return OrdersServerSettings.builder().port(0).credentialsDir(dir.resolve("credentials"))
                .callsPerMinute(OrdersServerFixture.GENEROUS_CALLS_PER_MINUTE);
    }

    @Test
    void aServerGivenOnlyItsIssuerVerifiesTokensWithTheKeysItsDiscoveryDocumentNames() {
        try (DemoIssuer issuer = DemoIssuer.start();
             OrdersServer server = new OrdersServer(settings().issuer(issuer.issuer()).build(),
                     new RecordingAuditSink()).start()) {

            assertThat(server.jwksUris()).containsOnlyKeys(issuer.issuer());
            // Core does not say which document answered, so the console names the mechanism; the requests below
            // show the keys really came from the OIDC discovery document's jwks_uri.
            assertThat(server.jwksUris().get(issuer.issuer()))
                    .isEqualTo(OrdersServer.KEYS_FROM_METADATA);
            try (McpSyncClient alice = OrdersServerFixture.sdkClient(server,
                    issuer.token(DemoUser.ALICE, server.resourceUri()))) {
                alice.initialize();
                McpSchema.CallToolResult result = alice.callTool(
                        new McpSchema.CallToolRequest("get_order", Map.of("order_id", "acme-1001")));
                assertThat(result.isError()).as("result: %s", result.content()).isNotEqualTo(Boolean.TRUE);
            }
            assertThat(server.executions("get_order")).isEqualTo(1);
            // The keys came from the document's jwks_uri: the issuer saw the discovery request, then the key set's.
            assertThat(requestedPaths(issuer)).containsSubsequence("/demo/.well-known/openid-configuration",
                    "/demo/jwks");
        }
    }

    @Test
    void aServerWhoseIssuerServesNoMetadataDoesNotStartAndNamesTheSetting() throws IOException {
        HttpServer nothingHere = HttpServer.create(new InetSocketAddress(InetAddress.getLoopbackAddress(), 0), 0);
        nothingHere.createContext("/", exchange -> {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
        });
        nothingHere.start();
        try {
            URI issuer = URI.create("http://127.0.0.1:" + nothingHere.getAddress().getPort() + "/realms/orders");
            OrdersServer server = new OrdersServer(settings().issuer(issuer).build(), new RecordingAuditSink());

            assertThatThrownBy(server::start)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("cannot discover the metadata of issuer " + issuer)
                    .hasMessageContaining("mcp.guard.demo.issuer (MCP_GUARD_DEMO_ISSUER)")
                    .hasMessageContaining("mcp.guard.demo.jwks-uri (MCP_GUARD_DEMO_JWKS_URI) is not set")
                    .hasMessageContaining(issuer + "/.well-known/openid-configuration answered HTTP 404")
                    .hasMessageContaining("/.well-known/oauth-authorization-server/realms/orders answered HTTP 404");
        } finally {
            nothingHere.stop(0);
        }
    }

    @Test
    void anIssuerConfiguredWithATrailingSlashItDoesNotUseIsRefusedAtStartUp() {
        try (DemoIssuer issuer = DemoIssuer.start()) {
            URI withSlash = URI.create(issuer.issuer() + "/");
            OrdersServer server = new OrdersServer(settings().issuer(withSlash).build(), new RecordingAuditSink());

            assertThatThrownBy(server::start)
                    .isInstanceOf(IllegalStateException.class)
                    .hasMessageContaining("names another issuer than " + withSlash)
                    .hasMessageContaining("mcp.guard.demo.issuer (MCP_GUARD_DEMO_ISSUER)");
        }
    }

    @Test
    void aConfiguredJwksUriIsUsedAsItIsWithoutDiscovery() {
        try (DemoIssuer issuer = DemoIssuer.start();
             OrdersServer server = new OrdersServer(settings().issuer(issuer.issuer()).jwksUri(issuer.jwksUri())
                     .build(), new RecordingAuditSink()).start()) {

            assertThat(server.jwksUris()).containsEntry(issuer.issuer(), issuer.jwksUri().toString());
            try (McpSyncClient bob = OrdersServerFixture.sdkClient(server,
                    issuer.token(DemoUser.BOB, server.resourceUri()))) {
                bob.initialize();
                assertThat(bob.listTools().tools()).extracting(McpSchema.Tool::name).contains("get_order");
            }
            assertThat(requestedPaths(issuer)).contains("/demo/jwks")
                    .doesNotContain("/demo/.well-known/openid-configuration");
        }
    }

    /** The paths the issuer was asked for so far, in order (it records every request). */
    private static List<String> requestedPaths(DemoIssuer issuer) {
        List<String> paths = new ArrayList<>();
        // Requests already answered are queued; an empty queue throws (after 1 ms) instead of answering null.
        while (true) {
            RecordedRequest request;
            try {
                request = issuer.mockServer().takeRequest(1, TimeUnit.MILLISECONDS);
            } catch (RuntimeException empty) {
                return paths;
            }
            paths.add(request.getPath());
        }
    }
}
