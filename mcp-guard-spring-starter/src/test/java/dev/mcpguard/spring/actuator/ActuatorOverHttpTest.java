package dev.mcpguard.spring.actuator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.catchThrowable;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.spi.AuditSink;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.audit.JsonlFileAuditSink;
import dev.mcpguard.core.identity.ApiKeyIdentityResolver;
import dev.mcpguard.core.policy.ResilientPolicyEngine;
import io.micrometer.core.instrument.Meter;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.boot.web.servlet.FilterRegistrationBean;
import org.springframework.boot.web.servlet.ServletRegistrationBean;
import org.springframework.context.annotation.Bean;

/**
 * A small Boot application on a random port: a guarded MCP server (the real SDK transport as a servlet behind
 * mcp-guard's filter), driven by the real SDK client over Streamable HTTP, and the actuator read over HTTP.
 */
class ActuatorOverHttpTest {

    static final int SUBJECTS = 100;

    static String keyOf(String subject) {
        return "key-" + subject + "-not-a-secret-elsewhere";
    }

    /**
     * Builds its own guarded server (Spring AI's is off in these tests). Spring Security's auto-configuration is
     * excluded: this app tests the endpoint's own access rules, with mcp-guard's filter in front of the MCP path.
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
    static class GuardedOrdersApplication {

        @Bean(destroyMethod = "close")
        AuditSink auditSink() throws IOException {
            return JsonlFileAuditSink.builder(Files.createTempDirectory("mcp-guard-actuator").resolve("audit.jsonl"))
                    .build();
        }

        @Bean(destroyMethod = "close")
        McpGuard mcpGuard(AuditSink auditSink) {
            return McpGuard.builder().serverName("orders").resource(URI.create("https://orders.test/mcp"))
                    .policyEngine(ResilientPolicyEngine.ofDefaults(request -> request.tool().readOnlyHint()
                            ? Decision.allow(request.decisionId())
                            : Decision.deny(request.decisionId(), ReasonCode.POLICY_DENIED, "Read-only tools only.")))
                    .auditSink(auditSink).build();
        }

        @Bean
        HttpServletStreamableServerTransportProvider transport(McpGuard guard) {
            return HttpServletStreamableServerTransportProvider.builder().contextExtractor(guard.contextExtractor())
                    .build();
        }

        @Bean(destroyMethod = "closeGracefully")
        McpSyncServer mcpServer(McpGuard guard, HttpServletStreamableServerTransportProvider transport) {
            return guard.syncServer(transport).serverInfo("orders", "1")
                    .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
                    .tools(guard.guardSyncTools(List.of(tool("get_order", true), tool("delete_order", false))))
                    .build();
        }

        @Bean
        ServletRegistrationBean<HttpServletStreamableServerTransportProvider> mcpServlet(
                HttpServletStreamableServerTransportProvider transport) {
            ServletRegistrationBean<HttpServletStreamableServerTransportProvider> servlet =
                    new ServletRegistrationBean<>(transport, "/mcp");
            servlet.setAsyncSupported(true);
            return servlet;
        }

        @Bean
        FilterRegistrationBean<jakarta.servlet.Filter> mcpGuardFilter(McpGuard guard) {
            ApiKeyIdentityResolver.Builder keys = ApiKeyIdentityResolver.builder();
            for (String subject : List.of("alice", "mallory")) {
                keys.addKey(ApiKeyIdentityResolver.KeyEntry.of(subject + "-key",
                        ApiKeyIdentityResolver.hashOf(Secret.ofUtf8(keyOf(subject))), subject));
            }
            for (int i = 0; i < SUBJECTS; i++) {
                String subject = "subject-" + i;
                keys.addKey(ApiKeyIdentityResolver.KeyEntry.of(subject + "-key",
                        ApiKeyIdentityResolver.hashOf(Secret.ofUtf8(keyOf(subject))), subject));
            }
            FilterRegistrationBean<jakarta.servlet.Filter> filter =
                    new FilterRegistrationBean<>(guard.httpFilter().identityResolver(keys.build()).build());
            filter.addUrlPatterns("/mcp", "/.well-known/*");
            filter.setAsyncSupported(true);
            return filter;
        }

        static McpServerFeatures.SyncToolSpecification tool(String name, boolean readOnly) {
            return McpServerFeatures.SyncToolSpecification.builder()
                    .tool(McpSchema.Tool.builder().name(name)
                            .inputSchema(new McpSchema.JsonSchema("object", Map.of(), List.of(), null, null, null))
                            .annotations(new McpSchema.ToolAnnotations(null, readOnly, null, null, null, null))
                            .build())
                    .callHandler((exchange, request) -> McpSchema.CallToolResult.builder()
                            .addTextContent("ran " + name).build())
                    .build();
        }
    }

    abstract static class OverHttp {
        @LocalServerPort
        int port;
        final List<McpSyncClient> clients = new ArrayList<>();
        final HttpClient http = HttpClient.newHttpClient();
        final ObjectMapper json = new ObjectMapper();

        @AfterEach
        void closeClients() {
            clients.forEach(McpSyncClient::closeGracefully);
            clients.clear();
        }

        McpSyncClient client(String subject) {
            McpSyncClient client = McpClient.sync(HttpClientStreamableHttpTransport.builder("http://127.0.0.1:" + port)
                            .endpoint("/mcp")
                            .httpRequestCustomizer((request, method, uri, body, context) ->
                                    request.header("X-API-Key", keyOf(subject)))
                            .build())
                    .requestTimeout(Duration.ofSeconds(10)).build();
            clients.add(client);
            client.initialize();
            return client;
        }

        /** The first measurement (COUNT) of a meter read through the metrics endpoint; 0 before it exists. */
        double count(String path) throws Exception {
            HttpResponse<String> response = send("GET", path);
            return response.statusCode() == 404 ? 0
                    : json.readTree(response.body()).at("/measurements/0/value").asDouble();
        }

        HttpResponse<String> send(String method, String path) throws Exception {
            return http.send(HttpRequest.newBuilder(URI.create("http://127.0.0.1:" + port + path))
                    .method(method, HttpRequest.BodyPublishers.noBody()).build(), HttpResponse.BodyHandlers.ofString());
        }
    }

    @Nested
    @SpringBootTest(classes = GuardedOrdersApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
            properties = {"spring.ai.mcp.server.enabled=false",
                    "management.endpoints.web.exposure.include=health,metrics,mcpguard",
                    "management.endpoint.mcpguard.access=unrestricted",
                    "management.endpoint.health.show-details=always"})
    class WithTheAdminEndpointExposed extends OverHttp {

        @Autowired
        MeterRegistry registry;

        @Test
        void healthReportsPolicyAndAuditAndMetersCountTheCalls() throws Exception {
            String deniedPath = "/actuator/metrics/mcp.guard.calls?tag=tool:delete_order&tag=reason:policy_denied";
            String latencyPath = "/actuator/metrics/mcp.guard.call.duration?tag=tool:get_order";
            double deniedBefore = count(deniedPath);
            double timedBefore = count(latencyPath);
            McpSyncClient alice = client("alice");
            assertThat(alice.callTool(new McpSchema.CallToolRequest("get_order", Map.of())).isError()).isFalse();
            assertThat(alice.callTool(new McpSchema.CallToolRequest("delete_order", Map.of())).isError()).isTrue();

            HttpResponse<String> health = send("GET", "/actuator/health/mcpGuard");
            assertThat(health.statusCode()).isEqualTo(200);
            JsonNode body = json.readTree(health.body());
            assertThat(body.get("status").asText()).isEqualTo("UP");
            assertThat(body.at("/details/policy/breaker").asText()).isEqualTo("CLOSED");
            assertThat(body.at("/details/audit/sink").asText()).isEqualTo("JsonlFileAuditSink");
            assertThat(body.at("/details/audit/writable").asBoolean()).isTrue();

            assertThat(count(deniedPath)).isEqualTo(deniedBefore + 1);
            assertThat(count(latencyPath)).isEqualTo(timedBefore + 1);
            assertThat(send("GET", latencyPath).body()).contains("TOTAL_TIME", "MAX");
            assertThat(send("GET", "/actuator/metrics/mcp.guard.policy.breaker.state?tag=state:closed").body())
                    .contains("\"value\":1.0");
        }

        @Test
        void noMeterTagNamesOneOfAHundredSubjectsOrTheirSessions() {
            for (int i = 0; i < SUBJECTS; i++) {
                McpSyncClient client = client("subject-" + i);
                client.callTool(new McpSchema.CallToolRequest("get_order", Map.of()));
                client.callTool(new McpSchema.CallToolRequest("delete_order", Map.of()));
                closeClients();
            }

            List<Meter> guardMeters = registry.getMeters().stream()
                    .filter(m -> m.getId().getName().startsWith("mcp.guard")).toList();
            Set<String> tagValues = guardMeters.stream().flatMap(m -> m.getId().getTags().stream())
                    .map(Tag::getValue).collect(Collectors.toSet());
            assertThat(tagValues).noneMatch(v -> v.contains("subject-") || v.contains("alice") || v.contains("mallory") || v.contains("key-"));
            assertThat(tagValues).contains("get_order", "delete_order", "policy_denied");
            // Independent of the number of callers: calls and timers per tool/outcome, policy and breaker meters.
            assertThat(guardMeters).hasSizeLessThan(25);
        }

        @Test
        void listsSessionsWithoutSecretsAndRevokesASubject() throws Exception {
            McpSyncClient mallory = client("mallory");
            mallory.callTool(new McpSchema.CallToolRequest("get_order", Map.of()));

            HttpResponse<String> listed = send("GET", "/actuator/mcpguard");
            assertThat(listed.statusCode()).isEqualTo(200);
            JsonNode sessions = json.readTree(listed.body()).get("sessions");
            assertThat(sessions.findValuesAsText("subject")).contains("mallory");
            assertThat(listed.body()).doesNotContain(keyOf("mallory")).doesNotContain("hmac");

            assertThat(send("DELETE", "/actuator/mcpguard/planet/earth").statusCode()).isEqualTo(400);
            HttpResponse<String> revoked = send("DELETE", "/actuator/mcpguard/subject/mallory");
            assertThat(revoked.statusCode()).isEqualTo(200);
            assertThat(json.readTree(revoked.body()).get("revoked").asText()).isEqualTo("subject");

            Throwable refused = catchThrowable(() -> {
                McpSchema.CallToolResult result = mallory.callTool(new McpSchema.CallToolRequest("get_order", Map.of()));
                assertThat(result.isError()).isTrue();
            });
            if (refused != null) {
                assertThat(refused).isNotInstanceOf(AssertionError.class);
            }
            assertThat(json.readTree(send("GET", "/actuator/mcpguard").body()).get("revocations")
                    .findValuesAsText("value")).contains("mallory");
        }
    }

    @Nested
    @SpringBootTest(classes = GuardedOrdersApplication.class, webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
            properties = {"spring.ai.mcp.server.enabled=false", "management.endpoints.web.exposure.include=*"})
    class WithDefaultAccess extends OverHttp {

        @Test
        void theAdminEndpointIsOffEvenWhenEverythingIsExposed() throws Exception {
            assertThat(send("GET", "/actuator/mcpguard").statusCode()).isEqualTo(404);
            assertThat(send("DELETE", "/actuator/mcpguard/subject/alice").statusCode()).isIn(404, 405);
            assertThat(send("GET", "/actuator/health").statusCode()).isEqualTo(200);
        }
    }
}
