package dev.mcpguard.core.identity;

import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JOSEObjectType;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.ImmutableJWKSet;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.jwk.source.JWKSourceBuilder;
import com.nimbusds.jose.proc.BadJOSEException;
import com.nimbusds.jose.proc.BadJWSException;
import com.nimbusds.jose.proc.JWSVerificationKeySelector;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.DefaultResourceRetriever;
import com.nimbusds.jwt.JWT;
import com.nimbusds.jwt.JWTClaimsSet;
import com.nimbusds.jwt.JWTParser;
import com.nimbusds.jwt.SignedJWT;
import com.nimbusds.jwt.proc.DefaultJWTProcessor;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.spi.IdentityResolver;
import dev.mcpguard.core.internal.ClientText;
import java.net.MalformedURLException;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Arrays;
import java.util.Date;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.TreeSet;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Verifies OAuth 2.0 bearer JWTs (access tokens) against one issuer and maps their claims to a
 * {@link CallerIdentity}. Handles {@link PresentedCredential.BearerToken}; any other credential is
 * {@link IdentityResult.NotApplicable}.
 *
 * <p>A token is accepted only when all of these hold, otherwise it is {@link IdentityResult.Rejected} with
 * {@link ReasonCode#INVALID_TOKEN} and a short, generic description that never contains token content:
 * <ul>
 *   <li>it is a JWS signed with an allowed asymmetric algorithm (default RS256, ES256, PS256; never
 *       {@code none}, never HMAC) by a key from the issuer's JWKS whose {@code kid} matches;</li>
 *   <li>{@code iss} equals the configured issuer exactly;</li>
 *   <li>{@code aud} contains one of the configured audiences: this server's resource URI (RFC 8707), so a token
 *       minted for another server is never accepted here;</li>
 *   <li>{@code exp} is present and not past, and {@code nbf}, when present, is not in the future, both allowing
 *       the configured clock skew and measured with the injected {@link Clock};</li>
 *   <li>it is an access token, not an ID or refresh token (see {@link Builder#requireTypedAccessTokens()}):
 *       the header {@code typ} is absent, {@code JWT} or {@code at+jwt}; a payload {@code typ} claim
 *       (Keycloak) is absent or {@code Bearer}; and, when neither says {@code at+jwt} nor {@code Bearer}, there
 *       is no ID token tell-tale ({@code nonce}, {@code at_hash}, {@code c_hash});</li>
 *   <li>{@code sub} is present, and mapped claims ({@link ClaimMapping}) are well-formed.</li>
 * </ul>
 * The accepted token's type reaches the policy as {@link CallerIdentity#tokenType()}.
 *
 * <p><b>Keys</b> come from the issuer's JWKS URL or from a fixed {@link JWKSet}. Without either, the JWKS URL is
 * the {@code jwks_uri} of the issuer's metadata: its OpenID Connect discovery document
 * ({@code <issuer>/.well-known/openid-configuration}) or, when that is not served, its RFC 8414 metadata
 * ({@code /.well-known/oauth-authorization-server} inserted before the issuer's path). The document must name
 * the configured issuer exactly and a {@code jwks_uri} that is {@code https} (or {@code http} on loopback for a
 * loopback issuer); it is read again before every key set fetch, bounded in size and time, and when it cannot
 * be read or is refused no key set is fetched: tokens are rejected ({@code token could not be verified}, WARN
 * logged) and the next fetch retries. A fetched set is cached
 * ({@link Builder#jwksCacheTtl}) and refreshed in the background before it expires; an unknown {@code kid}
 * triggers a refetch, at most one per {@link Builder#jwksRefetchMinInterval} over all callers, so whatever rate
 * of unknown key ids a caller sends, a key the issuer has published is accepted at the latest one refetch
 * interval plus one fetch later. {@link #flushKeyCache()} drops cached keys. Fetches have bounded connect and read
 * timeouts; an unreachable or expired key set rejects the token: the resolver fails closed.
 *
 * <p><b>Verified tokens are remembered</b> ({@link Builder#verifiedTokenCacheSize}, default
 * {@value #DEFAULT_VERIFIED_TOKEN_CACHE_SIZE}), so a client presenting the same token on every request pays one
 * full verification, then a SHA-256 digest of the token per request. The cache is keyed by that digest, never the
 * token; it holds a token only after every check above passed, never serves it at or past its {@code exp} (nor
 * before its {@code nbf}, on the injected clock), and serves it only while the key set in use, refreshed as above,
 * still publishes the key that verified it: a rotation that withdraws a key, or {@link #flushKeyCache()}, ends
 * its tokens' entries. Each principal holds at most {@link Builder#verifiedTokensPerPrincipal} entries, so one
 * caller cannot evict the others'. Revocation is checked by the transport and the chain on every request, cached
 * or not.
 *
 * <p><b>Opaque tokens and revocation</b>: with {@link Builder#introspection} a token that is not a JWT is sent to
 * the issuer's RFC 7662 introspection endpoint, and optionally every JWT too after the checks above, so a revoked
 * token is refused within the introspection cache TTL; see {@link TokenIntrospection}. Several issuers:
 * {@link IdentityResolvers#byIssuer(JwtIdentityResolver...)}.
 *
 * <p>Thread-safe; build once and share. Arguments are never null.
 * <pre>{@code
 * IdentityResolver jwt = JwtIdentityResolver.builder()
 *     .issuer("https://login.example.com/realms/acme")   // keys from its OIDC discovery document
 *     .audience("https://orders.example.com/mcp")
 *     .claimMapping(ClaimMapping.keycloak())
 *     .build();
 * }</pre>
 */
public final class JwtIdentityResolver implements IdentityResolver {

    /** The algorithms accepted when none are configured. */
    public static final Set<String> DEFAULT_ALGORITHMS = Set.of("RS256", "ES256", "PS256");
    /** The clock skew allowed when none is configured. */
    public static final Duration DEFAULT_CLOCK_SKEW = Duration.ofSeconds(30);
    /** The largest clock skew the builder accepts. */
    public static final Duration MAX_CLOCK_SKEW = Duration.ofMinutes(5);
    /** The minimum time between JWKS refetches for unknown key ids when none is configured. */
    public static final Duration DEFAULT_JWKS_REFETCH_MIN_INTERVAL = Duration.ofSeconds(1);
    /** How long a key id still unknown after a refetch is answered without refetching, when none is configured. */
    public static final Duration DEFAULT_JWKS_UNKNOWN_KEY_ID_MEMORY = Duration.ofSeconds(5);
    /** How many verified tokens are remembered when not configured ({@link Builder#verifiedTokenCacheSize}). */
    public static final int DEFAULT_VERIFIED_TOKEN_CACHE_SIZE = 10_000;
    /** How many of them one principal may hold when not configured ({@link Builder#verifiedTokensPerPrincipal}). */
    public static final int DEFAULT_VERIFIED_TOKENS_PER_PRINCIPAL = 4;
    /** The largest {@link Builder#verifiedTokenCacheSize} the builder accepts. */
    public static final int MAX_VERIFIED_TOKEN_CACHE_SIZE = 1_000_000;

    static final String TOKEN_TYPE_REFUSED = "token type not accepted";
    static final String TOKEN_NOT_ACTIVE = "token not active";
    /** Claims only an OIDC ID token carries (OpenID Connect Core 1.0, sections 2 and 3.3.2.11). */
    private static final List<String> ID_TOKEN_CLAIMS = List.of("nonce", "at_hash", "c_hash");

    private static final Set<String> SUPPORTED_ALGORITHMS = Set.of(
            "RS256", "RS384", "RS512", "PS256", "PS384", "PS512", "ES256", "ES384", "ES512", "EdDSA", "Ed25519");
    private static final Logger log = LoggerFactory.getLogger(JwtIdentityResolver.class);

    private final String issuer;
    private final Set<String> audiences;
    private final Duration clockSkew;
    private final Clock clock;
    private final ClaimMapping claimMapping;
    private final boolean requireTypedAccessTokens;
    private final RefreshingJwkSetSource fetchedKeys;
    private final DefaultJWTProcessor<SecurityContext> processor;
    /** Null when turned off ({@link Builder#verifiedTokenCacheSize} 0). */
    private final VerifiedTokenCache verifiedTokens;
    /** Null when no {@link TokenIntrospection} is configured. */
    private final TokenIntrospector introspector;
    private final boolean introspectsJwts;
    /** Null when neither the keys nor the introspection endpoint come from the issuer's metadata. */
    private final IssuerMetadataSource metadata;
    private final boolean keysFromMetadata;
    private final boolean introspectionEndpointFromMetadata;

    private JwtIdentityResolver(Builder b, JWKSource<SecurityContext> keySource, TokenIntrospector introspector,
                                IssuerMetadataSource metadata) {
        this.issuer = b.issuer;
        this.metadata = metadata;
        this.keysFromMetadata = b.jwksUrl == null && b.jwkSet == null;
        this.introspectionEndpointFromMetadata = b.introspection != null && b.introspection.endpoint().isEmpty();
        this.introspector = introspector;
        this.introspectsJwts = introspector != null && b.introspection.alsoForJwts();
        this.verifiedTokens = b.verifiedTokenCacheSize == 0 ? null
                : new VerifiedTokenCache(b.clock, b.clockSkew, b.verifiedTokenCacheSize, b.verifiedTokensPerPrincipal);
        this.requireTypedAccessTokens = b.requireTypedAccessTokens;
        this.fetchedKeys = keySource instanceof RefreshingJwkSetSource refreshing ? refreshing : null;
        this.audiences = Set.copyOf(b.audiences);
        this.clockSkew = b.clockSkew;
        this.clock = b.clock;
        this.claimMapping = b.claimMapping;
        Set<JWSAlgorithm> algorithms = new LinkedHashSet<>();
        b.algorithms.forEach(name -> algorithms.add(JWSAlgorithm.parse(name)));
        DefaultJWTProcessor<SecurityContext> p = new DefaultJWTProcessor<>();
        p.setJWSKeySelector(new JWSVerificationKeySelector<>(algorithms, recordingOfferedKeys(keySource)));
        // The token type is checked after the signature, by tokenType(), with its own client-safe description.
        p.setJWSTypeVerifier((type, context) -> { });
        // Claims are checked below against the injected clock, with our own client-safe descriptions.
        p.setJWTClaimsSetVerifier((claims, context) -> { });
        this.processor = p;
    }

    /** Starts a builder. */
    public static Builder builder() {
        return new Builder();
    }

    @Override
    public IdentityResult resolve(PresentedCredential credential) {
        Objects.requireNonNull(credential, "credential");
        if (!(credential instanceof PresentedCredential.BearerToken)) {
            return new IdentityResult.NotApplicable();
        }
        byte[] raw = credential.value().revealBytes();
        String token;
        VerifiedTokenCache.TokenDigest digest = null;
        IdentityResult cached = null;
        try {
            if (verifiedTokens != null || introspector != null) {
                digest = VerifiedTokenCache.digest(raw);
            }
            if (verifiedTokens != null) {
                cached = fromCache(digest);
                if (cached != null && !introspectsJwts) {
                    return cached;
                }
            }
            token = new String(raw, StandardCharsets.UTF_8);
        } finally {
            Arrays.fill(raw, (byte) 0);
        }
        if (cached instanceof IdentityResult.Authenticated authenticated) {
            return checkedByIntrospection(authenticated, digest, token);
        }
        JWTClaimsSet claims;
        SignedJWT jwt;
        VerificationContext verification = new VerificationContext();
        try {
            JWT parsed = JWTParser.parse(token);
            if (!(parsed instanceof SignedJWT signed)) {
                // Unsecured (alg=none) or encrypted: never a bearer access token here.
                return reject("token signature invalid", "not a JWS");
            }
            jwt = signed;
            claims = processor.process(jwt, verification);
        } catch (ParseException e) {
            return introspector == null ? reject("token malformed", "unparseable token")
                    : resolveOpaque(digest, token);
        } catch (BadJWSException e) {
            return reject("token signature invalid", "signature verification failed");
        } catch (BadJOSEException e) {
            // No key matches the kid/alg (an unknown kid past the refetch budget included), or the alg is not allowed.
            return reject("token signature invalid", "no acceptable key or algorithm");
        } catch (KeySourceException e) {
            log.warn("JWT key set of issuer {} unavailable ({}); rejecting token", issuer,
                    e.getClass().getSimpleName());
            return reject("token could not be verified", "key set unavailable");
        } catch (JOSEException | RuntimeException e) {
            return reject("token could not be verified", e.getClass().getSimpleName());
        }
        CallerIdentity identity;
        try {
            identity = verifyAndMap(jwt.getHeader().getType(), claims, false);
        } catch (InvalidTokenException e) {
            return reject(e.getMessage(), e.getMessage());
        }
        IdentityResult.Authenticated authenticated = new IdentityResult.Authenticated(identity);
        if (verifiedTokens != null && !verification.keys().isEmpty() && verification.keySet() != null) {
            Date nbf = claims.getNotBeforeTime();
            verifiedTokens.put(digest, new VerifiedTokenCache.Entry(authenticated, claims.getExpirationTime()
                    .toInstant(), nbf == null ? null : nbf.toInstant(), verification.keys(), verification.keySet()));
        }
        return introspectsJwts ? checkedByIntrospection(authenticated, digest, token) : authenticated;
    }

    /**
     * A locally verified JWT, accepted only if the introspection endpoint (or its remembered answer) says it is
     * active and the answer's claims agree with it.
     */
    private IdentityResult checkedByIntrospection(IdentityResult.Authenticated verified,
                                                  VerifiedTokenCache.TokenDigest digest, String token) {
        TokenIntrospector.Outcome outcome = introspector.introspect(digest, token);
        if (!(outcome instanceof TokenIntrospector.Active active)) {
            return outcome instanceof TokenIntrospector.Inactive ? reject(TOKEN_NOT_ACTIVE, "introspection: inactive")
                    : reject("token could not be verified", "introspection unavailable");
        }
        try {
            checkIntrospectionAnswer(active.claims(), false);
            String subject = active.claims().getSubject();
            if (subject != null && !subject.equals(verified.identity().subject())) {
                throw new InvalidTokenException(TOKEN_NOT_ACTIVE);
            }
        } catch (InvalidTokenException e) {
            return reject(e.getMessage(), "introspection answer disagrees: " + e.getMessage());
        }
        return verified;
    }

    /** An opaque (non-JWT) token: its identity is the introspection answer's, checked like a JWT's claims. */
    private IdentityResult resolveOpaque(VerifiedTokenCache.TokenDigest digest, String token) {
        if (token.isEmpty() || token.length() > TokenIntrospection.MAX_OPAQUE_TOKEN_LENGTH) {
            return reject("token malformed", "opaque token empty or over "
                    + TokenIntrospection.MAX_OPAQUE_TOKEN_LENGTH + " characters");
        }
        TokenIntrospector.Outcome outcome = introspector.introspect(digest, token);
        if (!(outcome instanceof TokenIntrospector.Active active)) {
            return outcome instanceof TokenIntrospector.Inactive ? reject(TOKEN_NOT_ACTIVE, "introspection: inactive")
                    : reject("token could not be verified", "introspection unavailable");
        }
        try {
            checkIntrospectionAnswer(active.claims(), true);
            JWTClaimsSet claims = active.claims();
            if (claims.getIssuer() == null) {
                // The issuer's own endpoint answered; RFC 7662 makes iss optional.
                claims = new JWTClaimsSet.Builder(claims).issuer(issuer).build();
            }
            return new IdentityResult.Authenticated(verifyAndMap(null, claims, true));
        } catch (InvalidTokenException e) {
            return reject(e.getMessage(), e.getMessage());
        }
    }

    /**
     * The checks of an active introspection answer that hold for JWTs and opaque tokens alike: {@code iss},
     * {@code aud}, {@code exp} and {@code nbf} agree when present ({@code aud} and {@code sub} are required for an
     * opaque token, which nothing else binds to this server and a caller), and {@code token_type}, when present,
     * is {@code Bearer}.
     */
    private void checkIntrospectionAnswer(JWTClaimsSet answer, boolean opaque) throws InvalidTokenException {
        if (answer.getIssuer() != null && !issuer.equals(answer.getIssuer())) {
            throw new InvalidTokenException("token issuer not accepted");
        }
        List<String> answerAudiences = answer.getAudience() == null ? List.of() : answer.getAudience();
        if ((opaque || !answerAudiences.isEmpty()) && answerAudiences.stream().noneMatch(audiences::contains)) {
            throw new InvalidTokenException("token audience does not match this server");
        }
        Instant now = clock.instant();
        Date exp = answer.getExpirationTime();
        if (exp != null && now.isAfter(exp.toInstant().plus(clockSkew))) {
            throw new InvalidTokenException("token expired");
        }
        Date nbf = answer.getNotBeforeTime();
        if (nbf != null && now.plus(clockSkew).isBefore(nbf.toInstant())) {
            throw new InvalidTokenException("token not yet valid");
        }
        Object tokenType = answer.getClaim("token_type");
        if (tokenType != null && !(tokenType instanceof String type && type.equalsIgnoreCase("Bearer"))) {
            throw new InvalidTokenException(TOKEN_TYPE_REFUSED);
        }
        if (opaque && (answer.getSubject() == null || answer.getSubject().isBlank())) {
            throw new InvalidTokenException("token has no subject");
        }
    }

    /**
     * The remembered identity of an already verified token, if its time rules hold now and the key set in use
     * still publishes the keys that verified it; otherwise null, and the token is verified from scratch.
     */
    private IdentityResult fromCache(VerifiedTokenCache.TokenDigest digest) {
        VerifiedTokenCache.Entry entry = verifiedTokens.get(digest);
        if (entry == null) {
            return null;
        }
        if (fetchedKeys != null) {
            Object keySet;
            try {
                keySet = fetchedKeys.currentKeySetHolding(entry.keySet, entry.keys, clock.instant());
            } catch (KeySourceException | RuntimeException e) {
                return null; // verified from scratch, which rejects the token and says why
            }
            if (keySet == null) {
                // A key that verified it is withdrawn: drop it, and let the full check reject it.
                verifiedTokens.remove(digest, entry);
                return null;
            }
            entry.keySet = keySet;
        }
        verifiedTokens.recordHit();
        return entry.result;
    }

    /**
     * Maps a JWT whose signature another component has already verified (Spring Security's OAuth2 resource
     * server, for example) to a {@link CallerIdentity}, with every check {@link #resolve} makes after the
     * signature: token type, issuer, audience (this server's resource URI), expiry, not-before, subject, and the
     * {@link ClaimMapping}. So a token the framework accepted for another audience is still rejected here.
     *
     * <p>Claim values may be JSON types or the Java types frameworks convert them to ({@link Instant} for
     * {@code exp}/{@code nbf}/{@code iat}, {@code URL} or {@link URI} for {@code iss}). Never throws for bad
     * claims: the result is {@link IdentityResult.Rejected}. Thread-safe.
     *
     * @param header the JOSE header (only {@code typ} is read); not null
     * @param claims the verified claims; not null
     */
    public IdentityResult resolveVerified(Map<String, Object> header, Map<String, Object> claims) {
        Objects.requireNonNull(header, "header");
        Objects.requireNonNull(claims, "claims");
        JWTClaimsSet.Builder set = new JWTClaimsSet.Builder();
        claims.forEach((name, value) -> set.claim(name, value instanceof Instant instant ? Date.from(instant)
                : value instanceof java.net.URL || value instanceof URI ? value.toString() : value));
        Object type = header.get("typ");
        try {
            return new IdentityResult.Authenticated(verifyAndMap(
                    type instanceof String t ? new JOSEObjectType(t) : null, set.build(), false));
        } catch (InvalidTokenException e) {
            return reject(e.getMessage(), e.getMessage());
        } catch (RuntimeException e) {
            return reject("token claims malformed", e.getClass().getSimpleName());
        }
    }

    /**
     * Reads the issuer's metadata now, when this resolver finds its key set or its introspection endpoint through
     * it, and checks that it names what the resolver needs ({@code jwks_uri}, {@code introspection_endpoint}); so
     * an application can refuse to start on an issuer whose metadata cannot be read or is refused (a wrong issuer
     * URL, a trailing slash the issuer does not use) instead of refusing every token later. Does nothing when
     * neither comes from the metadata. The document read is remembered as any other. Thread-safe.
     *
     * @throws java.io.IOException naming the document and the reason, never its content
     */
    public void checkIssuerMetadata() throws java.io.IOException {
        if (metadata == null) {
            return;
        }
        IssuerMetadataSource.Metadata found = metadata.current();
        if (keysFromMetadata && found.jwksUri().isEmpty()) {
            throw new IssuerMetadataSource.IssuerMetadataException("metadata of issuer " + issuer
                    + " has no jwks_uri");
        }
        if (introspectionEndpointFromMetadata && found.introspectionEndpoint().isEmpty()) {
            throw new IssuerMetadataSource.IssuerMetadataException("metadata of issuer " + issuer
                    + " has no introspection_endpoint");
        }
    }

    /**
     * Drops the cached JWKS (and remembered unknown key ids) and every remembered verified token, so the next
     * token fetches the issuer's current key set and is verified against it: for operators after a signing key was
     * withdrawn at the issuer, which otherwise stays trusted until the cache expires. With a fixed {@link JWKSet}
     * only the verified tokens are dropped. Thread-safe; tokens keep being verified meanwhile.
     */
    public void flushKeyCache() {
        if (fetchedKeys != null) {
            fetchedKeys.flush();
        }
        if (verifiedTokens != null) {
            verifiedTokens.clear();
        }
    }

    /**
     * The remembered identity of a token this resolver verified before, if it may be served now without any
     * further check (no introspection of JWTs configured); otherwise null. For {@link IssuerRoutingIdentityResolver},
     * which so avoids parsing tokens it has seen.
     */
    IdentityResult cachedIdentity(VerifiedTokenCache.TokenDigest digest) {
        return verifiedTokens == null || introspectsJwts ? null : fromCache(digest);
    }

    /** The exact issuer this resolver trusts. */
    String issuer() {
        return issuer;
    }

    /** Whether this resolver introspects opaque (non-JWT) tokens. */
    boolean acceptsOpaqueTokens() {
        return introspector != null;
    }

    /** The introspection client, or null; for tests. */
    TokenIntrospector introspector() {
        return introspector;
    }

    /** The cache of verified tokens, or null when turned off; for tests. */
    VerifiedTokenCache verifiedTokenCache() {
        return verifiedTokens;
    }

    /** Offers the key source's answer to the {@link VerificationContext}, so the cache knows the keys used. */
    private static JWKSource<SecurityContext> recordingOfferedKeys(JWKSource<SecurityContext> keySource) {
        Object fixed = keySource instanceof RefreshingJwkSetSource ? null : VerificationContext.FIXED_KEY_SET;
        return (selector, context) -> {
            List<JWK> keys = keySource.get(selector, context);
            if (context instanceof VerificationContext verification) {
                verification.offered(keys, fixed);
            }
            return keys;
        };
    }

    /**
     * The accepted token's type, or refuses ID and refresh tokens. Keycloak marks its tokens in the payload
     * {@code typ} ({@code Bearer}, {@code ID}, {@code Refresh}, {@code Offline}, ...) while the header says
     * {@code JWT}; other issuers mark nothing, and an ID token is recognised by claims only it carries.
     */
    private String tokenType(JOSEObjectType header, JWTClaimsSet claims, boolean introspected)
            throws InvalidTokenException {
        if (introspected) {
            // No JOSE header: the introspection answer's typ (Keycloak) and ID token claims still decide.
            Object payloadType = claims.getClaim("typ");
            if (payloadType != null && !(payloadType instanceof String type && type.equalsIgnoreCase("Bearer"))) {
                throw new InvalidTokenException(TOKEN_TYPE_REFUSED);
            }
            if (payloadType == null && ID_TOKEN_CLAIMS.stream().anyMatch(claim -> claims.getClaim(claim) != null)) {
                throw new InvalidTokenException(TOKEN_TYPE_REFUSED);
            }
            return null;
        }
        String headerType = header == null ? null : header.getType().toLowerCase(Locale.ROOT);
        if (headerType != null && headerType.startsWith("application/")) {
            headerType = headerType.substring("application/".length()); // RFC 7515 4.1.9: prefix may be omitted
        }
        boolean typedAccessToken = "at+jwt".equals(headerType);
        if (headerType != null && !typedAccessToken && !"jwt".equals(headerType)) {
            throw new InvalidTokenException(TOKEN_TYPE_REFUSED);
        }
        if (requireTypedAccessTokens && !typedAccessToken) {
            throw new InvalidTokenException(TOKEN_TYPE_REFUSED);
        }
        Object payloadType = claims.getClaim("typ");
        if (payloadType != null) {
            if (!(payloadType instanceof String type) || !type.equalsIgnoreCase("Bearer")) {
                throw new InvalidTokenException(TOKEN_TYPE_REFUSED);
            }
        } else if (!typedAccessToken && ID_TOKEN_CLAIMS.stream().anyMatch(claim -> claims.getClaim(claim) != null)) {
            throw new InvalidTokenException(TOKEN_TYPE_REFUSED);
        }
        return typedAccessToken ? CallerIdentity.TOKEN_TYPE_AT_JWT : CallerIdentity.TOKEN_TYPE_JWT;
    }

    /**
     * The identity in verified claims, after the checks every accepted token passes. {@code introspected}: the
     * claims are an opaque token's introspection answer, which has no JOSE header and may lack {@code exp}.
     */
    private CallerIdentity verifyAndMap(JOSEObjectType headerType, JWTClaimsSet claims, boolean introspected)
            throws InvalidTokenException {
        String tokenType = tokenType(headerType, claims, introspected);
        if (!issuer.equals(claims.getIssuer())) {
            throw new InvalidTokenException("token issuer not accepted");
        }
        List<String> tokenAudiences = claims.getAudience();
        if (tokenAudiences == null || tokenAudiences.stream().noneMatch(audiences::contains)) {
            throw new InvalidTokenException("token audience does not match this server");
        }
        Instant now = clock.instant();
        Date exp = claims.getExpirationTime();
        if (exp == null && !introspected) {
            throw new InvalidTokenException("token has no expiry");
        }
        if (exp != null && now.isAfter(exp.toInstant().plus(clockSkew))) {
            throw new InvalidTokenException("token expired");
        }
        Date nbf = claims.getNotBeforeTime();
        if (nbf != null && now.plus(clockSkew).isBefore(nbf.toInstant())) {
            throw new InvalidTokenException("token not yet valid");
        }
        String subject = claims.getSubject();
        if (subject == null || subject.isBlank()) {
            throw new InvalidTokenException("token has no subject");
        }
        Map<String, Object> all = claims.getClaims();
        return CallerIdentity.builder(issuer, subject)
                .tenant(firstString(all, claimMapping.tenantPaths()))
                .clientId(firstString(all, claimMapping.clientIdPaths()))
                .scopes(scopes(all))
                .roles(roles(all))
                .actor(actor(all.get("act")))
                .method(introspected ? CallerIdentity.AuthenticationMethod.BEARER_OPAQUE
                        : CallerIdentity.AuthenticationMethod.BEARER_JWT)
                .tokenId(nonBlank(claims.getJWTID()))
                .expiresAt(exp == null ? null : exp.toInstant())
                .tokenType(tokenType)
                .build();
    }

    private static String firstString(Map<String, Object> claims, List<String> paths) throws InvalidTokenException {
        for (String path : paths) {
            Object value = at(claims, path);
            if (value == null) {
                continue;
            }
            if (!(value instanceof String s)) {
                throw new InvalidTokenException("token claims malformed");
            }
            if (!s.isBlank()) {
                return s;
            }
        }
        return null;
    }

    private Set<String> roles(Map<String, Object> claims) throws InvalidTokenException {
        Set<String> roles = new LinkedHashSet<>();
        for (String path : claimMapping.rolePaths()) {
            Object value = at(claims, path);
            if (value instanceof String s) {
                addNonBlank(roles, s);
            } else if (value != null) {
                addStrings(roles, value);
            }
        }
        return roles;
    }

    private Set<String> scopes(Map<String, Object> claims) throws InvalidTokenException {
        Set<String> scopes = new LinkedHashSet<>();
        for (String path : claimMapping.scopePaths()) {
            Object value = at(claims, path);
            if (value instanceof String s) {
                for (String scope : s.trim().split(" +")) {
                    addNonBlank(scopes, scope);
                }
            } else if (value != null) {
                addStrings(scopes, value);
            }
        }
        return scopes;
    }

    private static CallerIdentity.Actor actor(Object act) throws InvalidTokenException {
        if (act == null) {
            return null;
        }
        // Only the current actor (the outermost act) is used; nested act claims record earlier delegation.
        if (!(act instanceof Map<?, ?> map) || !(map.get("sub") instanceof String sub) || sub.isBlank()) {
            throw new InvalidTokenException("token actor claim malformed");
        }
        Object clientId = map.get("client_id");
        if (clientId != null && !(clientId instanceof String)) {
            throw new InvalidTokenException("token actor claim malformed");
        }
        return new CallerIdentity.Actor(sub, Optional.ofNullable(nonBlank((String) clientId)));
    }

    private static void addStrings(Set<String> target, Object value) throws InvalidTokenException {
        if (!(value instanceof List<?> list)) {
            throw new InvalidTokenException("token claims malformed");
        }
        for (Object element : list) {
            if (!(element instanceof String s)) {
                throw new InvalidTokenException("token claims malformed");
            }
            addNonBlank(target, s);
        }
    }

    private static void addNonBlank(Set<String> target, String value) {
        if (!value.isBlank()) {
            target.add(value);
        }
    }

    private static Object at(Map<String, Object> claims, String path) {
        Object current = claims;
        boolean pointer = ClaimMapping.isPointer(path);
        for (String segment : ClaimMapping.segments(path)) {
            if (current instanceof Map<?, ?> map) {
                current = map.get(segment);
            } else if (pointer && current instanceof List<?> list) {
                int index = ClaimMapping.arrayIndex(segment);
                current = index >= 0 && index < list.size() ? list.get(index) : null;
            } else {
                return null;
            }
        }
        return current;
    }

    private static String nonBlank(String value) {
        return value == null || value.isBlank() ? null : value;
    }

    private IdentityResult reject(String description, String detail) {
        log.debug("Rejected bearer token for issuer {}: {}", issuer, ClientText.forLog(detail));
        return new IdentityResult.Rejected(ReasonCode.INVALID_TOKEN, description);
    }

    @Override
    public String toString() {
        String introspection = introspector == null ? ""
                : introspectsJwts ? ", introspection of all tokens" : ", introspection of opaque tokens";
        return "JwtIdentityResolver[issuer=" + issuer + ", audiences=" + audiences + introspection + "]";
    }

    /** A claim check failed; the message is a fixed, client-safe description. */
    private static final class InvalidTokenException extends Exception {
        private static final long serialVersionUID = 1L;

        InvalidTokenException(String safeDescription) {
            super(safeDescription, null, false, false);
        }
    }

    /**
     * Builds a {@link JwtIdentityResolver}. Required: {@link #issuer} and at least one {@link #audience}; at most
     * one of {@link #jwksUrl} or {@link #jwkSet} (neither: the issuer's metadata names the JWKS). Setters reject
     * bad values with a message showing the value. Not thread-safe.
     */
    public static final class Builder {
        private String issuer;
        private final Set<String> audiences = new LinkedHashSet<>();
        private URI jwksUrl;
        private JWKSet jwkSet;
        private Set<String> algorithms = DEFAULT_ALGORITHMS;
        private Duration clockSkew = DEFAULT_CLOCK_SKEW;
        private Clock clock = Clock.systemUTC();
        private ClaimMapping claimMapping = ClaimMapping.ofDefaults();
        private Duration jwksCacheTtl = Duration.ofMinutes(5);
        private Duration jwksRefetchMinInterval = DEFAULT_JWKS_REFETCH_MIN_INTERVAL;
        private Duration jwksUnknownKeyIdMemory = DEFAULT_JWKS_UNKNOWN_KEY_ID_MEMORY;
        private boolean requireTypedAccessTokens;
        private Duration jwksConnectTimeout = Duration.ofSeconds(2);
        private Duration jwksReadTimeout = Duration.ofSeconds(2);
        private int verifiedTokenCacheSize = DEFAULT_VERIFIED_TOKEN_CACHE_SIZE;
        private int verifiedTokensPerPrincipal = DEFAULT_VERIFIED_TOKENS_PER_PRINCIPAL;
        private TokenIntrospection introspection;

        private Builder() {
        }

        /** The exact {@code iss} value accepted (no trailing-slash or case normalisation). */
        public Builder issuer(String issuer) {
            Objects.requireNonNull(issuer, "issuer");
            if (issuer.isBlank()) {
                throw new IllegalArgumentException("issuer must not be blank, got '" + issuer + "'");
            }
            this.issuer = issuer;
            return this;
        }

        /**
         * Adds an accepted {@code aud} value: this server's resource URI (RFC 8707), and optionally the
         * application id URI some issuers put there instead. A token must carry at least one of them.
         */
        public Builder audience(String audience) {
            Objects.requireNonNull(audience, "audience");
            if (audience.isBlank()) {
                throw new IllegalArgumentException("audience must not be blank, got '" + audience + "'");
            }
            audiences.add(audience);
            return this;
        }

        /**
         * Fetches verification keys from this JWKS endpoint ({@code http} or {@code https}) instead of the
         * {@code jwks_uri} of the issuer's metadata. Without it (and without {@link #jwkSet}) the resolver reads
         * the issuer's OIDC discovery document or RFC 8414 metadata, see {@link JwtIdentityResolver}.
         */
        public Builder jwksUrl(URI jwksUrl) {
            Objects.requireNonNull(jwksUrl, "jwksUrl");
            String scheme = jwksUrl.getScheme() == null ? "" : jwksUrl.getScheme().toLowerCase(Locale.ROOT);
            if (!scheme.equals("https") && !scheme.equals("http")) {
                throw new IllegalArgumentException("jwksUrl must be an http(s) URL, got '" + jwksUrl + "'");
            }
            this.jwksUrl = jwksUrl;
            return this;
        }

        /** Uses a fixed key set (tests, offline deployments). Private key parts are dropped. */
        public Builder jwkSet(JWKSet jwkSet) {
            this.jwkSet = Objects.requireNonNull(jwkSet, "jwkSet").toPublicJWKSet();
            return this;
        }

        /** The accepted JWS algorithms, for example {@code "RS256", "ES256"}; {@code none} and HMAC are refused. */
        public Builder algorithms(String... algorithms) {
            Objects.requireNonNull(algorithms, "algorithms");
            if (algorithms.length == 0) {
                throw new IllegalArgumentException("algorithms must not be empty");
            }
            Set<String> accepted = new LinkedHashSet<>();
            for (String algorithm : algorithms) {
                if (!SUPPORTED_ALGORITHMS.contains(algorithm)) {
                    throw new IllegalArgumentException("unsupported JWS algorithm '" + algorithm
                            + "'; supported: " + new TreeSet<>(SUPPORTED_ALGORITHMS));
                }
                accepted.add(algorithm);
            }
            this.algorithms = Set.copyOf(accepted);
            return this;
        }

        /** Tolerance for {@code exp} and {@code nbf}; default 30 seconds, at most {@link #MAX_CLOCK_SKEW}. */
        public Builder clockSkew(Duration clockSkew) {
            Objects.requireNonNull(clockSkew, "clockSkew");
            if (clockSkew.isNegative() || clockSkew.compareTo(MAX_CLOCK_SKEW) > 0) {
                throw new IllegalArgumentException(
                        "clockSkew must be between 0 and " + MAX_CLOCK_SKEW + ", got " + clockSkew);
            }
            this.clockSkew = clockSkew;
            return this;
        }

        /** The clock token times are checked against; default {@link Clock#systemUTC()}. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** How claims map to identity fields; default {@link ClaimMapping#ofDefaults()}. */
        public Builder claimMapping(ClaimMapping claimMapping) {
            this.claimMapping = Objects.requireNonNull(claimMapping, "claimMapping");
            return this;
        }

        /**
         * Accepts only tokens whose header {@code typ} is {@code at+jwt} (or {@code application/at+jwt}): RFC 9068
         * JWT access tokens. Off by default, because many issuers type access tokens {@code JWT} or not at all;
         * turn it on when the issuer supports RFC 9068, and no ID token can pass for an access token.
         */
        public Builder requireTypedAccessTokens() {
            this.requireTypedAccessTokens = true;
            return this;
        }

        /**
         * How long a fetched JWKS is used; default 5 minutes, between 10 s and 24 h. It is refetched in the
         * background a fifth of this (at most one minute) before it expires; an expired set is never used.
         */
        public Builder jwksCacheTtl(Duration ttl) {
            this.jwksCacheTtl = within(ttl, "jwksCacheTtl", Duration.ofSeconds(10), Duration.ofHours(24));
            return this;
        }

        /**
         * Minimum time between JWKS fetches caused by unknown {@code kid}s, over all callers; default 1 s, between
         * 1 s and 30 s. This is also how late a newly published key may be accepted (plus one fetch), whatever
         * rate of unknown key ids hostile callers send.
         */
        public Builder jwksRefetchMinInterval(Duration interval) {
            this.jwksRefetchMinInterval = within(interval, "jwksRefetchMinInterval", Duration.ofSeconds(1),
                    Duration.ofSeconds(30));
            return this;
        }

        /**
         * How long a {@code kid} still unknown after a refetch is refused without another refetch; default 5 s,
         * between 0 (off) and 1 minute. Other key ids are not affected.
         */
        public Builder jwksUnknownKeyIdMemory(Duration memory) {
            this.jwksUnknownKeyIdMemory = within(memory, "jwksUnknownKeyIdMemory", Duration.ZERO,
                    Duration.ofMinutes(1));
            return this;
        }

        /** Connect timeout for the JWKS endpoint; default 2 s, between 100 ms and 30 s. */
        public Builder jwksConnectTimeout(Duration timeout) {
            this.jwksConnectTimeout = within(timeout, "jwksConnectTimeout", Duration.ofMillis(100),
                    Duration.ofSeconds(30));
            return this;
        }

        /** Read timeout for the JWKS endpoint; default 2 s, between 100 ms and 30 s. */
        public Builder jwksReadTimeout(Duration timeout) {
            this.jwksReadTimeout = within(timeout, "jwksReadTimeout", Duration.ofMillis(100), Duration.ofSeconds(30));
            return this;
        }

        /**
         * How many verified tokens the resolver remembers, so that a token presented again costs a SHA-256 digest
         * instead of a parse and a signature check; default {@value #DEFAULT_VERIFIED_TOKEN_CACHE_SIZE}, between
         * 0 (off: every presentation is verified in full) and {@value #MAX_VERIFIED_TOKEN_CACHE_SIZE}. A token is
         * remembered by its digest, only once it passed every check, and never past its {@code exp}; an identity
         * is served only while the key set in use still publishes the key that verified it. Revocation is not
         * affected: the transport and the chain check it on every request.
         */
        public Builder verifiedTokenCacheSize(int maximumTokens) {
            if (maximumTokens < 0 || maximumTokens > MAX_VERIFIED_TOKEN_CACHE_SIZE) {
                throw new IllegalArgumentException("verifiedTokenCacheSize must be between 0 and "
                        + MAX_VERIFIED_TOKEN_CACHE_SIZE + ", got " + maximumTokens);
            }
            this.verifiedTokenCacheSize = maximumTokens;
            return this;
        }

        /**
         * How many remembered tokens one principal (issuer and subject) may hold; default
         * {@value #DEFAULT_VERIFIED_TOKENS_PER_PRINCIPAL}, between 1 and 64. A principal's further token displaces
         * its own oldest one, so a caller that presents fresh tokens in a loop cannot push other callers' tokens
         * out of the cache. Raise it for principals that legitimately use many tokens at once (one service
         * account behind many replicas, each with its own token).
         */
        public Builder verifiedTokensPerPrincipal(int maximumTokens) {
            if (maximumTokens < 1 || maximumTokens > 64) {
                throw new IllegalArgumentException("verifiedTokensPerPrincipal must be between 1 and 64, got "
                        + maximumTokens);
            }
            this.verifiedTokensPerPrincipal = maximumTokens;
            return this;
        }

        /**
         * Asks the issuer's introspection endpoint (RFC 7662) about opaque tokens, and, if so configured, about
         * JWTs too; see {@link TokenIntrospection}. Without it, a token that is not a JWT is refused
         * ({@code token malformed}).
         */
        public Builder introspection(TokenIntrospection introspection) {
            this.introspection = Objects.requireNonNull(introspection, "introspection");
            return this;
        }

        /**
         * Validates the configuration and builds the resolver. Makes no network call: metadata, keys and
         * introspection answers are fetched when tokens arrive.
         */
        public JwtIdentityResolver build() {
            if (issuer == null) {
                throw new IllegalStateException("issuer is required");
            }
            if (audiences.isEmpty()) {
                throw new IllegalStateException("at least one audience (this server's resource URI) is required");
            }
            if (jwksUrl != null && jwkSet != null) {
                throw new IllegalStateException("at most one of jwksUrl or jwkSet may be set (neither: discovery)");
            }
            boolean discoveryNeeded = (jwksUrl == null && jwkSet == null)
                    || (introspection != null && introspection.endpoint().isEmpty());
            if (discoveryNeeded) {
                IssuerMetadataSource.requireDiscoverable(issuer);
            }
            if (introspection != null && introspection.endpoint().isPresent()
                    && !IssuerMetadataSource.acceptableEndpoint(introspection.endpoint().get(), issuer)) {
                throw new IllegalArgumentException("introspection endpoint must be https (http only on loopback for "
                        + "a loopback issuer), got '" + introspection.endpoint().get() + "'");
            }
            IssuerMetadataSource metadata = discoveryNeeded ? new IssuerMetadataSource(issuer, jwksConnectTimeout,
                    jwksConnectTimeout.plus(jwksReadTimeout), clock, jwksCacheTtl, jwksRefetchMinInterval) : null;
            TokenIntrospector introspector = introspection == null ? null
                    : new TokenIntrospector(introspection, introspectionEndpoint(metadata), clock);
            return new JwtIdentityResolver(this, keySource(metadata), introspector, metadata);
        }

        private TokenIntrospector.EndpointSource introspectionEndpoint(IssuerMetadataSource metadata) {
            if (introspection.endpoint().isPresent()) {
                URI configured = introspection.endpoint().get();
                return () -> configured;
            }
            return () -> metadata.current().introspectionEndpoint().orElseThrow(() ->
                    new IssuerMetadataSource.IssuerMetadataException("metadata of issuer " + issuer
                            + " has no introspection_endpoint; configure TokenIntrospection.endpoint"));
        }

        private JWKSource<SecurityContext> keySource(IssuerMetadataSource metadata) {
            if (jwkSet != null) {
                return new ImmutableJWKSet<>(jwkSet);
            }
            DefaultResourceRetriever retriever = new DefaultResourceRetriever(
                    Math.toIntExact(jwksConnectTimeout.toMillis()), Math.toIntExact(jwksReadTimeout.toMillis()),
                    JWKSourceBuilder.DEFAULT_HTTP_SIZE_LIMIT);
            // With discovery, up to two metadata documents and the key set are fetched within one wait.
            Duration fetchWait = jwksConnectTimeout.plus(jwksReadTimeout).plusSeconds(1);
            if (jwksUrl == null) {
                return new RefreshingJwkSetSource(discoveredJwksUrl(metadata), retriever, clock, jwksCacheTtl,
                        jwksRefetchMinInterval, jwksUnknownKeyIdMemory, fetchWait.multipliedBy(3));
            }
            try {
                return new RefreshingJwkSetSource(jwksUrl.toURL(), retriever, clock, jwksCacheTtl,
                        jwksRefetchMinInterval, jwksUnknownKeyIdMemory, fetchWait);
            } catch (MalformedURLException e) {
                throw new IllegalArgumentException("jwksUrl is not a valid URL: '" + jwksUrl + "'", e);
            }
        }

        /** The metadata's {@code jwks_uri}, read afresh before each key set fetch. */
        private RefreshingJwkSetSource.JwksLocation discoveredJwksUrl(IssuerMetadataSource metadata) {
            String forIssuer = issuer;
            return new RefreshingJwkSetSource.JwksLocation() {
                @Override
                public java.net.URL jwksUrl() throws java.io.IOException {
                    URI uri = metadata.fetch().jwksUri().orElseThrow(() ->
                            new IssuerMetadataSource.IssuerMetadataException("metadata of issuer " + forIssuer
                                    + " has no jwks_uri"));
                    return uri.toURL();
                }

                @Override
                public String toString() {
                    return "jwks_uri of " + forIssuer;
                }
            };
        }

        private static Duration within(Duration value, String name, Duration min, Duration max) {
            Objects.requireNonNull(value, name);
            if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
                throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", got " + value);
            }
            return value;
        }
    }
}
