package dev.mcpguard.spring;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.spi.IdentityResolver;
import dev.mcpguard.core.identity.JwtIdentityResolver;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.LinkedHashSet;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import org.springframework.security.core.Authentication;
import org.springframework.security.core.GrantedAuthority;
import org.springframework.security.core.context.SecurityContextHolder;
import org.springframework.security.oauth2.jwt.Jwt;
import org.springframework.security.oauth2.server.resource.authentication.JwtAuthenticationToken;

/**
 * Takes the caller from Spring Security when its OAuth2 resource server has authenticated the request with a
 * JWT ({@link JwtAuthenticationToken} in the {@link SecurityContextHolder}), instead of verifying the token a
 * second time. mcp-guard's HTTP filter runs after Spring Security's chain, on the same thread, so the context
 * is the request's own. The mapping:
 * <ul>
 *   <li>the presented bearer token must be the one Spring Security authenticated (compared in constant time),
 *       else the request is rejected;</li>
 *   <li>its claims go through {@link JwtIdentityResolver#resolveVerified} of the resolver configured for its
 *       {@code iss} (matched exactly; a token of any other issuer is rejected): the same issuer, audience (this
 *       server's resource URI, which Spring Security does not check by default), expiry and
 *       {@link dev.mcpguard.core.identity.ClaimMapping} as a token mcp-guard verifies itself. For an issuer
 *       configured to introspect JWTs too, the token is resolved in full instead ({@link JwtIdentityResolver#resolve}:
 *       verified again and introspected), so a token revoked at the issuer is refused within the introspection
 *       cache TTL with Spring Security in front as well;</li>
 *   <li>the authorities are added: {@code SCOPE_x} as scope {@code x}, {@code ROLE_x} as role {@code x} (so a
 *       custom {@code JwtAuthenticationConverter} reaches policy); other authorities (Spring Security 7's
 *       {@code FACTOR_*}, for example) are not roles and are ignored.</li>
 * </ul>
 * Without such an authentication (no Spring Security context, another kind of authentication, an API key) the
 * {@code fallback} resolves the credential, so mcp-guard's own JWT and API-key resolvers still apply.
 *
 * <p>Immutable and thread-safe.
 */
final class SpringSecurityIdentityResolver implements IdentityResolver {

    private final Map<String, JwtIdentityResolver> byIssuer;
    private final Set<String> introspectingJwts;
    private final IdentityResolver fallback;

    /**
     * @param byIssuer           the resolver of each trusted issuer, by its exact identifier
     * @param introspectingJwts  the issuers whose JWTs are introspected too: their tokens are resolved in full
     * @param fallback           for every request Spring Security did not authenticate with a JWT
     */
    SpringSecurityIdentityResolver(Map<String, JwtIdentityResolver> byIssuer, Set<String> introspectingJwts,
                                   IdentityResolver fallback) {
        this.byIssuer = Map.copyOf(byIssuer);
        this.introspectingJwts = Set.copyOf(introspectingJwts);
        this.fallback = Objects.requireNonNull(fallback, "fallback");
        if (this.byIssuer.isEmpty()) {
            throw new IllegalArgumentException("at least one issuer is required");
        }
    }

    @Override
    public IdentityResult resolve(PresentedCredential credential) {
        Objects.requireNonNull(credential, "credential");
        Authentication authentication = SecurityContextHolder.getContext().getAuthentication();
        if (!(credential instanceof PresentedCredential.BearerToken)
                || !(authentication instanceof JwtAuthenticationToken token) || !token.isAuthenticated()) {
            return fallback.resolve(credential);
        }
        Jwt jwt = token.getToken();
        if (!MessageDigest.isEqual(credential.value().revealUtf8().getBytes(StandardCharsets.UTF_8),
                jwt.getTokenValue().getBytes(StandardCharsets.UTF_8))) {
            return new IdentityResult.Rejected(ReasonCode.INVALID_TOKEN,
                    "token is not the one the request was authenticated with");
        }
        Object iss = jwt.getClaims().get("iss");
        JwtIdentityResolver claims = iss == null ? null : byIssuer.get(iss.toString());
        if (claims == null) {
            return new IdentityResult.Rejected(ReasonCode.INVALID_TOKEN, "token issuer not accepted");
        }
        IdentityResult mapped = introspectingJwts.contains(iss.toString()) ? claims.resolve(credential)
                : claims.resolveVerified(jwt.getHeaders(), jwt.getClaims());
        if (!(mapped instanceof IdentityResult.Authenticated authenticated)) {
            return mapped;
        }
        return new IdentityResult.Authenticated(withAuthorities(authenticated.identity(), token));
    }

    private static CallerIdentity withAuthorities(CallerIdentity identity, Authentication authentication) {
        Set<String> scopes = new LinkedHashSet<>(identity.scopes());
        Set<String> roles = new LinkedHashSet<>(identity.roles());
        for (GrantedAuthority authority : authentication.getAuthorities()) {
            String name = authority.getAuthority();
            if (name == null) {
                continue;
            }
            if (name.startsWith("SCOPE_")) {
                scopes.add(name.substring("SCOPE_".length()));
            } else if (name.startsWith("ROLE_")) {
                roles.add(name.substring("ROLE_".length()));
            }
        }
        return new CallerIdentity(identity.issuer(), identity.subject(), identity.tenant(), identity.clientId(),
                scopes, roles, identity.actor(), identity.method(), identity.tokenId(), identity.expiresAt(),
                identity.tokenType());
    }

    @Override
    public String toString() {
        return "SpringSecurityIdentityResolver[" + byIssuer.values() + ", fallback=" + fallback + "]";
    }
}
