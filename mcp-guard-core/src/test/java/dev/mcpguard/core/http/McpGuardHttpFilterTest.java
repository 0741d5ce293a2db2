package dev.mcpguard.core.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.spi.ILoggingEvent;
import ch.qos.logback.classic.spi.IThrowableProxy;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Secret;
import dev.mcpguard.core.identity.ApiKeyIdentityResolver;
import dev.mcpguard.core.identity.IdentityResolvers;
import dev.mcpguard.core.identity.JwtIdentityResolver;
import dev.mcpguard.core.session.InMemorySessionRegistry;
import dev.mcpguard.core.testing.LogCapture;
import jakarta.servlet.Filter;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class McpGuardHttpFilterTest {

    static final String RESOURCE = "https://orders.example.com/mcp";
    static final String ISSUER = "https://login.example.com/realms/acme";
    static final String METADATA_URL = "https://orders.example.com/.well-known/oauth-protected-resource/mcp";
    static final String ALICE_KEY = "mgk_alice_4f9Qz1Lr7XbT2nVw8KcY0eHs";
    static final String BOB_KEY = "mgk_bob_9Jd3Hs5Lq1Zx7Cv2Bn6Mk0Pw";
    static final String CAROL_KEY = "mgk_carol_2Wq8Er4Ty6Ui0Op3As5Df7G";
    static final String INITIALIZE = "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"initialize\",\"params\":{}}";
    static final String TOOLS_LIST = "{\"jsonrpc\":\"2.0\",\"id\":2,\"method\":\"tools/list\"}";
    static final ObjectMapper JSON = new ObjectMapper();

    static Tomcat tomcat;
    static URI base;
    static RSAKey signingKey;
    static final InMemorySessionRegistry sessions = InMemorySessionRegistry.ofDefaults();
    static final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    @BeforeAll
    static void startTomcat() throws Exception {
        signingKey = new RSAKeyGenerator(2048).keyID("k1").generate();
        JwtIdentityResolver jwt = JwtIdentityResolver.builder()
                .issuer(ISSUER).jwkSet(new JWKSet(signingKey)).audience(RESOURCE).build();
        ApiKeyIdentityResolver apiKeys = ApiKeyIdentityResolver.builder()
                .addKey(key("alice-key", ALICE_KEY, "alice", Set.of("mcp:tools")))
                .addKey(key("bob-key", BOB_KEY, "bob", Set.of("mcp:tools")))
                .addKey(key("carol-key", CAROL_KEY, "carol", Set.of()))
                .build();
        McpGuardHttpFilter guard = McpGuardHttpFilter.builder()
                .identityResolver(IdentityResolvers.firstApplicable(jwt, apiKeys))
                .sessionRegistry(sessions)
                .resource(URI.create(RESOURCE))
                .authorizationServer(URI.create(ISSUER))
                .mcpPath("/mcp")
                .requiredScopes("mcp:tools")
                .scopesSupported("mcp:tools", "orders:read")
                .resourceName("Orders MCP")
                .allowedOrigin("https://app.example.com")
                .build();

        Path baseDir = Files.createTempDirectory("mcp-guard-tomcat");
        tomcat = new Tomcat();
        tomcat.setBaseDir(baseDir.toString());
        tomcat.setPort(0);
        Context context = tomcat.addContext("", baseDir.toString());
        Tomcat.addServlet(context, "mcp", new EchoMcpServlet()).setAsyncSupported(true);
        context.addServletMappingDecoded("/mcp", "mcp");
        Tomcat.addServlet(context, "other", new OtherServlet());
        context.addServletMappingDecoded("/", "other");
        addFilter(context, "spoofer", new CallerSpoofingFilter());
        addFilter(context, "guard", guard);
        tomcat.getConnector();
        tomcat.start();
        base = URI.create("http://localhost:" + tomcat.getConnector().getLocalPort());
    }

    @AfterAll
    static void stopTomcat() throws LifecycleException {
        tomcat.stop();
        tomcat.destroy();
    }

    @Test
    void answers401WithAResourceMetadataPointerWhenNoCredentialIsPresented() throws Exception {
        HttpResponse<String> response = send(post("/mcp", TOOLS_LIST));

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).contains(
                "Bearer resource_metadata=\"" + METADATA_URL + "\", scope=\"mcp:tools\"");
        assertThat(json(response).get("error").asText()).isEqualTo("unauthorized");
    }

    @Test
    void answers401InvalidTokenWithAShortSafeDescriptionWhenTheTokenIsRejected() throws Exception {
        String expired = jwt("alice", RESOURCE, Instant.now().minus(Duration.ofHours(1)));

        HttpResponse<String> response = send(post("/mcp", TOOLS_LIST).header("Authorization", "Bearer " + expired));

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate")).contains("Bearer error=\"invalid_token\", "
                + "error_description=\"token expired\", resource_metadata=\"" + METADATA_URL + "\"");
        assertThat(response.body()).doesNotContain(expired);
    }

    @Test
    void rejectsATokenMintedForAnotherServer() throws Exception {
        String foreign = jwt("alice", "https://hr.example.com/mcp", Instant.now().plusSeconds(600));

        HttpResponse<String> response = send(post("/mcp", TOOLS_LIST).header("Authorization", "Bearer " + foreign));

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.headers().firstValue("WWW-Authenticate").orElseThrow())
                .contains("error_description=\"token audience does not match this server\"");
    }

    @Test
    void letsAValidBearerTokenThroughAndHandsTheCallerToTheServer() throws Exception {
        String token = jwt("alice", RESOURCE, Instant.now().plusSeconds(600));

        HttpResponse<String> response = send(post("/mcp", TOOLS_LIST).header("Authorization", "Bearer " + token));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("subject=alice method=BEARER_JWT");
    }

    @Test
    void servesTheProtectedResourceMetadataAtBothWellKnownPathsWithoutAuthentication() throws Exception {
        for (String path : List.of("/.well-known/oauth-protected-resource",
                "/.well-known/oauth-protected-resource/mcp")) {
            HttpResponse<String> response = send(HttpRequest.newBuilder(base.resolve(path)).GET());

            assertThat(response.statusCode()).as(path).isEqualTo(200);
            assertThat(response.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
            JsonNode metadata = json(response);
            assertThat(metadata.get("resource").asText()).isEqualTo(RESOURCE);
            assertThat(metadata.get("authorization_servers").get(0).asText()).isEqualTo(ISSUER);
            assertThat(metadata.get("scopes_supported")).extracting(JsonNode::asText)
                    .containsExactly("mcp:tools", "orders:read");
            assertThat(metadata.get("bearer_methods_supported")).extracting(JsonNode::asText)
                    .containsExactly("header");
            assertThat(metadata.get("resource_name").asText()).isEqualTo("Orders MCP");
        }
    }

    @Test
    void answers403InsufficientScopeNamingTheRequiredScope() throws Exception {
        HttpResponse<String> response = send(post("/mcp", TOOLS_LIST).header("X-API-Key", CAROL_KEY));

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(response.headers().firstValue("WWW-Authenticate")).contains("Bearer error=\"insufficient_scope\", "
                + "scope=\"mcp:tools\", resource_metadata=\"" + METADATA_URL + "\"");
    }

    @Test
    void refusesARequestFromAForeignBrowserOrigin() throws Exception {
        HttpResponse<String> response = send(post("/mcp", TOOLS_LIST).header("X-API-Key", ALICE_KEY)
                .header("Origin", "https://evil.example.net"));

        assertThat(response.statusCode()).isEqualTo(403);
        assertThat(json(response).get("error").asText()).isEqualTo("origin_not_allowed");
    }

    @Test
    void acceptsARequestFromAnAllowedOrigin() throws Exception {
        HttpResponse<String> response = send(post("/mcp", TOOLS_LIST).header("X-API-Key", ALICE_KEY)
                .header("Origin", "https://APP.example.com"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("subject=alice method=API_KEY");
    }

    @Test
    void bindsTheSessionAtInitializeAndAcceptsItFromTheSamePrincipal() throws Exception {
        String sessionId = initialize(ALICE_KEY);

        HttpResponse<String> post = send(post("/mcp", TOOLS_LIST).header("X-API-Key", ALICE_KEY)
                .header("Mcp-Session-Id", sessionId));
        HttpResponse<String> get = send(HttpRequest.newBuilder(base.resolve("/mcp")).GET()
                .header("X-API-Key", ALICE_KEY).header("Mcp-Session-Id", sessionId));

        assertThat(post.statusCode()).isEqualTo(200);
        assertThat(get.statusCode()).isEqualTo(200);
    }

    @Test
    void refusesAnotherPrincipalOnTheSessionIncludingDelete() throws Exception {
        String sessionId = initialize(ALICE_KEY);

        HttpResponse<String> post = send(post("/mcp", TOOLS_LIST).header("X-API-Key", BOB_KEY)
                .header("Mcp-Session-Id", sessionId));
        HttpResponse<String> delete = send(HttpRequest.newBuilder(base.resolve("/mcp")).DELETE()
                .header("X-API-Key", BOB_KEY).header("Mcp-Session-Id", sessionId));

        assertThat(post.statusCode()).isEqualTo(403);
        assertThat(json(post).get("error").asText()).isEqualTo("session_principal_mismatch");
        assertThat(delete.statusCode()).isEqualTo(403);
        assertThat(send(post("/mcp", TOOLS_LIST).header("X-API-Key", ALICE_KEY)
                .header("Mcp-Session-Id", sessionId)).statusCode()).isEqualTo(200);
    }

    @Test
    void answers404ForAnUnknownSessionSoTheClientReinitializes() throws Exception {
        HttpResponse<String> response = send(post("/mcp", TOOLS_LIST).header("X-API-Key", ALICE_KEY)
                .header("Mcp-Session-Id", UUID.randomUUID().toString()));

        assertThat(response.statusCode()).isEqualTo(404);
    }

    @Test
    void endsTheSessionWhenItsOwnerDeletesIt() throws Exception {
        String sessionId = initialize(ALICE_KEY);

        HttpResponse<String> delete = send(HttpRequest.newBuilder(base.resolve("/mcp")).DELETE()
                .header("X-API-Key", ALICE_KEY).header("Mcp-Session-Id", sessionId));
        HttpResponse<String> after = send(post("/mcp", TOOLS_LIST).header("X-API-Key", ALICE_KEY)
                .header("Mcp-Session-Id", sessionId));

        assertThat(delete.statusCode()).isEqualTo(200);
        assertThat(after.statusCode()).isEqualTo(404);
    }

    @Test
    void neverLetsASessionIdAuthenticateOnItsOwn() throws Exception {
        String sessionId = initialize(ALICE_KEY);

        HttpResponse<String> response = send(post("/mcp", TOOLS_LIST).header("Mcp-Session-Id", sessionId));

        assertThat(response.statusCode()).isEqualTo(401);
    }

    @Test
    void replacesACallerAttributeSetBeforeTheFilter() throws Exception {
        HttpResponse<String> response = send(post("/mcp", TOOLS_LIST).header("X-API-Key", BOB_KEY)
                .header("X-Test-Spoof", "mallory"));

        assertThat(response.body()).isEqualTo("subject=bob method=API_KEY");
    }

    @Test
    void refusesARequestPresentingTwoCredentials() throws Exception {
        String token = jwt("alice", RESOURCE, Instant.now().plusSeconds(600));

        HttpResponse<String> response = send(post("/mcp", TOOLS_LIST).header("X-API-Key", BOB_KEY)
                .header("Authorization", "Bearer " + token));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(json(response).get("error").asText()).isEqualTo("invalid_request");
    }

    @Test
    void protectsEveryUriEndingWithTheMcpPathBecauseTheSdkServesThemAll() throws Exception {
        HttpResponse<String> response = send(post("/anything/mcp", TOOLS_LIST));

        assertThat(response.statusCode()).isEqualTo(401);
        assertThat(response.body()).doesNotContain("other caller");
    }

    @Test
    void letsPathsOutsideTheMcpEndpointPassUntouched() throws Exception {
        HttpResponse<String> response = send(HttpRequest.newBuilder(base.resolve("/health")).GET());

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.body()).isEqualTo("other caller=none");
    }

    @Test
    void neverWritesATokenOrApiKeyToTheLogsOrResponses() throws Exception {
        LogCapture logs = LogCapture.everythingWithDebugOf("dev.mcpguard");
        String good = jwt("alice", RESOURCE, Instant.now().plusSeconds(600));
        String expired = jwt("alice", RESOURCE, Instant.now().minus(Duration.ofHours(1)));
        String foreign = jwt("alice", "https://hr.example.com/mcp", Instant.now().plusSeconds(600));
        String garbage = "eyJhbGciOiJub25lIn0.c2VjcmV0LXBheWxvYWQ.";
        String wrongKey = "mgk_wrong_0Zx9Cv8Bn7Mq6Wl5Ek4Rj3Th";
        List<String> secrets = new ArrayList<>();
        for (String secret : List.of(good, expired, foreign, garbage, wrongKey, ALICE_KEY, BOB_KEY, CAROL_KEY)) {
            secrets.add(secret);
            // The payload and signature of a JWT are secret-bearing on their own.
            for (String part : secret.split("\\.")) {
                if (part.length() >= 16 && !part.equals(secret)) {
                    secrets.add(part);
                }
            }
        }
        List<HttpResponse<String>> responses = new ArrayList<>();
        try {
            for (String token : List.of(good, expired, foreign, garbage)) {
                responses.add(send(post("/mcp", TOOLS_LIST).header("Authorization", "Bearer " + token)));
            }
            for (String key : List.of(wrongKey, ALICE_KEY, CAROL_KEY)) {
                responses.add(send(post("/mcp", TOOLS_LIST).header("X-API-Key", key)));
            }
            String sessionId = initialize(ALICE_KEY);
            responses.add(send(post("/mcp", TOOLS_LIST).header("X-API-Key", BOB_KEY)
                    .header("Mcp-Session-Id", sessionId)));
        } finally {
            logs.close();
        }

        assertThat(logs.events()).as("the rejections were logged").isNotEmpty();
        for (ILoggingEvent event : logs.events()) {
            List<String> texts = new ArrayList<>();
            texts.add(event.getFormattedMessage());
            if (event.getArgumentArray() != null) {
                for (Object argument : event.getArgumentArray()) {
                    texts.add(String.valueOf(argument));
                }
            }
            for (IThrowableProxy t = event.getThrowableProxy(); t != null; t = t.getCause()) {
                texts.add(String.valueOf(t.getMessage()));
            }
            for (String text : texts) {
                for (String secret : secrets) {
                    assertThat(text).doesNotContain(secret);
                }
            }
        }
        for (HttpResponse<String> response : responses) {
            String everything = response.body() + response.headers().map();
            for (String secret : secrets) {
                assertThat(everything).doesNotContain(secret);
            }
        }
    }

    @Test
    void refusesBadConfigurationShowingTheValue() {
        assertThatThrownBy(() -> McpGuardHttpFilter.builder().allowedOrigin("https://app.example.com/path"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'https://app.example.com/path'");
        assertThatThrownBy(() -> McpGuardHttpFilter.builder().mcpPath("mcp"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'mcp'");
        assertThatThrownBy(() -> McpGuardHttpFilter.builder().requiredScopes("bad scope"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'bad scope'");
        assertThatThrownBy(() -> McpGuardHttpFilter.builder().resource(URI.create("urn:x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'urn:x'");
        assertThatThrownBy(() -> McpGuardHttpFilter.builder().build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("identityResolver");
    }

    @Test
    void keepsOnlySafeCharactersInErrorDescriptions() {
        assertThat(McpGuardHttpFilter.sanitize("bad \"quote\" \\ and\r\nnewline é"))
                .isEqualTo("bad quote  andnewline ");
    }

    static String initialize(String apiKey) throws Exception {
        HttpResponse<String> response = send(post("/mcp", INITIALIZE).header("X-API-Key", apiKey));
        assertThat(response.statusCode()).isEqualTo(200);
        return response.headers().firstValue("Mcp-Session-Id").orElseThrow();
    }

    static HttpRequest.Builder post(String path, String body) {
        return HttpRequest.newBuilder(base.resolve(path)).POST(HttpRequest.BodyPublishers.ofString(body))
                .header("Content-Type", "application/json");
    }

    static HttpResponse<String> send(HttpRequest.Builder request) throws Exception {
        return http.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
    }

    static JsonNode json(HttpResponse<String> response) throws IOException {
        return JSON.readTree(response.body());
    }

    static String jwt(String subject, String audience, Instant expiry) throws Exception {
        JWTClaimsSet claims = new JWTClaimsSet.Builder().issuer(ISSUER).subject(subject).audience(audience)
                .issueTime(Date.from(Instant.now().minusSeconds(5))).expirationTime(Date.from(expiry))
                .claim("scope", "mcp:tools").jwtID(UUID.randomUUID().toString()).build();
        SignedJWT signed = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID("k1")
                .type(JOSEObjectType.JWT).build(), claims);
        signed.sign(new RSASSASigner(signingKey));
        return signed.serialize();
    }

    static ApiKeyIdentityResolver.KeyEntry key(String id, String key, String subject, Set<String> scopes) {
        return ApiKeyIdentityResolver.KeyEntry.of(id, ApiKeyIdentityResolver.hashOf(Secret.ofUtf8(key)), subject)
                .withScopes(scopes);
    }

    static void addFilter(Context context, String name, Filter filter) {
        FilterDef def = new FilterDef();
        def.setFilterName(name);
        def.setFilter(filter);
        def.setAsyncSupported("true");
        context.addFilterDef(def);
        FilterMap map = new FilterMap();
        map.setFilterName(name);
        map.addURLPattern("/*");
        context.addFilterMap(map);
    }

    /** Stands in for the MCP SDK: issues a session id on initialize and echoes the verified caller. */
    static final class EchoMcpServlet extends HttpServlet {
        private static final long serialVersionUID = 1L;

        @Override
        protected void doPost(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            String body = new String(req.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (body.contains("\"method\":\"initialize\"")) {
                resp.setHeader("Mcp-Session-Id", UUID.randomUUID().toString());
            }
            echo(req, resp);
        }

        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            echo(req, resp);
        }

        @Override
        protected void doDelete(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            echo(req, resp);
        }

        private static void echo(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            CallerIdentity caller = (CallerIdentity) req.getAttribute(GuardRequestAttributes.CALLER);
            resp.setContentType("text/plain");
            resp.getWriter().write("subject=" + caller.subject() + " method=" + caller.method());
        }
    }

    /** Everything outside the MCP endpoint. */
    static final class OtherServlet extends HttpServlet {
        private static final long serialVersionUID = 1L;

        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            resp.setContentType("text/plain");
            resp.getWriter().write("other caller=" + (req.getAttribute(GuardRequestAttributes.CALLER) == null
                    ? "none" : "present"));
        }
    }

    /** Simulates a faulty upstream component that puts a caller on the request before the guard runs. */
    static final class CallerSpoofingFilter implements Filter {
        @Override
        public void doFilter(jakarta.servlet.ServletRequest request, jakarta.servlet.ServletResponse response,
                             jakarta.servlet.FilterChain chain) throws IOException, jakarta.servlet.ServletException {
            String spoof = ((HttpServletRequest) request).getHeader("X-Test-Spoof");
            if (spoof != null) {
                request.setAttribute(GuardRequestAttributes.CALLER,
                        CallerIdentity.builder("https://attacker", spoof).build());
            }
            chain.doFilter(request, response);
        }
    }

}
