package dev.mcpguard.core.identity;

import dev.mcpguard.api.spi.IdentityResolver;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;

/**
 * Combines {@link IdentityResolver}s.
 *
 * <pre>{@code
 * IdentityResolver resolver = IdentityResolvers.firstApplicable(jwtResolver, apiKeyResolver);
 * }</pre>
 */
public final class IdentityResolvers {

    private IdentityResolvers() {
    }

    /**
     * A resolver that asks {@code resolvers} in the given order and returns the first answer that is not
     * {@link IdentityResolver.IdentityResult.NotApplicable}; when every one declines, the answer is
     * {@code NotApplicable}. It fails closed: a resolver that throws or returns null yields
     * {@link IdentityResolver.IdentityResult.Rejected} (logged with the resolver's class, never the credential)
     * and later resolvers are not asked.
     *
     * <p>The returned resolver is thread-safe when the given ones are. No argument may be null.
     */
    public static IdentityResolver firstApplicable(IdentityResolver... resolvers) {
        Objects.requireNonNull(resolvers, "resolvers");
        return firstApplicable(Arrays.asList(resolvers));
    }

    /** As {@link #firstApplicable(IdentityResolver...)}, from a list. */
    public static IdentityResolver firstApplicable(List<? extends IdentityResolver> resolvers) {
        Objects.requireNonNull(resolvers, "resolvers");
        for (int i = 0; i < resolvers.size(); i++) {
            if (resolvers.get(i) == null) {
                throw new NullPointerException("resolvers[" + i + "] is null");
            }
        }
        if (resolvers.isEmpty()) {
            throw new IllegalArgumentException("at least one resolver is required");
        }
        return new FirstApplicableIdentityResolver(List.copyOf(resolvers));
    }

    /**
     * A resolver that trusts several token issuers, each with its own audiences, keys (JWKS or discovery), claim
     * mapping and introspection, as configured in its {@link JwtIdentityResolver}. A bearer JWT goes to the
     * resolver whose issuer equals the token's (unverified) {@code iss} exactly, which then verifies it in full;
     * so the keys of one issuer never verify a token of another, and a token of issuer 1 carrying issuer 2's
     * audience is refused. A token whose {@code iss} is none of them, or missing, is refused
     * ({@code token issuer not accepted}) before any network call. A token that is not a JWT goes to the one
     * resolver configured with {@link TokenIntrospection}, if exactly one is; otherwise it is refused
     * ({@code token malformed}). Other credentials are {@code NotApplicable} (combine with API keys through
     * {@link #firstApplicable}).
     *
     * <p>The returned resolver is thread-safe. No argument may be null; issuers must be distinct.
     * <pre>{@code
     * IdentityResolver tokens = IdentityResolvers.byIssuer(
     *     JwtIdentityResolver.builder().issuer("https://kc.example.com/realms/acme").audience(resource).build(),
     *     JwtIdentityResolver.builder().issuer("https://login.partner.example").audience(resource).build());
     * }</pre>
     *
     * @throws IllegalArgumentException when none is given or two trust the same issuer
     */
    public static IdentityResolver byIssuer(JwtIdentityResolver... resolvers) {
        Objects.requireNonNull(resolvers, "resolvers");
        return byIssuer(Arrays.asList(resolvers));
    }

    /** As {@link #byIssuer(JwtIdentityResolver...)}, from a list. */
    public static IdentityResolver byIssuer(List<JwtIdentityResolver> resolvers) {
        Objects.requireNonNull(resolvers, "resolvers");
        if (resolvers.isEmpty()) {
            throw new IllegalArgumentException("at least one resolver is required");
        }
        Map<String, JwtIdentityResolver> byIssuer = new LinkedHashMap<>();
        for (int i = 0; i < resolvers.size(); i++) {
            JwtIdentityResolver resolver = resolvers.get(i);
            if (resolver == null) {
                throw new NullPointerException("resolvers[" + i + "] is null");
            }
            if (byIssuer.putIfAbsent(resolver.issuer(), resolver) != null) {
                throw new IllegalArgumentException("two resolvers trust the same issuer '" + resolver.issuer() + "'");
            }
        }
        return new IssuerRoutingIdentityResolver(byIssuer);
    }
}
