package dev.mcpguard.core.identity;

import dev.mcpguard.api.Secret;
import java.net.URI;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * How a {@link JwtIdentityResolver} asks its issuer about a token with OAuth 2.0 token introspection (RFC 7662):
 * for opaque (non-JWT) access tokens always, and, with {@link Builder#alsoForJwts()}, for JWTs too, so a token
 * revoked at the issuer (a Keycloak logout, say) is refused within {@link Builder#cacheTtl} instead of working
 * until its {@code exp}.
 *
 * <p>The resolver POSTs {@code token} (and {@code token_type_hint=access_token}) to the endpoint, authenticated
 * with {@code client_secret_basic} (RFC 6749 section 2.3.1). A token is accepted only when the answer is HTTP 200
 * with {@code "active": true} and its {@code iss}, {@code aud}, {@code exp}, {@code nbf} and {@code token_type}
 * agree with the resolver's issuer, audiences and clock when present; for an opaque token, {@code aud} and
 * {@code sub} are required, because nothing else binds it to this server and a caller. An endpoint that is down,
 * slow, answers anything else or too much, or more than {@link #MAX_CONCURRENT_REQUESTS} requests in flight:
 * the token is refused (fail closed). Active answers are remembered by a SHA-256 digest of the token (never the
 * token) for {@link Builder#cacheTtl} and never past the answer's {@code exp}; inactive ones are not remembered.
 *
 * <p>The client secret is a {@link Secret}: it appears in no log, exception, {@code toString} or metric. Immutable
 * and thread-safe.
 * <pre>{@code
 * TokenIntrospection introspection = TokenIntrospection.builder()
 *     .clientId("orders-mcp")
 *     .clientSecret(Secret.ofUtf8(System.getenv("ORDERS_MCP_CLIENT_SECRET")))
 *     .alsoForJwts()                       // revocation takes effect within cacheTtl
 *     .cacheTtl(Duration.ofSeconds(30))
 *     .build();                            // endpoint: the issuer metadata's introspection_endpoint
 * }</pre>
 */
public final class TokenIntrospection {

    /** How long an active answer is remembered when not configured. */
    public static final Duration DEFAULT_CACHE_TTL = Duration.ofSeconds(30);
    /** The longest {@link Builder#cacheTtl} accepted. */
    public static final Duration MAX_CACHE_TTL = Duration.ofMinutes(5);
    /** How many active answers are remembered when not configured. */
    public static final int DEFAULT_CACHE_SIZE = 10_000;
    /** The largest {@link Builder#cacheSize} accepted. */
    public static final int MAX_CACHE_SIZE = 1_000_000;
    /** Introspection requests in flight at once, per resolver; a token beyond it is refused at once. */
    public static final int MAX_CONCURRENT_REQUESTS = 32;
    /** Largest introspection answer read. */
    public static final int MAX_RESPONSE_BYTES = 64 * 1024;
    /** Longest opaque token sent to the endpoint; longer ones are refused without a request. */
    public static final int MAX_OPAQUE_TOKEN_LENGTH = 4096;

    private final Optional<URI> endpoint;
    private final String clientId;
    private final Secret clientSecret;
    private final boolean alsoForJwts;
    private final Duration cacheTtl;
    private final int cacheSize;
    private final Duration connectTimeout;
    private final Duration requestTimeout;

    private TokenIntrospection(Builder b) {
        this.endpoint = Optional.ofNullable(b.endpoint);
        this.clientId = b.clientId;
        this.clientSecret = b.clientSecret;
        this.alsoForJwts = b.alsoForJwts;
        this.cacheTtl = b.cacheTtl;
        this.cacheSize = b.cacheSize;
        this.connectTimeout = b.connectTimeout;
        this.requestTimeout = b.requestTimeout;
    }

    /** Starts a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** The configured endpoint; empty: the issuer metadata's {@code introspection_endpoint}. */
    public Optional<URI> endpoint() {
        return endpoint;
    }

    /** The client id the resolver authenticates with. */
    public String clientId() {
        return clientId;
    }

    Secret clientSecret() {
        return clientSecret;
    }

    /** Whether JWTs are introspected too, after local verification. */
    public boolean alsoForJwts() {
        return alsoForJwts;
    }

    /** How long an active answer is remembered (never past the token's {@code exp}); zero: not remembered. */
    public Duration cacheTtl() {
        return cacheTtl;
    }

    /** How many active answers are remembered at most. */
    public int cacheSize() {
        return cacheSize;
    }

    /** Connect timeout for the endpoint. */
    public Duration connectTimeout() {
        return connectTimeout;
    }

    /** Bound on a whole introspection exchange, body included. */
    public Duration requestTimeout() {
        return requestTimeout;
    }

    @Override
    public String toString() {
        return "TokenIntrospection[endpoint=" + endpoint.map(URI::toString).orElse("from issuer metadata")
                + ", clientId=" + clientId + ", clientSecret=" + clientSecret + ", alsoForJwts=" + alsoForJwts
                + ", cacheTtl=" + cacheTtl + "]";
    }

    /**
     * Builds a {@link TokenIntrospection}. Required: {@link #clientId} and {@link #clientSecret}. Setters reject
     * bad values with a message showing the value (never the secret). Not thread-safe.
     */
    public static final class Builder {
        private URI endpoint;
        private String clientId;
        private Secret clientSecret;
        private boolean alsoForJwts;
        private Duration cacheTtl = DEFAULT_CACHE_TTL;
        private int cacheSize = DEFAULT_CACHE_SIZE;
        private Duration connectTimeout = Duration.ofSeconds(2);
        private Duration requestTimeout = Duration.ofSeconds(3);

        private Builder() {
        }

        /**
         * The introspection endpoint; default: the {@code introspection_endpoint} of the issuer's metadata. Must be
         * {@code https}, or {@code http} on a loopback host when the issuer is a loopback {@code http} URL (checked
         * when the resolver is built): the client secret and tokens travel in the request.
         */
        public Builder endpoint(URI endpoint) {
            Objects.requireNonNull(endpoint, "endpoint");
            if (!endpoint.isAbsolute() || endpoint.getHost() == null) {
                throw new IllegalArgumentException("endpoint must be an absolute http(s) URL, got '" + endpoint + "'");
            }
            this.endpoint = endpoint;
            return this;
        }

        /** The client id registered at the issuer for introspection (a resource server client). */
        public Builder clientId(String clientId) {
            Objects.requireNonNull(clientId, "clientId");
            if (clientId.isBlank() || clientId.length() > 256) {
                throw new IllegalArgumentException("clientId must be 1 to 256 characters and not blank, got '"
                        + clientId + "'");
            }
            this.clientId = clientId;
            return this;
        }

        /** The client's secret, sent with {@code client_secret_basic}. */
        public Builder clientSecret(Secret clientSecret) {
            Objects.requireNonNull(clientSecret, "clientSecret");
            if (clientSecret.length() == 0) {
                throw new IllegalArgumentException("clientSecret must not be empty");
            }
            this.clientSecret = clientSecret;
            return this;
        }

        /**
         * Introspects JWTs too, after every local check passed: a JWT revoked at the issuer is refused at the
         * latest {@link #cacheTtl} after its revocation, at the cost of one introspection request per token per
         * TTL (and the issuer being on the request path: when it is down, JWTs are refused too).
         */
        public Builder alsoForJwts() {
            this.alsoForJwts = true;
            return this;
        }

        /**
         * How long an active answer is remembered, so a token presented on every request costs one introspection
         * per TTL; default 30 s, between 0 (every presentation asks the issuer) and {@link #MAX_CACHE_TTL}. This is
         * how long a revoked token can still be accepted. Never past the answer's {@code exp}.
         */
        public Builder cacheTtl(Duration ttl) {
            Objects.requireNonNull(ttl, "cacheTtl");
            if (ttl.isNegative() || ttl.compareTo(MAX_CACHE_TTL) > 0) {
                throw new IllegalArgumentException("cacheTtl must be between 0 and " + MAX_CACHE_TTL + ", got " + ttl);
            }
            this.cacheTtl = ttl;
            return this;
        }

        /**
         * How many active answers are remembered; default {@value #DEFAULT_CACHE_SIZE}, 1 to
         * {@value #MAX_CACHE_SIZE}.
         */
        public Builder cacheSize(int size) {
            if (size < 1 || size > MAX_CACHE_SIZE) {
                throw new IllegalArgumentException("cacheSize must be between 1 and " + MAX_CACHE_SIZE + ", got "
                        + size);
            }
            this.cacheSize = size;
            return this;
        }

        /** Connect timeout; default 2 s, between 100 ms and 30 s. */
        public Builder connectTimeout(Duration timeout) {
            this.connectTimeout = within(timeout, "connectTimeout");
            return this;
        }

        /** Bound on a whole exchange, body included; default 3 s, between 100 ms and 30 s. */
        public Builder requestTimeout(Duration timeout) {
            this.requestTimeout = within(timeout, "requestTimeout");
            return this;
        }

        /** Validates and builds. */
        public TokenIntrospection build() {
            if (clientId == null || clientSecret == null) {
                throw new IllegalStateException("clientId and clientSecret are required (client_secret_basic)");
            }
            return new TokenIntrospection(this);
        }

        private static Duration within(Duration value, String name) {
            Objects.requireNonNull(value, name);
            if (value.compareTo(Duration.ofMillis(100)) < 0 || value.compareTo(Duration.ofSeconds(30)) > 0) {
                throw new IllegalArgumentException(name + " must be between PT0.1S and PT30S, got " + value);
            }
            return value;
        }
    }
}
