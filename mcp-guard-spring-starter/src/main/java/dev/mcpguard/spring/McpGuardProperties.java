package dev.mcpguard.spring;

import dev.mcpguard.api.Secret;
import dev.mcpguard.core.http.McpGuardHttpFilter;
import dev.mcpguard.core.identity.ClaimMapping;
import dev.mcpguard.core.identity.TokenIntrospection;
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
 * @param cors               which browser origins may call the MCP endpoint
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
        @DefaultValue Cors cors,
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
     * mcp-guard's own HTTP authentication, used when Spring Security does not authenticate the request. The
     * top-level {@code issuer}, {@code jwks-uri}, {@code audiences}, {@code claims} and {@code introspection} are
     * one trusted issuer (the one-issuer case); {@code issuers.<name>} adds more, each with its own settings (a
     * map, not a list, so one setting of an entry, a secret from the environment say, merges with the others
     * from another property source instead of replacing the whole collection). A bearer
     * JWT is routed to the issuer whose identifier equals its {@code iss} exactly
     * ({@code IdentityResolvers.byIssuer}).
     *
     * @param issuer           the OAuth/OIDC issuer whose JWTs are accepted; the audience is the resource URI
     * @param jwksUri          the issuer's JWKS; default from its metadata (OIDC discovery, else RFC 8414)
     * @param claims           where roles, tenant, client id and scopes are read from the token
     * @param audiences        further {@code aud} values accepted besides this server's resource URI
     * @param introspection    RFC 7662 token introspection for this issuer (off unless {@code client-id} is set)
     * @param issuers          further trusted issuers by a name of your choosing, each as {@link Issuer}
     * @param apiKeys          API keys for service callers, stored as SHA-256 hashes only
     * @param scopesSupported  the scopes advertised in the RFC 9728 metadata
     * @param resourceName     the human-readable name advertised in the metadata
     * @param jwt              the JWT resolvers' cache of verified tokens
     */
    public record Identity(Optional<URI> issuer, Optional<URI> jwksUri, @DefaultValue Claims claims,
                           List<String> audiences, @DefaultValue Introspection introspection,
                           java.util.Map<String, Issuer> issuers,
                           List<ApiKey> apiKeys, List<String> scopesSupported, Optional<String> resourceName,
                           @DefaultValue Jwt jwt) {
        public Identity {
            issuer = Objects.requireNonNullElse(issuer, Optional.empty());
            jwksUri = Objects.requireNonNullElse(jwksUri, Optional.empty());
            claims = Objects.requireNonNullElse(claims, Claims.NONE);
            audiences = List.copyOf(Objects.requireNonNullElse(audiences, List.of()));
            introspection = Objects.requireNonNullElse(introspection, Introspection.OFF);
            issuers = java.util.Collections.unmodifiableMap(new java.util.LinkedHashMap<>(
                    Objects.requireNonNullElse(issuers, java.util.Map.of())));
            apiKeys = List.copyOf(Objects.requireNonNullElse(apiKeys, List.of()));
            scopesSupported = List.copyOf(Objects.requireNonNullElse(scopesSupported, List.of()));
            resourceName = Objects.requireNonNullElse(resourceName, Optional.empty());
            if (issuer.isPresent()) {
                new Issuer(issuer.get(), jwksUri, audiences, claims, introspection).validate("identity");
            } else {
                require(jwksUri.isEmpty(), "identity.jwks-uri", "needs mcp.guard.identity.issuer");
                require(audiences.isEmpty(), "identity.audiences", "needs mcp.guard.identity.issuer");
                require(!introspection.enabled(), "identity.introspection.client-id",
                        "needs mcp.guard.identity.issuer");
                require(claims.equals(Claims.NONE), "identity.claims", "needs mcp.guard.identity.issuer");
            }
            Set<String> seen = new java.util.HashSet<>();
            issuer.ifPresent(uri -> seen.add(uri.toString()));
            for (java.util.Map.Entry<String, Issuer> entry : issuers.entrySet()) {
                String prefix = "identity.issuers." + entry.getKey();
                Issuer trusted = entry.getValue();
                require(trusted != null, prefix, "is empty");
                trusted.validate(prefix);
                require(seen.add(trusted.issuer().toString()), prefix + ".issuer",
                        "trusts '" + trusted.issuer() + "' a second time; each issuer is configured once");
            }
        }

        /**
         * Every trusted issuer by its property prefix: the top-level one first ({@code mcp.guard.identity}), then
         * {@code mcp.guard.identity.issuers.<name>}.
         */
        public java.util.Map<String, Issuer> allIssuers() {
            java.util.Map<String, Issuer> all = new java.util.LinkedHashMap<>();
            issuer.ifPresent(uri -> all.put(PREFIX + ".identity", new Issuer(uri, jwksUri, audiences, claims,
                    introspection)));
            issuers.forEach((name, trusted) -> all.put(PREFIX + ".identity.issuers." + name, trusted));
            return java.util.Collections.unmodifiableMap(all);
        }
    }

    /**
     * One trusted token issuer.
     *
     * @param issuer         the exact {@code iss} value accepted (no trailing-slash or case normalisation); its
     *                       metadata must name it exactly too
     * @param jwksUri        its JWKS; default the {@code jwks_uri} of its metadata (OIDC discovery, else RFC 8414)
     * @param audiences      further {@code aud} values accepted besides this server's resource URI (which is always
     *                       accepted), for an issuer that puts an application id URI there
     * @param claims         where roles, tenant, client id and scopes are read from its tokens (dotted paths or
     *                       JSON pointers such as {@code /resource_access/orders.api/roles})
     * @param introspection  RFC 7662 introspection of its tokens, off unless {@code client-id} is set
     */
    public record Issuer(URI issuer, Optional<URI> jwksUri, List<String> audiences, @DefaultValue Claims claims,
                         @DefaultValue Introspection introspection) {
        public Issuer {
            jwksUri = Objects.requireNonNullElse(jwksUri, Optional.empty());
            audiences = List.copyOf(Objects.requireNonNullElse(audiences, List.of()));
            claims = Objects.requireNonNullElse(claims, Claims.NONE);
            introspection = Objects.requireNonNullElse(introspection, Introspection.OFF);
        }

        /** Checks every setting, naming the property under {@code prefix} (for example {@code identity.issuers.partner}). */
        void validate(String prefix) {
            require(issuer != null, prefix + ".issuer", "is required");
            require(issuer.isAbsolute() && issuer.getHost() != null
                    && ("https".equals(issuer.getScheme()) || "http".equals(issuer.getScheme())),
                    prefix + ".issuer", "must be an absolute http(s) URI, got '" + issuer + "'");
            jwksUri.ifPresent(uri -> require(uri.isAbsolute() && ("https".equals(uri.getScheme())
                    || "http".equals(uri.getScheme())), prefix + ".jwks-uri",
                    "must be an absolute http(s) URI, got '" + uri + "'"));
            for (String audience : audiences) {
                require(audience != null && !audience.isBlank() && audience.length() <= 1024,
                        prefix + ".audiences", "must not hold a blank value or one over 1024 characters");
            }
            claims.validate(prefix + ".claims");
            introspection.validate(prefix + ".introspection");
        }
    }

    /**
     * RFC 7662 token introspection ({@code TokenIntrospection}): opaque tokens are always introspected, JWTs too
     * with {@code also-for-jwts}, so a token revoked at the issuer is refused at the latest {@code cache-ttl}
     * after its revocation. Off unless {@code client-id} is set.
     *
     * <p>The client secret is a secret: supply it from the environment or a file, never from a committed file
     * ({@code MCP_GUARD_IDENTITY_INTROSPECTION_CLIENTSECRET}, {@code MCP_GUARD_IDENTITY_ISSUERS_PARTNER_INTROSPECTION_CLIENTSECRET},
     * or a file through {@code spring.config.import=configtree:/run/secrets/}).
     * It appears in no log, error message or {@code toString}, and the starter masks it in the actuator's
     * {@code env} and {@code configprops} output.
     *
     * @param clientId      the client id registered at the issuer for introspection (1 to 256 characters)
     * @param clientSecret  its secret, sent with {@code client_secret_basic}; required with {@code client-id}
     * @param endpoint      the introspection endpoint; default the {@code introspection_endpoint} of the issuer's
     *                      metadata; {@code https}, or {@code http} on loopback for a loopback issuer
     * @param alsoForJwts   introspect JWTs too, after their local checks (default false)
     * @param cacheTtl      how long an active answer is remembered, never past the token's {@code exp} (default
     *                      30 s; 0 to 5 min, 0 asks on every request): how long a revoked token may still pass
     */
    public record Introspection(Optional<String> clientId, Optional<String> clientSecret, Optional<URI> endpoint,
                                @DefaultValue("false") boolean alsoForJwts, @DefaultValue("30s") Duration cacheTtl) {

        static final Introspection OFF = new Introspection(Optional.empty(), Optional.empty(), Optional.empty(),
                false, TokenIntrospection.DEFAULT_CACHE_TTL);

        public Introspection {
            clientId = Objects.requireNonNullElse(clientId, Optional.empty());
            clientSecret = Objects.requireNonNullElse(clientSecret, Optional.empty());
            endpoint = Objects.requireNonNullElse(endpoint, Optional.empty());
            cacheTtl = Objects.requireNonNullElse(cacheTtl, TokenIntrospection.DEFAULT_CACHE_TTL);
        }

        /** Whether introspection is configured ({@code client-id} is set). */
        public boolean enabled() {
            return clientId.isPresent();
        }

        void validate(String prefix) {
            if (!enabled()) {
                require(clientSecret.isEmpty() && endpoint.isEmpty() && !alsoForJwts, prefix + ".client-id",
                        "is required with the other introspection settings");
                return;
            }
            String id = clientId.get();
            require(!id.isBlank() && id.length() <= 256, prefix + ".client-id",
                    "must be 1 to 256 characters and not blank");
            // Never the value: a secret pasted in the wrong property must not reach a log.
            require(clientSecret.isPresent() && !clientSecret.get().isEmpty(), prefix + ".client-secret",
                    "is required with client-id (from the environment or a file, never a committed file)");
            endpoint.ifPresent(uri -> require(uri.isAbsolute() && uri.getHost() != null
                    && ("https".equals(uri.getScheme()) || "http".equals(uri.getScheme())), prefix + ".endpoint",
                    "must be an absolute http(s) URL, got '" + uri + "'"));
            require(!cacheTtl.isNegative() && cacheTtl.compareTo(TokenIntrospection.MAX_CACHE_TTL) <= 0,
                    prefix + ".cache-ttl", "must be between 0 and " + TokenIntrospection.MAX_CACHE_TTL + ", got "
                            + cacheTtl);
        }

        /** The core settings; only for an {@link #enabled()} one. */
        TokenIntrospection toTokenIntrospection() {
            TokenIntrospection.Builder builder = TokenIntrospection.builder()
                    .clientId(clientId.orElseThrow())
                    .clientSecret(Secret.ofUtf8(clientSecret.orElseThrow()))
                    .cacheTtl(cacheTtl);
            endpoint.ifPresent(builder::endpoint);
            if (alsoForJwts) {
                builder.alsoForJwts();
            }
            return builder.build();
        }

        @Override
        public String toString() {
            return "Introspection[clientId=" + clientId.orElse("-") + ", clientSecret="
                    + (clientSecret.isPresent() ? "(redacted)" : "-") + ", endpoint="
                    + endpoint.map(URI::toString).orElse("from issuer metadata") + ", alsoForJwts=" + alsoForJwts
                    + ", cacheTtl=" + cacheTtl + "]";
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
     * Claim paths: a claim name, a dotted path into nested objects ({@code realm_access.roles}) or a JSON pointer
     * ({@code /resource_access/orders.api/roles}, {@code ~1} for {@code /}); empty lists keep
     * {@code ClaimMapping.ofDefaults()}. Write a path that holds a comma as an indexed property ({@code roles[0]}).
     */
    public record Claims(List<String> roles, List<String> tenant, List<String> clientId, List<String> scopes) {

        static final Claims NONE = new Claims(List.of(), List.of(), List.of(), List.of());

        public Claims {
            roles = List.copyOf(Objects.requireNonNullElse(roles, List.of()));
            tenant = List.copyOf(Objects.requireNonNullElse(tenant, List.of()));
            clientId = List.copyOf(Objects.requireNonNullElse(clientId, List.of()));
            scopes = List.copyOf(Objects.requireNonNullElse(scopes, List.of()));
        }

        /** Checks every path as {@link ClaimMapping} would, naming the property under {@code prefix}. */
        void validate(String prefix) {
            validPaths(roles, prefix + ".roles");
            validPaths(tenant, prefix + ".tenant");
            validPaths(clientId, prefix + ".client-id");
            validPaths(scopes, prefix + ".scopes");
        }

        /** The mapping: each list given, else the default's. */
        ClaimMapping toClaimMapping() {
            ClaimMapping defaults = ClaimMapping.ofDefaults();
            return new ClaimMapping(roles.isEmpty() ? defaults.rolePaths() : roles,
                    tenant.isEmpty() ? defaults.tenantPaths() : tenant,
                    clientId.isEmpty() ? defaults.clientIdPaths() : clientId,
                    scopes.isEmpty() ? defaults.scopePaths() : scopes);
        }

        private static void validPaths(List<String> paths, String property) {
            try {
                new ClaimMapping(paths, List.of(), List.of(), List.of());
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException(PREFIX + "." + property + " "
                        + e.getMessage().replaceFirst("^rolePaths ", ""));
            }
        }
    }

    /**
     * Browser access to the MCP endpoint ({@code McpGuardHttpFilter.Builder#allowedOrigin}): requests from these
     * origins pass the Origin check (the DNS-rebinding defence) and get CORS answers (the preflight, and
     * {@code Access-Control-Allow-Origin} with {@code Mcp-Session-Id}, {@code WWW-Authenticate} and
     * {@code Mcp-Protocol-Version} exposed). This server's own origin is always allowed; every other request that
     * carries {@code Origin} is refused with 403. No credentials mode, no wildcard.
     *
     * @param allowedOrigins  exact origins, {@code scheme://host[:port]} (default none)
     */
    public record Cors(List<String> allowedOrigins) {
        public Cors {
            allowedOrigins = List.copyOf(Objects.requireNonNullElse(allowedOrigins, List.of()));
            for (String origin : allowedOrigins) {
                try {
                    McpGuardHttpFilter.builder().allowedOrigin(origin);
                } catch (IllegalArgumentException e) {
                    require(false, "cors.allowed-origins", "must hold exact origins, scheme://host[:port] without "
                            + "path or wildcard (" + e.getMessage() + ")");
                }
            }
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
