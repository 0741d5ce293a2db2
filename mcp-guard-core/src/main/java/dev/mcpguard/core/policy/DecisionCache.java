package dev.mcpguard.core.policy;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import dev.mcpguard.core.policy.opa.PolicyInputDocument;
import java.io.IOException;
import java.io.OutputStream;
import java.nio.ByteBuffer;
import java.security.DigestOutputStream;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caffeine-backed cache of policy decisions keyed by a SHA-256 digest of the canonical policy input.
 *
 * <p>The key is the input document of {@link PolicyInputDocument} (so exactly the facts a policy can see) with
 * object keys sorted, without {@code decision_id} (unique per call) and with {@code time}/{@code time_ns}
 * replaced by the time truncated to the time-to-live. Flushing bumps an epoch; a decision computed before a flush
 * is not stored after it, so a bundle change cannot be undone by a call that was in flight. Thread-safe.
 */
final class DecisionCache {

    private static final Logger log = LoggerFactory.getLogger(DecisionCache.class);
    private static final ObjectMapper MAPPER = new ObjectMapper();

    /** A 256-bit digest as four longs: cheap equals and hash, no array identity pitfalls. */
    record Key(long a, long b, long c, long d) {
    }

    private final Cache<Key, Decision> cache;
    private final PolicyInputDocument inputDocument = new PolicyInputDocument(MAPPER, Map.of());
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

    /** The key for {@code request}; empty when the input cannot be encoded (then the call is not cached). */
    Optional<Key> keyOf(PolicyRequest request) {
        try {
            ObjectNode input = inputDocument.build(request);
            input.remove("decision_id");
            input.remove("time_ns");
            input.put("time", Math.floorDiv(request.time().toEpochMilli(), bucketMillis));
            MessageDigest sha256 = MessageDigest.getInstance("SHA-256");
            try (JsonGenerator json = MAPPER.getFactory().createGenerator(
                    new DigestOutputStream(OutputStream.nullOutputStream(), sha256))) {
                writeCanonical(json, input);
            }
            ByteBuffer digest = ByteBuffer.wrap(sha256.digest());
            return Optional.of(new Key(digest.getLong(), digest.getLong(), digest.getLong(), digest.getLong()));
        } catch (IOException | RuntimeException | NoSuchAlgorithmException e) {
            log.debug("Policy input for tool {} could not be encoded for the cache ({}); not cached",
                    request.tool().name(), e.getClass().getName());
            return Optional.empty();
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

    private static void writeCanonical(JsonGenerator json, JsonNode node) throws IOException {
        if (node.isObject()) {
            List<String> names = new ArrayList<>();
            node.fieldNames().forEachRemaining(names::add);
            names.sort(null);
            json.writeStartObject();
            for (String name : names) {
                json.writeFieldName(name);
                writeCanonical(json, node.get(name));
            }
            json.writeEndObject();
        } else if (node.isArray()) {
            json.writeStartArray();
            for (JsonNode element : node) {
                writeCanonical(json, element);
            }
            json.writeEndArray();
        } else {
            // Scalars as Jackson writes them: 1 and 1.0 differ, which only costs a miss, never a wrong hit.
            json.writeTree(node);
        }
    }
}
