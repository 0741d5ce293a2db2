package dev.mcpguard.core.credentials;

import dev.mcpguard.api.Secret;
import java.net.URI;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * The secret contents of a stored credential: everything here is encrypted at rest. Either a
 * {@link StaticSecret} (an API key, a password) or an {@link OAuthGrant}.
 *
 * <p>Immutable and thread-safe; {@code toString} never shows a secret. Components are never null.
 */
public sealed interface CredentialMaterial permits CredentialMaterial.StaticSecret, CredentialMaterial.OAuthGrant {

    /** A label for listings: {@code static} or {@code oauth2}. */
    String kind();

    /** A fixed secret, used as is. */
    record StaticSecret(Secret value) implements CredentialMaterial {
        public StaticSecret {
            Objects.requireNonNull(value, "value");
        }

        @Override
        public String kind() {
            return "static";
        }
    }

    /** How an OAuth grant obtains its access tokens. */
    enum GrantType {
        /** A user consented once (authorization code); the stored refresh token renews the access token. */
        REFRESH_TOKEN,
        /** A service credential: the client's own credentials obtain access tokens. */
        CLIENT_CREDENTIALS,
        /**
         * RFC 8693: the calling user's inbound token is exchanged for a downstream token on their behalf; the
         * stored record holds the client and audience, tokens stay in memory per user.
         */
        TOKEN_EXCHANGE
    }

    /**
     * An OAuth 2.0 grant for a downstream API. The token endpoint is inside the ciphertext, so a tampered
     * store cannot send refresh tokens elsewhere.
     *
     * @param grantType     how access tokens are obtained
     * @param tokenEndpoint the authorization server's token endpoint (HTTPS)
     * @param clientId      the OAuth client
     * @param clientSecret  the client secret (client_secret_basic), when the client is confidential
     * @param accessToken   the current access token, when one was obtained
     * @param refreshToken  the refresh token ({@link GrantType#REFRESH_TOKEN})
     * @param expiresAt     when the access token expires, when known
     * @param scopes        scopes to request (and granted)
     * @param audience      the downstream audience ({@link GrantType#TOKEN_EXCHANGE}, optional otherwise)
     */
    record OAuthGrant(GrantType grantType, URI tokenEndpoint, String clientId, Optional<Secret> clientSecret,
                      Optional<Secret> accessToken, Optional<Secret> refreshToken, Optional<Instant> expiresAt,
                      Set<String> scopes, Optional<String> audience) implements CredentialMaterial {
        public OAuthGrant {
            Objects.requireNonNull(grantType, "grantType");
            Objects.requireNonNull(tokenEndpoint, "tokenEndpoint");
            Objects.requireNonNull(clientId, "clientId");
            Objects.requireNonNull(clientSecret, "clientSecret");
            Objects.requireNonNull(accessToken, "accessToken");
            Objects.requireNonNull(refreshToken, "refreshToken");
            Objects.requireNonNull(expiresAt, "expiresAt");
            scopes = Set.copyOf(Objects.requireNonNull(scopes, "scopes"));
            Objects.requireNonNull(audience, "audience");
            if (grantType == GrantType.REFRESH_TOKEN && refreshToken.isEmpty() && accessToken.isEmpty()) {
                throw new IllegalArgumentException("a refresh_token grant needs a refresh token or an access token");
            }
        }

        @Override
        public String kind() {
            return "oauth2";
        }

        /** A copy holding newly issued tokens; a missing new refresh token keeps the old one. */
        public OAuthGrant withTokens(Secret newAccessToken, Optional<Secret> newRefreshToken,
                                     Optional<Instant> newExpiresAt) {
            return new OAuthGrant(grantType, tokenEndpoint, clientId, clientSecret, Optional.of(newAccessToken),
                    newRefreshToken.isPresent() ? newRefreshToken : refreshToken, newExpiresAt, scopes, audience);
        }

        @Override
        public String toString() {
            return "OAuthGrant[" + grantType + ", endpoint=" + tokenEndpoint + ", client=" + clientId
                    + ", expiresAt=" + expiresAt.map(Instant::toString).orElse("unknown") + "]";
        }
    }
}
