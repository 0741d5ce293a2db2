package dev.mcpguard.spring;

import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.springframework.boot.context.properties.ConfigurationProperties;
import org.springframework.boot.context.properties.bind.DefaultValue;

/**
 * The {@code mcp.guard.*} properties of the starter: immutable, bound once at start-up, and validated as they are
 * bound, so a bad value fails start-up with a message that names the property. Every part of the guard a
 * property configures can also be replaced by a bean of its type (see {@link McpGuardAutoConfiguration}).
 *
 * <pre>{@code
 * mcp.guard.policy.bundle=classpath:policy/orders-bundle.tar.gz
 * mcp.guard.policy.public-key=classpath:policy/demo-signing-public.pem
 * mcp.guard.identity.issuer=https://idp.example.com/realms/orders
 * }</pre>
 *
 * <p>Immutable and thread-safe. Absent values are empty {@link Optional}s or empty lists, never null.
 *
 * @param enabled            {@code false} turns every bean of the starter off (default {@code true})
 * @param serverName         the server name policy and audit records see; default {@code spring.ai.mcp.server.name}
 * @param resource           this server's public resource URI (RFC 9728, the token audience); default
 *                           {@code http://localhost:<bound port><mcp endpoint>}, known once the server listens
 * @param validateArguments  validate arguments against the tool's schema inside the chain, audited (default true)
 * @param policy             where the policy comes from
 * @param identity           how callers authenticate
 * @param audit              where audit records go
 * @param throttle           per-caller, per-tool call limits
 * @param sessions           MCP session lifetimes
 * @param redis              Redis shared by the replicas, for revocations and rate limits (off unless set)
 */
@ConfigurationProperties(McpGuardProperties.PREFIX)
public record McpGuardProperties(
        @DefaultValue("true") boolean enabled,
        Optional<String> serverName,
        Optional<URI> resource,
        @DefaultValue("true") boolean validateArguments,
        @DefaultValue Policy policy,
        @DefaultValue Identity identity,
        @DefaultValue Audit audit,
        @DefaultValue Throttle throttle,
        @DefaultValue Sessions sessions,
        @DefaultValue Redis redis) {

    /** The property prefix. */
    public static final String PREFIX = "mcp.guard";

    public McpGuardProperties {
        serverName = Objects.requireNonNullElse(serverName, Optional.empty());
        resource = Objects.requireNonNullElse(resource, Optional.empty());
        serverName.ifPresent(name -> require(!name.isBlank(), "server-name", "must not be blank"));
        resource.ifPresent(uri -> require(uri.isAbsolute() && uri.getRawFragment() == null
                && ("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())), "resource",
                "must be an absolute http(s) URI without fragment, got '" + uri + "'"));
    }

    /**
     * The policy: an OPA bundle evaluated in-process (default), or a remote OPA server.
     *
     * @param bundle        the signed bundle: {@code classpath:...}, {@code file:...} or {@code https://...};
     *                      required unless {@code remote.enabled} or a {@code PolicyEngine} bean is given
     * @param publicKey     the PEM public key the bundle's signature must verify with ({@code classpath:} or
     *                      {@code file:}); required with {@code bundle}
     * @param pollInterval  how often a file or HTTPS bundle is polled for a new revision (default 30 s)
     * @param remote        the remote OPA switch
     * @param acceptDivergentBuiltins  builtins the embedded engine would refuse because OPA's wasm runtime computes
     *                      them differently from {@code opa eval} on some inputs (the table in docs/policy.md),
     *                      accepted knowingly for this bundle, e.g. {@code ceil,regex.match} (default none)
     * @param evaluationDeadline  how long the embedded engine lets one evaluation run before it interrupts it and
     *                      denies the call with {@code policy_error} (default 1 s; 1 ms to 10 min)
     * @param warmUp        how long the embedded engine may warm each new bundle up before it serves calls, so the
     *                      first calls of a fresh JVM are not many times slower (default 2 s; 0 to 1 min, 0
     *                      disables; docs/policy.md, "Warm-up")
     */
    public record Policy(Optional<String> bundle, Optional<String> publicKey,
                         @DefaultValue("30s") Duration pollInterval, @DefaultValue Remote remote,
                         Set<String> acceptDivergentBuiltins, @DefaultValue("1s") Duration evaluationDeadline,
                         @DefaultValue("2s") Duration warmUp) {
        public Policy {
            bundle = Objects.requireNonNullElse(bundle, Optional.empty());
            publicKey = Objects.requireNonNullElse(publicKey, Optional.empty());
            acceptDivergentBuiltins = Set.copyOf(Objects.requireNonNullElse(acceptDivergentBuiltins, Set.of()));
            require(pollInterval != null && !pollInterval.isNegative() && !pollInterval.isZero(),
                    "policy.poll-interval", "must be positive, got " + pollInterval);
            evaluationDeadline = Objects.requireNonNullElse(evaluationDeadline, Duration.ofSeconds(1));
            warmUp = Objects.requireNonNullElse(warmUp, Duration.ofSeconds(2));
            bundle.ifPresent(b -> require(b.startsWith("classpath:") || b.startsWith("file:")
                    || b.startsWith("https://"), "policy.bundle",
                    "must start with classpath:, file: or https://, got '" + b + "'"));
        }
    }

    /**
     * A remote OPA server, used instead of the embedded engine when {@code enabled}.
     *
     * @param enabled       use the remote OPA (default false)
     * @param url           the OPA server's base URL; HTTPS, or HTTP on loopback only
     * @param decisionPath  the decision path under {@code /v1/data} (default {@code mcp/authz})
     */
    public record Remote(@DefaultValue("false") boolean enabled, Optional<URI> url,
                         @DefaultValue("mcp/authz") String decisionPath) {
        public Remote {
            url = Objects.requireNonNullElse(url, Optional.empty());
            require(!enabled || url.isPresent(), "policy.remote.url", "is required when policy.remote.enabled=true");
        }
    }

    /**
     * mcp-guard's own HTTP authentication, used when Spring Security does not authenticate the request.
     *
     * @param issuer           the OAuth/OIDC issuer whose JWTs are accepted; the audience is the resource URI
     * @param jwksUri          the issuer's JWKS; default from OIDC discovery ({@code /.well-known/openid-configuration})
     * @param claims           where roles, tenant, client id and scopes are read from the token
     * @param apiKeys          API keys for service callers, stored as SHA-256 hashes only
     * @param scopesSupported  the scopes advertised in the RFC 9728 metadata
     * @param resourceName     the human-readable name advertised in the metadata
     * @param jwt              the JWT resolver's cache of verified tokens
     */
    public record Identity(Optional<URI> issuer, Optional<URI> jwksUri, @DefaultValue Claims claims,
                           List<ApiKey> apiKeys, List<String> scopesSupported, Optional<String> resourceName,
                           @DefaultValue Jwt jwt) {
        public Identity {
            issuer = Objects.requireNonNullElse(issuer, Optional.empty());
            jwksUri = Objects.requireNonNullElse(jwksUri, Optional.empty());
            apiKeys = List.copyOf(Objects.requireNonNullElse(apiKeys, List.of()));
            scopesSupported = List.copyOf(Objects.requireNonNullElse(scopesSupported, List.of()));
            resourceName = Objects.requireNonNullElse(resourceName, Optional.empty());
            issuer.ifPresent(uri -> require(uri.isAbsolute(), "identity.issuer", "must be an absolute URI, got '" + uri + "'"));
            jwksUri.ifPresent(uri -> require(uri.isAbsolute(), "identity.jwks-uri", "must be an absolute URI, got '" + uri + "'"));
        }
    }

    /**
     * The verified-token cache of the JWT resolver ({@code JwtIdentityResolver.Builder}): a token presented again
     * costs a SHA-256 digest instead of a parse and a signature check. It never serves a token past its
     * {@code exp}, nor once its signing key left the key set; revocation is checked on every request regardless.
     *
     * @param verifiedTokenCacheSize      how many verified tokens are remembered, 0 (off) to 1000000; default
     *                                    {@code JwtIdentityResolver.DEFAULT_VERIFIED_TOKEN_CACHE_SIZE} (10000)
     * @param verifiedTokensPerPrincipal  how many of them one principal may hold, 1 to 64, so one caller cannot
     *                                    evict the others'; default
     *                                    {@code JwtIdentityResolver.DEFAULT_VERIFIED_TOKENS_PER_PRINCIPAL} (4)
     */
    public record Jwt(@DefaultValue("10000") int verifiedTokenCacheSize,
                      @DefaultValue("4") int verifiedTokensPerPrincipal) {
        public Jwt {
            require(verifiedTokenCacheSize >= 0 && verifiedTokenCacheSize <= 1_000_000,
                    "identity.jwt.verified-token-cache-size",
                    "must be between 0 (off) and 1000000, got " + verifiedTokenCacheSize);
            require(verifiedTokensPerPrincipal >= 1 && verifiedTokensPerPrincipal <= 64,
                    "identity.jwt.verified-tokens-per-principal",
                    "must be between 1 and 64, got " + verifiedTokensPerPrincipal);
        }
    }

    /**
     * Claim paths (dotted for nested claims); empty lists keep {@code ClaimMapping.ofDefaults()}.
     */
    public record Claims(List<String> roles, List<String> tenant, List<String> clientId, List<String> scopes) {
        public Claims {
            roles = List.copyOf(Objects.requireNonNullElse(roles, List.of()));
            tenant = List.copyOf(Objects.requireNonNullElse(tenant, List.of()));
            clientId = List.copyOf(Objects.requireNonNullElse(clientId, List.of()));
            scopes = List.copyOf(Objects.requireNonNullElse(scopes, List.of()));
        }
    }

    /**
     * One API key, by the hex SHA-256 of its value (never the value itself).
     *
     * @param id      a name for audit records and logs
     * @param sha256  {@code ApiKeyIdentityResolver.hashOf(key)}: 64 lowercase hex digits
     * @param subject the principal the key authenticates
     */
    public record ApiKey(String id, String sha256, String subject, Optional<String> tenant, Set<String> scopes,
                         Set<String> roles) {
        public ApiKey {
            require(id != null && !id.isBlank(), "identity.api-keys[].id", "is required");
            require(sha256 != null && sha256.matches("[0-9a-f]{64}"), "identity.api-keys[" + id + "].sha256",
                    "must be 64 lowercase hex digits (the SHA-256 of the key, never the key)");
            require(subject != null && !subject.isBlank(), "identity.api-keys[" + id + "].subject", "is required");
            tenant = Objects.requireNonNullElse(tenant, Optional.empty());
            scopes = Set.copyOf(Objects.requireNonNullElse(scopes, Set.of()));
            roles = Set.copyOf(Objects.requireNonNullElse(roles, Set.of()));
        }
    }

    /**
     * @param file  a JSONL audit file, fsynced before each result returns; default: SLF4J logger {@code mcp-guard.audit}
     */
    public record Audit(Optional<String> file) {
        public Audit {
            file = Objects.requireNonNullElse(file, Optional.empty());
            file.ifPresent(f -> require(!f.isBlank(), "audit.file", "must not be blank"));
        }

        /** The audit file as a path. */
        public Optional<Path> path() {
            return file.map(Path::of);
        }
    }

    /**
     * @param callsPerMinute  calls per minute per caller and tool, 0 for none (default 0); policy
     *                        {@code rate_limit} obligations apply either way
     */
    public record Throttle(@DefaultValue("0") int callsPerMinute) {
        public Throttle {
            require(callsPerMinute >= 0 && callsPerMinute <= 1_000_000, "throttle.calls-per-minute",
                    "must be between 0 and 1000000, got " + callsPerMinute);
        }
    }

    /**
     * @param idleTimeout           a session unused this long ends (default 30 min)
     * @param absoluteLifetime      a session ends this long after it began (default 8 h)
     * @param maximumPerPrincipal   live sessions per principal (default 16)
     */
    public record Sessions(@DefaultValue("30m") Duration idleTimeout, @DefaultValue("8h") Duration absoluteLifetime,
                           @DefaultValue("16") int maximumPerPrincipal) {
        public Sessions {
            require(idleTimeout != null && idleTimeout.compareTo(Duration.ofSeconds(1)) >= 0,
                    "sessions.idle-timeout", "must be at least 1s, got " + idleTimeout);
            require(absoluteLifetime != null && absoluteLifetime.compareTo(idleTimeout) >= 0,
                    "sessions.absolute-lifetime", "must be at least sessions.idle-timeout, got " + absoluteLifetime);
            require(maximumPerPrincipal >= 1 && maximumPerPrincipal <= 10_000, "sessions.maximum-per-principal",
                    "must be between 1 and 10000, got " + maximumPerPrincipal);
        }
    }

    /**
     * @param url  {@code redis://} or {@code rediss://} URI of the Redis the replicas share; when set (and Lettuce
     *             is on the class path) revocations and rate limits are shared, and the guard fails closed
     *             ({@code throttle_unavailable}) while Redis does not answer
     */
    public record Redis(Optional<URI> url) {
        public Redis {
            url = Objects.requireNonNullElse(url, Optional.empty());
            url.ifPresent(uri -> require("redis".equals(uri.getScheme()) || "rediss".equals(uri.getScheme()),
                    "redis.url", "must be a redis:// or rediss:// URI, got scheme '" + uri.getScheme() + "'"));
        }
    }

    private static void require(boolean valid, String property, String problem) {
        if (!valid) {
            throw new IllegalArgumentException(PREFIX + "." + property + " " + problem);
        }
    }
}
