package dev.mcpguard.core.credentials;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.nimbusds.jwt.SignedJWT;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.spi.CredentialProvider.CredentialLease;
import dev.mcpguard.api.spi.CredentialProvider.CredentialRequest;
import dev.mcpguard.api.spi.CredentialProvider.CredentialUnavailableException;
import dev.mcpguard.core.credentials.CredentialMaterial.GrantType;
import dev.mcpguard.core.credentials.CredentialMaterial.OAuthGrant;
import dev.mcpguard.core.credentials.CredentialMaterial.StaticSecret;
import dev.mcpguard.core.testing.Callers;
import dev.mcpguard.core.testing.LogCapture;
import dev.mcpguard.core.testing.MutableClock;
import dev.mcpguard.core.testing.OAuthServer;
import java.net.ServerSocket;
import java.net.URI;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/** OAuth renewal against a real OAuth 2.0 server (mock-oauth2-server in-process). */
class StoredCredentialProviderTest {

    private static final CallerIdentity ALICE = Callers.user("alice", "acme");
    private static final CredentialKey ALICE_GITHUB = CredentialKey.ofUser("acme", "https://issuer.test", "alice", "github", "orders");

    @TempDir
    Path dir;

    private final MutableClock clock = MutableClock.startingAt("2026-05-01T10:00:00Z");
    private OAuthServer oauth;
    private TinkCredentialStore store;
    private StoredCredentialProvider provider;

    @BeforeEach
    void setUp() {
        oauth = new OAuthServer();
        store = new TinkCredentialStore(new FileCredentialRepository(dir.resolve("credentials.json")),
                CredentialKeyset.inMemory(), clock);
        provider = provider(TokenEndpointSettings.custom().allowInsecureLoopbackForTesting().build());
    }

    @AfterEach
    void tearDown() {
        oauth.close();
    }

    private StoredCredentialProvider provider(TokenEndpointSettings settings) {
        return StoredCredentialProvider.builder(store).tokenEndpoints(settings).refreshSkew(Duration.ofSeconds(60))
                .clock(clock).build();
    }

    private static CredentialRequest request(String name) {
        return new CredentialRequest(ALICE, "orders", "list_repos", name);
    }

    /** Alice consented; her access token expires in 30 s, inside the 60 s skew. */
    private OAuthGrant storeExpiringUserGrant(URI endpoint) throws Exception {
        JsonNode tokens = oauth.authorizationCodeGrant("alice");
        OAuthGrant grant = new OAuthGrant(GrantType.REFRESH_TOKEN, endpoint, OAuthServer.CLIENT_ID,
                Optional.of(Secret.ofUtf8(OAuthServer.CLIENT_SECRET)),
                Optional.of(Secret.ofUtf8(tokens.get("access_token").asText())),
                Optional.of(Secret.ofUtf8(tokens.get("refresh_token").asText())),
                Optional.of(clock.instant().plusSeconds(30)), Set.of(), Optional.empty());
        store.put(ALICE_GITHUB, grant);
        return grant;
    }

    private OAuthGrant storedGrant() {
        return (OAuthGrant) store.read(ALICE_GITHUB).orElseThrow().material();
    }

    @Test
    void aStaticSecretIsHandedOutWithItsIdAndKeyVersion() throws Exception {
        StoredCredential stored = store.put(CredentialKey.ofService(CredentialKey.ANY_TENANT, "orders", "crm-api", "orders"),
                new StaticSecret(Secret.ofUtf8("crm-static-key-41")));

        CredentialLease lease = provider.obtain(request("crm-api"));

        assertThat(lease.secret().revealUtf8()).isEqualTo("crm-static-key-41");
        assertThat(lease.credentialId()).isEqualTo(stored.id());
        assertThat(lease.keyVersion()).isEqualTo(Long.toString(store.keyset().primaryKeyVersion()));
        assertThat(oauth.drainTokenRequests()).isZero();
    }

    @Test
    void aUsersOwnCredentialWinsOverTheServersAndOtherUsersNeverSeeIt() throws Exception {
        store.put(CredentialKey.ofUser("acme", "https://issuer.test", "alice", "crm-api", "orders"), new StaticSecret(Secret.ofUtf8("alice-own")));
        store.put(CredentialKey.ofService("acme", "orders", "crm-api", "orders"), new StaticSecret(Secret.ofUtf8("shared")));

        assertThat(provider.obtain(request("crm-api")).secret().revealUtf8()).isEqualTo("alice-own");
        assertThat(provider.obtain(new CredentialRequest(Callers.user("bob", "acme"), "orders", "t", "crm-api"))
                .secret().revealUtf8()).isEqualTo("shared");
        assertThatThrownBy(() -> provider.obtain(new CredentialRequest(Callers.user("carol", "globex"), "orders", "t",
                "crm-api"))).isInstanceOf(CredentialUnavailableException.class).hasMessageContaining("No credential 'crm-api'");
        assertThatThrownBy(() -> provider.obtain(new CredentialRequest(ALICE, "billing", "t", "crm-api")))
                .as("credentials are bound to the server they were stored for")
                .isInstanceOf(CredentialUnavailableException.class);
    }

    private String obtained(CallerIdentity caller, String name) throws CredentialUnavailableException {
        return provider.obtain(new CredentialRequest(caller, "orders", "t", name)).secret().revealUtf8();
    }

    @Test
    void aUserOfAnotherIssuerWithTheSameSubjectDoesNotGetTheUsersCredential() throws Exception {
        store.put(CredentialKey.ofUser("acme", Callers.ISSUER, "alice", "crm-api", "orders"),
                new StaticSecret(Secret.ofUtf8("alice-own")));
        store.put(CredentialKey.ofService("acme", "orders", "crm-api", "orders"), new StaticSecret(Secret.ofUtf8("shared")));
        CallerIdentity otherAlice = CallerIdentity.builder("https://other-issuer.test", "alice").tenant("acme").build();

        assertThat(obtained(ALICE, "crm-api")).isEqualTo("alice-own");
        assertThat(obtained(otherAlice, "crm-api")).isEqualTo("shared");
    }

    @Test
    void anApiKeyCallerNamedLikeAUserGetsOnlyTheServersCredentialUnlessExplicitlyAllowed() throws Exception {
        store.put(CredentialKey.ofUser("acme", Callers.ISSUER, "alice", "crm-api", "orders"),
                new StaticSecret(Secret.ofUtf8("jwt-alice-own")));
        store.put(CredentialKey.ofUser("acme", "api-key", "alice", "crm-api", "orders"),
                new StaticSecret(Secret.ofUtf8("api-key-alice-own")));
        store.put(CredentialKey.ofService("acme", "orders", "crm-api", "orders"), new StaticSecret(Secret.ofUtf8("shared")));
        CallerIdentity apiKeyAlice = CallerIdentity.builder("api-key", "alice").tenant("acme")
                .method(CallerIdentity.AuthenticationMethod.API_KEY).build();

        assertThat(obtained(apiKeyAlice, "crm-api")).isEqualTo("shared");

        provider = StoredCredentialProvider.builder(store).allowUserCredentialsForApiKeyCallers().clock(clock).build();
        assertThat(obtained(apiKeyAlice, "crm-api")).isEqualTo("api-key-alice-own");
        assertThat(obtained(ALICE, "crm-api")).isEqualTo("jwt-alice-own");
    }

    @Test
    void tenantLessCallersDoNotShareCredentialsWithARealTenantNamedDefault() throws Exception {
        store.put(CredentialKey.ofService("default", "orders", "crm-api", "orders"),
                new StaticSecret(Secret.ofUtf8("tenant-default-key")));
        store.put(CredentialKey.ofService(CredentialKey.NO_TENANT, "orders", "crm-api", "orders"),
                new StaticSecret(Secret.ofUtf8("tenant-less-key")));
        CallerIdentity tenantLess = CallerIdentity.builder(Callers.ISSUER, "svc").build();

        assertThat(obtained(tenantLess, "crm-api")).isEqualTo("tenant-less-key");
        assertThat(obtained(Callers.user("dave", "default"), "crm-api")).isEqualTo("tenant-default-key");
        for (String reserved : List.of(CredentialKey.NO_TENANT, CredentialKey.ANY_TENANT)) {
            assertThatThrownBy(() -> obtained(Callers.user("mallory", reserved), "crm-api")).as(reserved)
                    .isInstanceOfSatisfying(CredentialUnavailableException.class,
                            e -> assertThat(e.reason()).isEqualTo(ReasonCode.CREDENTIAL_UNAVAILABLE));
        }
    }

    @Test
    void aHundredConcurrentCallsOnAnExpiringTokenCauseExactlyOneRefresh() throws Exception {
        OAuthGrant original = storeExpiringUserGrant(oauth.tokenEndpoint());
        int calls = 100;
        ExecutorService pool = Executors.newFixedThreadPool(32);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<CredentialLease>> leases = new ArrayList<>();
        try {
            for (int i = 0; i < calls; i++) {
                leases.add(pool.submit(() -> {
                    start.await();
                    return provider.obtain(request("github"));
                }));
            }
            start.countDown();
            List<String> tokens = new ArrayList<>();
            for (Future<CredentialLease> f : leases) {
                tokens.add(f.get().secret().revealUtf8());
            }

            assertThat(oauth.drainTokenRequests()).isEqualTo(1);
            assertThat(tokens).hasSize(calls).containsOnly(tokens.get(0));
            assertThat(tokens.get(0)).isNotEqualTo(original.accessToken().orElseThrow().revealUtf8());
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aRotatedRefreshTokenIsPersistedAndTheNewAccessTokenIsTheStoredOne() throws Exception {
        OAuthGrant original = storeExpiringUserGrant(oauth.tokenEndpoint());

        CredentialLease lease = provider.obtain(request("github"));

        OAuthGrant stored = storedGrant();
        assertThat(stored.refreshToken().orElseThrow().revealUtf8())
                .isNotEqualTo(original.refreshToken().orElseThrow().revealUtf8());
        assertThat(stored.accessToken().orElseThrow().revealUtf8()).isEqualTo(lease.secret().revealUtf8());
        assertThat(stored.expiresAt().orElseThrow())
                .isBetween(clock.instant().plusSeconds(3590), clock.instant().plusSeconds(3600));
        assertThat(lease.expiresAt()).isEqualTo(stored.expiresAt());
        assertThat(SignedJWT.parse(lease.secret().revealUtf8()).getJWTClaimsSet().getSubject())
                .isEqualTo(SignedJWT.parse(original.accessToken().orElseThrow().revealUtf8()).getJWTClaimsSet().getSubject());

        clock.advance(Duration.ofMinutes(30));
        assertThat(provider.obtain(request("github")).secret()).isEqualTo(lease.secret());
        clock.advance(Duration.ofMinutes(29));
        assertThat(provider.obtain(request("github")).secret()).as("renewed again inside the skew")
                .isNotEqualTo(lease.secret());
        assertThat(oauth.drainTokenRequests()).isEqualTo(2);
    }

    @Test
    void aNewAccessTokenIsNotUsedWhenTheRotatedRefreshTokenCannotBePersisted() throws Exception {
        WriteRefusingRepositoryFakeForTests repository =
                new WriteRefusingRepositoryFakeForTests(new FileCredentialRepository(dir.resolve("other.json")));
        store = new TinkCredentialStore(repository, CredentialKeyset.inMemory(), clock);
        provider = provider(TokenEndpointSettings.custom().allowInsecureLoopbackForTesting().build());
        OAuthGrant original = storeExpiringUserGrant(oauth.tokenEndpoint());
        repository.refuseWrites();

        assertThatThrownBy(() -> provider.obtain(request("github")))
                .isInstanceOfSatisfying(CredentialUnavailableException.class,
                        e -> assertThat(e.reason()).isEqualTo(ReasonCode.CREDENTIAL_UNAVAILABLE))
                .hasMessageContaining("could not be renewed");
        assertThat(storedGrant().refreshToken()).isEqualTo(original.refreshToken());
    }

    /** A grant whose refresh token the authorization server does not know (revoked): it answers invalid_grant. */
    private void storeRevokedUserGrant() {
        store.put(ALICE_GITHUB, new OAuthGrant(GrantType.REFRESH_TOKEN, oauth.tokenEndpoint(), OAuthServer.CLIENT_ID,
                Optional.of(Secret.ofUtf8(OAuthServer.CLIENT_SECRET)), Optional.of(Secret.ofUtf8("expired-access-1")),
                Optional.of(Secret.ofUtf8("revoked-refresh-token-8c1d")), Optional.of(clock.instant().minusSeconds(5)),
                Set.of(), Optional.empty()));
    }

    @Test
    void invalidGrantMarksTheCredentialForReauthorizationAndLaterCallsFailFast() throws Exception {
        storeRevokedUserGrant();

        assertThatThrownBy(() -> provider.obtain(request("github")))
                .isInstanceOfSatisfying(CredentialUnavailableException.class,
                        e -> assertThat(e.reason()).isEqualTo(ReasonCode.CREDENTIAL_REAUTHORIZATION_REQUIRED))
                .hasMessageContaining("its owner must authorize again");
        assertThat(store.read(ALICE_GITHUB).orElseThrow().status())
                .isEqualTo(CredentialRecord.Status.NEEDS_REAUTHORIZATION);
        assertThat(oauth.drainTokenRequests()).isEqualTo(1);

        assertThatThrownBy(() -> provider.obtain(request("github")))
                .isInstanceOfSatisfying(CredentialUnavailableException.class,
                        e -> assertThat(e.reason()).isEqualTo(ReasonCode.CREDENTIAL_REAUTHORIZATION_REQUIRED));
        assertThat(oauth.drainTokenRequests()).isZero();
    }

    @Test
    void aTokenEndpointThatIsDownFailsTheCallClearly() throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        storeExpiringUserGrant(URI.create("http://127.0.0.1:" + closedPort + "/downstream/token"));

        assertThatThrownBy(() -> provider.obtain(request("github")))
                .isInstanceOfSatisfying(CredentialUnavailableException.class,
                        e -> assertThat(e.reason()).isEqualTo(ReasonCode.CREDENTIAL_UNAVAILABLE))
                .hasMessage("The credential 'github' could not be renewed: its token endpoint did not answer in time.");
        assertThat(store.read(ALICE_GITHUB).orElseThrow().status()).isEqualTo(CredentialRecord.Status.ACTIVE);
    }

    @Test
    void aSlowTokenEndpointIsAbandonedAfterTheRequestTimeout() throws Exception {
        provider = provider(TokenEndpointSettings.custom().allowInsecureLoopbackForTesting()
                .requestTimeout(Duration.ofMillis(300)).build());
        try (MisbehavingTokenEndpointFakeForTests slow = new MisbehavingTokenEndpointFakeForTests();
             LogCapture logs = LogCapture.everything()) {
            storeExpiringUserGrant(slow.endpoint("hang"));
            assertThatThrownBy(() -> provider.obtain(request("github")))
                    .isInstanceOfSatisfying(CredentialUnavailableException.class,
                            e -> assertThat(e.reason()).isEqualTo(ReasonCode.CREDENTIAL_UNAVAILABLE))
                    .hasMessageContaining("did not answer in time");
            assertThat(logs.allText()).contains("did not answer within PT0.3S");
        }
    }

    @Test
    @Timeout(value = 30, threadMode = Timeout.ThreadMode.SEPARATE_THREAD) // a safety net: without the deadline it hangs
    void aTokenEndpointThatTricklesItsBodyIsAbandonedAtTheRequestTimeout() throws Exception {
        provider = provider(TokenEndpointSettings.custom().allowInsecureLoopbackForTesting()
                .requestTimeout(Duration.ofMillis(300)).build());
        try (MisbehavingTokenEndpointFakeForTests trickling = new MisbehavingTokenEndpointFakeForTests();
             LogCapture logs = LogCapture.everything()) {
            storeExpiringUserGrant(trickling.endpoint("trickle"));

            assertThatThrownBy(() -> provider.obtain(request("github")))
                    .isInstanceOfSatisfying(CredentialUnavailableException.class,
                            e -> assertThat(e.reason()).isEqualTo(ReasonCode.CREDENTIAL_UNAVAILABLE))
                    .hasMessage("The credential 'github' could not be renewed: its token endpoint did not answer in time.");
            assertThat(trickling.bodyStarted()).as("the headers and part of the body had arrived").isTrue();
            assertThat(logs.allText()).contains("did not answer within PT0.3S");
        }
    }

    @Test
    void anOversizedTokenResponseIsRefusedInsteadOfBuffered() throws Exception {
        try (MisbehavingTokenEndpointFakeForTests huge = new MisbehavingTokenEndpointFakeForTests();
             LogCapture logs = LogCapture.everything()) {
            storeExpiringUserGrant(huge.endpoint("huge"));

            assertThatThrownBy(() -> provider.obtain(request("github")))
                    .isInstanceOfSatisfying(CredentialUnavailableException.class,
                            e -> assertThat(e.reason()).isEqualTo(ReasonCode.CREDENTIAL_UNAVAILABLE))
                    .hasMessage("The credential 'github' could not be renewed: its token endpoint refused the request.");
            assertThat(logs.allText()).contains("answered with a body over 65536 bytes");
            assertThat(((OAuthGrant) store.read(ALICE_GITHUB).orElseThrow().material()).accessToken().orElseThrow()
                    .revealUtf8()).as("nothing of the answer was stored").doesNotStartWith("aaaa");
        }
    }

    @Test
    void theResponseSizeLimitIsValidatedAndShowsTheBadValue() {
        assertThatThrownBy(() -> TokenEndpointSettings.custom().maxResponseBytes(10))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 10");
        assertThat(TokenEndpointSettings.ofDefaults().maxResponseBytes()).isEqualTo(65536);
    }

    @Test
    void clientCredentialsObtainAServiceTokenAndReuseItUntilItExpires() throws Exception {
        CredentialKey key = CredentialKey.ofService(CredentialKey.ANY_TENANT, "orders", "inventory-api", "orders");
        store.put(key, new OAuthGrant(GrantType.CLIENT_CREDENTIALS, oauth.tokenEndpoint(), "inventory-client",
                Optional.of(Secret.ofUtf8("inventory-secret-77")), Optional.empty(), Optional.empty(),
                Optional.empty(), Set.of("inventory.read"), Optional.empty()));

        CredentialLease first = provider.obtain(request("inventory-api"));
        CredentialLease second = provider.obtain(request("inventory-api"));

        assertThat(SignedJWT.parse(first.secret().revealUtf8()).getJWTClaimsSet().getSubject())
                .isEqualTo("inventory-client");
        assertThat(second.secret()).isEqualTo(first.secret());
        assertThat(oauth.drainTokenRequests()).isEqualTo(1);
        assertThat(((OAuthGrant) store.read(key).orElseThrow().material()).accessToken()).contains(first.secret());
    }

    @Test
    void tokenExchangeObtainsADownstreamTokenOnBehalfOfTheCallerWithoutPassingTheirTokenThrough() throws Exception {
        CredentialKey key = CredentialKey.ofService(CredentialKey.ANY_TENANT, "orders", "payments-api", "orders");
        store.put(key, new OAuthGrant(GrantType.TOKEN_EXCHANGE, oauth.tokenEndpoint(), OAuthServer.CLIENT_ID,
                Optional.of(Secret.ofUtf8(OAuthServer.CLIENT_SECRET)), Optional.empty(), Optional.empty(),
                Optional.empty(), Set.of(), Optional.of("payments")));
        String inbound = oauth.server().issueToken("inbound", "alice", "mcp-client").serialize();
        CredentialRequest request = new CredentialRequest(ALICE, "orders", "refund", "payments-api",
                Optional.of(Secret.ofUtf8(inbound)));

        CredentialLease lease = provider.obtain(request);
        CredentialLease again = provider.obtain(request);

        assertThat(lease.secret().revealUtf8()).isNotEqualTo(inbound);
        var claims = SignedJWT.parse(lease.secret().revealUtf8()).getJWTClaimsSet();
        assertThat(claims.getSubject()).isEqualTo("alice");
        assertThat(claims.getAudience()).containsExactly("payments");
        assertThat(again.secret()).isEqualTo(lease.secret());
        assertThat(oauth.drainTokenRequests()).isEqualTo(1);
        assertThatThrownBy(() -> provider.obtain(request("payments-api")))
                .isInstanceOf(CredentialUnavailableException.class).hasMessageContaining("needs the caller's token");
    }

    private static CredentialRequest exchangeRequest(CallerIdentity caller, String inboundToken) {
        return new CredentialRequest(caller, "orders", "refund", "payments-api",
                Optional.of(Secret.ofUtf8(inboundToken)));
    }

    private void storeTokenExchangeGrant(URI endpoint) {
        store.put(CredentialKey.ofService(CredentialKey.ANY_TENANT, "orders", "payments-api", "orders"),
                new OAuthGrant(GrantType.TOKEN_EXCHANGE, endpoint, OAuthServer.CLIENT_ID,
                        Optional.of(Secret.ofUtf8(OAuthServer.CLIENT_SECRET)), Optional.empty(), Optional.empty(),
                        Optional.empty(), Set.of(), Optional.of("payments")));
    }

    @Test
    void anExchangedTokenWithoutExpiresInIsReusedForAtMostFiveMinutes() throws Exception {
        try (MisbehavingTokenEndpointFakeForTests endpoint = new MisbehavingTokenEndpointFakeForTests()) {
            storeTokenExchangeGrant(endpoint.endpoint("no-expiry"));
            CredentialRequest request = exchangeRequest(ALICE, "inbound-token-of-alice");

            assertThat(provider.obtain(request).secret().revealUtf8()).isEqualTo("issued-1");
            clock.advance(Duration.ofMinutes(4).plusSeconds(59));
            assertThat(provider.obtain(request).secret().revealUtf8()).isEqualTo("issued-1");
            clock.advance(Duration.ofSeconds(2));
            assertThat(provider.obtain(request).secret().revealUtf8()).as("exchanged again after the cap")
                    .isEqualTo("issued-2");
            assertThat(endpoint.requests()).isEqualTo(2);
        }
    }

    @Test
    void anExchangedTokenIsNotReusedBeyondTheExpiryOfTheCallersOwnToken() throws Exception {
        try (MisbehavingTokenEndpointFakeForTests endpoint = new MisbehavingTokenEndpointFakeForTests()) {
            storeTokenExchangeGrant(endpoint.endpoint("no-expiry"));
            CallerIdentity shortLived = CallerIdentity.builder(Callers.ISSUER, "alice").tenant("acme")
                    .expiresAt(clock.instant().plusSeconds(90)).build();
            CredentialRequest request = exchangeRequest(shortLived, "short-lived-inbound-token");

            assertThat(provider.obtain(request).secret().revealUtf8()).isEqualTo("issued-1");
            clock.advance(Duration.ofSeconds(89));
            assertThat(provider.obtain(request).secret().revealUtf8()).isEqualTo("issued-1");
            clock.advance(Duration.ofSeconds(2));
            assertThat(provider.obtain(request).secret().revealUtf8()).isEqualTo("issued-2");
        }
    }

    @Test
    void theExchangedTokenCacheHoldsAtMostItsConfiguredSize() throws Exception {
        provider = StoredCredentialProvider.builder(store)
                .tokenEndpoints(TokenEndpointSettings.custom().allowInsecureLoopbackForTesting().build())
                .exchangedTokenCacheSize(3).clock(clock).build();
        try (MisbehavingTokenEndpointFakeForTests endpoint = new MisbehavingTokenEndpointFakeForTests()) {
            storeTokenExchangeGrant(endpoint.endpoint("no-expiry"));

            for (int i = 0; i < 20; i++) {
                provider.obtain(exchangeRequest(ALICE, "inbound-token-" + i));
            }

            assertThat(endpoint.requests()).isEqualTo(20);
            assertThat(provider.exchangedTokensCached()).isLessThanOrEqualTo(3);
        }
        assertThatThrownBy(() -> StoredCredentialProvider.builder(store).exchangedTokenCacheSize(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 0");
    }

    @Test
    void aPlainHttpTokenEndpointIsRefusedWithoutTheExplicitTestFlag() throws Exception {
        provider = provider(TokenEndpointSettings.ofDefaults());
        storeExpiringUserGrant(oauth.tokenEndpoint());

        assertThatThrownBy(() -> provider.obtain(request("github")))
                .isInstanceOf(CredentialUnavailableException.class)
                .hasMessageContaining("its token endpoint is not allowed");
        assertThat(oauth.drainTokenRequests()).isZero();
    }

    @Test
    void aRedirectFromTheTokenEndpointIsNotFollowed() throws Exception {
        try (MisbehavingTokenEndpointFakeForTests redirecting = new MisbehavingTokenEndpointFakeForTests();
             LogCapture logs = LogCapture.everything()) {
            storeExpiringUserGrant(redirecting.endpoint("redirect"));

            assertThatThrownBy(() -> provider.obtain(request("github")))
                    .isInstanceOf(CredentialUnavailableException.class)
                    .hasMessageContaining("its token endpoint is not allowed");
            assertThat(redirecting.requests()).isEqualTo(1);
            assertThat(logs.allText()).contains("redirect (307), which is not followed");
        }
    }

    @Test
    void endpointsOnPrivateOrLinkLocalAddressesAreRefusedBeforeAnyRequest() {
        TokenEndpointClient strict = new TokenEndpointClient(TokenEndpointSettings.ofDefaults());
        TokenEndpointClient internal = new TokenEndpointClient(TokenEndpointSettings.custom().allowPrivateAddresses().build());

        for (String uri : List.of("https://10.1.2.3/token", "https://192.168.0.10/token", "https://100.64.1.1/token",
                "https://[fd00::1]/token", "https://127.0.0.1/token", "http://as.example.com/token",
                "https://169.254.169.254/token", "https://user:pw@as.example.com/token")) {
            assertThatThrownBy(() -> strict.check(URI.create(uri))).as(uri)
                    .isInstanceOfSatisfying(TokenEndpointClient.TokenEndpointException.class,
                            e -> assertThat(e.kind()).isEqualTo(TokenEndpointClient.TokenEndpointException.Kind.REFUSED));
        }
        assertThatThrownBy(() -> internal.check(URI.create("https://169.254.169.254/token")))
                .hasMessageContaining("link-local");
        org.assertj.core.api.Assertions.assertThatCode(() -> internal.check(URI.create("https://10.1.2.3/token")))
                .doesNotThrowAnyException();
    }

    @Test
    void noTokenOrSecretAppearsInTheLogsOrExceptionMessages() throws Exception {
        List<String> messages = new ArrayList<>();
        List<String> secrets = new ArrayList<>(List.of(OAuthServer.CLIENT_SECRET));
        try (LogCapture logs = LogCapture.everything()) {
            OAuthGrant grant = storeExpiringUserGrant(oauth.tokenEndpoint());
            secrets.add(grant.refreshToken().orElseThrow().revealUtf8());
            secrets.add(grant.accessToken().orElseThrow().revealUtf8());
            secrets.add(provider.obtain(request("github")).secret().revealUtf8());
            secrets.add(storedGrant().refreshToken().orElseThrow().revealUtf8());
            storeRevokedUserGrant();
            try {
                provider.obtain(request("github"));
            } catch (CredentialUnavailableException e) {
                messages.add(String.valueOf(e.getMessage()));
            }
            String text = logs.allText() + String.join("\n", messages) + store.list();
            for (String secret : secrets) {
                assertThat(text).doesNotContain(secret);
            }
            assertThat(text).contains("github");
        }
    }

    @Test
    void aCorruptRecordIsUnavailableNotAnException() throws Exception {
        FileCredentialRepository repository = new FileCredentialRepository(dir.resolve("credentials.json"));
        store.put(ALICE_GITHUB, new StaticSecret(Secret.ofUtf8("x")));
        CredentialRecord r = repository.find(ALICE_GITHUB).orElseThrow();
        byte[] tampered = r.ciphertext();
        tampered[10] ^= 1;
        repository.compareAndSet(new CredentialRecord(r.id(), r.key(), r.kind(), r.keyVersion(), tampered, r.status(),
                Instant.now(), r.revision() + 1));

        assertThatThrownBy(() -> provider.obtain(request("github")))
                .isInstanceOf(CredentialUnavailableException.class).hasMessage("The credential 'github' cannot be read.");
    }
}
