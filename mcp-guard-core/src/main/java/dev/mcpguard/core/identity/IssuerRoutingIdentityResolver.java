package dev.mcpguard.core.identity;

import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.spi.IdentityResolver;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * See {@link IdentityResolvers#byIssuer(JwtIdentityResolver...)}: picks the {@link JwtIdentityResolver} of the
 * token's unverified {@code iss} by exact match, and lets it verify the token in full. The routing parse reads only
 * the payload's {@code iss}; nothing it reads is trusted beyond choosing whom to ask. A token one of the resolvers
 * already verified (its verified-token cache, keyed by the token's SHA-256 digest) is answered from that cache
 * without the parse. Thread-safe (immutable).
 */
final class IssuerRoutingIdentityResolver implements IdentityResolver {

    private static final Logger log = LoggerFactory.getLogger(IssuerRoutingIdentityResolver.class);

    private final Map<String, JwtIdentityResolver> byIssuer;
    private final List<JwtIdentityResolver> resolvers;
    /** The one resolver that introspects opaque tokens, or null when none or several do. */
    private final JwtIdentityResolver opaque;

    IssuerRoutingIdentityResolver(Map<String, JwtIdentityResolver> byIssuer) {
        this.byIssuer = Map.copyOf(byIssuer);
        this.resolvers = List.copyOf(byIssuer.values());
        List<JwtIdentityResolver> introspecting = byIssuer.values().stream()
                .filter(JwtIdentityResolver::acceptsOpaqueTokens).toList();
        this.opaque = introspecting.size() == 1 ? introspecting.get(0) : null;
    }

    @Override
    public IdentityResult resolve(PresentedCredential credential) {
        Objects.requireNonNull(credential, "credential");
        if (!(credential instanceof PresentedCredential.BearerToken)) {
            return new IdentityResult.NotApplicable();
        }
        byte[] raw = credential.value().revealBytes();
        String tokenIssuer;
        try {
            // A token one of the resolvers verified before is served from its cache, without the routing parse.
            VerifiedTokenCache.TokenDigest digest = VerifiedTokenCache.digest(raw);
            for (JwtIdentityResolver resolver : resolvers) {
                IdentityResult cached = resolver.cachedIdentity(digest);
                if (cached != null) {
                    return cached;
                }
            }
            if (!(JWTParser.parse(new String(raw, StandardCharsets.UTF_8)) instanceof SignedJWT jwt)) {
                return reject("token signature invalid", "not a JWS");
            }
            tokenIssuer = jwt.getJWTClaimsSet().getIssuer();
        } catch (ParseException e) {
            if (opaque != null) {
                return opaque.resolve(credential);
            }
            return reject("token malformed", "unparseable token, and no single issuer introspects opaque tokens");
        } catch (RuntimeException e) {
            return reject("token malformed", e.getClass().getSimpleName());
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
        JwtIdentityResolver resolver = tokenIssuer == null ? null : byIssuer.get(tokenIssuer);
        if (resolver == null) {
            return reject("token issuer not accepted", "iss is none of the configured issuers");
        }
        return resolver.resolve(credential);
    }

    private static IdentityResult reject(String description, String detail) {
        log.debug("Rejected bearer token before verification: {}", detail);
        return new IdentityResult.Rejected(ReasonCode.INVALID_TOKEN, description);
    }

    @Override
    public String toString() {
        return "IssuerRoutingIdentityResolver" + byIssuer.keySet();
    }
}
