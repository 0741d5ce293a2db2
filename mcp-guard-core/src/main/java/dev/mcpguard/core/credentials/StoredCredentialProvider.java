package dev.mcpguard.core.credentials;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.spi.CredentialProvider;
import dev.mcpguard.core.credentials.CredentialMaterial.GrantType;
import dev.mcpguard.core.credentials.CredentialMaterial.OAuthGrant;
import dev.mcpguard.core.credentials.CredentialMaterial.StaticSecret;
import dev.mcpguard.core.credentials.TokenEndpointClient.TokenEndpointException;
import dev.mcpguard.core.credentials.TokenEndpointClient.TokenResponse;
import dev.mcpguard.core.internal.ClientText;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The standard {@link CredentialProvider}: reads credentials from a {@link TinkCredentialStore} and keeps OAuth
 * access tokens fresh.
 *
 * <p><b>Which record.</b> For a request naming {@code crm-api} on server {@code orders} by a caller of tenant
 * {@code acme} (callers without a tenant use the reserved {@link CredentialKey#NO_TENANT}), the first of these
 * that exists: the caller's own credential {@code (acme, user:<issuer>|<subject>, crm-api, orders)}, the
 * server's {@code (acme, service:orders, crm-api, orders)}, the server's for all tenants
 * {@code (*, service:orders, crm-api, orders)}. The purpose is the MCP server's name, so one server cannot use
 * credentials stored for another. The user's issuer is part of the owner, so a subject {@code alice} of one
 * issuer never gets the credential of {@code alice} of another. Callers authenticated with an API key get no
 * user credential (only the server's) unless {@link Builder#allowUserCredentialsForApiKeyCallers()}. A caller
 * whose identity claims the tenant {@code *} or {@code -} gets no credential at all.
 *
 * <p><b>OAuth.</b> An access token that expires within the refresh skew is renewed before it is handed out:
 * with the refresh token, the client credentials, or (token exchange) the caller's inbound token as the
 * RFC 8693 subject token. Renewal is single-flight per credential (per credential and caller for exchanges): N
 * concurrent calls cause one token request, the others wait for it, at most the wait timeout. A rotated refresh
 * token is persisted (compare-and-set) before the new access token is used; if it cannot be persisted the call
 * fails rather than risk losing the grant silently. {@code invalid_grant} marks the credential as needing
 * re-authorization; every later call fails fast with
 * {@link ReasonCode#CREDENTIAL_REAUTHORIZATION_REQUIRED} until an operator stores a new grant. Exchanged tokens
 * stay in memory, never in the store, in a bounded cache (default 10,000 entries) where each is kept until the
 * earliest of its own expiry, the caller's token expiry and {@value #EXCHANGED_TOKEN_MAX_AGE_MINUTES} minutes.
 *
 * <p>Thread-safe. Single-flight is per process; replicas sharing a JDBC store are kept consistent by
 * compare-and-set, and a replica that loses the race uses the winner's token.
 *
 * <pre>{@code
 * CredentialProvider provider = StoredCredentialProvider.builder(store)
 *         .refreshSkew(Duration.ofSeconds(60))
 *         .build();
 * }</pre>
 */
public final class StoredCredentialProvider implements CredentialProvider {

    private static final Logger log = LoggerFactory.getLogger(StoredCredentialProvider.class);
    /** Longest an exchanged token is reused, also when the endpoint gave no {@code expires_in}. */
    static final int EXCHANGED_TOKEN_MAX_AGE_MINUTES = 5;
    private static final Duration EXCHANGED_TOKEN_MAX_AGE = Duration.ofMinutes(EXCHANGED_TOKEN_MAX_AGE_MINUTES);

    private final TinkCredentialStore store;
    private final TokenEndpointClient endpoints;
    private final Duration refreshSkew;
    private final Duration waitTimeout;
    private final Clock clock;
    private final boolean userCredentialsForApiKeyCallers;
    private final ConcurrentHashMap<String, CompletableFuture<CredentialLease>> inFlight = new ConcurrentHashMap<>();
    private final Cache<String, Exchanged> exchanged;

    /** An exchanged token and the instant the cache drops it. */
    private record Exchanged(CredentialLease lease, Instant keepUntil) {
    }

    private StoredCredentialProvider(Builder b) {
        this.store = b.store;
        this.endpoints = new TokenEndpointClient(b.tokenEndpoints);
        this.refreshSkew = b.refreshSkew;
        this.waitTimeout = b.waitTimeout != null ? b.waitTimeout
                : b.tokenEndpoints.connectTimeout().plus(b.tokenEndpoints.requestTimeout()).plusSeconds(1);
        this.clock = b.clock;
        this.userCredentialsForApiKeyCallers = b.userCredentialsForApiKeyCallers;
        this.exchanged = Caffeine.newBuilder()
                .maximumSize(b.exchangedTokenCacheSize)
                .ticker(() -> {
                    Instant now = clock.instant();
                    return now.getEpochSecond() * 1_000_000_000L + now.getNano();
                })
                .executor(Runnable::run)
                .expireAfter(new Expiry<String, Exchanged>() {
                    @Override
                    public long expireAfterCreate(String key, Exchanged value, long currentTime) {
                        return Math.max(0, Duration.between(clock.instant(), value.keepUntil()).toNanos());
                    }

                    @Override
                    public long expireAfterUpdate(String key, Exchanged value, long currentTime, long currentDuration) {
                        return expireAfterCreate(key, value, currentTime);
                    }

                    @Override
                    public long expireAfterRead(String key, Exchanged value, long currentTime, long currentDuration) {
                        return currentDuration;
                    }
                })
                .build();
    }

    /** Starts a builder over {@code store}. */
    public static Builder builder(TinkCredentialStore store) {
        return new Builder(store);
    }

    @Override
    public CredentialLease obtain(CredentialRequest request) throws CredentialUnavailableException {
        Objects.requireNonNull(request, "request");
        String name = request.credentialName();
        StoredCredential credential = find(request);
        checkActive(credential, name);
        if (credential.material() instanceof StaticSecret s) {
            return lease(credential, s.value(), Optional.empty());
        }
        OAuthGrant grant = (OAuthGrant) credential.material();
        if (grant.grantType() == GrantType.TOKEN_EXCHANGE) {
            return exchange(credential, grant, request);
        }
        if (fresh(grant.accessToken(), grant.expiresAt())) {
            return lease(credential, grant.accessToken().get(), grant.expiresAt());
        }
        return singleFlight(credential.id(), name, () -> renew(credential.key(), name));
    }

    private StoredCredential find(CredentialRequest request) throws CredentialUnavailableException {
        CallerIdentity caller = request.caller();
        if (caller.tenant().isPresent() && (caller.tenant().get().equals(CredentialKey.NO_TENANT)
                || caller.tenant().get().equals(CredentialKey.ANY_TENANT))) {
            log.warn("Caller {} of issuer {} claims the reserved tenant '{}'; no credential is handed out",
                    ClientText.forLog(caller.subject()), ClientText.forLog(caller.issuer()),
                    ClientText.forLog(caller.tenant().get()));
            throw new CredentialUnavailableException(ReasonCode.CREDENTIAL_UNAVAILABLE,
                    "No credential '" + request.credentialName() + "' is stored for this caller.");
        }
        String tenant = caller.tenant().orElse(CredentialKey.NO_TENANT);
        String purpose = request.server();
        List<CredentialKey> candidates = new ArrayList<>(3);
        try {
            if (caller.method() != CallerIdentity.AuthenticationMethod.API_KEY || userCredentialsForApiKeyCallers) {
                userKey(caller, tenant, request.credentialName(), purpose).ifPresent(candidates::add);
            }
            candidates.add(CredentialKey.ofService(tenant, request.server(), request.credentialName(), purpose));
            candidates.add(CredentialKey.ofService(CredentialKey.ANY_TENANT, request.server(), request.credentialName(),
                    purpose));
        } catch (IllegalArgumentException e) {
            throw new CredentialUnavailableException(ReasonCode.CREDENTIAL_UNAVAILABLE,
                    "The credential name is not valid.");
        }
        for (CredentialKey key : candidates) {
            Optional<StoredCredential> found = read(key, request.credentialName());
            if (found.isPresent()) {
                return found.get();
            }
        }
        throw new CredentialUnavailableException(ReasonCode.CREDENTIAL_UNAVAILABLE,
                "No credential '" + request.credentialName() + "' is stored for this caller.");
    }

    /** The caller's own key; none when the issuer cannot be part of an owner id (it holds the separator). */
    private static Optional<CredentialKey> userKey(CallerIdentity caller, String tenant, String name, String purpose) {
        if (caller.issuer().indexOf(CredentialKey.Owner.ISSUER_SEPARATOR) >= 0) {
            log.warn("Issuer {} contains '{}'; its users cannot have credentials of their own",
                    ClientText.forLog(caller.issuer()),
                    CredentialKey.Owner.ISSUER_SEPARATOR);
            return Optional.empty();
        }
        return Optional.of(CredentialKey.ofUser(tenant, caller.issuer(), caller.subject(), name, purpose));
    }

    private Optional<StoredCredential> read(CredentialKey key, String name) throws CredentialUnavailableException {
        try {
            return store.read(key);
        } catch (CredentialStoreException e) {
            log.error("Credential {} cannot be read: {}", ClientText.forLog(key.toString()),
                    ClientText.forLog(e.getMessage()));
            throw new CredentialUnavailableException(ReasonCode.CREDENTIAL_UNAVAILABLE,
                    "The credential '" + name + "' cannot be read.");
        }
    }

    private static void checkActive(StoredCredential credential, String name) throws CredentialUnavailableException {
        if (credential.status() == CredentialRecord.Status.NEEDS_REAUTHORIZATION) {
            throw reauthorizationRequired(name);
        }
    }

    /** Runs inside the single flight: re-reads (another call may just have renewed), then asks the endpoint. */
    private CredentialLease renew(CredentialKey key, String name) throws CredentialUnavailableException {
        StoredCredential current = read(key, name)
                .orElseThrow(() -> new CredentialUnavailableException(ReasonCode.CREDENTIAL_UNAVAILABLE,
                        "The credential '" + name + "' was removed."));
        checkActive(current, name);
        if (!(current.material() instanceof OAuthGrant grant)) {
            return obtainStatic(current);
        }
        if (fresh(grant.accessToken(), grant.expiresAt())) {
            return lease(current, grant.accessToken().get(), grant.expiresAt());
        }
        TokenResponse response;
        try {
            if (grant.grantType() == GrantType.CLIENT_CREDENTIALS) {
                response = endpoints.clientCredentials(grant.tokenEndpoint(), grant.clientId(), grant.clientSecret(),
                        grant.scopes(), grant.audience());
            } else if (grant.refreshToken().isPresent()) {
                response = endpoints.refresh(grant.tokenEndpoint(), grant.clientId(), grant.clientSecret(),
                        grant.refreshToken().get(), grant.scopes());
            } else {
                markNeedsReauthorization(current);
                throw reauthorizationRequired(name);
            }
        } catch (TokenEndpointException e) {
            throw endpointFailure(e, current, name);
        }
        Optional<Instant> expiresAt = response.expiresIn().map(d -> clock.instant().plus(d));
        OAuthGrant renewed = grant.withTokens(response.accessToken(), response.refreshToken(), expiresAt);
        // Persist first (the refresh token may have rotated), then use the access token.
        Optional<StoredCredential> saved;
        try {
            saved = store.replace(current, renewed);
        } catch (CredentialStoreException e) {
            log.error("Renewed token of credential {} could not be persisted: {}", current.id(), e.getMessage());
            throw new CredentialUnavailableException(ReasonCode.CREDENTIAL_UNAVAILABLE,
                    "The credential '" + name + "' could not be renewed.");
        }
        if (saved.isEmpty()) {
            // Another replica renewed concurrently; use what it stored if fresh.
            StoredCredential winner = read(key, name).orElseThrow(() -> new CredentialUnavailableException(
                    ReasonCode.CREDENTIAL_UNAVAILABLE, "The credential '" + name + "' was removed."));
            checkActive(winner, name);
            if (winner.material() instanceof OAuthGrant g && fresh(g.accessToken(), g.expiresAt())) {
                return lease(winner, g.accessToken().get(), g.expiresAt());
            }
            throw new CredentialUnavailableException(ReasonCode.CREDENTIAL_UNAVAILABLE,
                    "The credential '" + name + "' is being renewed elsewhere; try again.");
        }
        log.info("Renewed access token of credential {} ({}), valid until {}", current.id(), grant.grantType(),
                expiresAt.map(Instant::toString).orElse("unknown"));
        return lease(saved.get(), response.accessToken(), expiresAt);
    }

    private CredentialLease exchange(StoredCredential credential, OAuthGrant grant, CredentialRequest request)
            throws CredentialUnavailableException {
        String name = request.credentialName();
        Secret subjectToken = request.subjectToken().orElseThrow(() -> new CredentialUnavailableException(
                ReasonCode.CREDENTIAL_UNAVAILABLE,
                "The credential '" + name + "' needs the caller's token, which the transport did not provide."));
        String cacheKey = credential.id() + '\u0000' + request.caller().principalKey() + '\u0000' + digest(subjectToken);
        Optional<CredentialLease> cached = cachedExchange(cacheKey);
        if (cached.isPresent()) {
            return cached.get();
        }
        return singleFlight(cacheKey, name, () -> {
            Optional<CredentialLease> again = cachedExchange(cacheKey);
            if (again.isPresent()) {
                return again.get();
            }
            TokenResponse response;
            try {
                response = endpoints.exchange(grant.tokenEndpoint(), grant.clientId(), grant.clientSecret(),
                        subjectToken, grant.scopes(), grant.audience());
            } catch (TokenEndpointException e) {
                throw endpointFailure(e, null, name);
            }
            Optional<Instant> expiresAt = response.expiresIn().map(d -> clock.instant().plus(d));
            CredentialLease lease = lease(credential, response.accessToken(), expiresAt);
            Instant keepUntil = clock.instant().plus(EXCHANGED_TOKEN_MAX_AGE);
            for (Optional<Instant> bound : List.of(expiresAt, request.caller().expiresAt())) {
                if (bound.isPresent() && bound.get().isBefore(keepUntil)) {
                    keepUntil = bound.get();
                }
            }
            exchanged.put(cacheKey, new Exchanged(lease, keepUntil));
            return lease;
        });
    }

    private Optional<CredentialLease> cachedExchange(String cacheKey) {
        Exchanged cached = exchanged.getIfPresent(cacheKey);
        return cached != null && fresh(Optional.of(cached.lease().secret()), cached.lease().expiresAt())
                ? Optional.of(cached.lease()) : Optional.empty();
    }

    /** How many exchanged tokens are cached, after pending evictions; for tests. */
    long exchangedTokensCached() {
        exchanged.cleanUp();
        return exchanged.estimatedSize();
    }

    private CredentialUnavailableException endpointFailure(TokenEndpointException e, StoredCredential current,
                                                           String name) {
        log.warn("Token request for credential '{}' failed: {}", ClientText.forLog(name),
                ClientText.forLog(e.getMessage()));
        if (e.kind() == TokenEndpointException.Kind.INVALID_GRANT) {
            if (current != null) {
                markNeedsReauthorization(current);
            }
            return reauthorizationRequired(name);
        }
        String why = switch (e.kind()) {
            case UNAVAILABLE -> "its token endpoint did not answer in time";
            case REFUSED -> "its token endpoint is not allowed";
            default -> "its token endpoint refused the request";
        };
        return new CredentialUnavailableException(ReasonCode.CREDENTIAL_UNAVAILABLE,
                "The credential '" + name + "' could not be renewed: " + why + ".");
    }

    private void markNeedsReauthorization(StoredCredential current) {
        try {
            store.markNeedsReauthorization(current);
            log.warn("Credential {} ({}) needs re-authorization by its owner", current.id(),
                    ClientText.forLog(current.key().toString()));
        } catch (CredentialStoreException e) {
            log.error("Credential {} could not be marked as needing re-authorization: {}", current.id(), e.getMessage());
        }
    }

    @FunctionalInterface
    private interface Work {
        CredentialLease run() throws CredentialUnavailableException;
    }

    private CredentialLease singleFlight(String flightKey, String name, Work work) throws CredentialUnavailableException {
        CompletableFuture<CredentialLease> mine = new CompletableFuture<>();
        CompletableFuture<CredentialLease> running = inFlight.putIfAbsent(flightKey, mine);
        if (running == null) {
            try {
                mine.complete(work.run());
            } catch (CredentialUnavailableException e) {
                mine.completeExceptionally(e);
            } catch (RuntimeException e) {
                log.error("Renewing credential '{}' failed", name, e);
                mine.completeExceptionally(new CredentialUnavailableException(ReasonCode.CREDENTIAL_UNAVAILABLE,
                        "The credential '" + name + "' could not be renewed."));
            } finally {
                inFlight.remove(flightKey, mine);
            }
            running = mine;
        }
        try {
            return running.get(waitTimeout.toMillis(), TimeUnit.MILLISECONDS);
        } catch (ExecutionException e) {
            if (e.getCause() instanceof CredentialUnavailableException cue) {
                // A fresh exception per waiter: its stack is this caller's, the reason and message are shared.
                throw new CredentialUnavailableException(cue.reason(), cue.getMessage());
            }
            throw new CredentialUnavailableException(ReasonCode.CREDENTIAL_UNAVAILABLE,
                    "The credential '" + name + "' could not be renewed.");
        } catch (TimeoutException e) {
            throw new CredentialUnavailableException(ReasonCode.CREDENTIAL_UNAVAILABLE,
                    "The credential '" + name + "' was not renewed within " + waitTimeout + ".");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new CredentialUnavailableException(ReasonCode.CREDENTIAL_UNAVAILABLE, "Interrupted.");
        }
    }

    private CredentialLease obtainStatic(StoredCredential credential) {
        return lease(credential, ((StaticSecret) credential.material()).value(), Optional.empty());
    }

    private boolean fresh(Optional<Secret> token, Optional<Instant> expiresAt) {
        if (token.isEmpty()) {
            return false;
        }
        // A token of unknown lifetime is used until the downstream API rejects it.
        return expiresAt.isEmpty() || clock.instant().plus(refreshSkew).isBefore(expiresAt.get());
    }

    private static CredentialLease lease(StoredCredential credential, Secret value, Optional<Instant> expiresAt) {
        return new CredentialLease(credential.id(), Long.toString(credential.keyVersion()), value, expiresAt);
    }

    private static CredentialUnavailableException reauthorizationRequired(String name) {
        return new CredentialUnavailableException(ReasonCode.CREDENTIAL_REAUTHORIZATION_REQUIRED,
                "The downstream authorization for '" + name + "' was revoked or has expired; its owner must "
                        + "authorize again.");
    }

    private static String digest(Secret token) {
        try {
            return HexFormat.of().formatHex(MessageDigest.getInstance("SHA-256")
                    .digest(token.revealUtf8().getBytes(StandardCharsets.UTF_8)));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public String toString() {
        return "StoredCredentialProvider[" + store + ", skew=" + refreshSkew + "]";
    }

    /** Builds a {@link StoredCredentialProvider}. Not thread-safe. */
    public static final class Builder {
        private final TinkCredentialStore store;
        private TokenEndpointSettings tokenEndpoints = TokenEndpointSettings.ofDefaults();
        private Duration refreshSkew = Duration.ofSeconds(60);
        private Duration waitTimeout;
        private Clock clock = Clock.systemUTC();
        private int exchangedTokenCacheSize = 10_000;
        private boolean userCredentialsForApiKeyCallers;

        private Builder(TinkCredentialStore store) {
            this.store = Objects.requireNonNull(store, "store");
        }

        /** How token endpoints are reached; default {@link TokenEndpointSettings#ofDefaults()}. */
        public Builder tokenEndpoints(TokenEndpointSettings settings) {
            this.tokenEndpoints = Objects.requireNonNull(settings, "settings");
            return this;
        }

        /** Renew an access token this long before it expires; default 60 s, between 0 and 1 hour. */
        public Builder refreshSkew(Duration skew) {
            Objects.requireNonNull(skew, "skew");
            if (skew.isNegative() || skew.compareTo(Duration.ofHours(1)) > 0) {
                throw new IllegalArgumentException("refreshSkew must be between PT0S and PT1H, got " + skew);
            }
            this.refreshSkew = skew;
            return this;
        }

        /**
         * How long a call waits for a renewal in flight; default connect + request timeout + 1 s. Positive, at
         * most 2 minutes.
         */
        public Builder waitTimeout(Duration timeout) {
            Objects.requireNonNull(timeout, "timeout");
            if (timeout.isNegative() || timeout.isZero() || timeout.compareTo(Duration.ofMinutes(2)) > 0) {
                throw new IllegalArgumentException("waitTimeout must be positive and at most PT2M, got " + timeout);
            }
            this.waitTimeout = timeout;
            return this;
        }

        /** The clock for expiry decisions; default UTC system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * How many exchanged tokens (one per credential, caller and inbound token) are kept in memory; default
         * 10,000, between 1 and 1,000,000. Beyond it the least useful are dropped and exchanged again when needed.
         */
        public Builder exchangedTokenCacheSize(int entries) {
            if (entries < 1 || entries > 1_000_000) {
                throw new IllegalArgumentException("exchangedTokenCacheSize must be between 1 and 1000000, got "
                        + entries);
            }
            this.exchangedTokenCacheSize = entries;
            return this;
        }

        /**
         * Lets callers authenticated with an API key use user credentials stored for them (owner
         * {@code user:api-key|<subject>}). Off by default: an API key stands for a service, which gets the
         * server's credentials only.
         */
        public Builder allowUserCredentialsForApiKeyCallers() {
            this.userCredentialsForApiKeyCallers = true;
            return this;
        }

        public StoredCredentialProvider build() {
            return new StoredCredentialProvider(this);
        }
    }
}
