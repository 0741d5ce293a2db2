package dev.mcpguard.core.identity;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.nimbusds.jose.util.JSONObjectUtils;
import com.nimbusds.jwt.JWTClaimsSet;
import dev.mcpguard.core.internal.BoundedBodySubscriber;
import dev.mcpguard.core.internal.BoundedHttpExchange;
import java.io.IOException;
import java.net.URI;
import java.net.URLEncoder;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.text.ParseException;
import java.time.Clock;
import java.time.Instant;
import java.util.Base64;
import java.util.Date;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Semaphore;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Asks the issuer's RFC 7662 introspection endpoint whether a token is active, and remembers active answers by
 * the token's digest for the configured TTL, never past the answer's {@code exp}, on the injected {@link Clock}.
 * Checks of the answer's claims against the resolver's configuration are the resolver's; this class only tells
 * active (with the answer's claims), inactive, and unavailable apart. Never logs or returns the token or the
 * client secret. Thread-safe. Package-private: configured with {@link TokenIntrospection}.
 */
final class TokenIntrospector {

    private static final Logger log = LoggerFactory.getLogger(TokenIntrospector.class);

    private final TokenIntrospection settings;
    private final EndpointSource endpoint;
    private final Clock clock;
    private final HttpClient http;
    private final Semaphore inFlight = new Semaphore(TokenIntrospection.MAX_CONCURRENT_REQUESTS);
    /** Null when the TTL is zero. */
    private final Cache<VerifiedTokenCache.TokenDigest, Active> active;

    /** Where the endpoint is: configured, or looked up in the issuer's metadata on each miss. */
    interface EndpointSource {
        URI endpoint() throws IOException;
    }

    /** What the endpoint said. */
    sealed interface Outcome permits Active, Inactive, Unavailable {
    }

    /** {@code active: true}, with the answer's members as claims; remembered until {@code expiresAt}. */
    record Active(JWTClaimsSet claims, Instant expiresAt) implements Outcome {
    }

    /** {@code active: false} (revoked, expired, unknown, or not this client's to ask about). */
    record Inactive() implements Outcome {
    }

    /** No usable answer; {@code detail} is safe to log. */
    record Unavailable(String detail) implements Outcome {
    }

    TokenIntrospector(TokenIntrospection settings, EndpointSource endpoint, Clock clock) {
        this.settings = Objects.requireNonNull(settings, "settings");
        this.endpoint = Objects.requireNonNull(endpoint, "endpoint");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.http = HttpClient.newBuilder()
                .followRedirects(HttpClient.Redirect.NEVER)
                .connectTimeout(settings.connectTimeout())
                .version(HttpClient.Version.HTTP_1_1)
                .build();
        this.active = settings.cacheTtl().isZero() ? null : Caffeine.newBuilder()
                .maximumSize(settings.cacheSize())
                .expireAfter(new Expiry<VerifiedTokenCache.TokenDigest, Active>() {
                    @Override
                    public long expireAfterCreate(VerifiedTokenCache.TokenDigest key, Active value, long now) {
                        return Math.max(0, toNanos(value.expiresAt()) - now);
                    }

                    @Override
                    public long expireAfterUpdate(VerifiedTokenCache.TokenDigest key, Active value, long now,
                                                  long current) {
                        return Math.max(0, toNanos(value.expiresAt()) - now);
                    }

                    @Override
                    public long expireAfterRead(VerifiedTokenCache.TokenDigest key, Active value, long now,
                                                long current) {
                        return current;
                    }
                })
                .ticker(() -> toNanos(clock.instant()))
                .executor(Runnable::run)
                .build();
    }

    /**
     * The remembered answer for {@code digest} if it is still within its TTL, otherwise the endpoint's answer
     * about {@code token} (remembered when active).
     */
    Outcome introspect(VerifiedTokenCache.TokenDigest digest, String token) {
        if (active != null) {
            Active remembered = active.getIfPresent(digest);
            if (remembered != null && clock.instant().isBefore(remembered.expiresAt())) {
                return remembered;
            }
        }
        if (!inFlight.tryAcquire()) {
            return unavailable("more than " + TokenIntrospection.MAX_CONCURRENT_REQUESTS
                    + " introspection requests in flight");
        }
        Outcome outcome;
        try {
            outcome = ask(token);
        } finally {
            inFlight.release();
        }
        if (outcome instanceof Active answer && active != null && clock.instant().isBefore(answer.expiresAt())) {
            active.put(digest, answer);
        }
        return outcome;
    }

    /** Remembered active answers now; for tests. */
    long cachedAnswers() {
        if (active == null) {
            return 0;
        }
        active.cleanUp();
        return active.estimatedSize();
    }

    private Outcome ask(String token) {
        URI uri;
        try {
            uri = endpoint.endpoint();
        } catch (IOException e) {
            return unavailable("introspection endpoint unknown: " + (e instanceof IssuerMetadataSource
                    .IssuerMetadataException ? e.getMessage() : e.getClass().getSimpleName()));
        }
        String credentials = encode(settings.clientId()) + ":" + encode(settings.clientSecret().revealUtf8());
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(settings.requestTimeout())
                .header("Content-Type", "application/x-www-form-urlencoded")
                .header("Accept", "application/json")
                .header("Authorization", "Basic "
                        + Base64.getEncoder().encodeToString(credentials.getBytes(StandardCharsets.UTF_8)))
                .POST(HttpRequest.BodyPublishers.ofString("token=" + encode(token)
                        + "&token_type_hint=access_token"))
                .build();
        HttpResponse<byte[]> response;
        try {
            response = BoundedHttpExchange.send(http, request, TokenIntrospection.MAX_RESPONSE_BYTES,
                    settings.requestTimeout());
        } catch (BoundedBodySubscriber.ResponseTooLargeException e) {
            return unavailable(uri + " answered with more than " + TokenIntrospection.MAX_RESPONSE_BYTES + " bytes");
        } catch (TimeoutException e) {
            return unavailable(uri + " did not answer within " + settings.requestTimeout());
        } catch (IOException e) {
            return unavailable(uri + " unreachable (" + e.getClass().getSimpleName() + ")");
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return unavailable("interrupted");
        }
        if (response.statusCode() != 200) {
            // 401/403: this server's client credentials are wrong or not allowed to introspect.
            return unavailable(uri + " answered HTTP " + response.statusCode());
        }
        Map<String, Object> json;
        try {
            json = JSONObjectUtils.parse(new String(response.body(), StandardCharsets.UTF_8));
        } catch (ParseException | RuntimeException e) {
            return unavailable(uri + " answered with something other than a JSON object");
        }
        Object isActive = json.get("active");
        if (Boolean.FALSE.equals(isActive)) {
            return new Inactive();
        }
        if (!Boolean.TRUE.equals(isActive)) {
            return unavailable(uri + " answered without a boolean active member");
        }
        JWTClaimsSet claims;
        try {
            claims = JWTClaimsSet.parse(json);
        } catch (ParseException | RuntimeException e) {
            return unavailable(uri + " answered with malformed claims");
        }
        Instant until = clock.instant().plus(settings.cacheTtl());
        Date exp = claims.getExpirationTime();
        if (exp != null && exp.toInstant().isBefore(until)) {
            until = exp.toInstant();
        }
        return new Active(claims, until);
    }

    private static Unavailable unavailable(String detail) {
        log.warn("Token introspection failed, rejecting the token: {}", detail);
        return new Unavailable(detail);
    }

    private static String encode(String value) {
        return URLEncoder.encode(value, StandardCharsets.UTF_8);
    }

    private static long toNanos(Instant instant) {
        return TimeUnit.SECONDS.toNanos(instant.getEpochSecond()) + instant.getNano();
    }

    @Override
    public String toString() {
        return "TokenIntrospector[" + settings + "]";
    }
}
