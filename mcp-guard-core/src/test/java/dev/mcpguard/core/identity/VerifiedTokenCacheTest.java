package dev.mcpguard.core.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jose.util.Base64URL;
import com.nimbusds.jwt.SignedJWT;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.spi.IdentityResolver.IdentityResult;
import dev.mcpguard.api.spi.IdentityResolver.PresentedCredential;
import dev.mcpguard.core.http.GuardRequestAttributes;
import dev.mcpguard.core.http.McpGuardHttpFilter;
import dev.mcpguard.core.session.InMemorySessionRegistry;
import dev.mcpguard.core.testing.EmbeddedTomcat;
import dev.mcpguard.core.testing.MutableClock;
import dev.mcpguard.core.testing.RotatingJwksServer;
import jakarta.servlet.http.HttpServlet;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import no.nav.security.mock.oauth2.MockOAuth2Server;
import no.nav.security.mock.oauth2.OAuth2Config;
import no.nav.security.mock.oauth2.token.DefaultOAuth2TokenCallback;
import no.nav.security.mock.oauth2.token.KeyProvider;
import no.nav.security.mock.oauth2.token.OAuth2TokenProvider;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Nested;
import org.junit.jupiter.api.Test;

/**
 * The cache of verified tokens in {@link JwtIdentityResolver}, against a real authorization server
 * (mock-oauth2-server, in-process) that mints its tokens on the test's clock and whose signing key the test
 * rotates. Each test checks that the cache never outlives what it caches: expiry, not-before, the verifying key,
 * revocation (over HTTP, through {@link McpGuardHttpFilter}), and that one caller cannot evict another's entries.
 */
class VerifiedTokenCacheTest {

    static final String REALM = "acme";
    static final String RESOURCE = "https://orders.example.com/mcp";
    static final long LIFETIME_SECONDS = 3600;

    final MutableClock clock = MutableClock.startingAt("2026-03-01T12:00:00Z");
    final RSAKey firstKey = key("signing-1");
    final RSAKey secondKey = key("signing-2");
    final RotatingSigningKey signingKey = new RotatingSigningKey(firstKey);
    final MockOAuth2Server oauth = startAuthorizationServer(signingKey, clock);
    final JwtIdentityResolver resolver = resolverBuilder().build();

    @AfterEach
    void stopAuthorizationServer() {
        oauth.shutdown();
    }

    JwtIdentityResolver.Builder resolverBuilder() {
        return JwtIdentityResolver.builder()
                .issuer(oauth.issuerUrl(REALM).toString())
                .jwksUrl(URI.create(oauth.jwksUrl(REALM).toString()))
                .audience(RESOURCE)
                .clock(clock);
    }

    @Test
    void servesARepeatedTokenFromTheCacheUntilExactlyItsExpiry() throws Exception {
        String token = issue("alice");
        Instant exp = SignedJWT.parse(token).getJWTClaimsSet().getExpirationTime().toInstant();
        assertThat(exp).isEqualTo(clock.instant().plusSeconds(LIFETIME_SECONDS));

        assertAuthenticated(resolver, token, "alice");
        assertThat(cache().hits()).as("the first presentation is verified in full").isZero();
        assertAuthenticated(resolver, token, "alice");
        assertThat(cache().hits()).isEqualTo(1);

        clock.advance(Duration.between(clock.instant(), exp).minusMillis(1));
        assertAuthenticated(resolver, token, "alice");
        assertThat(cache().hits()).as("one millisecond before exp: still served").isEqualTo(2);

        clock.advance(Duration.ofMillis(1)); // now == exp
        assertAuthenticated(resolver, token, "alice"); // within the clock skew, verified in full
        assertThat(cache().hits()).as("at exp the entry is not served").isEqualTo(2);
        assertThat(cache().size()).as("gone, and not stored again within the skew").isZero();

        clock.advance(JwtIdentityResolver.DEFAULT_CLOCK_SKEW.plusMillis(1));
        assertRejected(resolver, token, "token expired");
        assertThat(cache().hits()).isEqualTo(2);
    }

    @Test
    void neverServesATokenBeforeItsNotBeforeTimeEvenWhenTheClockIsSetBack() throws Exception {
        String token = issue("alice");
        Instant nbf = SignedJWT.parse(token).getJWTClaimsSet().getNotBeforeTime().toInstant();
        assertAuthenticated(resolver, token, "alice");
        assertAuthenticated(resolver, token, "alice");
        assertThat(cache().hits()).isEqualTo(1);

        // The clock is stepped back (NTP correction, a restored VM) to before nbf minus the skew.
        clock.advance(Duration.between(clock.instant(), nbf).minus(JwtIdentityResolver.DEFAULT_CLOCK_SKEW)
                .minusSeconds(1));

        assertRejected(resolver, token, "token not yet valid");
        assertThat(cache().hits()).as("not served from the cache").isEqualTo(1);
    }

    @Test
    void neverCachesATokenThatFailsVerification() {
        String foreign = oauth.issueToken(REALM, "orders-client", new DefaultOAuth2TokenCallback(REALM, "alice",
                "JWT", List.of("https://hr.example.com/mcp"), Map.of(), LIFETIME_SECONDS)).serialize();

        assertRejected(resolver, foreign, "token audience does not match this server");
        assertRejected(resolver, foreign, "token audience does not match this server");
        assertThat(cache().size()).isZero();
        assertThat(cache().hits()).isZero();
    }

    @Test
    void doesNotServeATamperedTokenThatSharesTheCachedTokensPrefix() {
        String token = issue("alice");
        assertAuthenticated(resolver, token, "alice");
        String[] parts = token.split("\\.");

        String otherSignature = parts[0] + "." + parts[1] + "." + flipCharacter(parts[2], parts[2].length() / 2);
        String payload = new String(Base64URL.from(parts[1]).decode(), StandardCharsets.UTF_8)
                .replace("\"alice\"", "\"mallory\"");
        String otherPayload = parts[0] + "." + Base64URL.encode(payload) + "." + parts[2];
        String longer = token + "A";

        assertRejected(resolver, otherSignature, "token signature invalid");
        assertRejected(resolver, otherPayload, "token signature invalid");
        assertThat(resolve(resolver, longer)).isInstanceOf(IdentityResult.Rejected.class);
        assertThat(cache().hits()).as("none of them was answered from the cache").isZero();
        assertAuthenticated(resolver, token, "alice");
        assertThat(cache().hits()).isEqualTo(1);
    }

    @Test
    void aRotationThatWithdrawsTheVerifyingKeyEndsItsEntriesWhenTheNewKeySetIsFetched() {
        String before = issue("alice");
        assertAuthenticated(resolver, before, "alice");
        signingKey.rotateTo(secondKey); // the issuer now signs with, and publishes, only the second key
        String after = issue("alice");

        assertAuthenticated(resolver, before, "alice");
        assertThat(cache().hits()).as("the key set in use still has the old key, as without a cache").isEqualTo(1);

        clock.advance(Duration.ofMinutes(5)); // past the key set's TTL: the next lookup fetches the issuer's set
        assertRejected(resolver, before, "token signature invalid");
        assertThat(cache().hits()).isEqualTo(1);
        assertAuthenticated(resolver, after, "alice");
        assertAuthenticated(resolver, after, "alice");
        assertThat(cache().hits()).isEqualTo(2);
        assertThat(cache().size()).as("the withdrawn key's entry is gone").isEqualTo(1);
    }

    @Test
    void flushingTheKeyCacheDropsCachedTokensSoAWithdrawnKeyIsRefusedAtOnce() {
        String before = issue("alice");
        assertAuthenticated(resolver, before, "alice");
        signingKey.rotateTo(secondKey);

        resolver.flushKeyCache();

        assertRejected(resolver, before, "token signature invalid");
        assertThat(cache().hits()).isZero();
        assertAuthenticated(resolver, issue("alice"), "alice");
    }

    @Test
    void aRotationThatKeepsTheVerifyingKeyKeepsItsEntries() {
        try (RotatingJwksServer jwks = RotatingJwksServer.start(new JWKSet(firstKey))) {
            JwtIdentityResolver keeping = resolverBuilder().jwksUrl(jwks.uri()).build();
            String token = issue("alice");
            assertAuthenticated(keeping, token, "alice");
            jwks.publish(new JWKSet(List.of(secondKey, firstKey))); // a new key is added ahead of the switch

            clock.advance(Duration.ofMinutes(5));
            assertAuthenticated(keeping, token, "alice");

            assertThat(jwks.fetches()).as("the new set was fetched").isEqualTo(2);
            assertThat(keeping.verifiedTokenCache().hits()).as("and still holds the key: served").isEqualTo(1);
        }
    }

    @Test
    void oneCallerPresentingFreshTokensInALoopCannotEvictAnotherCallersEntry() {
        JwtIdentityResolver small = resolverBuilder().verifiedTokenCacheSize(64).build();
        String bobs = issue("bob");
        assertAuthenticated(small, bobs, "bob");
        assertAuthenticated(small, bobs, "bob");

        for (int i = 0; i < 200; i++) {
            assertAuthenticated(small, issue("mallory"), "mallory");
        }

        VerifiedTokenCache cache = small.verifiedTokenCache();
        String issuer = oauth.issuerUrl(REALM).toString();
        assertThat(cache.sizeOf(issuer, "mallory")).isEqualTo(JwtIdentityResolver.DEFAULT_VERIFIED_TOKENS_PER_PRINCIPAL);
        assertThat(cache.size()).isEqualTo(JwtIdentityResolver.DEFAULT_VERIFIED_TOKENS_PER_PRINCIPAL + 1);
        long hits = cache.hits();
        assertAuthenticated(small, bobs, "bob");
        assertThat(cache.hits()).as("bob's token is still served from the cache").isEqualTo(hits + 1);
    }

    @Test
    void aPrincipalsNewTokenDisplacesItsOwnOldestEntry() {
        JwtIdentityResolver two = resolverBuilder().verifiedTokensPerPrincipal(2).build();
        String first = issue("alice");
        String second = issue("alice");
        String third = issue("alice");
        for (String token : List.of(first, second, third)) {
            assertAuthenticated(two, token, "alice");
        }

        assertAuthenticated(two, third, "alice");
        assertAuthenticated(two, second, "alice");
        assertThat(two.verifiedTokenCache().hits()).isEqualTo(2);
        assertAuthenticated(two, first, "alice");
        assertThat(two.verifiedTokenCache().hits()).as("the oldest was displaced: verified again").isEqualTo(2);
    }

    @Test
    void manyThreadsPresentingTokensOfSeveralPrincipalsAreAllAuthenticatedWithinTheBounds() throws Exception {
        List<String> tokens = new ArrayList<>();
        for (int principal = 0; principal < 4; principal++) {
            for (int t = 0; t < 6; t++) {
                tokens.add(issue("user-" + principal));
            }
        }
        int threads = 8;
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<Integer>> results = new ArrayList<>();
        for (int thread = 0; thread < threads; thread++) {
            int offset = thread;
            results.add(pool.submit(() -> {
                start.await();
                int authenticated = 0;
                for (int i = 0; i < 300; i++) {
                    String token = tokens.get((i * 7 + offset) % tokens.size());
                    if (resolve(resolver, token) instanceof IdentityResult.Authenticated) {
                        authenticated++;
                    }
                }
                return authenticated;
            }));
        }
        start.countDown();
        for (Future<Integer> result : results) {
            assertThat(result.get(60, TimeUnit.SECONDS)).isEqualTo(300);
        }
        pool.shutdown();

        String issuer = oauth.issuerUrl(REALM).toString();
        for (int principal = 0; principal < 4; principal++) {
            assertThat(cache().sizeOf(issuer, "user-" + principal))
                    .isLessThanOrEqualTo(JwtIdentityResolver.DEFAULT_VERIFIED_TOKENS_PER_PRINCIPAL);
        }
        assertThat(cache().size()).isLessThanOrEqualTo(4L * JwtIdentityResolver.DEFAULT_VERIFIED_TOKENS_PER_PRINCIPAL);
        assertThat(cache().hits()).isPositive();
    }

    @Test
    void aCacheSizeOfZeroVerifiesEveryPresentation() {
        JwtIdentityResolver uncached = resolverBuilder().verifiedTokenCacheSize(0).build();
        String token = issue("alice");

        assertAuthenticated(uncached, token, "alice");
        assertAuthenticated(uncached, token, "alice");
        assertThat(uncached.verifiedTokenCache()).isNull();
    }

    @Test
    void refusesCacheBoundsOutOfRangeShowingTheValue() {
        assertThatThrownBy(() -> JwtIdentityResolver.builder().verifiedTokenCacheSize(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got -1");
        assertThatThrownBy(() -> JwtIdentityResolver.builder().verifiedTokenCacheSize(2_000_000))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 2000000");
        assertThatThrownBy(() -> JwtIdentityResolver.builder().verifiedTokensPerPrincipal(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 0");
    }

    @Test
    void keysEntriesByDigestsThatNeverPrintTheirBytes() {
        VerifiedTokenCache.TokenDigest digest = VerifiedTokenCache.digest("a.b.c".getBytes(StandardCharsets.UTF_8));

        assertThat(digest).hasToString("TokenDigest[redacted]");
        assertThat(digest).isEqualTo(VerifiedTokenCache.digest("a.b.c".getBytes(StandardCharsets.UTF_8)));
        assertThat(digest).isNotEqualTo(VerifiedTokenCache.digest("a.b.d".getBytes(StandardCharsets.UTF_8)));
    }

    /** Revocation over Streamable HTTP's front door: the filter asks the registry on every request. */
    @Nested
    class OverHttp {

        final InMemorySessionRegistry sessions = InMemorySessionRegistry.builder().clock(clock).build();
        final EmbeddedTomcat tomcat = EmbeddedTomcat.start(new SubjectEchoServlet(), McpGuardHttpFilter.builder()
                .identityResolver(resolver)
                .sessionRegistry(sessions)
                .resource(URI.create(RESOURCE))
                .authorizationServer(URI.create(oauth.issuerUrl(REALM).toString()))
                .clock(clock)
                .build());

        @AfterEach
        void stopTomcat() throws Exception {
            tomcat.close();
        }

        @Test
        void aRevokedTokenIsRefusedEvenWhileItsIdentityIsCached() throws Exception {
            String token = issue("alice");
            String jti = SignedJWT.parse(token).getJWTClaimsSet().getJWTID();
            assertThat(get(token).body()).isEqualTo("subject=alice");
            assertThat(get(token).body()).isEqualTo("subject=alice");
            assertThat(cache().hits()).isEqualTo(1);

            sessions.revokeToken(jti);

            HttpResponse<String> refused = get(token);
            assertThat(refused.statusCode()).isEqualTo(401);
            assertThat(refused.headers().firstValue("WWW-Authenticate")).hasValueSatisfying(
                    header -> assertThat(header).contains("error=\"invalid_token\"", "credential revoked"));
            assertThat(cache().hits()).as("the identity came from the cache, the revocation check still ran")
                    .isEqualTo(2);
        }

        @Test
        void aRevokedSubjectIsRefusedEvenWhileItsTokenIsCached() {
            String token = issue("alice");
            String bobs = issue("bob");
            assertThat(get(token).statusCode()).isEqualTo(200);
            assertThat(get(bobs).statusCode()).isEqualTo(200);

            sessions.revokeSubject("alice");

            assertThat(get(token).statusCode()).isEqualTo(401);
            assertThat(get(bobs).body()).isEqualTo("subject=bob");
        }

        HttpResponse<String> get(String token) {
            return EmbeddedTomcat.send(HttpRequest.newBuilder(tomcat.base().resolve("/mcp"))
                    .header("Accept", "text/event-stream")
                    .header("Authorization", "Bearer " + token)
                    .GET());
        }
    }

    // ---- helpers ------------------------------------------------------------------------------------------------

    VerifiedTokenCache cache() {
        return resolver.verifiedTokenCache();
    }

    String issue(String subject) {
        return oauth.issueToken(REALM, "orders-client", new DefaultOAuth2TokenCallback(REALM, subject, "JWT",
                List.of(RESOURCE), Map.of(), LIFETIME_SECONDS)).serialize();
    }

    static IdentityResult resolve(JwtIdentityResolver resolver, String token) {
        return resolver.resolve(new PresentedCredential.BearerToken(Secret.ofUtf8(token)));
    }

    static void assertAuthenticated(JwtIdentityResolver resolver, String token, String subject) {
        assertThat(resolve(resolver, token)).isInstanceOfSatisfying(IdentityResult.Authenticated.class,
                authenticated -> assertThat(authenticated.identity().subject()).isEqualTo(subject));
    }

    static void assertRejected(JwtIdentityResolver resolver, String token, String description) {
        assertThat(resolve(resolver, token)).isInstanceOfSatisfying(IdentityResult.Rejected.class, rejected -> {
            assertThat(rejected.reason()).isEqualTo(ReasonCode.INVALID_TOKEN);
            assertThat(rejected.description()).isEqualTo(description);
        });
    }

    static String flipCharacter(String base64Url, int index) {
        char c = base64Url.charAt(index);
        char other = c == 'A' ? 'B' : 'A';
        return base64Url.substring(0, index) + other + base64Url.substring(index + 1);
    }

    static MockOAuth2Server startAuthorizationServer(KeyProvider keys, MutableClock clock) {
        OAuth2TokenProvider tokens = new OAuth2TokenProvider(keys, clock::instant);
        MockOAuth2Server server = new MockOAuth2Server(new OAuth2Config(false, null, null, false, tokens));
        server.start(java.net.InetAddress.getLoopbackAddress(), 0);
        return server;
    }

    static RSAKey key(String keyId) {
        try {
            return new RSAKeyGenerator(2048).keyID(keyId).generate();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }

    /**
     * The authorization server's signing key, which the test rotates: mock-oauth2-server signs with, and
     * publishes at its JWKS endpoint, whatever {@link #signingKey} answers. Thread-safe.
     */
    static final class RotatingSigningKey extends KeyProvider {
        private final AtomicReference<RSAKey> current;

        RotatingSigningKey(RSAKey first) {
            super(List.of(), "RS256");
            this.current = new AtomicReference<>(first);
        }

        void rotateTo(RSAKey next) {
            current.set(next);
        }

        @Override
        public JWK signingKey(String issuerId) {
            return current.get();
        }
    }

    /** Answers with the verified caller's subject. */
    static final class SubjectEchoServlet extends HttpServlet {
        private static final long serialVersionUID = 1L;

        @Override
        protected void doGet(HttpServletRequest req, HttpServletResponse resp) throws IOException {
            CallerIdentity caller = (CallerIdentity) req.getAttribute(GuardRequestAttributes.CALLER);
            resp.setContentType("text/plain");
            resp.getWriter().write("subject=" + caller.subject());
        }
    }
}
