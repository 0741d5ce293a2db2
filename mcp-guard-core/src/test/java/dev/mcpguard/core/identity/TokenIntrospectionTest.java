package dev.mcpguard.core.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.spi.IdentityResolver.IdentityResult;
import dev.mcpguard.api.spi.IdentityResolver.PresentedCredential;
import dev.mcpguard.core.testing.LogCapture;
import dev.mcpguard.core.testing.MutableClock;
import java.net.URI;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class TokenIntrospectionTest {

    static final String RESOURCE = "https://orders.example.com/mcp";
    static final String CLIENT_ID = "orders-mcp";
    static final String CLIENT_SECRET = "s3cr3t-of-the-resource-server";

    static MockOAuth2Server oauth;

    @BeforeAll
    static void startAuthorizationServer() {
        oauth = WarmedMockOAuth2Server.start();
    }

    @AfterAll
    static void stopAuthorizationServer() {
        oauth.shutdown();
    }

    static String issuer() {
        return oauth.issuerUrl("acme").toString();
    }

    static String jwt(String subject, List<String> audience) {
        return oauth.issueToken("acme", "orders-client",
                new DefaultOAuth2TokenCallback("acme", subject, "JWT", audience, Map.of(), 3600)).serialize();
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

    static TokenIntrospection.Builder introspection() {
        return TokenIntrospection.builder().clientId(CLIENT_ID).clientSecret(Secret.ofUtf8(CLIENT_SECRET));
    }

    @Nested
    class AgainstMockOAuth2Server {

        @Test
        void acceptsAJwtTheIssuerSaysIsActiveWithTheEndpointFromItsMetadata() {
            JwtIdentityResolver resolver = JwtIdentityResolver.builder()
                    .issuer(issuer())
                    .audience(RESOURCE)
                    .introspection(introspection().alsoForJwts().build())
                    .build();

            IdentityResult result = resolve(resolver, jwt("alice", List.of(RESOURCE)));

            assertThat(result).isInstanceOfSatisfying(IdentityResult.Authenticated.class, authenticated ->
                    assertThat(authenticated.identity().subject()).isEqualTo("alice"));
            assertThat(resolver.introspector().cachedAnswers()).isEqualTo(1);
        }

        @Test
        void refusesAnOpaqueTokenTheIssuerSaysIsInactive() {
            JwtIdentityResolver resolver = JwtIdentityResolver.builder()
                    .issuer(issuer())
                    .audience(RESOURCE)
                    .introspection(introspection().build())
                    .build();

            assertRejected(resolve(resolver, "opaque-token-the-issuer-never-issued"), "token not active");
        }

        @Test
        void refusesOpaqueTokensWhenNoIntrospectionIsConfigured() {
            JwtIdentityResolver resolver = JwtIdentityResolver.builder()
                    .issuer(issuer())
                    .audience(RESOURCE)
                    .build();

            assertRejected(resolve(resolver, "opaque-token"), "token malformed");
        }

        @Test
        void refusesEveryTokenWhileTheIntrospectionEndpointIsDown() {
            JwtIdentityResolver resolver = JwtIdentityResolver.builder()
                    .issuer(issuer())
                    .audience(RESOURCE)
                    .introspection(introspection().alsoForJwts()
                            .endpoint(URI.create("http://127.0.0.1:1/introspect")).build())
                    .build();

            assertRejected(resolve(resolver, jwt("alice", List.of(RESOURCE))), "token could not be verified");
            assertRejected(resolve(resolver, "opaque-token"), "token could not be verified");
        }

        @Test
        void introspectsOnlyOpaqueTokensUnlessToldToIntrospectJwtsToo() {
            JwtIdentityResolver resolver = JwtIdentityResolver.builder()
                    .issuer(issuer())
                    .audience(RESOURCE)
                    .introspection(introspection().endpoint(URI.create("http://127.0.0.1:1/introspect")).build())
                    .build();

            assertThat(resolve(resolver, jwt("alice", List.of(RESOURCE))))
                    .isInstanceOf(IdentityResult.Authenticated.class);
        }
    }

    @Nested
    class AgainstARevocableEndpoint {

        final FakeRevocableIntrospectionEndpoint endpoint =
                FakeRevocableIntrospectionEndpoint.start(CLIENT_ID, CLIENT_SECRET);
        final MutableClock clock = new MutableClock(Instant.now());

        @AfterEach
        void stop() {
            endpoint.close();
        }

        JwtIdentityResolver resolver(TokenIntrospection introspection) {
            return JwtIdentityResolver.builder()
                    .issuer(issuer())
                    .jwksUrl(URI.create(oauth.jwksUrl("acme").toString()))
                    .audience(RESOURCE)
                    .clock(clock)
                    .claimMapping(ClaimMapping.keycloak())
                    .introspection(introspection)
                    .build();
        }

        Map<String, Object> answer(String subject, String audience, Instant exp) {
            return Map.of("iss", issuer(), "sub", subject, "aud", audience, "exp", exp.getEpochSecond(),
                    "scope", "orders:read", "client_id", "orders-client", "token_type", "Bearer",
                    "realm_access", Map.of("roles", List.of("viewer")));
        }

        @Test
        void refusesARevokedJwtOnceTheCacheTtlHasPassed() {
            JwtIdentityResolver resolver = resolver(introspection().alsoForJwts().endpoint(endpoint.uri())
                    .cacheTtl(Duration.ofSeconds(30)).build());
            String token = jwt("alice", List.of(RESOURCE));
            endpoint.activate(token, answer("alice", RESOURCE, clock.instant().plusSeconds(3600)));

            assertThat(resolve(resolver, token)).isInstanceOf(IdentityResult.Authenticated.class);
            assertThat(resolve(resolver, token)).isInstanceOf(IdentityResult.Authenticated.class);
            assertThat(endpoint.requests()).isEqualTo(1);

            endpoint.revoke(token); // the user logged out at the issuer
            clock.advance(Duration.ofSeconds(29));
            // Within the TTL the remembered answer stands: this is the documented bound on revocation delay.
            assertThat(resolve(resolver, token)).isInstanceOf(IdentityResult.Authenticated.class);
            assertThat(endpoint.requests()).isEqualTo(1);

            clock.advance(Duration.ofSeconds(1));
            assertRejected(resolve(resolver, token), "token not active");
            assertThat(endpoint.requests()).isEqualTo(2);
        }

        @Test
        void acceptsAnActiveOpaqueTokenAndMapsTheAnswer() {
            JwtIdentityResolver resolver = resolver(introspection().endpoint(endpoint.uri()).build());
            Instant exp = clock.instant().plusSeconds(600);
            endpoint.activate("opaque-1", answer("bob", RESOURCE, exp));

            IdentityResult result = resolve(resolver, "opaque-1");

            assertThat(result).isInstanceOfSatisfying(IdentityResult.Authenticated.class, authenticated -> {
                CallerIdentity identity = authenticated.identity();
                assertThat(identity.issuer()).isEqualTo(issuer());
                assertThat(identity.subject()).isEqualTo("bob");
                assertThat(identity.method()).isEqualTo(CallerIdentity.AuthenticationMethod.BEARER_OPAQUE);
                assertThat(identity.scopes()).containsExactly("orders:read");
                assertThat(identity.roles()).containsExactly("viewer");
                assertThat(identity.clientId()).contains("orders-client");
                assertThat(identity.expiresAt()).contains(Instant.ofEpochSecond(exp.getEpochSecond()));
                assertThat(identity.tokenType()).isEmpty();
            });
            assertThat(endpoint.lastBody()).isEqualTo("token=opaque-1&token_type_hint=access_token");
        }

        @Test
        void refusesAnActiveOpaqueTokenMintedForAnotherAudience() {
            JwtIdentityResolver resolver = resolver(introspection().endpoint(endpoint.uri()).build());
            endpoint.activate("opaque-hr", answer("bob", "https://hr.example.com/mcp",
                    clock.instant().plusSeconds(600)));

            assertRejected(resolve(resolver, "opaque-hr"), "token audience does not match this server");
        }

        @Test
        void refusesAnActiveOpaqueTokenWhoseAnswerNamesNoAudience() {
            JwtIdentityResolver resolver = resolver(introspection().endpoint(endpoint.uri()).build());
            endpoint.activate("opaque-no-aud", Map.of("sub", "bob", "exp", clock.instant().plusSeconds(600)
                    .getEpochSecond()));

            assertRejected(resolve(resolver, "opaque-no-aud"), "token audience does not match this server");
        }

        @Test
        void refusesAnActiveAnswerOfAnotherIssuer() {
            JwtIdentityResolver resolver = resolver(introspection().endpoint(endpoint.uri()).build());
            endpoint.activate("opaque-other", Map.of("iss", "https://other.example", "sub", "bob", "aud", RESOURCE));

            assertRejected(resolve(resolver, "opaque-other"), "token issuer not accepted");
        }

        @Test
        void neverRemembersAnAnswerPastTheTokensExpiry() {
            JwtIdentityResolver resolver = resolver(introspection().endpoint(endpoint.uri())
                    .cacheTtl(Duration.ofSeconds(30)).build());
            endpoint.activate("opaque-short", answer("bob", RESOURCE, clock.instant().plusSeconds(10)));
            assertThat(resolve(resolver, "opaque-short")).isInstanceOf(IdentityResult.Authenticated.class);

            clock.advance(Duration.ofSeconds(11)); // past exp, within the TTL

            // Asked again (the remembered answer ended at exp); the answer's exp is past the skew only later.
            assertThat(resolve(resolver, "opaque-short")).isInstanceOf(IdentityResult.Authenticated.class);
            assertThat(endpoint.requests()).isEqualTo(2);
            clock.advance(Duration.ofSeconds(30));
            assertRejected(resolve(resolver, "opaque-short"), "token expired");
        }

        @Test
        void failsClosedWithoutLeakingTheSecretOrTokenWhenTheClientCredentialsAreWrong() {
            JwtIdentityResolver resolver = resolver(TokenIntrospection.builder().clientId(CLIENT_ID)
                    .clientSecret(Secret.ofUtf8("wrong-secret-value")).endpoint(endpoint.uri()).build());
            endpoint.activate("opaque-2", answer("bob", RESOURCE, clock.instant().plusSeconds(600)));

            try (LogCapture logs = LogCapture.ofAtDebug("dev.mcpguard")) {
                assertRejected(resolve(resolver, "opaque-2"), "token could not be verified");
                assertThat(logs.allText()).contains("HTTP 401").doesNotContain("wrong-secret-value")
                        .doesNotContain("opaque-2");
            }
            assertThat(resolver.toString()).doesNotContain("wrong-secret-value");
        }
    }

    @Nested
    class Configuration {

        @Test
        void refusesAnHttpIntrospectionEndpointForAnHttpsIssuer() throws Exception {
            JwtIdentityResolver.Builder builder = JwtIdentityResolver.builder()
                    .issuer("https://kc.example.com/realms/acme")
                    .jwkSet(new JWKSet(new RSAKeyGenerator(2048).keyID("k").generate()))
                    .audience(RESOURCE)
                    .introspection(introspection().endpoint(URI.create("http://kc.example.com/introspect")).build());

            assertThatThrownBy(builder::build).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("http://kc.example.com/introspect");
        }

        @Test
        void keepsTheClientSecretOutOfToString() {
            assertThat(introspection().build().toString()).doesNotContain(CLIENT_SECRET).contains(CLIENT_ID);
        }

        @Test
        void refusesACacheTtlOverFiveMinutes() {
            assertThatThrownBy(() -> introspection().cacheTtl(Duration.ofMinutes(6)))
                    .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT6M");
        }
    }
}
