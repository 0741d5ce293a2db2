package dev.mcpguard.examples;

import dev.mcpguard.api.Secret;
import dev.mcpguard.core.credentials.CredentialKey;
import dev.mcpguard.core.credentials.CredentialMaterial.GrantType;
import dev.mcpguard.core.credentials.CredentialMaterial.OAuthGrant;
import dev.mcpguard.core.credentials.StoredCredential;
import dev.mcpguard.core.credentials.TinkCredentialStore;
import java.security.SecureRandom;
import java.time.Duration;
import java.time.Instant;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The operator's step before refunds can work: storing the orders server's OAuth client for the payments API in
 * the encrypted credential store. It is a service credential ({@code service:orders}, for every tenant), a client
 * credentials grant against the demo issuer's token endpoint for audience {@value PaymentsApi#AUDIENCE} and scope
 * {@value PaymentsApi#REFUND_SCOPE}. The operator CLI stores the same with
 * {@code add --tenant '*' --owner service:orders --name payments-api --purpose orders --kind oauth2
 * --grant client_credentials ...}.
 *
 * <p>The stored access token expired {@link #STORED_TOKEN_AGE} ago, as it would have after a night without
 * refunds, so the first refund makes mcp-guard obtain a fresh one: exactly one token request, however many
 * refunds arrive at once.
 *
 * <p>Stateless and thread-safe.
 */
public final class PaymentsCredential {

    /** The OAuth client the orders server uses at the payments API's authorization server. */
    public static final String CLIENT_ID = "orders-mcp";
    /** How long ago the stored access token expired. */
    public static final Duration STORED_TOKEN_AGE = Duration.ofMinutes(5);

    private PaymentsCredential() {
    }

    /** The store key: the server's own credential {@code payments-api}, shared by all tenants. */
    public static CredentialKey key() {
        return CredentialKey.ofService(CredentialKey.ANY_TENANT, OrdersServer.SERVER_NAME, PaymentsApi.AUDIENCE,
                OrdersServer.SERVER_NAME);
    }

    /**
     * Stores (or replaces) the payments credential in {@code store}: a client credentials grant at
     * {@code issuer}'s token endpoint with a random client secret and an access token that has already expired.
     */
    public static StoredCredential provision(TinkCredentialStore store, DemoIssuer issuer) {
        byte[] secret = new byte[24];
        new SecureRandom().nextBytes(secret);
        Secret clientSecret = Secret.ofUtf8(HexFormat.of().formatHex(secret));
        Instant expiredAt = Instant.now().minus(STORED_TOKEN_AGE);
        String expiredToken = issuer.serviceToken(CLIENT_ID, List.of(PaymentsApi.AUDIENCE),
                Map.of("scope", PaymentsApi.REFUND_SCOPE), STORED_TOKEN_AGE.negated());
        OAuthGrant grant = new OAuthGrant(GrantType.CLIENT_CREDENTIALS, issuer.tokenEndpoint(), CLIENT_ID,
                Optional.of(clientSecret), Optional.of(Secret.ofUtf8(expiredToken)), Optional.empty(),
                Optional.of(expiredAt), Set.of(PaymentsApi.REFUND_SCOPE), Optional.of(PaymentsApi.AUDIENCE));
        return store.put(key(), grant);
    }
}
