package dev.mcpguard.spring.security;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEObjectType;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.spi.PolicyEngine;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.InetAddress;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.Collection;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.Test;
import org.springframework.ai.mcp.annotation.McpTool;
import org.springframework.beans.factory.annotation.Autowired;
import org.springframework.boot.SpringBootConfiguration;
import org.springframework.boot.autoconfigure.EnableAutoConfiguration;
import org.springframework.boot.test.context.SpringBootTest;
import org.springframework.boot.test.web.server.LocalServerPort;
import org.springframework.context.annotation.Bean;
import org.springframework.security.config.Customizer;
import org.springframework.security.config.annotation.web.builders.HttpSecurity;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.authority.SimpleGrantedAuthority;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationConverter;
import org.springframework.security.web.SecurityFilterChain;
import org.springframework.stereotype.Component;
import org.springframework.test.context.DynamicPropertyRegistry;
import org.springframework.test.context.DynamicPropertySource;

/**
 * Spring Security's OAuth2 resource server in front of a Spring AI server guarded by the starter: the JWT Spring
 * Security authenticated becomes the caller (its authorities included), mcp-guard still checks what Spring
 * Security does not (the audience is this server's resource URI), and denied calls never run.
 */
@SpringBootTest(classes = SpringSecurityInFrontTest.SecuredOrdersApplication.class,
        webEnvironment = SpringBootTest.WebEnvironment.RANDOM_PORT,
        properties = {"spring.ai.mcp.server.name=orders", "spring.ai.mcp.server.protocol=STREAMABLE"})
class SpringSecurityInFrontTest {

    static final String ISSUER_ID = "corp";
    static final MockOAuth2Server IDP = startIdp();

    @LocalServerPort
    int port;

    @Autowired
    WhoAmI tool;

    @DynamicPropertySource
    static void properties(DynamicPropertyRegistry registry) {
        String issuer = IDP.issuerUrl(ISSUER_ID).toString();
        registry.add("spring.security.oauth2.resourceserver.jwt.issuer-uri", () -> issuer);
        registry.add("mcp.guard.identity.issuer", () -> issuer);
    }

    @AfterAll
    static void stopIdp() {
        IDP.shutdown();
    }

    @SpringBootConfiguration(proxyBeanMethods = false)
    @EnableAutoConfiguration
    static class SecuredOrdersApplication {

        /** Everything under /mcp needs a JWT; the RFC 9728 metadata stays public. */
        @Bean
        SecurityFilterChain security(HttpSecurity http) throws Exception {
            JwtAuthenticationConverter groupsAsRoles = new JwtAuthenticationConverter();
            groupsAsRoles.setJwtGrantedAuthoritiesConverter(jwt -> {
                List<String> groups = jwt.getClaimAsStringList("groups");
                Collection<GrantedAuthority> authorities = new java.util.ArrayList<>();
                for (String group : groups == null ? List.<String>of() : groups) {
                    authorities.add(new SimpleGrantedAuthority("ROLE_" + group));
                }
                return authorities;
            });
            return http
                    .authorizeHttpRequests(requests -> requests
                            .requestMatchers("/.well-known/**").permitAll()
                            .anyRequest().authenticated())
                    .oauth2ResourceServer(server -> server.jwt(jwt -> jwt.jwtAuthenticationConverter(groupsAsRoles)))
                    .csrf(csrf -> csrf.disable())
                    .cors(Customizer.withDefaults())
                    .build();
        }

        /** The policy: only support staff may call {@code whoami}; everyone may see it. */
        @Bean
        PolicyEngine policy() {
            return request -> request.operation() == PolicyEngine.Operation.LIST
                    || request.caller().roles().contains("support")
                    ? Decision.allow(request.decisionId())
                    : Decision.deny(request.decisionId(), ReasonCode.POLICY_DENIED, "Support staff only.");
        }

        @Bean
        WhoAmI whoAmI() {
            return new WhoAmI();
        }
    }

    /** A tool with no security code; counts its runs. */
    @Component
    static class WhoAmI {
        final AtomicInteger runs = new AtomicInteger();

        @McpTool(name = "whoami", description = "Says hello.")
        public String whoami() {
            runs.incrementAndGet();
            return "hello";
        }
    }

    @Test
    void aRoleGrantedBySpringSecuritysConverterReachesThePolicy() {
        int before = tool.runs.get();
        try (McpSyncClient support = client(token("sam", List.of("support"), resource()))) {
            McpSchema.CallToolResult result = support.callTool(new McpSchema.CallToolRequest("whoami", Map.of()));

            assertThat(result.isError()).as(String.valueOf(result)).isNotEqualTo(Boolean.TRUE);
            assertThat(tool.runs.get()).isEqualTo(before + 1);
        }
    }

    @Test
    void withoutTheRoleTheCallIsDeniedAndTheToolNeverRuns() {
        int before = tool.runs.get();
        try (McpSyncClient other = client(token("olga", List.of("sales"), resource()))) {
            McpSchema.CallToolResult result = other.callTool(new McpSchema.CallToolRequest("whoami", Map.of()));

            assertThat(result.isError()).isTrue();
            assertThat(String.valueOf(result.structuredContent())).contains("policy_denied");
            assertThat(tool.runs.get()).isEqualTo(before);
        }
    }

    @Test
    void aTokenSpringSecurityAcceptsForAnotherAudienceIsRefusedByTheGuard() throws Exception {
        String otherAudience = token("sam", List.of("support"), "https://payments.example/api");
        int before = tool.runs.get();

        HttpResponse<String> response = post(otherAudience);

        assertThat(response.statusCode()).isEqualTo(401);
        assertThatThrownBy(() -> {
            try (McpSyncClient client = client(otherAudience)) {
                client.initialize();
            }
        }).isInstanceOf(RuntimeException.class);
        assertThat(tool.runs.get()).as("no call ran with a token for another audience").isEqualTo(before);
    }

    @Test
    void noTokenIsRefusedBySpringSecurityAndTheMetadataStaysPublic() throws Exception {
        HttpClient http = HttpClient.newHttpClient();
        HttpResponse<String> noToken = post(null);
        HttpResponse<String> metadata = http.send(HttpRequest.newBuilder(URI.create(
                        "http://localhost:" + port + "/.well-known/oauth-protected-resource/mcp")).build(),
                HttpResponse.BodyHandlers.ofString());

        assertThat(noToken.statusCode()).isEqualTo(401);
        assertThat(metadata.statusCode()).isEqualTo(200);
        assertThat(metadata.body()).contains("\"resource\":\"" + resource() + "\"");
    }

    private HttpResponse<String> post(String token) throws IOException, InterruptedException {
        HttpRequest.Builder request = HttpRequest.newBuilder(URI.create(resource()))
                .header("Content-Type", "application/json").header("Accept", "application/json, text/event-stream")
                .POST(HttpRequest.BodyPublishers.ofString("{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"ping\"}"));
        if (token != null) {
            request.header("Authorization", "Bearer " + token);
        }
        return HttpClient.newHttpClient().send(request.build(), HttpResponse.BodyHandlers.ofString());
    }

    private String resource() {
        return "http://localhost:" + port + "/mcp";
    }

    private static String token(String subject, List<String> groups, String audience) {
        return IDP.issueToken(ISSUER_ID, "agent", new DefaultOAuth2TokenCallback(ISSUER_ID, subject,
                JOSEObjectType.JWT.getType(), List.of(audience), Map.of("groups", groups, "tid", "acme"), 3600))
                .serialize();
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

    private static MockOAuth2Server startIdp() {
        MockOAuth2Server server = new MockOAuth2Server();
        try {
            server.start(InetAddress.getByName("127.0.0.1"), 0);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return server;
    }
}
