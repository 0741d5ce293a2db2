package dev.mcpguard.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.core.testing.RecordingAuditSink;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * An orders server configured through its settings alone, as an operator would (system properties read by
 * {@link OrdersServerSettings#fromEnvironment()}), to trust two issuers of a real mock-oauth2-server, each with its
 * own claim map, both keys found by discovery: {@code kc} lays its tokens out as Keycloak does (client roles at
 * {@code /resource_access/orders.api/roles}, the tenant in a {@code tenant} claim, audience {@code orders.api} from an
 * audience mapper), {@code partner} flat ({@code roles}, {@code tid}). A token of each is accepted with the roles and
 * tenant its own issuer's map gives, the other issuer's layout gives nothing, and a token of a third issuer of the
 * same server is refused with 401. Real MCP SDK client over Streamable HTTP.
 */
class MultipleIssuersEndToEndTest {

    static final String KC = "kc";
    static final String PARTNER = "partner";
    static final String STRANGER = "stranger";
    static final String KC_AUDIENCE = "orders.api";

    @TempDir
    static Path dir;

    static DemoIssuer idp;
    static MockOAuth2Server mock;
    static final RecordingAuditSink audit = new RecordingAuditSink();
    static OrdersServer server;
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();

    @BeforeAll
    static void startServerTrustingTwoIssuers() {
        idp = DemoIssuer.start();
        mock = idp.mockServer();
        Map<String, String> properties = new HashMap<>();
        properties.put("mcp.guard.demo.port", "0");
        properties.put("mcp.guard.demo.credentials-dir", dir.resolve("credentials").toString());
        properties.put("mcp.guard.demo.calls-per-minute", String.valueOf(OrdersServerFixture.GENEROUS_CALLS_PER_MINUTE));
        properties.put("mcp.guard.demo.issuers", KC + "," + PARTNER);
        properties.put("mcp.guard.demo.issuer.kc", issuer(KC));
        properties.put("mcp.guard.demo.issuer.kc.audiences", KC_AUDIENCE);
        properties.put("mcp.guard.demo.issuer.kc.role-claims", "/resource_access/orders.api/roles");
        properties.put("mcp.guard.demo.issuer.kc.tenant-claims", "tenant");
        properties.put("mcp.guard.demo.issuer.partner", issuer(PARTNER));
        OrdersServerSettings settings = OrdersServerSettings.fromEnvironment(properties, Map.of());
        server = new OrdersServer(settings, audit).start();
    }

    @AfterAll
    static void stop() {
        try {
            if (server != null) {
                server.close();
            }
        } finally {
            idp.close();
        }
    }

    @AfterEach
    void clearAudit() {
        audit.clear();
    }

    static String issuer(String id) {
        return mock.issuerUrl(id).toString();
    }

    /** A token of issuer {@code id} (mock-oauth2-server adds {@code tid} = the issuer id unless given). */
    static String token(String id, String subject, List<String> audience, Map<String, Object> claims) {
        return mock.issueToken(id, "orders-agent", new DefaultOAuth2TokenCallback(id, subject, "JWT", audience,
                claims, 3600)).serialize();
    }

    static Map<String, Object> keycloakLayout(String tenant, List<String> clientRoles) {
        return Map.of("tenant", tenant, "scope", "orders.read orders.refund", "azp", "orders-agent",
                "resource_access", Map.of(KC_AUDIENCE, Map.of("roles", clientRoles)));
    }

    static Map<String, Object> flatLayout(String tenant, List<String> roles) {
        return Map.of("tid", tenant, "scope", "orders.read orders.refund", "azp", "orders-agent", "roles", roles);
    }

    static List<String> resource() {
        return List.of(server.resourceUri().toString());
    }

    @Test
    void bothIssuersKeysWereFoundThroughTheirMetadata() {
        assertThat(server.jwksUris()).containsOnlyKeys(URI.create(issuer(KC)), URI.create(issuer(PARTNER)));
        assertThat(server.jwksUris().values()).containsOnly(OrdersServer.KEYS_FROM_METADATA);
    }

    @Test
    void aKeycloakStyleTokenIsAcceptedWithTheClientRolesAndTenantItsIssuersMapReads() {
        // Audience orders.api (Keycloak's audience mapper), not the resource URI: accepted for kc only.
        String token = token(KC, "bob", List.of(KC_AUDIENCE), keycloakLayout("acme", List.of("support")));

        try (McpSyncClient bob = OrdersServerFixture.sdkClient(server, token)) {
            bob.initialize();
            // The role support (read at /resource_access/orders.api/roles) lets refund_order be listed.
            assertThat(toolNames(bob)).contains("refund_order");
            McpSchema.CallToolResult own = bob.callTool(
                    new McpSchema.CallToolRequest("get_order", Map.of("order_id", "acme-1001")));
            assertThat(own.isError()).as("result: %s", own.content()).isNotEqualTo(Boolean.TRUE);
        }
        AuditRecord call = audit.records().stream().filter(r -> "get_order".equals(r.tool())).findFirst()
                .orElseThrow();
        assertThat(call.outcome()).isEqualTo(AuditRecord.Outcome.SUCCESS);
        assertThat(call.caller().issuer()).isEqualTo(issuer(KC));
        // The tenant is the token's 'tenant' claim, not the 'tid' mock-oauth2-server adds (the issuer id, "kc").
        assertThat(call.caller().tenant()).isEqualTo("acme");
    }

    @Test
    void aFlatTokenOfTheOtherIssuerIsAcceptedWithItsOwnRolesAndTenant() {
        String token = token(PARTNER, "grace", resource(), flatLayout("globex", List.of("support")));

        try (McpSyncClient grace = OrdersServerFixture.sdkClient(server, token)) {
            grace.initialize();
            assertThat(toolNames(grace)).contains("refund_order");
            McpSchema.CallToolResult own = grace.callTool(
                    new McpSchema.CallToolRequest("get_order", Map.of("order_id", "globex-2001")));
            McpSchema.CallToolResult other = grace.callTool(
                    new McpSchema.CallToolRequest("get_order", Map.of("order_id", "acme-1001")));
            assertThat(own.isError()).as("result: %s", own.content()).isNotEqualTo(Boolean.TRUE);
            assertThat(other.isError()).isTrue();
            assertThat(other.structuredContent()).asString().contains("cross_tenant");
        }
        assertThat(audit.records()).filteredOn(r -> "get_order".equals(r.tool())).hasSize(2)
                .allSatisfy(r -> {
                    assertThat(r.caller().issuer()).isEqualTo(issuer(PARTNER));
                    assertThat(r.caller().tenant()).isEqualTo("globex");
                });
    }

    @Test
    void eachIssuerIsReadWithItsOwnMapOnly() {
        // Flat roles in a kc token, and Keycloak client roles in a partner token: neither issuer's map reads them.
        Map<String, Object> flatForKc = new HashMap<>(flatLayout("acme", List.of("support")));
        flatForKc.put("tenant", "acme");
        String kcFlat = token(KC, "bob", resource(), flatForKc);
        Map<String, Object> keycloakForPartner = new HashMap<>(keycloakLayout("acme", List.of("support")));
        keycloakForPartner.put("tid", "acme");
        String partnerKeycloak = token(PARTNER, "bob", resource(), keycloakForPartner);

        for (String token : List.of(kcFlat, partnerKeycloak)) {
            try (McpSyncClient bob = OrdersServerFixture.sdkClient(server, token)) {
                bob.initialize();
                assertThat(toolNames(bob)).contains("get_order").doesNotContain("refund_order");
            }
        }
    }

    @Test
    void theAudienceOfOneIssuerIsNotAcceptedFromTheOther() throws Exception {
        String token = token(PARTNER, "grace", List.of(KC_AUDIENCE), flatLayout("globex", List.of("support")));

        assertThat(initialize(token).statusCode()).isEqualTo(401);
    }

    @Test
    void aTokenOfAnIssuerThatIsNotTrustedIsRefusedWith401AndRunsNothing() throws Exception {
        int before = server.executions("get_order");
        // Same mock-oauth2-server, same claims and audience as a partner token: only the issuer differs.
        String token = token(STRANGER, "grace", resource(), flatLayout("globex", List.of("support")));

        HttpResponse<String> response = initialize(token);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                challenge -> assertThat(challenge).startsWith("Bearer"));
        assertThat(response.headers().firstValue("Mcp-Session-Id")).isEmpty();
        assertThat(server.executions("get_order")).isEqualTo(before);
    }

    private static List<String> toolNames(McpSyncClient client) {
        return client.listTools().tools().stream().map(McpSchema.Tool::name).toList();
    }

    private static HttpResponse<String> initialize(String token) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(server.baseUrl().resolve(OrdersServer.MCP_ENDPOINT))
                .timeout(Duration.ofSeconds(10))
                .header("Accept", "application/json, text/event-stream")
                .header("Content-Type", "application/json")
                .header("Authorization", "Bearer " + token)
                .POST(HttpRequest.BodyPublishers.ofString(OrdersServerFixture.INITIALIZE))
                .build(), HttpResponse.BodyHandlers.ofString());
    }
}
