package dev.mcpguard.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.core.audit.AuditRecordJson;
import dev.mcpguard.core.testing.LogCapture;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import okhttp3.mockwebserver.RecordedRequest;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * RFC 7662 introspection configured through the example's settings alone ({@code introspection-client-id}, the
 * client secret in a file, {@code introspection-also-for-jwts}, the endpoint from the issuer's metadata), against
 * the real mock-oauth2-server's introspection endpoint, on the standalone server as an operator starts it: every
 * JWT is introspected with the secret read from the file, an opaque token the issuer never issued is refused with
 * 401, and the secret appears nowhere the server writes: its console, its log (mcp-guard's loggers at DEBUG) and its
 * audit file.
 */
class IntrospectionSettingsEndToEndTest {

    static final String KC = "kc";
    static final String CLIENT_ID = "orders-mcp";

    @TempDir
    Path dir;

    @Test
    void introspectsEveryJwtWithTheSecretFromItsFileAndNeverShowsTheSecret() throws Exception {
        String secret = "kc-introspection-secret-" + UUID.randomUUID();
        String basic = Base64.getEncoder().encodeToString((CLIENT_ID + ":" + secret).getBytes(StandardCharsets.UTF_8));
        Path secretFile = dir.resolve("kc-client-secret");
        Files.writeString(secretFile, secret + "\n"); // as a mounted secret often is: with a newline
        Path auditFile = dir.resolve("audit.jsonl");
        ByteArrayOutputStream console = new ByteArrayOutputStream();

        try (DemoIssuer idp = DemoIssuer.start();
             LogCapture logs = LogCapture.everythingWithDebugOf("dev.mcpguard")) {
            MockOAuth2Server mock = idp.mockServer();
            String issuer = mock.issuerUrl(KC).toString();
            Map<String, String> properties = new HashMap<>();
            properties.put("mcp.guard.demo.port", "0");
            properties.put("mcp.guard.demo.audit-file", auditFile.toString());
            properties.put("mcp.guard.demo.credentials-dir", dir.resolve("credentials").toString());
            properties.put("mcp.guard.demo.issuers", KC);
            properties.put("mcp.guard.demo.issuer.kc", issuer);
            properties.put("mcp.guard.demo.issuer.kc.introspection-client-id", CLIENT_ID);
            properties.put("mcp.guard.demo.issuer.kc.introspection-client-secret-file", secretFile.toString());
            properties.put("mcp.guard.demo.issuer.kc.introspection-also-for-jwts", "true");
            properties.put("mcp.guard.demo.issuer.kc.introspection-cache-ttl", "PT20S");
            OrdersServerSettings settings = OrdersServerSettings.fromEnvironment(properties, Map.of());

            try (StandaloneServer running = StandaloneServer.start(settings,
                    new PrintStream(console, true, StandardCharsets.UTF_8))) {
                OrdersServer server = running.server();
                recorded(mock); // start-up's discovery requests, not of interest here
                String jwt = mock.issueToken(KC, "orders-agent", new DefaultOAuth2TokenCallback(KC, "alice", "JWT",
                        List.of(server.resourceUri().toString()),
                        Map.of("tid", "acme", "scope", "orders.read", "azp", "orders-agent"), 3600)).serialize();

                try (McpSyncClient alice = OrdersServerFixture.sdkClient(server, jwt)) {
                    alice.initialize();
                    McpSchema.CallToolResult result = alice.callTool(
                            new McpSchema.CallToolRequest("get_order", Map.of("order_id", "acme-1001")));
                    assertThat(result.isError()).as("result: %s", result.content()).isNotEqualTo(Boolean.TRUE);
                }
                List<RecordedRequest> introspections = recorded(mock).stream()
                        .filter(request -> ("/" + KC + "/introspect").equals(request.getPath())).toList();
                // The JWT, valid on its own, was still introspected, with the client's secret from the file.
                assertThat(introspections).isNotEmpty().allSatisfy(request -> {
                    assertThat(request.getMethod()).isEqualTo("POST");
                    assertThat(request.getHeader("Authorization")).isEqualTo("Basic " + basic);
                });

                HttpResponse<String> opaque = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                                server.baseUrl().resolve(OrdersServer.MCP_ENDPOINT))
                        .timeout(Duration.ofSeconds(10))
                        .header("Accept", "application/json, text/event-stream")
                        .header("Content-Type", "application/json")
                        .header("Authorization", "Bearer opaque-token-the-issuer-never-issued")
                        .POST(HttpRequest.BodyPublishers.ofString(OrdersServerFixture.INITIALIZE)).build(),
                        HttpResponse.BodyHandlers.ofString());
                assertThat(opaque.statusCode()).isEqualTo(401);
                assertThat(recorded(mock)).extracting(RecordedRequest::getPath).contains("/" + KC + "/introspect");
                assertThat(server.executions("get_order")).isEqualTo(1);
            }

            String output = console.toString(StandardCharsets.UTF_8);
            assertThat(output)
                    .contains("    " + issuer + "  (mcp.guard.demo.issuer.kc)")
                    .contains("      introspection  on, for opaque tokens and JWTs, answers remembered 20 s; "
                            + "endpoint from the issuer's metadata; client " + CLIENT_ID
                            + ", its secret from the file " + secretFile)
                    .doesNotContain(secret).doesNotContain(basic);
            assertThat(logs.allText()).doesNotContain(secret).doesNotContain(basic);
        }
        List<AuditRecord> records = AuditRecordJson.readAll(auditFile);
        assertThat(records).filteredOn(r -> "get_order".equals(r.tool())).singleElement()
                .satisfies(r -> assertThat(r.caller().subject()).isEqualTo("alice"));
        assertThat(Files.readString(auditFile)).doesNotContain(secret).doesNotContain(basic);
    }

    /** The requests the mock server answered since the last call, in order (it records every request). */
    private static List<RecordedRequest> recorded(MockOAuth2Server mock) {
        List<RecordedRequest> requests = new ArrayList<>();
        while (true) {
            try {
                // Answered requests are queued; an empty queue throws (after 1 ms) instead of answering null.
                requests.add(mock.takeRequest(1, TimeUnit.MILLISECONDS));
            } catch (RuntimeException empty) {
                return requests;
            }
        }
    }
}
