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
import dev.mcpguard.api.spi.PolicyEngine.ToolListRequest;
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
 * <p>It also keeps the answers of {@code tools/list} asked in one evaluation ({@link ToolListEvaluation}), in a cache
 * of their own bounded by the same size and time to live, keyed the same way over every fact of the
 * {@link ToolListRequest} (every offered tool included, in order); a flush or a revision change empties both.
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
    private final Cache<Key, ToolListEvaluation.Answer> lists;
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
        this.lists = Caffeine.newBuilder()
                .maximumSize(config.maximumSize())
                .expireAfterWrite(config.timeToLive())
                .ticker(nanoTime::getAsLong)
                .executor(Runnable::run)
                .build();
        this.bucketMillis = Math.max(1, config.timeToLive().toMillis());
    }

    /** The key for {@code request}; empty when the request cannot be written (then the call is not cached). */
    Optional<Key> keyOf(PolicyRequest request) {
        try {
            return Optional.of(digest(CANONICAL.writeValueAsString(KeyFacts.of(request, bucketMillis))));
        } catch (java.io.IOException | RuntimeException | NoSuchAlgorithmException e) {
            log.debug("Policy input for tool {} could not be encoded for the cache ({}); not cached",
                    request.tool().name(), e.getClass().getName());
            return Optional.empty();
        }
    }

    /** The key for a whole {@code tools/list}; empty when it cannot be written (then it is not cached). */
    Optional<Key> keyOf(ToolListRequest request) {
        try {
            return Optional.of(digest(CANONICAL.writeValueAsString(ListKeyFacts.of(request, bucketMillis))));
        } catch (java.io.IOException | RuntimeException | NoSuchAlgorithmException e) {
            log.debug("tools/list input could not be encoded for the cache ({}); not cached", e.getClass().getName());
            return Optional.empty();
        }
    }

    private static Key digest(String facts) throws NoSuchAlgorithmException {
        MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
        ByteBuffer units = ByteBuffer.allocate(facts.length() * Character.BYTES);
        units.asCharBuffer().put(facts);
        sha256.update(units);
        ByteBuffer digest = ByteBuffer.wrap(sha256.digest());
        return new Key(digest.getLong(), digest.getLong(), digest.getLong(), digest.getLong());
    }

    /** The facts of a {@code tools/list} its answer may depend on: those of a list request, for every tool. */
    record ListKeyFacts(String operation, long timeBucket, String server, CallerFacts caller, List<ToolDescriptor> tools,
                        String sessionId) {

        static ListKeyFacts of(ToolListRequest request, long bucketMillis) {
            return new ListKeyFacts("LIST_ALL", Math.floorDiv(request.time().toEpochMilli(), bucketMillis),
                    request.server(), CallerFacts.of(request.caller()), request.tools(),
                    request.sessionId().orElse(null));
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

    ToolListEvaluation.Answer getList(Key key) {
        return lists.getIfPresent(key);
    }

    /** As {@link #put} for a {@code tools/list} answer (never a failed one). */
    synchronized void putList(Key key, ToolListEvaluation.Answer answer, long epochAtStart) {
        if (answer.failed() || revisionChangedBy(answer.policyRevision())) {
            return;
        }
        if (epoch == epochAtStart) {
            lists.put(key, answer);
        }
    }

    /** Records {@code revision}; true (and the caches flushed) when it differs from a previously seen one. */
    private boolean revisionChangedBy(Optional<String> revision) {
        if (revision.isPresent() && !revision.get().equals(lastRevision)) {
            String previous = lastRevision;
            lastRevision = revision.get();
            if (previous != null) {
                log.info("Policy revision changed from {} to {}; decision cache flushed", previous, revision.get());
                flush();
                return true;
            }
        }
        return false;
    }

    synchronized long epoch() {
        return epoch;
    }

    /**
     * Stores a decision made after {@code epochAtStart}; a decision carrying a revision other than the last one
     * seen flushes the cache first (the policy changed) and is itself not stored.
     */
    synchronized void put(Key key, Decision decision, long epochAtStart) {
        if (revisionChangedBy(decision.policyRevision())) {
            return;
        }
        if (epoch == epochAtStart) {
            cache.put(key, decision);
        }
    }

    synchronized void flush() {
        epoch++;
        cache.invalidateAll();
        lists.invalidateAll();
    }

    synchronized void revisionChanged(String revision) {
        lastRevision = revision;
        flush();
    }

    long size() {
        cache.cleanUp();
        return cache.estimatedSize();
    }

    /** {@code tools/list} answers currently cached (approximate). */
    long listSize() {
        lists.cleanUp();
        return lists.estimatedSize();
    }
}
