package dev.mcpguard.core.policy;

import com.fasterxml.jackson.core.json.JsonWriteFeature;
import com.fasterxml.jackson.databind.MapperFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import java.nio.ByteBuffer;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caffeine-backed cache of policy decisions keyed by a SHA-256 digest of the canonical policy input.
 *
 * <p>The key covers every fact of the {@link PolicyRequest} an engine can see (any engine: the cache wraps lambdas
 * as well as OPA), except the {@code decisionId} (unique per call), with the time truncated to the time-to-live.
 * Those facts are written by Jackson with properties and map entries sorted (so argument order does not matter)
 * and hashed as UTF-16 code units, so two requests that differ in any fact, even only in a lone surrogate, get
 * different keys; {@code NaN} is written bare so it cannot meet the string {@code "NaN"}. A request Jackson cannot
 * write (an argument that is no JSON value) is decided but not cached.
 *
 * <p>Flushing bumps an epoch; a decision computed before a flush is not stored after it, so a bundle change cannot be
 * undone by a call that was in flight. Thread-safe.
 */
final class DecisionCache {

    private static final Logger log = LoggerFactory.getLogger(DecisionCache.class);
    private static final ObjectMapper CANONICAL = JsonMapper.builder()
            .enable(MapperFeature.SORT_PROPERTIES_ALPHABETICALLY)
            .enable(SerializationFeature.ORDER_MAP_ENTRIES_BY_KEYS)
            .enable(JsonNodeFeature.WRITE_PROPERTIES_SORTED)
            .disable(JsonWriteFeature.WRITE_NAN_AS_STRINGS)
            .build();

    /** A 256-bit digest as four longs: cheap equals and hash, no array identity pitfalls. */
    record Key(long a, long b, long c, long d) {
    }

    private final Cache<Key, Decision> cache;
    private final long bucketMillis;
    private long epoch;
    private String lastRevision;

    DecisionCache(DecisionCacheConfig config, LongSupplier nanoTime) {
        this.cache = Caffeine.newBuilder()
                .maximumSize(config.maximumSize())
                .expireAfterWrite(config.timeToLive())
                .ticker(nanoTime::getAsLong)
                .executor(Runnable::run) // maintenance on the calling thread: deterministic in tests, no pool
                .build();
        this.bucketMillis = Math.max(1, config.timeToLive().toMillis());
    }

    /** The key for {@code request}; empty when the request cannot be written (then the call is not cached). */
    Optional<Key> keyOf(PolicyRequest request) {
        try {
            String facts = CANONICAL.writeValueAsString(KeyFacts.of(request, bucketMillis));
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            ByteBuffer units = ByteBuffer.allocate(facts.length() * Character.BYTES);
            units.asCharBuffer().put(facts);
            sha256.update(units);
            ByteBuffer digest = ByteBuffer.wrap(sha256.digest());
            return Optional.of(new Key(digest.getLong(), digest.getLong(), digest.getLong(), digest.getLong()));
        } catch (java.io.IOException | RuntimeException | NoSuchAlgorithmException e) {
            log.debug("Policy input for tool {} could not be encoded for the cache ({}); not cached",
                    request.tool().name(), e.getClass().getName());
            return Optional.empty();
        }
    }

    /** The facts of a request that a decision may depend on, in a shape Jackson writes without extra modules. */
    record KeyFacts(String operation, long timeBucket, String server, CallerFacts caller, ToolDescriptor tool,
                    Map<String, Object> arguments, String sessionId) {

        static KeyFacts of(PolicyRequest request, long bucketMillis) {
            return new KeyFacts(request.operation().name(),
                    Math.floorDiv(request.time().toEpochMilli(), bucketMillis), request.server(),
                    CallerFacts.of(request.caller()), request.tool(), request.arguments(),
                    request.sessionId().orElse(null));
        }
    }

    /** {@link CallerIdentity} without {@code Optional}s; sets sorted. */
    record CallerFacts(String issuer, String subject, String tenant, String clientId, List<String> scopes,
                       List<String> roles, String actorSubject, String actorClientId, String method, String tokenId,
                       String expiresAt, String tokenType) {

        static CallerFacts of(CallerIdentity caller) {
            return new CallerFacts(caller.issuer(), caller.subject(), caller.tenant().orElse(null),
                    caller.clientId().orElse(null), caller.scopes().stream().sorted().toList(),
                    caller.roles().stream().sorted().toList(),
                    caller.actor().map(CallerIdentity.Actor::subject).orElse(null),
                    caller.actor().flatMap(CallerIdentity.Actor::clientId).orElse(null), caller.method().name(),
                    caller.tokenId().orElse(null), caller.expiresAt().map(Instant::toString).orElse(null),
                    caller.tokenType().orElse(null));
        }
    }

    Decision get(Key key) {
        return cache.getIfPresent(key);
    }

    synchronized long epoch() {
        return epoch;
    }

    /**
     * Stores a decision made after {@code epochAtStart}; a decision carrying a revision other than the last one
     * seen flushes the cache first (the policy changed) and is itself not stored.
     */
    synchronized void put(Key key, Decision decision, long epochAtStart) {
        Optional<String> revision = decision.policyRevision();
        if (revision.isPresent() && !revision.get().equals(lastRevision)) {
            String previous = lastRevision;
            lastRevision = revision.get();
            if (previous != null) {
                log.info("Policy revision changed from {} to {}; decision cache flushed", previous, revision.get());
                flush();
                return;
            }
        }
        if (epoch == epochAtStart) {
            cache.put(key, decision);
        }
    }

    synchronized void flush() {
        epoch++;
        cache.invalidateAll();
    }

    synchronized void revisionChanged(String revision) {
        lastRevision = revision;
        flush();
    }

    long size() {
        cache.cleanUp();
        return cache.estimatedSize();
    }
}
