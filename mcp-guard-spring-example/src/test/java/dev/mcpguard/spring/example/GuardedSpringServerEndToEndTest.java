package dev.mcpguard.spring.example;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Boots the Spring example on a random port, with the real reference policy bundle and a real OAuth2 issuer
 * in-process, and drives it with the MCP Java SDK client over Streamable HTTP.
 */
@SpringBootTest(webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT, properties = {
        "management.endpoints.web.exposure.include=health,metrics", "management.endpoint.health.show-details=always"})
class GuardedSpringServerEndToEndTest {

    static final MockOAuth2Server IDP = OrdersDemo.startIdp();
    static final Path AUDIT = auditFile();

    @LocalServerPort
    int port;

    @Autowired
    OrderTools tools;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        registry.add("mcp.guard.identity.issuer", () -> IDP.issuerUrl(OrdersDemo.ISSUER_ID).toString());
        registry.add("mcp.guard.audit.file", AUDIT::toString);
    }

    @AfterAll
    static void stopIdp() {
        IDP.shutdown();
    }

    @Test
    void aReaderSeesOnlyWhatPolicyLetsThemCallAndIsAllowedTheirOwnTenantsOrder() throws Exception {
        try (McpSyncClient alice = client(token("alice", "acme", "orders.read", List.of()))) {
            assertThat(alice.listTools().tools()).extracting(McpSchema.Tool::name)
                    .containsExactlyInAnyOrder("get_order", "list_orders");

            long before = auditLines();
            McpSchema.CallToolResult result = alice.callTool(new McpSchema.CallToolRequest("get_order",
                    Map.of("order_id", "acme-1001")));

            assertThat(result.isError()).as(String.valueOf(result)).isNotEqualTo(Boolean.TRUE);
            assertThat(String.valueOf(result.content())).contains("acme-1001");
            assertThat(auditLines()).isEqualTo(before + 1);
            assertThat(lastAuditLine()).contains("\"tool\":\"get_order\"").contains("allow");
        }
    }

    @Test
    void anotherTenantsOrderIsDeniedAndTheMethodNeverRuns() throws Exception {
        try (McpSyncClient alice = client(token("alice", "acme", "orders.read", List.of()))) {
            int ran = tools.executions("get_order");
            long before = auditLines();

            McpSchema.CallToolResult result = alice.callTool(new McpSchema.CallToolRequest("get_order",
                    Map.of("order_id", "globex-2001")));

            assertThat(result.isError()).isTrue();
            assertThat(String.valueOf(result.structuredContent())).contains("cross_tenant");
            assertThat(tools.executions("get_order")).isEqualTo(ran);
            assertThat(auditLines()).isEqualTo(before + 1);
            assertThat(lastAuditLine()).contains("cross_tenant");
        }
    }

    @Test
    void aHiddenToolCalledByNameIsStillDenied() throws Exception {
        try (McpSyncClient alice = client(token("alice", "acme", "orders.read", List.of()))) {
            McpSchema.CallToolResult result = alice.callTool(new McpSchema.CallToolRequest("delete_customer",
                    Map.of("customer_id", "acme-100")));

            assertThat(result.isError()).isTrue();
            assertThat(tools.executions("delete_customer")).isZero();
            assertThat(lastAuditLine()).contains("delete_customer").contains("deny");
        }
    }

    @Test
    void aRefunderSeesTheRefundTool() throws Exception {
        try (McpSyncClient bob = client(token("bob", "acme", "orders.read orders.refund", List.of("support")))) {
            assertThat(bob.listTools().tools()).extracting(McpSchema.Tool::name)
                    .contains("get_order", "list_orders", "refund_order").doesNotContain("delete_customer");
        }
    }

    @Test
    void noTokenIs401PointingAtTheProtectedResourceMetadata() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(URI.create(resource()))
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}"))
                .build(), HttpResponse.BodyHandlers.ofString());

        assertThat(response.statusCode()).isEqualTo(401);
        String challenge = response.headers().firstValue("WWW-Authenticate").orElseThrow();
        assertThat(challenge).contains("resource_metadata=");

        String metadataUrl = challenge.replaceAll(".*resource_metadata=\"([^\"]+)\".*", "$1");
        HttpResponse<String> metadata = http.send(HttpRequest.newBuilder(URI.create(metadataUrl)).build(),
                HttpResponse.BodyHandlers.ofString());
        assertThat(metadata.statusCode()).isEqualTo(200);
        assertThat(metadata.body()).contains("\"resource\":\"" + resource() + "\"")
                .contains(IDP.issuerUrl(OrdersDemo.ISSUER_ID).toString());
    }

    @Test
    void healthShowsTheLoadedBundleAndMetersCountDecisionsWithoutSubjects() throws Exception {
        try (McpSyncClient alice = client(token("alice", "acme", "orders.read", List.of()))) {
            alice.callTool(new McpSchema.CallToolRequest("get_order", Map.of("order_id", "globex-2001")));
        }
        HttpClient http = HttpClient.newHttpClient();

        HttpResponse<String> health = http.send(HttpRequest.newBuilder(
                URI.create("http://localhost:" + port + "/actuator/health")).build(), HttpResponse.BodyHandlers.ofString());
        HttpResponse<String> calls = http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port
                + "/actuator/metrics/mcp.guard.calls")).build(), HttpResponse.BodyHandlers.ofString());

        assertThat(health.statusCode()).as(health.body()).isEqualTo(200);
        assertThat(health.body()).contains("\"mcpGuard\"").contains("orders-").doesNotContain("\"DOWN\"");
        assertThat(calls.statusCode()).as(calls.body()).isEqualTo(200);
        assertThat(calls.body()).contains("cross_tenant").doesNotContain("alice");
    }

    private String resource() {
        return "http://localhost:" + port + "/mcp";
    }

    private String token(String subject, String tenant, String scope, List<String> roles) {
        return OrdersDemo.token(IDP, subject, tenant, scope, roles, resource());
    }

    private McpSyncClient client(String token) {
        HttpClientStreamableHttpTransport transport = HttpClientStreamableHttpTransport
                .builder("http://localhost:" + port).endpoint("/mcp")
                .httpRequestCustomizer((request, method, uri, body, context) ->
                        request.header("Authorization", "Bearer " + token))
                .build();
        McpSyncClient client = McpClient.sync(transport).requestTimeout(Duration.ofSeconds(20)).build();
        client.initialize();
        return client;
    }

    private static long auditLines() throws Exception {
        return Files.exists(AUDIT) ? Files.readAllLines(AUDIT).size() : 0;
    }

    private static String lastAuditLine() throws Exception {
        List<String> lines = Files.readAllLines(AUDIT);
        return lines.get(lines.size() - 1);
    }

    private static Path auditFile() {
        try {
            return Files.createTempDirectory("mcp-guard-spring").resolve("audit.jsonl");
        } catch (java.io.IOException e) {
            throw new java.io.UncheckedIOException(e);
        }
    }
}
