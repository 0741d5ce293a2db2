package dev.mcpguard.spring;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.nimbusds.jose.JOSEObjectType;
import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.spi.AuditSink;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.core.testing.RecordingAuditSink;
import dev.mcpguard.spring.actuator.MeteredAuditSink;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.ai.mcp.annotation.McpResource;
import org.springframework.ai.mcp.annotation.McpTool;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * The starter's application at the edge, over HTTP, with real parts: two mock-oauth2-server instances as two
 * trusted issuers (each with its own audiences and claim map, the second one introspecting its tokens at its own
 * RFC 7662 endpoint), the real SDK client over Streamable HTTP, CORS from a configured origin, the WebMVC
 * transport's protocol versions, a resource decided by policy and audited, and the meters and actuator output
 * that must not leak a target URI or the client secret.
 */
@SpringBootTest(classes = StarterEdgeOverHttpTest.EdgeApplication.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"spring.ai.mcp.server.name=orders", "spring.ai.mcp.server.protocol=STREAMABLE",
                "mcp.guard.cors.allowed-origins=https://inspector.example",
                "mcp.guard.identity.issuers.partner.claims.roles=/resource_access/orders.api/roles",
                "mcp.guard.identity.issuers.partner.audiences=api://orders",
                "mcp.guard.identity.issuers.partner.introspection.client-id=orders-mcp",
                "mcp.guard.identity.issuers.partner.introspection.client-secret=" + StarterEdgeOverHttpTest.CLIENT_SECRET,
                "mcp.guard.identity.issuers.partner.introspection.also-for-jwts=true",
                "management.endpoints.web.exposure.include=env,configprops,metrics",
                "management.endpoint.env.show-values=always",
                "management.endpoint.configprops.show-values=always"})
class StarterEdgeOverHttpTest {

    static final String CLIENT_SECRET = "introspection-secret-not-for-eyes";
    static final String ALLOWED_ORIGIN = "https://inspector.example";
    static final MockOAuth2Server CORP = startWarmedIdp();
    static final MockOAuth2Server PARTNER = startWarmedIdp();
    static final RecordingAuditSink AUDIT = new RecordingAuditSink();

    @LocalServerPort
    int port;

    @Autowired
    Orders orders;

    @Autowired
    MeterRegistry meters;

    final HttpClient http = HttpClient.newHttpClient();

    @DynamicPropertySource
    static void issuers(DynamicPropertyRegistry registry) {
        registry.add("mcp.guard.identity.issuer", () -> CORP.issuerUrl("corp").toString());
        registry.add("mcp.guard.identity.issuers.partner.issuer", () -> PARTNER.issuerUrl("partner").toString());
    }

    @AfterAll
    static void stopIdps() {
        CORP.shutdown();
        PARTNER.shutdown();
    }

    /**
     * mcp-guard's own filter authenticates; Spring Security's auto-configuration (on the test class path) is left
     * out so it does not put its default login in front.
     */
    @SpringBootConfiguration(proxyBeanMethods = false)
    @EnableAutoConfiguration(excludeName = {
            "org.springframework.boot.security.autoconfigure.SecurityAutoConfiguration",
            "org.springframework.boot.security.autoconfigure.UserDetailsServiceAutoConfiguration",
            "org.springframework.boot.security.autoconfigure.actuate.web.servlet.ManagementWebSecurityAutoConfiguration",
            "org.springframework.boot.security.autoconfigure.web.servlet.SecurityFilterAutoConfiguration",
            "org.springframework.boot.security.autoconfigure.web.servlet.ServletWebSecurityAutoConfiguration",
            "org.springframework.boot.security.oauth2.server.resource.autoconfigure.servlet."
                    + "OAuth2ResourceServerAutoConfiguration"})
    static class EdgeApplication {

        /** Support staff may call {@code whoami}; a caller reads the orders of its own tenant only. */
        @Bean
        PolicyEngine policy() {
            return request -> switch (request.operation()) {
                case LIST -> Decision.allow(request.decisionId());
                case CALL -> request.caller().roles().contains("support") ? Decision.allow(request.decisionId())
                        : Decision.deny(request.decisionId(), ReasonCode.POLICY_DENIED, "Support staff only.");
                case READ -> request.caller().tenant()
                        .filter(tenant -> request.target().resource().uri().startsWith("orders://" + tenant + "/"))
                        .<Decision>map(tenant -> Decision.allow(request.decisionId()))
                        .orElseGet(() -> Decision.deny(request.decisionId(), ReasonCode.POLICY_DENIED,
                                "Orders of your own tenant only."));
                default -> Decision.deny(request.decisionId(), ReasonCode.POLICY_DENIED, "Not offered.");
            };
        }

        @Bean
        AuditSink auditSink() {
            return AUDIT;
        }

        @Bean
        Orders orders() {
            return new Orders();
        }
    }

    /** A tool and two resources with no security code; each counts its runs. */
    static class Orders {
        final AtomicInteger whoamiRuns = new AtomicInteger();
        final AtomicInteger acmeReads = new AtomicInteger();
        final AtomicInteger globexReads = new AtomicInteger();

        @McpTool(name = "whoami", description = "Says hello.")
        public String whoami() {
            whoamiRuns.incrementAndGet();
            return "hello";
        }

        @McpResource(uri = "orders://acme/1001", name = "acme-1001", mimeType = "application/json")
        public String acmeOrder() {
            acmeReads.incrementAndGet();
            return "{\"order\":1001,\"total\":42}";
        }

        @McpResource(uri = "orders://globex/2002", name = "globex-2002", mimeType = "application/json")
        public String globexOrder() {
            globexReads.incrementAndGet();
            return "{\"order\":2002,\"total\":7}";
        }
    }

    // ---------------------------------------------------------------- several issuers, introspection

    @Test
    void aTokenOfEitherIssuerReachesPolicyWithThatIssuersOwnClaimMap() {
        int before = orders.whoamiRuns.get();
        try (McpSyncClient corp = client(corpToken("sam", List.of("support"), resource()));
             McpSyncClient partner = client(partnerToken("pia", List.of("support"), resource()));
             McpSyncClient partnerSales = client(partnerToken("pete", List.of("sales"), resource()))) {
            assertThat(corp.callTool(new McpSchema.CallToolRequest("whoami", Map.of())).isError()).isNotEqualTo(true);
            // The partner's roles come from /resource_access/orders.api/roles: a key with a dot, by JSON pointer.
            assertThat(partner.callTool(new McpSchema.CallToolRequest("whoami", Map.of())).isError())
                    .isNotEqualTo(true);
            assertThat(partnerSales.callTool(new McpSchema.CallToolRequest("whoami", Map.of())).isError()).isTrue();
        }
        assertThat(orders.whoamiRuns.get()).isEqualTo(before + 2);
    }

    @Test
    void eachIssuersAudiencesAreItsOwnAndAnUnknownIssuerIsRefused() throws Exception {
        // api://orders is accepted from the partner only.
        assertThat(post(partnerToken("pia", List.of("support"), "api://orders"), null, null).statusCode())
                .isNotEqualTo(401);
        HttpResponse<String> corpForPartnerAudience = post(corpToken("sam", List.of("support"), "api://orders"),
                null, null);
        assertThat(corpForPartnerAudience.statusCode()).isEqualTo(401);
        HttpResponse<String> otherIssuer = post(CORP.issueToken("elsewhere", "agent",
                new DefaultOAuth2TokenCallback("elsewhere", "eve", JOSEObjectType.JWT.getType(), List.of(resource()),
                        Map.of(), 3600)).serialize(), null, null);
        assertThat(otherIssuer.statusCode()).isEqualTo(401);
        assertThat(otherIssuer.headers().firstValue("WWW-Authenticate").orElse("")).contains("invalid_token");
    }

    @Test
    void anOpaqueTokenIsAskedOfThePartnersIntrospectionEndpointAndRefusedAsNotActive() throws Exception {
        HttpResponse<String> response = post("opaque-token-the-partner-never-issued", null, null);

        assertThat(response.statusCode()).isEqualTo(401);
        // Without introspection the same token would be "token malformed".
        assertThat(response.headers().firstValue("WWW-Authenticate").orElse("")).contains("token not active");
    }

    // ---------------------------------------------------------------- MCP-Protocol-Version

    @Test
    void anUnsupportedProtocolVersionIs400NamingTheWebMvcTransportsVersions() throws Exception {
        String token = corpToken("sam", List.of("support"), resource());

        HttpResponse<String> unsupported = post(token, null, "1999-01-01");

        assertThat(unsupported.statusCode()).isEqualTo(400);
        // Spring AI's WebMVC transport speaks 2024-11-05 too (the SDK servlet transport does not).
        assertThat(unsupported.body()).contains("unsupported MCP-Protocol-Version").contains("2024-11-05")
                .contains("2025-06-18").doesNotContain("1999-01-01");
        // Passed on to the transport (which answers a ping without a session as it always does).
        assertThat(post(token, null, "2024-11-05").body()).doesNotContain("unsupported MCP-Protocol-Version");
    }

    // ---------------------------------------------------------------- CORS

    @Test
    void aPreflightFromTheConfiguredOriginIsAnsweredAndFromAnotherOriginRefused() throws Exception {
        HttpResponse<String> allowed = preflight(ALLOWED_ORIGIN);
        HttpResponse<String> other = preflight("https://evil.example");

        assertThat(allowed.statusCode()).isEqualTo(204);
        assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).contains(ALLOWED_ORIGIN);
        assertThat(allowed.headers().firstValue("Access-Control-Allow-Headers").orElse(""))
                .contains("authorization", "mcp-protocol-version");
        assertThat(allowed.headers().firstValue("Access-Control-Allow-Credentials")).isEmpty();
        assertThat(other.statusCode()).isEqualTo(403);
        assertThat(other.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    }

    @Test
    void anActualRequestFromTheConfiguredOriginGetsCorsHeadersAndFromAnotherOriginIs403() throws Exception {
        String token = corpToken("sam", List.of("support"), resource());

        HttpResponse<String> allowed = post(token, ALLOWED_ORIGIN, null);
        HttpResponse<String> unauthenticated = post(null, ALLOWED_ORIGIN, null);
        HttpResponse<String> other = post(token, "https://evil.example", null);

        assertThat(allowed.statusCode()).isNotIn(401, 403);
        assertThat(allowed.headers().firstValue("Access-Control-Allow-Origin")).contains(ALLOWED_ORIGIN);
        assertThat(allowed.headers().firstValue("Access-Control-Expose-Headers").orElse(""))
                .contains("Mcp-Session-Id", "WWW-Authenticate");
        // A browser page can read why it was refused.
        assertThat(unauthenticated.statusCode()).isEqualTo(401);
        assertThat(unauthenticated.headers().firstValue("Access-Control-Allow-Origin")).contains(ALLOWED_ORIGIN);
        assertThat(other.statusCode()).isEqualTo(403);
        assertThat(other.headers().firstValue("Access-Control-Allow-Origin")).isEmpty();
    }

    // ---------------------------------------------------------------- resources, audit, meters

    @Test
    void aResourceReadIsDecidedByPolicyAuditedAndMeteredByMethodNeverByItsUri() {
        int acmeBefore = orders.acmeReads.get();
        int globexBefore = orders.globexReads.get();
        int recordsBefore = AUDIT.records().size();
        double deniedBefore = readCount("deny");
        try (McpSyncClient alice = client(corpToken("alice", List.of(), resource()))) {
            McpSchema.ReadResourceResult own = alice.readResource(new McpSchema.ReadResourceRequest("orders://acme/1001"));
            Throwable other = catchThrowable(() ->
                    alice.readResource(new McpSchema.ReadResourceRequest("orders://globex/2002")));

            assertThat(((McpSchema.TextResourceContents) own.contents().get(0)).text()).contains("\"total\":42");
            assertThat(other).isInstanceOf(McpError.class);
            assertThat(((McpError) other).getJsonRpcError().code()).isEqualTo(-32001);
        }
        assertThat(orders.acmeReads.get()).isEqualTo(acmeBefore + 1);
        assertThat(orders.globexReads.get()).as("the denied read's handler never ran").isEqualTo(globexBefore);

        List<AuditRecord> reads = AUDIT.records().subList(recordsBefore, AUDIT.records().size()).stream()
                .filter(r -> r.method().equals("resources/read")).toList();
        assertThat(reads).extracting(AuditRecord::target).containsExactly("orders://acme/1001", "orders://globex/2002");
        assertThat(reads).extracting(AuditRecord::decision)
                .containsExactly(AuditRecord.Verdict.ALLOW, AuditRecord.Verdict.DENY);
        assertThat(reads).allSatisfy(r -> assertThat(r.caller().subject()).isEqualTo("alice"));

        assertThat(readCount("deny")).isEqualTo(deniedBefore + 1);
        assertThat(meters.get(MeteredAuditSink.CALLS).tags("method", "resources/read", "decision", "allow")
                .counter().getId().getTag("tool")).isEqualTo("none");
        Set<String> tagValues = meters.getMeters().stream().filter(m -> m.getId().getName().startsWith("mcp.guard"))
                .map(Meter::getId).flatMap(id -> id.getTags().stream()).map(Tag::getValue).collect(Collectors.toSet());
        assertThat(tagValues).noneMatch(v -> v.contains("orders://") || v.contains("alice") || v.contains("acme"));
    }

    // ---------------------------------------------------------------- the client secret

    @Test
    void theIntrospectionClientSecretIsInNoActuatorOutputEvenWithValuesShown() throws Exception {
        HttpResponse<String> env = get("/actuator/env");
        HttpResponse<String> configprops = get("/actuator/configprops");

        assertThat(env.statusCode()).isEqualTo(200);
        assertThat(env.body()).contains("mcp.guard.identity.issuers.partner.introspection.client-secret")
                .contains("orders-mcp").doesNotContain(CLIENT_SECRET);
        assertThat(configprops.statusCode()).isEqualTo(200);
        assertThat(configprops.body()).contains("orders-mcp").doesNotContain(CLIENT_SECRET);
    }

    // ---------------------------------------------------------------- helpers

    private double readCount(String decision) {
        return meters.find(MeteredAuditSink.CALLS).tags("method", "resources/read", "decision", decision).counters()
                .stream().mapToDouble(io.micrometer.core.instrument.Counter::count).sum();
    }

    private String resource() {
        return "http://localhost:" + port + "/mcp";
    }

    private HttpResponse<String> post(String token, String origin, String protocolVersion)
            throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(resource()))
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}"));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        if (origin != null) {
            request.header("Origin", origin);
        }
        if (protocolVersion != null) {
            request.header("MCP-Protocol-Version", protocolVersion);
        }
        return http.send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> preflight(String origin) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create(resource()))
                .method("OPTIONS", HttpRequest.BodyPublishers.noBody())
                .header("Origin", origin)
                .header("Access-Control-Request-Method", "POST")
                .header("Access-Control-Request-Headers", "authorization, content-type, mcp-protocol-version")
                .build(), HttpResponse.BodyHandlers.ofString());
    }

    private HttpResponse<String> get(String path) throws IOException, InterruptedException {
        return http.send(HttpRequest.newBuilder(URI.create("http://localhost:" + port + path)).build(),
                HttpResponse.BodyHandlers.ofString());
    }

    private McpSyncClient client(String token) {
        McpSyncClient client = McpClient.sync(HttpClientStreamableHttpTransport.builder("http://localhost:" + port)
                        .endpoint("/mcp")
                        .httpRequestCustomizer((request, method, uri, body, context) ->
                                request.header("Authorization", "Bearer " + token))
                        .build())
                .requestTimeout(Duration.ofSeconds(20)).build();
        client.initialize();
        return client;
    }

    private static String corpToken(String subject, List<String> groups, String audience) {
        return CORP.issueToken("corp", "agent", new DefaultOAuth2TokenCallback("corp", subject,
                JOSEObjectType.JWT.getType(), List.of(audience), Map.of("groups", groups, "tid", "acme"), 3600))
                .serialize();
    }

    private static String partnerToken(String subject, List<String> roles, String audience) {
        return PARTNER.issueToken("partner", "agent", new DefaultOAuth2TokenCallback("partner", subject,
                JOSEObjectType.JWT.getType(), List.of(audience),
                Map.of("resource_access", Map.of("orders.api", Map.of("roles", roles)), "tid", "globex"), 3600))
                .serialize();
    }

    /**
     * Started, then asked once for each document and endpoint the guard uses, without a deadline: the first
     * answers of a fresh mock-oauth2-server can take seconds on a loaded machine, longer than the guard's own
     * deadlines, which would fail a test for reasons unrelated to the code under test.
     */
    static MockOAuth2Server startWarmedIdp() {
        MockOAuth2Server server = new MockOAuth2Server();
        try {
            server.start(InetAddress.getByName("127.0.0.1"), 0);
            for (URI uri : List.of(URI.create(server.wellKnownUrl("warm-up").toString()),
                    URI.create(server.jwksUrl("warm-up").toString()))) {
                try (InputStream in = uri.toURL().openStream()) {
                    in.readAllBytes();
                }
            }
            HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                            URI.create(server.url("/warm-up/introspect").toString()))
                    .header("Content-Type", "application/x-www-form-urlencoded")
                    .header("Authorization", "Basic " + Base64.getEncoder()
                            .encodeToString("warm:up".getBytes(StandardCharsets.UTF_8)))
                    .POST(HttpRequest.BodyPublishers.ofString("token=warm-up")).build(),
                    HttpResponse.BodyHandlers.discarding());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
        return server;
    }
}
