package dev.mcpguard.api;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Who is calling: the authenticated principal, the tenant it belongs to, the client application it uses and,
 * when an agent acts on a user's behalf, the actor (the JWT {@code act} claim, RFC 8693).
 *
 * <p>Identities are created by an {@link dev.mcpguard.api.spi.IdentityResolver} after the credential was
 * verified; nothing in this record is trusted input from the client. It never holds the raw token.
 *
 * <p>Immutable and thread-safe. Components are never null: optional facts are {@link Optional}, absent
 * collections are empty.
 *
 * @param issuer     who vouches for the subject: the token issuer URL, or {@code api-key} for API keys
 * @param subject    the principal's id at that issuer (JWT {@code sub}, or the API key's owner)
 * @param tenant     the tenant the principal belongs to, when the issuer says
 * @param clientId   the OAuth client (JWT {@code azp}/{@code client_id}) or the API key id
 * @param scopes     granted OAuth scopes
 * @param roles      roles and groups, as mapped from the configured claims
 * @param actor      the party acting on the subject's behalf, when delegated
 * @param method     how the caller authenticated
 * @param tokenId    the credential's unique id (JWT {@code jti}), for revocation, when present
 * @param expiresAt  when the credential expires, when known
 * @param tokenType  for bearer JWTs, the verified token's type: {@link #TOKEN_TYPE_AT_JWT} when its header says
 *                   {@code at+jwt} (RFC 9068), otherwise {@link #TOKEN_TYPE_JWT}; empty for other credentials
 */
public record CallerIdentity(
        String issuer,
        String subject,
        Optional<String> tenant,
        Optional<String> clientId,
        Set<String> scopes,
        Set<String> roles,
        Optional<Actor> actor,
        AuthenticationMethod method,
        Optional<String> tokenId,
        Optional<Instant> expiresAt,
        Optional<String> tokenType) {

    /** {@link #tokenType()} of a JWT typed {@code at+jwt} (RFC 9068 access token). */
    public static final String TOKEN_TYPE_AT_JWT = "at+jwt";
    /** {@link #tokenType()} of a JWT typed {@code JWT} or untyped, accepted as an access token. */
    public static final String TOKEN_TYPE_JWT = "jwt";

    public CallerIdentity {
        requireText(issuer, "issuer");
        requireText(subject, "subject");
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(clientId, "clientId");
        scopes = Set.copyOf(Objects.requireNonNull(scopes, "scopes"));
        roles = Set.copyOf(Objects.requireNonNull(roles, "roles"));
        Objects.requireNonNull(actor, "actor");
        Objects.requireNonNull(method, "method");
        Objects.requireNonNull(tokenId, "tokenId");
        Objects.requireNonNull(expiresAt, "expiresAt");
        Objects.requireNonNull(tokenType, "tokenType");
    }

    /** An identity without a token type (the shape before {@code tokenType} was added). */
    public CallerIdentity(String issuer, String subject, Optional<String> tenant, Optional<String> clientId,
                          Set<String> scopes, Set<String> roles, Optional<Actor> actor, AuthenticationMethod method,
                          Optional<String> tokenId, Optional<Instant> expiresAt) {
        this(issuer, subject, tenant, clientId, scopes, roles, actor, method, tokenId, expiresAt, Optional.empty());
    }

    /** Starts a builder for an identity issued by {@code issuer} for {@code subject}. */
    public static Builder builder(String issuer, String subject) {
        return new Builder(issuer, subject);
    }

    /**
     * A stable key for "the same principal acting through the same client and actor". Sessions are bound to
     * it: a session opened by one principal cannot be used by another, even of the same tenant.
     */
    public String principalKey() {
        return issuer + '\u0000' + subject + '\u0000' + clientId.orElse("") + '\u0000'
                + actor.map(Actor::subject).orElse("");
    }

    /** True when the identity was granted {@code scope}. */
    public boolean hasScope(String scope) {
        return scopes.contains(scope);
    }

    /** True when the identity holds {@code role}. */
    public boolean hasRole(String role) {
        return roles.contains(role);
    }

    /**
     * The party acting on the subject's behalf (RFC 8693 {@code act}), for example an AI agent's client.
     *
     * @param subject  the actor's id
     * @param clientId the actor's client id, when given
     */
    public record Actor(String subject, Optional<String> clientId) {
        public Actor {
            requireText(subject, "actor subject");
            Objects.requireNonNull(clientId, "clientId");
        }
    }

    /** How a caller proved who it is. */
    public enum AuthenticationMethod {
        /** An OAuth 2.0 bearer JWT verified against the issuer's keys. */
        BEARER_JWT,
        /** An OAuth 2.0 opaque bearer token the issuer's introspection endpoint (RFC 7662) said is active. */
        BEARER_OPAQUE,
        /** A pre-shared API key for a service caller. */
        API_KEY,
        /** A fixed identity configured by the server owner, for transports without authentication (stdio). */
        CONFIGURED
    }

    /** Builds a {@link CallerIdentity}. Not thread-safe; build once and share the immutable result. */
    public static final class Builder {
        private final String issuer;
        private final String subject;
        private String tenant;
        private String clientId;
        private Set<String> scopes = Set.of();
        private Set<String> roles = Set.of();
        private Actor actor;
        private AuthenticationMethod method = AuthenticationMethod.BEARER_JWT;
        private String tokenId;
        private Instant expiresAt;
        private String tokenType;

        private Builder(String issuer, String subject) {
            this.issuer = issuer;
            this.subject = subject;
        }

        public Builder tenant(String tenant) { this.tenant = tenant; return this; }
        public Builder clientId(String clientId) { this.clientId = clientId; return this; }
        public Builder scopes(Set<String> scopes) { this.scopes = scopes; return this; }
        public Builder roles(Set<String> roles) { this.roles = roles; return this; }
        public Builder actor(Actor actor) { this.actor = actor; return this; }
        public Builder method(AuthenticationMethod method) { this.method = method; return this; }
        public Builder tokenId(String tokenId) { this.tokenId = tokenId; return this; }
        public Builder expiresAt(Instant expiresAt) { this.expiresAt = expiresAt; return this; }
        public Builder tokenType(String tokenType) { this.tokenType = tokenType; return this; }

        public CallerIdentity build() {
            return new CallerIdentity(issuer, subject, Optional.ofNullable(tenant), Optional.ofNullable(clientId),
                    scopes, roles, Optional.ofNullable(actor), method, Optional.ofNullable(tokenId),
                    Optional.ofNullable(expiresAt), Optional.ofNullable(tokenType));
        }
    }

    private static void requireText(String value, String name) {
        Objects.requireNonNull(value, name);
        if (value.isBlank()) {
            throw new IllegalArgumentException(name + " must not be blank");
        }
    }
}
