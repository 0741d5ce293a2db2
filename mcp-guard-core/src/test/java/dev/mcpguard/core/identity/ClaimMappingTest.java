package dev.mcpguard.core.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.spi.IdentityResolver.IdentityResult;
import dev.mcpguard.api.spi.IdentityResolver.PresentedCredential;
import dev.mcpguard.core.testing.SignedTokens;
import java.time.Clock;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.Date;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class ClaimMappingTest {

    static final String ISSUER = "https://kc.example.com/realms/acme";
    static final String RESOURCE = "https://orders.example.com/mcp";
    static final Instant NOW = Instant.parse("2026-03-01T12:00:00Z");

    final RSAKey key;

    ClaimMappingTest() throws Exception {
        key = new RSAKeyGenerator(2048).keyID("k1").generate();
    }

    CallerIdentity identityOf(ClaimMapping mapping, Map<String, Object> claims) {
        JwtIdentityResolver resolver = JwtIdentityResolver.builder()
                .issuer(ISSUER)
                .jwkSet(new JWKSet(key))
                .audience(RESOURCE)
                .clock(Clock.fixed(NOW, ZoneOffset.UTC))
                .claimMapping(mapping)
                .build();
        JWTClaimsSet.Builder set = new JWTClaimsSet.Builder().issuer(ISSUER).subject("alice").audience(RESOURCE)
                .expirationTime(Date.from(NOW.plusSeconds(300)));
        claims.forEach(set::claim);
        IdentityResult result = resolver.resolve(new PresentedCredential.BearerToken(
                Secret.ofUtf8(SignedTokens.rs256(key, "k1", set.build()))));
        assertThat(result).isInstanceOf(IdentityResult.Authenticated.class);
        return ((IdentityResult.Authenticated) result).identity();
    }

    @Test
    void readsClientRolesUnderAKeyContainingADotThroughAJsonPointer() {
        ClaimMapping mapping = ClaimMapping.builder()
                .rolePaths("/resource_access/orders.api/roles", "realm_access.roles").build();

        CallerIdentity identity = identityOf(mapping, Map.of(
                "resource_access", Map.of("orders.api", Map.of("roles", List.of("order-admin")),
                        "orders", Map.of("api", Map.of("roles", List.of("not-this-one")))),
                "realm_access", Map.of("roles", List.of("viewer"))));

        assertThat(identity.roles()).containsExactlyInAnyOrder("order-admin", "viewer");
    }

    @Test
    void decodesTildeEscapesAndSelectsArrayElements() {
        ClaimMapping mapping = ClaimMapping.builder()
                .rolePaths("/https:~1~1example.com~1roles")
                .tenantPaths("/orgs/1/id")
                .clientIdPaths("/a~0b")
                .build();

        CallerIdentity identity = identityOf(mapping, Map.of(
                "https://example.com/roles", List.of("auditor"),
                "orgs", List.of(Map.of("id", "first"), Map.of("id", "second")),
                "a~b", "client-7"));

        assertThat(identity.roles()).containsExactly("auditor");
        assertThat(identity.tenant()).contains("second");
        assertThat(identity.clientId()).contains("client-7");
    }

    @Test
    void aDottedPathStillWalksNestedObjects() {
        CallerIdentity identity = identityOf(ClaimMapping.keycloak(),
                Map.of("realm_access", Map.of("roles", List.of("viewer"))));

        assertThat(identity.roles()).containsExactly("viewer");
    }

    @Test
    void decodesPointerTokensInTheOrderRfc6901Prescribes() {
        assertThat(ClaimMapping.segments("/~01/a~1b/")).containsExactly("~1", "a/b", "");
        assertThat(ClaimMapping.segments("realm_access.roles")).containsExactly("realm_access", "roles");
    }

    @Test
    void refusesInvalidPointersWhenTheMappingIsBuilt() {
        for (String invalid : List.of("/a~2b", "/a~", "/a\u0000b", "/" + "x".repeat(ClaimMapping.MAX_PATH_LENGTH))) {
            assertThatThrownBy(() -> ClaimMapping.builder().rolePaths(invalid).build())
                    .as(invalid).isInstanceOf(IllegalArgumentException.class)
                    .hasMessageContaining("JSON pointer");
        }
    }
}
