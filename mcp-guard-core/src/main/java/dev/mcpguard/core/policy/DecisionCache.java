package dev.mcpguard.core.policy;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ContentScan;
import dev.mcpguard.api.Finding;
import dev.mcpguard.api.GuardrailFindings;
import dev.mcpguard.api.McpTarget;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import dev.mcpguard.api.spi.PolicyEngine.ToolListRequest;
import dev.mcpguard.core.internal.PolicyEvaluationRecorder;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.List;
import java.util.Optional;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Caffeine-backed cache of policy decisions keyed by a SHA-256 digest of the canonical policy input.
 *
 * <p>The key covers every fact of the {@link PolicyRequest} an engine can see (any engine: the cache wraps lambdas
 * as well as OPA), except the {@code decisionId} (unique per call), with the time truncated to the time-to-live.
 * Those facts are streamed into the digest in a typed, length-prefixed canonical encoding
 * ({@link ChainDecisionKeyDigest}: map entries sorted, so argument order does not matter; strings as UTF-16 code
 * units; numbers tagged apart from strings), with no JSON text built on the way, so two requests that differ in any
 * fact, even only in a lone surrogate, get different keys, and {@code NaN} cannot meet the string {@code "NaN"}. A
 * request with an argument that is no JSON value is decided but not cached.
 *
 * <p>It also keeps the answers of {@code tools/list} asked in one evaluation ({@link ToolListEvaluation}), in a cache
 * of their own bounded by the same size and time to live, keyed the same way over every fact of the
 * {@link ToolListRequest} (every offered tool included, in order: the tools enter the key as one digest of their
 * facts, computed once per list of tools rather than per request); a flush or a revision change empties both.
 *
 * <p>Flushing bumps an epoch; a decision computed before a flush is not stored after it, so a bundle change cannot be
 * undone by a call that was in flight. Thread-safe.
 */
final class DecisionCache {

    private static final Logger log = LoggerFactory.getLogger(DecisionCache.class);
    /** Names the layout of the key's facts; change it with the layout. */
    private static final String KEY_LAYOUT = "mcp-guard.decision-cache.v4";
    /** Names the layout of a {@code tools/list} key's facts; never equal to {@link #KEY_LAYOUT}. */
    private static final String LIST_KEY_LAYOUT = "mcp-guard.decision-cache.list.v3";
    /** Names the layout of the digest of a {@code tools/list}'s tools, written into its key. */
    private static final String TOOLS_LAYOUT = "mcp-guard.decision-cache.list-tools.v1";

    /** A 256-bit digest as four longs: cheap equals and hash, no array identity pitfalls. */
    record Key(long a, long b, long c, long d) {
    }

    /**
     * A cached decision and, when a decision log listened as it was made, the evaluation behind it (replayed into
     * the decision log on a hit, so a cached decision is logged too); null otherwise.
     */
    record Entry(Decision decision, PolicyEvaluationRecorder.Evaluation evaluation) {
    }

    /** A list of tools (by identity) and the digest of its facts. */
    private record ToolsDigest(List<ToolDescriptor> tools, Key digest) {
    }

    private final Cache<Key, Entry> cache;
    private final Cache<Key, ToolListEvaluation.Answer> lists;
    private final long bucketMillis;
    private long epoch;
    private String lastRevision;
    /** The tools of the last list keyed; a race only computes a digest twice. */
    private volatile ToolsDigest lastTools;

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

    /** The key for {@code request}; empty when the request cannot be encoded (then the call is not cached). */
    Optional<Key> keyOf(PolicyRequest request) {
        try {
            ChainDecisionKeyDigest facts = new ChainDecisionKeyDigest();
            // The order below is the key's layout; every fact is tagged, so no two layouts meet.
            facts.writeString(KEY_LAYOUT);
            facts.writeString(request.operation().name());
            facts.writeLong(Math.floorDiv(request.time().toEpochMilli(), bucketMillis));
            facts.writeString(request.server());
            writeCaller(facts, request.caller());
            writeTool(facts, request.tool());
            facts.writeValue(request.arguments());
            facts.writeString(request.sessionId().orElse(null));
            writeTarget(facts, request.target());
            writeGuardrails(facts, request.guardrails());
            ByteBuffer digest = ByteBuffer.wrap(facts.digest());
            return Optional.of(new Key(digest.getLong(), digest.getLong(), digest.getLong(), digest.getLong()));
        } catch (ChainDecisionKeyDigest.Unencodable | RuntimeException e) {
            log.debug("Policy input for tool {} could not be encoded for the cache ({}); not cached",
                    request.tool().name(), e.getClass().getName());
            return Optional.empty();
        }
    }

    /** The key for a whole {@code tools/list}; empty when it cannot be encoded (then it is not cached). */
    Optional<Key> keyOf(ToolListRequest request) {
        try {
            ChainDecisionKeyDigest facts = new ChainDecisionKeyDigest();
            facts.writeString(LIST_KEY_LAYOUT);
            facts.writeLong(Math.floorDiv(request.time().toEpochMilli(), bucketMillis));
            facts.writeString(request.server());
            writeCaller(facts, request.caller());
            facts.writeLong(request.tools().size());
            Key tools = toolsDigest(request.tools());
            facts.writeLong(tools.a());
            facts.writeLong(tools.b());
            facts.writeLong(tools.c());
            facts.writeLong(tools.d());
            facts.writeString(request.sessionId().orElse(null));
            return Optional.of(keyFrom(facts));
        } catch (RuntimeException e) {
            log.debug("tools/list input could not be encoded for the cache ({}); not cached", e.getClass().getName());
            return Optional.empty();
        }
    }

    /**
     * The digest of every fact of every tool of {@code tools}, in order, computed once per list: a request's list
     * is immutable ({@code List.copyOf}) and holds immutable records, so the same list object always has the same
     * digest, and the guard passes the same list until a tool is offered or changed (then a new list, a new digest).
     */
    private Key toolsDigest(List<ToolDescriptor> tools) {
        ToolsDigest last = lastTools;
        if (last != null && last.tools() == tools) {
            return last.digest();
        }
        ChainDecisionKeyDigest facts = new ChainDecisionKeyDigest();
        facts.writeString(TOOLS_LAYOUT);
        facts.writeLong(tools.size());
        for (ToolDescriptor tool : tools) {
            writeTool(facts, tool);
        }
        Key digest = keyFrom(facts);
        lastTools = new ToolsDigest(tools, digest);
        return digest;
    }

    private static Key keyFrom(ChainDecisionKeyDigest facts) {
        ByteBuffer digest = ByteBuffer.wrap(facts.digest());
        return new Key(digest.getLong(), digest.getLong(), digest.getLong(), digest.getLong());
    }

    /** Every fact of {@link McpTarget}: the method and, when present, each component of its item (null-marked). */
    private static void writeTarget(ChainDecisionKeyDigest facts, McpTarget target) {
        facts.writeString(target.method());
        McpTarget.Resource resource = target.resource();
        facts.writeBoolean(resource != null);
        if (resource != null) {
            facts.writeString(resource.uri());
            facts.writeString(resource.template());
            facts.writeString(resource.name());
            facts.writeString(resource.mimeType());
        }
        facts.writeString(target.prompt() == null ? null : target.prompt().name());
        McpTarget.Completion completion = target.completion();
        facts.writeBoolean(completion != null);
        if (completion != null) {
            facts.writeString(completion.refType());
            facts.writeString(completion.ref());
            facts.writeString(completion.argument());
        }
    }

    /** Every finding of both scans, in order, and whether each scan was complete (absent ones null-marked). */
    private static void writeGuardrails(ChainDecisionKeyDigest facts, Optional<GuardrailFindings> guardrails) {
        facts.writeBoolean(guardrails.isPresent());
        if (guardrails.isEmpty()) {
            return;
        }
        writeScan(facts, guardrails.get().arguments());
        facts.writeBoolean(guardrails.get().result().isPresent());
        guardrails.get().result().ifPresent(scan -> writeScan(facts, scan));
    }

    private static void writeScan(ChainDecisionKeyDigest facts, ContentScan scan) {
        facts.writeBoolean(scan.complete());
        facts.writeLong(scan.findings().size());
        for (Finding finding : scan.findings()) {
            facts.writeString(finding.kind());
            facts.writeString(finding.ruleId());
            facts.writeString(finding.path());
            facts.writeLong(Double.doubleToLongBits(finding.confidence()));
        }
    }

    /** Every fact of {@link ToolDescriptor}. */
    private static void writeTool(ChainDecisionKeyDigest facts, ToolDescriptor tool) {
        facts.writeString(tool.name());
        facts.writeString(tool.description());
        facts.writeBoolean(tool.readOnlyHint());
        facts.writeBoolean(tool.destructiveHint());
        facts.writeBoolean(tool.idempotentHint());
        facts.writeBoolean(tool.openWorldHint());
        facts.writeString(tool.definitionHash());
    }

    /** Every fact of {@link CallerIdentity}; sets sorted, absent optionals as null markers. */
    private static void writeCaller(ChainDecisionKeyDigest facts, CallerIdentity caller) {
        facts.writeString(caller.issuer());
        facts.writeString(caller.subject());
        facts.writeString(caller.tenant().orElse(null));
        facts.writeString(caller.clientId().orElse(null));
        writeSorted(facts, caller.scopes());
        writeSorted(facts, caller.roles());
        if (caller.actor().isPresent()) {
            facts.writeBoolean(true);
            facts.writeString(caller.actor().get().subject());
            facts.writeString(caller.actor().get().clientId().orElse(null));
        } else {
            facts.writeBoolean(false);
        }
        facts.writeString(caller.method().name());
        facts.writeString(caller.tokenId().orElse(null));
        if (caller.expiresAt().isPresent()) {
            Instant expiresAt = caller.expiresAt().get();
            facts.writeBoolean(true);
            facts.writeLong(expiresAt.getEpochSecond());
            facts.writeLong(expiresAt.getNano());
        } else {
            facts.writeBoolean(false);
        }
        facts.writeString(caller.tokenType().orElse(null));
    }

    private static void writeSorted(ChainDecisionKeyDigest facts, java.util.Set<String> values) {
        String[] sorted = values.toArray(new String[0]);
        java.util.Arrays.sort(sorted);
        facts.writeLong(sorted.length);
        for (String value : sorted) {
            facts.writeString(value);
        }
    }

    Entry get(Key key) {
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
    synchronized void put(Key key, Decision decision, PolicyEvaluationRecorder.Evaluation evaluation,
                          long epochAtStart) {
        if (revisionChangedBy(decision.policyRevision())) {
            return;
        }
        if (epoch == epochAtStart) {
            cache.put(key, new Entry(decision, evaluation));
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
