package dev.mcpguard.core.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.spi.IdentityResolver;
import dev.mcpguard.api.spi.IdentityResolver.IdentityResult;
import dev.mcpguard.api.spi.IdentityResolver.PresentedCredential;
import dev.mcpguard.core.testing.RotatingJwksServer;
import dev.mcpguard.core.testing.SignedTokens;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.Map;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

class IssuerRoutingIdentityResolverTest {

    static final String ORDERS = "https://orders.example.com/mcp";
    static final String PARTNER_AUDIENCE = "api://orders-partner";

    static MockOAuth2Server oauth;

    @BeforeAll
    static void startAuthorizationServer() {
        oauth = WarmedMockOAuth2Server.start();
    }

    @AfterAll
    static void stopAuthorizationServer() {
        oauth.shutdown();
    }

    static String token(String issuerId, String audience, Map<String, Object> claims) {
        return oauth.issueToken(issuerId, "client", new DefaultOAuth2TokenCallback(issuerId, "alice", "JWT",
                List.of(audience), claims, 3600)).serialize();
    }

    static IdentityResult resolve(IdentityResolver resolver, String token) {
        return resolver.resolve(new PresentedCredential.BearerToken(Secret.ofUtf8(token)));
    }

    static void assertRejected(IdentityResult result, String description) {
        assertThat(result).isInstanceOfSatisfying(IdentityResult.Rejected.class, rejected -> {
            assertThat(rejected.reason()).isEqualTo(ReasonCode.INVALID_TOKEN);
            assertThat(rejected.description()).isEqualTo(description);
        });
    }

    /** Issuer "acme" (Keycloak-like, audience this server) and issuer "partner" (its own audience and mapping). */
    static IdentityResolver twoIssuers() {
        return IdentityResolvers.byIssuer(
                JwtIdentityResolver.builder().issuer(oauth.issuerUrl("acme").toString()).audience(ORDERS)
                        .claimMapping(ClaimMapping.keycloak()).build(),
                JwtIdentityResolver.builder().issuer(oauth.issuerUrl("partner").toString()).audience(PARTNER_AUDIENCE)
                        .claimMapping(ClaimMapping.builder().rolePaths("/permissions").build()).build());
    }

    @Test
    void acceptsTokensOfEitherIssuerEachWithItsOwnAudienceAndClaimMapping() {
        IdentityResolver resolver = twoIssuers();

        IdentityResult acme = resolve(resolver, token("acme", ORDERS,
                Map.of("realm_access", Map.of("roles", List.of("viewer")))));
        IdentityResult partner = resolve(resolver, token("partner", PARTNER_AUDIENCE,
                Map.of("permissions", List.of("orders:sync"))));

        assertThat(acme).isInstanceOfSatisfying(IdentityResult.Authenticated.class, a -> {
            assertThat(a.identity().issuer()).isEqualTo(oauth.issuerUrl("acme").toString());
            assertThat(a.identity().roles()).containsExactly("viewer");
        });
        assertThat(partner).isInstanceOfSatisfying(IdentityResult.Authenticated.class, a -> {
            assertThat(a.identity().issuer()).isEqualTo(oauth.issuerUrl("partner").toString());
            assertThat(a.identity().roles()).containsExactly("orders:sync");
        });
    }

    @Test
    void refusesATokenOfTheFirstIssuerCarryingTheSecondIssuersAudience() {
        assertRejected(resolve(twoIssuers(), token("acme", PARTNER_AUDIENCE, Map.of())),
                "token audience does not match this server");
    }

    @Test
    void refusesAnUnknownIssuerBeforeAnyNetworkCall() {
        try (RotatingJwksServer keys = RotatingJwksServer.start(new JWKSet())) {
            IdentityResolver resolver = IdentityResolvers.byIssuer(JwtIdentityResolver.builder()
                    .issuer("https://kc.example.com/realms/acme").jwksUrl(keys.uri()).audience(ORDERS).build());

            assertRejected(resolve(resolver, token("stranger", ORDERS, Map.of())), "token issuer not accepted");
            assertThat(keys.fetches()).isZero();
        }
    }

    @Test
    void neverVerifiesATokenOfOneIssuerWithTheKeysOfAnother() throws Exception {
        RSAKey first = new RSAKeyGenerator(2048).keyID("first").generate();
        RSAKey second = new RSAKeyGenerator(2048).keyID("second").generate();
        Instant now = Instant.parse("2026-03-01T12:00:00Z");
        Clock clock = Clock.fixed(now, ZoneOffset.UTC);
        IdentityResolver resolver = IdentityResolvers.byIssuer(
                JwtIdentityResolver.builder().issuer("https://one.example").jwkSet(new JWKSet(first))
                        .audience(ORDERS).clock(clock).build(),
                JwtIdentityResolver.builder().issuer("https://two.example").jwkSet(new JWKSet(second))
                        .audience(ORDERS).clock(clock).build());
        JWTClaimsSet claimsOfOne = new JWTClaimsSet.Builder().issuer("https://one.example").subject("alice")
                .audience(ORDERS).expirationTime(Date.from(now.plusSeconds(300))).build();

        assertThat(resolve(resolver, SignedTokens.rs256(first, "first", claimsOfOne)))
                .isInstanceOf(IdentityResult.Authenticated.class);
        // Signed by issuer two's key (its kid too), but claiming to be issuer one.
        assertRejected(resolve(resolver, SignedTokens.rs256(second, "second", claimsOfOne)),
                "token signature invalid");
    }

    @Test
    void servesARepeatedTokenFromTheCacheOfTheResolverThatVerifiedIt() {
        JwtIdentityResolver acme = JwtIdentityResolver.builder().issuer(oauth.issuerUrl("acme").toString())
                .audience(ORDERS).build();
        JwtIdentityResolver partner = JwtIdentityResolver.builder().issuer(oauth.issuerUrl("partner").toString())
                .audience(ORDERS).build();
        IdentityResolver resolver = IdentityResolvers.byIssuer(acme, partner);
        String token = token("partner", ORDERS, Map.of());

        assertThat(resolve(resolver, token)).isInstanceOf(IdentityResult.Authenticated.class);
        assertThat(resolve(resolver, token)).isInstanceOfSatisfying(IdentityResult.Authenticated.class, a ->
                assertThat(a.identity().issuer()).isEqualTo(oauth.issuerUrl("partner").toString()));
        assertThat(partner.verifiedTokenCache().hits()).isEqualTo(1);
        assertThat(acme.verifiedTokenCache().hits()).isZero();
    }

    @Test
    void refusesOpaqueTokensWhenNoIssuerIntrospects() {
        assertRejected(resolve(twoIssuers(), "opaque-token"), "token malformed");
    }

    @Test
    void declinesOtherCredentials() {
        assertThat(twoIssuers().resolve(new PresentedCredential.ApiKey(Secret.ofUtf8("k"))))
                .isInstanceOf(IdentityResult.NotApplicable.class);
    }

    @Test
    void refusesTwoResolversForTheSameIssuer() {
        JwtIdentityResolver one = JwtIdentityResolver.builder().issuer("https://one.example")
                .jwkSet(new JWKSet()).audience(ORDERS).build();
        JwtIdentityResolver again = JwtIdentityResolver.builder().issuer("https://one.example")
                .jwkSet(new JWKSet()).audience("other").build();

        assertThatThrownBy(() -> IdentityResolvers.byIssuer(one, again))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("https://one.example");
    }
}
