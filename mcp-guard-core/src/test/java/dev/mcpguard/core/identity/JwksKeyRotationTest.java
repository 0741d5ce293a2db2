package dev.mcpguard.core.identity;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import ch.qos.logback.classic.spi.ILoggingEvent;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.RSAKey;
import com.nimbusds.jose.jwk.gen.RSAKeyGenerator;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.spi.IdentityResolver.IdentityResult;
import dev.mcpguard.api.spi.IdentityResolver.PresentedCredential;
import dev.mcpguard.core.testing.Eventually;
import dev.mcpguard.core.testing.LogCapture;
import dev.mcpguard.core.testing.MutableClock;
import dev.mcpguard.core.testing.RotatingJwksServer;
import dev.mcpguard.core.testing.SignedTokens;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Date;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Issue 8, item 7 (key rotation): the JWKS cache of {@link JwtIdentityResolver} against a real JWKS endpoint whose
 * keys the test rotates, with an injected clock. The end-to-end figure over Streamable HTTP is measured by
 * {@code KeyRotationEndToEndTest} in the examples module.
 */
class JwksKeyRotationTest {

    static final String ISSUER = "https://login.example.com/realms/acme";
    static final String RESOURCE = "https://orders.example.com/mcp";

    final MutableClock clock = MutableClock.startingAt("2026-03-01T12:00:00Z");
    final RSAKey oldKey = key("key-1");
    final RSAKey newKey = key("key-2");
    final RotatingJwksServer jwks = RotatingJwksServer.start(new JWKSet(oldKey));
    final JwtIdentityResolver resolver = JwtIdentityResolver.builder()
            .issuer(ISSUER)
            .audience(RESOURCE)
            .jwksUrl(jwks.uri())
            .clock(clock)
            .build();

    @AfterEach
    void stopJwks() {
        jwks.close();
    }

    @Test
    void aRotatedKeyIsAcceptedOneRefetchIntervalAfterStrayKeyIdsSpentTheRefetchBudget() {
        assertAccepted(token(oldKey));
        assertThat(jwks.fetches()).isEqualTo(1);
        clock.advance(JwtIdentityResolver.DEFAULT_JWKS_REFETCH_MIN_INTERVAL);

        assertRejected(token(stray("stray-1"))); // spends the budget of this interval on a refetch
        jwks.publish(new JWKSet(List.of(newKey, oldKey)));
        for (int i = 0; i < 500; i++) {
            assertRejected(token(stray("stray-flood-" + i)));
        }
        assertThat(jwks.fetches()).as("a flood of unknown key ids does not become a flood of fetches").isEqualTo(2);
        assertRejected(token(newKey)); // within the same interval: refused at once, never blocked

        clock.advance(JwtIdentityResolver.DEFAULT_JWKS_REFETCH_MIN_INTERVAL);

        assertAccepted(token(newKey));
        assertThat(jwks.fetches()).isEqualTo(3);
    }

    @Test
    void aKeyIdStillUnknownAfterARefetchIsRememberedWithoutDelayingAnotherNewKeyId() {
        assertAccepted(token(oldKey));
        clock.advance(JwtIdentityResolver.DEFAULT_JWKS_REFETCH_MIN_INTERVAL);
        RSAKey stray = stray("stray");
        assertRejected(token(stray));
        assertThat(jwks.fetches()).isEqualTo(2);
        clock.advance(Duration.ofSeconds(2));

        assertRejected(token(stray));
        assertThat(jwks.fetches()).as("the remembered stray key id costs no fetch").isEqualTo(2);

        jwks.publish(new JWKSet(List.of(newKey, oldKey)));
        assertAccepted(token(newKey));
        assertThat(jwks.fetches()).isEqualTo(3);

        clock.advance(JwtIdentityResolver.DEFAULT_JWKS_UNKNOWN_KEY_ID_MEMORY);
        assertRejected(token(stray));
        assertThat(jwks.fetches()).as("forgotten after the memory time, so refetched once more").isEqualTo(4);
    }

    @Test
    void concurrentTokensWithUnknownKeyIdsShareOneFetch() throws Exception {
        assertAccepted(token(oldKey));
        clock.advance(JwtIdentityResolver.DEFAULT_JWKS_REFETCH_MIN_INTERVAL);
        jwks.publish(new JWKSet(List.of(newKey, oldKey)));
        int threads = 16;
        List<String> tokens = new ArrayList<>();
        for (int i = 0; i < threads; i++) {
            tokens.add(i % 2 == 0 ? token(newKey) : token(stray("stray-" + i)));
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        List<Future<IdentityResult>> results = new ArrayList<>();
        for (String token : tokens) {
            results.add(pool.submit(() -> {
                start.await();
                return resolve(token);
            }));
        }
        start.countDown();
        for (Future<IdentityResult> result : results) {
            result.get(30, TimeUnit.SECONDS);
        }
        pool.shutdown();

        assertThat(jwks.fetches()).isEqualTo(2);
        assertAccepted(token(newKey));
    }

    @Test
    void keysAreRefreshedInTheBackgroundBeforeTheCacheExpires() {
        assertAccepted(token(oldKey));
        jwks.publish(new JWKSet(List.of(newKey, oldKey)));

        // Default TTL 5 min, refresh-ahead 1 min: at 4 min 10 s the cached set is still used, and refreshed.
        clock.advance(Duration.ofMinutes(4).plusSeconds(10));
        assertAccepted(token(oldKey));
        Eventually.within(Duration.ofSeconds(10), "background JWKS refresh", () -> jwks.fetches() == 2);

        assertAccepted(token(newKey));
        assertThat(jwks.fetches()).as("the new key was already there: no refetch").isEqualTo(2);
    }

    @Test
    void anIssuerOutageBeforeExpiryKeepsTheCachedKeysAndAfterExpiryRejects() {
        assertAccepted(token(oldKey));
        jwks.failing(true);

        clock.advance(Duration.ofMinutes(4).plusSeconds(10));
        assertAccepted(token(oldKey));
        Eventually.within(Duration.ofSeconds(10), "background refresh attempted", () -> jwks.fetches() == 2);
        assertAccepted(token(oldKey));

        clock.advance(Duration.ofMinutes(1));
        IdentityResult expired = resolve(token(oldKey));
        assertThat(expired).isInstanceOfSatisfying(IdentityResult.Rejected.class,
                rejected -> assertThat(rejected.description()).isEqualTo("token could not be verified"));

        jwks.failing(false);
        clock.advance(JwtIdentityResolver.DEFAULT_JWKS_REFETCH_MIN_INTERVAL);
        assertAccepted(token(oldKey));
    }

    @Test
    void flushingTheKeyCacheMakesAWithdrawnKeyRefusedAtOnce() {
        assertAccepted(token(oldKey));
        jwks.publish(new JWKSet(newKey)); // the old key was compromised and withdrawn
        assertAccepted(token(oldKey)); // still cached

        resolver.flushKeyCache();

        assertRejected(token(oldKey));
        assertAccepted(token(newKey));
    }

    @Test
    void keyIdsWithControlAndBidiCharactersAreEscapedInLogs() {
        List<ILoggingEvent> events;
        try (LogCapture logs = LogCapture.ofAtDebug("dev.mcpguard.core.identity")) {
            assertAccepted(token(oldKey));
            clock.advance(JwtIdentityResolver.DEFAULT_JWKS_REFETCH_MIN_INTERVAL);
            String hostile = "k\r\n2026-03-01 INFO forged\u202e\u200b\u0007";
            assertRejected(token(stray(hostile))); // refetched, then remembered
            assertRejected(token(stray(hostile + "-2"))); // budget spent: logged at DEBUG
            assertAccepted(signed(oldKey, oldKey.getKeyID(), claims().subject("alice\n\u202eadmin").build()));
            events = logs.events();
        }
        assertThat(events).isNotEmpty();
        for (ILoggingEvent event : events) {
            assertThat(event.getFormattedMessage()).doesNotContain("\r", "\n", "\u202e", "\u200b", "\u0007");
        }
    }

    @Test
    void refusesARefetchIntervalThatWouldKeepARotatedKeyOutForLong() {
        assertThatThrownBy(() -> JwtIdentityResolver.builder().jwksRefetchMinInterval(Duration.ofMinutes(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT1M");
        assertThatThrownBy(() -> JwtIdentityResolver.builder().jwksUnknownKeyIdMemory(Duration.ofSeconds(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT-1S");
    }

    IdentityResult resolve(String token) {
        return resolver.resolve(new PresentedCredential.BearerToken(Secret.ofUtf8(token)));
    }

    void assertAccepted(String token) {
        assertThat(resolve(token)).isInstanceOf(IdentityResult.Authenticated.class);
    }

    void assertRejected(String token) {
        assertThat(resolve(token)).isInstanceOfSatisfying(IdentityResult.Rejected.class, rejected -> {
            assertThat(rejected.reason()).isEqualTo(ReasonCode.INVALID_TOKEN);
            assertThat(rejected.description()).isEqualTo("token signature invalid");
        });
    }

    JWTClaimsSet.Builder claims() {
        Instant now = clock.instant();
        return new JWTClaimsSet.Builder().issuer(ISSUER).subject("alice").audience(RESOURCE)
                .issueTime(Date.from(now)).expirationTime(Date.from(now.plus(Duration.ofHours(1))));
    }

    String token(RSAKey signer) {
        return signed(signer, signer.getKeyID(), claims().build());
    }

    static String signed(RSAKey signer, String keyId, JWTClaimsSet claims) {
        return SignedTokens.rs256(signer, keyId, claims);
    }

    static final RSAKey STRAY_SIGNER = key("stray-signer");

    /** A key the issuer never published, under {@code keyId}; strays share one key pair (only the id matters). */
    static RSAKey stray(String keyId) {
        return new RSAKey.Builder(STRAY_SIGNER).keyID(keyId).build();
    }

    static RSAKey key(String keyId) {
        try {
            return new RSAKeyGenerator(2048).keyID(keyId).generate();
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
    }
}
