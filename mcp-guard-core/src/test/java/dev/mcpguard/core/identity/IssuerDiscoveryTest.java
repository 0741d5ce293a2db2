package dev.mcpguard.core.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import com.sun.net.httpserver.HttpServer;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.spi.IdentityResolver.IdentityResult;
import dev.mcpguard.api.spi.IdentityResolver.PresentedCredential;
import dev.mcpguard.core.testing.LogCapture;
import dev.mcpguard.core.testing.MutableClock;
import dev.mcpguard.core.testing.SignedTokens;
import java.io.OutputStream;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Instant;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class IssuerDiscoveryTest {

    static final String RESOURCE = "https://orders.example.com/mcp";

    static MockOAuth2Server oauth;

    @BeforeAll
    static void startAuthorizationServer() {
        oauth = WarmedMockOAuth2Server.start();
    }

    @AfterAll
    static void stopAuthorizationServer() {
        oauth.shutdown();
    }

    static String token(String issuerId) {
        return oauth.issueToken(issuerId, "orders-client", new DefaultOAuth2TokenCallback(issuerId, "alice", "JWT",
                List.of(RESOURCE), Map.of(), 3600)).serialize();
    }

    static IdentityResult resolve(JwtIdentityResolver resolver, String token) {
        return resolver.resolve(new PresentedCredential.BearerToken(Secret.ofUtf8(token)));
    }

    static void assertRejected(IdentityResult result, String description) {
        assertThat(result).isInstanceOfSatisfying(IdentityResult.Rejected.class, rejected -> {
            assertThat(rejected.reason()).isEqualTo(ReasonCode.INVALID_TOKEN);
            assertThat(rejected.description()).isEqualTo(description);
        });
    }

    @Test
    void findsTheKeySetThroughOidcDiscoveryWhenNoJwksUrlIsConfigured() {
        JwtIdentityResolver resolver = JwtIdentityResolver.builder()
                .issuer(oauth.issuerUrl("acme").toString())
                .audience(RESOURCE)
                .build();

        assertThat(resolve(resolver, token("acme"))).isInstanceOf(IdentityResult.Authenticated.class);
    }

    @Test
    void refusesMetadataThatNamesAnotherIssuerThanTheConfiguredOne() {
        // "<issuer>/" is another issuer identifier than "<issuer>" (exact match): the document at
        // <issuer>/.well-known/openid-configuration names the one without the slash, so it is refused and no key
        // set is fetched. A lenient comparison would fetch the keys and reject on iss instead.
        JwtIdentityResolver resolver = JwtIdentityResolver.builder()
                .issuer(oauth.issuerUrl("acme") + "/")
                .audience(RESOURCE)
                .build();

        try (LogCapture logs = LogCapture.of("dev.mcpguard.core.identity")) {
            assertRejected(resolve(resolver, token("acme")), "token could not be verified");
            assertThat(logs.allText()).contains("names another issuer");
        }
    }

    @Test
    void checkingTheMetadataUpFrontPassesForTheIssuerAndNamesTheRefusalForAnotherIdentifier() throws Exception {
        JwtIdentityResolver.builder().issuer(oauth.issuerUrl("acme").toString()).audience(RESOURCE).build()
                .checkIssuerMetadata();
        TokenIntrospection introspection = TokenIntrospection.builder().clientId("orders-mcp")
                .clientSecret(Secret.ofUtf8("not-the-point")).build();
        JwtIdentityResolver.builder().issuer(oauth.issuerUrl("acme").toString()).audience(RESOURCE)
                .introspection(introspection).build().checkIssuerMetadata();
        // Keys and introspection endpoint configured: nothing comes from the metadata, nothing is read.
        JwtIdentityResolver.builder().issuer("https://unreachable.invalid/realms/acme").audience(RESOURCE)
                .jwksUrl(URI.create("https://unreachable.invalid/jwks")).build().checkIssuerMetadata();

        assertThatThrownBy(() -> JwtIdentityResolver.builder().issuer(oauth.issuerUrl("acme") + "/")
                .audience(RESOURCE).build().checkIssuerMetadata())
                .isInstanceOf(java.io.IOException.class).hasMessageContaining("names another issuer");
    }

    @Test
    void refusesMetadataWhoseJwksUriIsPlainHttpOffLoopback() throws Exception {
        AtomicInteger documents = new AtomicInteger();
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        String issuer = "http://127.0.0.1:" + http.getAddress().getPort() + "/realms/acme";
        http.createContext("/realms/acme/.well-known/openid-configuration", exchange -> {
            documents.incrementAndGet();
            byte[] body = ("{\"issuer\":\"" + issuer + "\",\"jwks_uri\":\"http://keys.example.com/jwks\"}")
                    .getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(200, body.length);
            try (OutputStream out = exchange.getResponseBody()) {
                out.write(body);
            }
        });
        http.start();
        try {
            JwtIdentityResolver resolver = JwtIdentityResolver.builder().issuer(issuer).audience(RESOURCE).build();

            try (LogCapture logs = LogCapture.of("dev.mcpguard.core.identity")) {
                assertRejected(resolve(resolver, token("acme")), "token could not be verified");
                assertThat(logs.allText()).contains("jwks_uri must be an https URL");
            }
            assertThat(documents.get()).isEqualTo(1);
        } finally {
            http.stop(0);
        }
    }

    @Test
    void fallsBackToRfc8414MetadataInsertedBeforeTheIssuersPathWhenOidcDiscoveryIsNotServed() throws Exception {
        RSAKey key = new RSAKeyGenerator(2048).keyID("as-1").generate();
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        String base = "http://127.0.0.1:" + http.getAddress().getPort();
        String issuer = base + "/tenants/acme";
        // Only the RFC 8414 location is served: the OIDC one (<issuer>/.well-known/openid-configuration) is a 404.
        http.createContext("/.well-known/oauth-authorization-server/tenants/acme", exchange -> send(exchange,
                "{\"issuer\":\"" + issuer + "\",\"jwks_uri\":\"" + base + "/keys\"}"));
        http.createContext("/keys", exchange -> send(exchange, new JWKSet(key).toPublicJWKSet().toString()));
        http.start();
        try {
            JwtIdentityResolver resolver = JwtIdentityResolver.builder().issuer(issuer).audience(RESOURCE).build();
            String token = SignedTokens.rs256(key, "as-1", new JWTClaimsSet.Builder().issuer(issuer)
                    .subject("alice").audience(RESOURCE).expirationTime(new Date(System.currentTimeMillis() + 600_000))
                    .build());

            assertThat(resolve(resolver, token)).isInstanceOf(IdentityResult.Authenticated.class);
        } finally {
            http.stop(0);
        }
    }

    @Test
    void rejectsTokensWhileTheMetadataFailsAndAcceptsThemOnceItIsServedAgain() throws Exception {
        RSAKey key = new RSAKeyGenerator(2048).keyID("as-1").generate();
        AtomicBoolean down = new AtomicBoolean(true);
        HttpServer http = HttpServer.create(new InetSocketAddress(InetAddress.getByName("127.0.0.1"), 0), 0);
        String base = "http://127.0.0.1:" + http.getAddress().getPort();
        String issuer = base + "/realms/acme";
        http.createContext("/realms/acme/.well-known/openid-configuration", exchange -> {
            if (down.get()) {
                exchange.sendResponseHeaders(503, -1);
                exchange.close();
                return;
            }
            send(exchange, "{\"issuer\":\"" + issuer + "\",\"jwks_uri\":\"" + base + "/keys\"}");
        });
        http.createContext("/.well-known/oauth-authorization-server/realms/acme", exchange -> {
            exchange.sendResponseHeaders(404, -1);
            exchange.close();
        });
        http.createContext("/keys", exchange -> send(exchange, new JWKSet(key).toPublicJWKSet().toString()));
        http.start();
        try {
            MutableClock clock = new MutableClock(Instant.now());
            JwtIdentityResolver resolver = JwtIdentityResolver.builder().issuer(issuer).audience(RESOURCE)
                    .clock(clock).build();
            String token = SignedTokens.rs256(key, "as-1", new JWTClaimsSet.Builder().issuer(issuer)
                    .subject("alice").audience(RESOURCE).expirationTime(Date.from(clock.instant().plusSeconds(600)))
                    .build());

            assertRejected(resolve(resolver, token), "token could not be verified");
            down.set(false);
            assertRejected(resolve(resolver, token), "token could not be verified"); // within the retry interval
            clock.advance(JwtIdentityResolver.DEFAULT_JWKS_REFETCH_MIN_INTERVAL);

            assertThat(resolve(resolver, token)).isInstanceOf(IdentityResult.Authenticated.class);
        } finally {
            http.stop(0);
        }
    }

    private static void send(com.sun.net.httpserver.HttpExchange exchange, String json) throws java.io.IOException {
        byte[] body = json.getBytes(StandardCharsets.UTF_8);
        exchange.sendResponseHeaders(200, body.length);
        try (OutputStream out = exchange.getResponseBody()) {
            out.write(body);
        }
    }

    @Test
    void rejectsTokensWhileTheMetadataIsUnreachable() {
        JwtIdentityResolver resolver = JwtIdentityResolver.builder()
                .issuer("http://127.0.0.1:1/realms/acme")
                .audience(RESOURCE)
                .build();

        assertRejected(resolve(resolver, token("acme")), "token could not be verified");
    }

    @Test
    void anExplicitJwksUrlWinsOverDiscovery() {
        // The trailing-slash issuer's metadata is refused (above), so only the explicit URL can give the keys.
        JwtIdentityResolver resolver = JwtIdentityResolver.builder()
                .issuer(oauth.issuerUrl("acme") + "/")
                .jwksUrl(URI.create(oauth.jwksUrl("acme").toString()))
                .audience(RESOURCE)
                .build();

        assertRejected(resolve(resolver, token("acme")), "token issuer not accepted");
    }

    @Test
    void locatesOidcDiscoveryByAppendingAndRfc8414ByInsertingBeforeThePath() {
        assertThat(IssuerMetadataSource.documentsOf("https://kc.example.com/realms/acme")).containsExactly(
                URI.create("https://kc.example.com/realms/acme/.well-known/openid-configuration"),
                URI.create("https://kc.example.com/.well-known/oauth-authorization-server/realms/acme"));
        assertThat(IssuerMetadataSource.documentsOf("https://login.example.com/")).containsExactly(
                URI.create("https://login.example.com/.well-known/openid-configuration"),
                URI.create("https://login.example.com/.well-known/oauth-authorization-server"));
    }

    @Test
    void refusesToDiscoverForAnIssuerThatIsNotAnHttpsUrl() {
        assertThatThrownBy(() -> JwtIdentityResolver.builder().issuer("http://kc.example.com/realms/acme")
                .audience(RESOURCE).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("http://kc.example.com/realms/acme");
        assertThatThrownBy(() -> JwtIdentityResolver.builder().issuer("acme").audience(RESOURCE).build())
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("jwksUrl or jwkSet");
    }

    @Test
    void treatsOnlyLoopbackLiteralsAndLocalhostAsLoopback() {
        assertThat(IssuerMetadataSource.isLoopbackHttp(URI.create("http://127.0.0.1:8080/x"))).isTrue();
        assertThat(IssuerMetadataSource.isLoopbackHttp(URI.create("http://localhost/x"))).isTrue();
        assertThat(IssuerMetadataSource.isLoopbackHttp(URI.create("http://[::1]:9/x"))).isTrue();
        assertThat(IssuerMetadataSource.isLoopbackHttp(URI.create("http://localhost.example.com/x"))).isFalse();
        assertThat(IssuerMetadataSource.isLoopbackHttp(URI.create("http://10.0.0.1/x"))).isFalse();
        assertThat(IssuerMetadataSource.isLoopbackHttp(URI.create("https://127.0.0.1/x"))).isFalse();
    }
}
