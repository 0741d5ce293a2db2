package dev.mcpguard.spring;

import static org.assertj.core.api.Assertions.assertThat;

import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jwt.SignedJWT;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.spi.IdentityResolver.IdentityResult;
import dev.mcpguard.api.spi.IdentityResolver.PresentedCredential;
import dev.mcpguard.core.identity.JwtIdentityResolver;
import dev.mcpguard.core.identity.TokenIntrospection;
import java.net.URI;
import java.util.Date;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;

/**
 * The JWT Spring Security authenticated, with several issuers: mapped by the resolver of its own {@code iss}, and
 * resolved in full (introspected) for an issuer that introspects JWTs, with a real mock-oauth2-server minting them.
 */
class SpringSecurityIdentityResolverTest {

    static final String RESOURCE = "https://orders.example.com/mcp";
    static final MockOAuth2Server IDP = StarterEdgeOverHttpTest.startWarmedIdp();

    @AfterAll
    static void stop() {
        IDP.shutdown();
    }

    @AfterEach
    void clearContext() {
        SecurityContextHolder.clearContext();
    }

    static String token(String issuerId) {
        return IDP.issueToken(issuerId, "agent", new DefaultOAuth2TokenCallback(issuerId, "sam",
                JOSEObjectType.JWT.getType(), List.of(RESOURCE), Map.of("tid", "acme"), 3600)).serialize();
    }

    /** What Spring Security's resource server puts into the context for {@code token}. */
    static void authenticatedBySpringSecurity(String token) throws Exception {
        SignedJWT parsed = SignedJWT.parse(token);
        Map<String, Object> claims = new LinkedHashMap<>();
        parsed.getJWTClaimsSet().getClaims().forEach((name, value) ->
                claims.put(name, value instanceof Date date ? date.toInstant() : value));
        Jwt jwt = Jwt.withTokenValue(token).headers(h -> h.putAll(parsed.getHeader().toJSONObject()))
                .claims(c -> c.putAll(claims)).build();
        SecurityContextHolder.getContext().setAuthentication(new JwtAuthenticationToken(jwt, List.of()));
    }

    static IdentityResult resolve(SpringSecurityIdentityResolver resolver, String token) {
        return resolver.resolve(new PresentedCredential.BearerToken(Secret.ofUtf8(token)));
    }

    static JwtIdentityResolver.Builder resolver(String issuerId) {
        return JwtIdentityResolver.builder().issuer(IDP.issuerUrl(issuerId).toString()).audience(RESOURCE);
    }

    @Test
    void aTokenIsMappedByItsOwnIssuersResolverAndAnotherIssuersTokenIsRefused() throws Exception {
        SpringSecurityIdentityResolver resolver = new SpringSecurityIdentityResolver(
                Map.of(IDP.issuerUrl("corp").toString(), resolver("corp").build(),
                        IDP.issuerUrl("partner").toString(), resolver("partner").build()),
                Set.of(), credential -> new IdentityResult.NotApplicable());

        String partner = token("partner");
        authenticatedBySpringSecurity(partner);
        assertThat(resolve(resolver, partner)).isInstanceOfSatisfying(IdentityResult.Authenticated.class,
                authenticated -> assertThat(authenticated.identity().issuer())
                        .isEqualTo(IDP.issuerUrl("partner").toString()));

        String elsewhere = token("elsewhere");
        authenticatedBySpringSecurity(elsewhere);
        assertThat(resolve(resolver, elsewhere)).isInstanceOfSatisfying(IdentityResult.Rejected.class, rejected -> {
            assertThat(rejected.reason()).isEqualTo(ReasonCode.INVALID_TOKEN);
            assertThat(rejected.description()).isEqualTo("token issuer not accepted");
        });
    }

    @Test
    void anIssuerThatIntrospectsJwtsResolvesTheTokenInFullSoADownEndpointRefusesIt() throws Exception {
        String issuer = IDP.issuerUrl("partner").toString();
        JwtIdentityResolver introspecting = resolver("partner").introspection(TokenIntrospection.builder()
                .clientId("orders-mcp").clientSecret(Secret.ofUtf8("not-the-point")).alsoForJwts()
                .endpoint(URI.create("http://127.0.0.1:1/introspect")).build()).build();
        String token = token("partner");
        authenticatedBySpringSecurity(token);

        // Only mapped (as without also-for-jwts), the token would pass: the endpoint would never be asked.
        assertThat(resolve(new SpringSecurityIdentityResolver(Map.of(issuer, introspecting), Set.of(),
                credential -> new IdentityResult.NotApplicable()), token))
                .isInstanceOf(IdentityResult.Authenticated.class);
        assertThat(resolve(new SpringSecurityIdentityResolver(Map.of(issuer, introspecting), Set.of(issuer),
                credential -> new IdentityResult.NotApplicable()), token))
                .isInstanceOfSatisfying(IdentityResult.Rejected.class, rejected ->
                        assertThat(rejected.description()).isEqualTo("token could not be verified"));
    }
}
