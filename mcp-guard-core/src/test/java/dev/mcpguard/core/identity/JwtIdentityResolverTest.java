package dev.mcpguard.core.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSHeader;
import com.nimbusds.jose.crypto.ECDSASigner;
import com.nimbusds.jose.crypto.MACSigner;
import com.nimbusds.jose.crypto.RSASSASigner;
import com.nimbusds.jose.jwk.Curve;
import com.nimbusds.jose.jwk.ECKey;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.ECKeyGenerator;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.SignedJWT;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.spi.IdentityResolver.IdentityResult;
import dev.mcpguard.api.spi.IdentityResolver.PresentedCredential;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

class JwtIdentityResolverTest {

    static final String RESOURCE = "https://orders.example.com/mcp";

    static MockOAuth2Server oauth;

    @BeforeAll
    static void startAuthorizationServer() {
        oauth = new MockOAuth2Server();
        oauth.start();
    }

    @AfterAll
    static void stopAuthorizationServer() {
        oauth.shutdown();
    }

    static IdentityResult resolve(JwtIdentityResolver resolver, String token) {
        return resolver.resolve(new PresentedCredential.BearerToken(Secret.ofUtf8(token)));
    }

    static void assertRejected(IdentityResult result, String description, String token) {
        assertThat(result).isInstanceOf(IdentityResult.Rejected.class);
        IdentityResult.Rejected rejected = (IdentityResult.Rejected) result;
        assertThat(rejected.reason()).isEqualTo(ReasonCode.INVALID_TOKEN);
        assertThat(rejected.description()).isEqualTo(description);
        for (String part : token.split("\\.")) {
            if (!part.isEmpty()) {
                assertThat(rejected.description()).doesNotContain(part);
            }
        }
    }

    @Nested
    class AgainstARealAuthorizationServer {

        JwtIdentityResolver resolver = JwtIdentityResolver.builder()
                .issuer(oauth.issuerUrl("acme").toString())
                .jwksUrl(URI.create(oauth.jwksUrl("acme").toString()))
                .audience(RESOURCE)
                .claimMapping(ClaimMapping.keycloak())
                .build();

        String issue(String subject, List<String> audience, Map<String, Object> claims) {
            return oauth.issueToken("acme", "orders-client",
                    new DefaultOAuth2TokenCallback("acme", subject, "JWT", audience, claims, 3600)).serialize();
        }

        @Test
        void acceptsATokenForThisServerAndMapsItsClaims() {
            String token = issue("alice", List.of(RESOURCE), Map.of(
                    "realm_access", Map.of("roles", List.of("order-admin", "viewer")),
                    "groups", List.of("emea"),
                    "tid", "tenant-42",
                    "azp", "orders-client",
                    "scope", "orders:read  orders:write",
                    "act", Map.of("sub", "agent-7", "client_id", "agent-app")));

            IdentityResult result = resolve(resolver, token);

            assertThat(result).isInstanceOf(IdentityResult.Authenticated.class);
            CallerIdentity identity = ((IdentityResult.Authenticated) result).identity();
            assertThat(identity.issuer()).isEqualTo(oauth.issuerUrl("acme").toString());
            assertThat(identity.subject()).isEqualTo("alice");
            assertThat(identity.roles()).containsExactlyInAnyOrder("order-admin", "viewer", "emea");
            assertThat(identity.tenant()).contains("tenant-42");
            assertThat(identity.clientId()).contains("orders-client");
            assertThat(identity.scopes()).containsExactlyInAnyOrder("orders:read", "orders:write");
            assertThat(identity.actor()).contains(new CallerIdentity.Actor("agent-7", Optional.of("agent-app")));
            assertThat(identity.method()).isEqualTo(CallerIdentity.AuthenticationMethod.BEARER_JWT);
            assertThat(identity.tokenId()).isPresent();
            assertThat(identity.expiresAt()).isPresent();
        }

        @Test
        void rejectsAKeycloakIdTokenEvenWhenAnAudienceMapperPutThisServerInItsAudience() {
            String token = issue("alice", List.of("orders-client", RESOURCE), Map.of("typ", "ID", "nonce", "n-1"));

            assertRejected(resolve(resolver, token), "token type not accepted", token);
        }

        @Test
        void rejectsAKeycloakRefreshToken() {
            String token = issue("alice", List.of(RESOURCE), Map.of("typ", "Refresh"));

            assertRejected(resolve(resolver, token), "token type not accepted", token);
        }

        @Test
        void acceptsAKeycloakAccessTokenMarkedBearerAndTellsItsType() {
            String token = issue("alice", List.of(RESOURCE), Map.of("typ", "Bearer", "nonce", "n-1"));

            IdentityResult result = resolve(resolver, token);

            assertThat(result).isInstanceOfSatisfying(IdentityResult.Authenticated.class, authenticated ->
                    assertThat(authenticated.identity().tokenType()).contains(CallerIdentity.TOKEN_TYPE_JWT));
        }

        @Test
        void rejectsATokenMintedForAnotherAudience() {
            String token = issue("alice", List.of("https://hr.example.com/mcp"), Map.of());

            assertRejected(resolve(resolver, token), "token audience does not match this server", token);
        }

        @Test
        void rejectsATokenOfAnotherIssuerOnTheSameServer() {
            String token = oauth.issueToken("other", "orders-client",
                    new DefaultOAuth2TokenCallback("other", "alice", "JWT", List.of(RESOURCE), Map.of(), 3600))
                    .serialize();

            assertThat(resolve(resolver, token)).isInstanceOf(IdentityResult.Rejected.class);
        }

        @Test
        void rejectsATokenWhoseKeyIdTheIssuerDoesNotPublish() throws Exception {
            RSAKey foreign = new RSAKeyGenerator(2048).keyID("not-published").generate();
            String token = sign(foreign, JWSAlgorithm.RS256, claims(oauth.issuerUrl("acme").toString(),
                    Instant.now()).build());

            assertRejected(resolve(resolver, token), "token signature invalid", token);
        }

        @Test
        void rejectsEveryTokenWhenTheKeySetIsUnreachable() {
            JwtIdentityResolver unreachable = JwtIdentityResolver.builder()
                    .issuer(oauth.issuerUrl("acme").toString())
                    .jwksUrl(URI.create("http://127.0.0.1:1/jwks"))
                    .audience(RESOURCE)
                    .build();
            String token = issue("alice", List.of(RESOURCE), Map.of());

            assertRejected(resolve(unreachable, token), "token could not be verified", token);
        }
    }

    @Nested
    class AgainstAFixedKeySet {

        static final String ISSUER = "https://login.example.com/realms/acme";
        final Instant now = Instant.parse("2026-03-01T12:00:00Z");
        final RSAKey key;
        final ECKey ecKey;
        final JwtIdentityResolver resolver;

        AgainstAFixedKeySet() throws Exception {
            key = new RSAKeyGenerator(2048).keyID("k1").generate();
            ecKey = new ECKeyGenerator(Curve.P_256).keyID("e1").generate();
            resolver = JwtIdentityResolver.builder()
                    .issuer(ISSUER)
                    .jwkSet(new JWKSet(List.of(key, ecKey)))
                    .audience(RESOURCE)
                    .clock(Clock.fixed(now, ZoneOffset.UTC))
                    .claimMapping(ClaimMapping.keycloak())
                    .build();
        }

        @Test
        void acceptsAWellFormedToken() throws Exception {
            String token = sign(key, JWSAlgorithm.RS256, claims(ISSUER, now).build());

            assertThat(resolve(resolver, token)).isInstanceOf(IdentityResult.Authenticated.class);
        }

        @Test
        void acceptsAnEs256TokenBecauseItIsOnTheDefaultAllowList() throws Exception {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.ES256).keyID("e1").build(),
                    claims(ISSUER, now).build());
            jwt.sign(new ECDSASigner(ecKey));

            assertThat(resolve(resolver, jwt.serialize())).isInstanceOf(IdentityResult.Authenticated.class);
        }

        @Test
        void rejectsAnUnsecuredTokenWithAlgNone() {
            String token = Base64URL.encode("{\"alg\":\"none\",\"typ\":\"JWT\"}") + "."
                    + Base64URL.encode(claims(ISSUER, now).build().toString()) + ".";

            assertRejected(resolve(resolver, token), "token signature invalid", token);
        }

        @Test
        void rejectsAnHmacTokenEvenWithAMatchingKeyId() throws Exception {
            SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.HS256).keyID("k1").build(),
                    claims(ISSUER, now).build());
            jwt.sign(new MACSigner(key.toRSAPublicKey().getEncoded()));

            assertRejected(resolve(resolver, jwt.serialize()), "token signature invalid", jwt.serialize());
        }

        @Test
        void rejectsATokenSignedWithAnotherKeyUnderAKnownKeyId() throws Exception {
            RSAKey impostor = new RSAKeyGenerator(2048).keyID("k1").generate();
            String token = sign(impostor, JWSAlgorithm.RS256, claims(ISSUER, now).build());

            assertRejected(resolve(resolver, token), "token signature invalid", token);
        }

        @Test
        void rejectsATokenWithAnUnknownKeyId() throws Exception {
            RSAKey unknown = new RSAKeyGenerator(2048).keyID("k9").generate();
            String token = sign(unknown, JWSAlgorithm.RS256, claims(ISSUER, now).build());

            assertRejected(resolve(resolver, token), "token signature invalid", token);
        }

        @Test
        void rejectsATokenWhosePayloadWasTamperedWith() throws Exception {
            String token = sign(key, JWSAlgorithm.RS256, claims(ISSUER, now).build());
            String[] parts = token.split("\\.");
            String payload = new String(Base64URL.from(parts[1]).decode(), StandardCharsets.UTF_8)
                    .replace("\"alice\"", "\"mallory\"");
            String tampered = parts[0] + "." + Base64URL.encode(payload) + "." + parts[2];

            assertRejected(resolve(resolver, tampered), "token signature invalid", tampered);
        }

        @Test
        void rejectsAnExpiredToken() throws Exception {
            String token = sign(key, JWSAlgorithm.RS256, claims(ISSUER, now)
                    .expirationTime(Date.from(now.minus(Duration.ofMinutes(2)))).build());

            assertRejected(resolve(resolver, token), "token expired", token);
        }

        @Test
        void acceptsATokenExpiredWithinTheClockSkew() throws Exception {
            String token = sign(key, JWSAlgorithm.RS256, claims(ISSUER, now)
                    .expirationTime(Date.from(now.minusSeconds(20))).build());

            assertThat(resolve(resolver, token)).isInstanceOf(IdentityResult.Authenticated.class);
        }

        @Test
        void rejectsATokenNotYetValid() throws Exception {
            String token = sign(key, JWSAlgorithm.RS256, claims(ISSUER, now)
                    .notBeforeTime(Date.from(now.plus(Duration.ofMinutes(5)))).build());

            assertRejected(resolve(resolver, token), "token not yet valid", token);
        }

        @Test
        void rejectsATokenOfAnotherIssuer() throws Exception {
            String token = sign(key, JWSAlgorithm.RS256, claims(ISSUER + "-evil", now).build());

            assertRejected(resolve(resolver, token), "token issuer not accepted", token);
        }

        @Test
        void rejectsATokenForAnotherAudience() throws Exception {
            String token = sign(key, JWSAlgorithm.RS256, claims(ISSUER, now)
                    .audience(List.of("https://hr.example.com/mcp")).build());

            assertRejected(resolve(resolver, token), "token audience does not match this server", token);
        }

        @Test
        void rejectsATokenWithoutAudience() throws Exception {
            String token = sign(key, JWSAlgorithm.RS256, claims(ISSUER, now).audience((String) null).build());

            assertRejected(resolve(resolver, token), "token audience does not match this server", token);
        }

        @Test
        void rejectsATokenWithoutExpiry() throws Exception {
            String token = sign(key, JWSAlgorithm.RS256, claims(ISSUER, now).expirationTime(null).build());

            assertRejected(resolve(resolver, token), "token has no expiry", token);
        }

        @Test
        void rejectsATokenWithAMalformedActorClaim() throws Exception {
            String token = sign(key, JWSAlgorithm.RS256, claims(ISSUER, now).claim("act", "agent-7").build());

            assertRejected(resolve(resolver, token), "token actor claim malformed", token);
        }

        @Test
        void rejectsAnUntypedIdTokenRecognisedByItsIdTokenClaims() throws Exception {
            for (String claim : List.of("nonce", "at_hash", "c_hash")) {
                String token = sign(key, JWSAlgorithm.RS256, claims(ISSUER, now).claim(claim, "x").build());

                assertRejected(resolve(resolver, token), "token type not accepted", token);
            }
        }

        @Test
        void rejectsAPayloadTypeOtherThanBearerWhateverItsCase() throws Exception {
            for (Object type : List.of("ID", "id", "Refresh", "Offline", "Logout", List.of("Bearer"))) {
                String token = sign(key, JWSAlgorithm.RS256, claims(ISSUER, now).claim("typ", type).build());

                assertRejected(resolve(resolver, token), "token type not accepted", token);
            }
            String bearer = sign(key, JWSAlgorithm.RS256, claims(ISSUER, now).claim("typ", "bearer").build());
            assertThat(resolve(resolver, bearer)).isInstanceOf(IdentityResult.Authenticated.class);
        }

        @Test
        void rejectsAHeaderTypeThatIsNotAnAccessTokenType() throws Exception {
            for (String type : List.of("logout+jwt", "secevent+jwt", "dpop+jwt", "id_token+jwt", "JOSE")) {
                String token = signTyped(key, type, claims(ISSUER, now).build());

                assertRejected(resolve(resolver, token), "token type not accepted", token);
            }
        }

        @Test
        void acceptsRfc9068AccessTokensAndTellsThePolicyTheirType() throws Exception {
            for (String type : List.of("at+jwt", "application/at+jwt", "AT+JWT")) {
                String token = signTyped(key, type, claims(ISSUER, now).claim("nonce", "n").build());

                CallerIdentity identity = ((IdentityResult.Authenticated) resolve(resolver, token)).identity();

                assertThat(identity.tokenType()).contains(CallerIdentity.TOKEN_TYPE_AT_JWT);
            }
            String untyped = signTyped(key, null, claims(ISSUER, now).build());
            assertThat(((IdentityResult.Authenticated) resolve(resolver, untyped)).identity().tokenType())
                    .contains(CallerIdentity.TOKEN_TYPE_JWT);
        }

        @Test
        void acceptsOnlyAtJwtWhenTypedAccessTokensAreRequired() throws Exception {
            JwtIdentityResolver strict = JwtIdentityResolver.builder().issuer(ISSUER).jwkSet(new JWKSet(key))
                    .audience(RESOURCE).clock(Clock.fixed(now, ZoneOffset.UTC)).requireTypedAccessTokens().build();
            String typed = signTyped(key, "at+jwt", claims(ISSUER, now).build());
            String jwt = signTyped(key, "JWT", claims(ISSUER, now).claim("typ", "Bearer").build());
            String untyped = signTyped(key, null, claims(ISSUER, now).build());
            String typedIdToken = signTyped(key, "at+jwt", claims(ISSUER, now).claim("typ", "ID").build());

            assertThat(resolve(strict, typed)).isInstanceOf(IdentityResult.Authenticated.class);
            assertRejected(resolve(strict, jwt), "token type not accepted", jwt);
            assertRejected(resolve(strict, untyped), "token type not accepted", untyped);
            assertRejected(resolve(strict, typedIdToken), "token type not accepted", typedIdToken);
        }

        @Test
        void rejectsGarbage() {
            assertRejected(resolve(resolver, "not-a-jwt"), "token malformed", "not-a-jwt");
        }

        @Test
        void readsScopesFromAnScpArrayAndClientIdFromClientId() throws Exception {
            JwtIdentityResolver generic = JwtIdentityResolver.builder().issuer(ISSUER).jwkSet(new JWKSet(key))
                    .audience(RESOURCE).clock(Clock.fixed(now, ZoneOffset.UTC)).build();
            String token = sign(key, JWSAlgorithm.RS256, claims(ISSUER, now)
                    .claim("scp", List.of("orders:read")).claim("client_id", "batch").claim("roles", "auditor")
                    .build());

            CallerIdentity identity = ((IdentityResult.Authenticated) resolve(generic, token)).identity();

            assertThat(identity.scopes()).containsExactly("orders:read");
            assertThat(identity.clientId()).contains("batch");
            assertThat(identity.roles()).containsExactly("auditor");
        }

        @Test
        void leavesApiKeysToAnotherResolver() {
            assertThat(resolver.resolve(new PresentedCredential.ApiKey(Secret.ofUtf8("k"))))
                    .isInstanceOf(IdentityResult.NotApplicable.class);
        }
    }

    @Test
    void refusesToBeConfiguredWithAlgNoneOrHmac() {
        assertThatThrownBy(() -> JwtIdentityResolver.builder().algorithms("RS256", "none"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'none'");
        assertThatThrownBy(() -> JwtIdentityResolver.builder().algorithms("HS256"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'HS256'");
    }

    @Test
    void refusesAClockSkewBeyondFiveMinutes() {
        assertThatThrownBy(() -> JwtIdentityResolver.builder().clockSkew(Duration.ofHours(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT1H");
    }

    @Test
    void refusesToBuildWithoutAnAudience() {
        assertThatThrownBy(() -> JwtIdentityResolver.builder().issuer("https://i").jwkSet(new JWKSet()).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("audience");
    }

    static JWTClaimsSet.Builder claims(String issuer, Instant now) {
        return new JWTClaimsSet.Builder()
                .issuer(issuer)
                .subject("alice")
                .audience(List.of(RESOURCE))
                .issueTime(Date.from(now))
                .expirationTime(Date.from(now.plus(Duration.ofMinutes(10))))
                .jwtID("jti-1")
                .claim("realm_access", Map.of("roles", List.of("viewer")))
                .claim("tid", "tenant-42");
    }

    static String signTyped(RSAKey key, String type, JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(JWSAlgorithm.RS256).keyID(key.getKeyID())
                .type(type == null ? null : new JOSEObjectType(type)).build(), claims);
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

    static String sign(RSAKey key, JWSAlgorithm algorithm, JWTClaimsSet claims) throws Exception {
        SignedJWT jwt = new SignedJWT(new JWSHeader.Builder(algorithm).keyID(key.getKeyID())
                .type(JOSEObjectType.JWT).build(), claims);
        jwt.sign(new RSASSASigner(key));
        return jwt.serialize();
    }

}
