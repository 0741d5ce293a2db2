package dev.mcpguard.core.identity;

import com.nimbusds.jose.KeySourceException;
import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.jwk.JWKSelector;
import com.nimbusds.jose.jwk.JWKSet;
import com.nimbusds.jose.jwk.source.JWKSetUnavailableException;
import com.nimbusds.jose.jwk.source.JWKSource;
import com.nimbusds.jose.proc.SecurityContext;
import com.nimbusds.jose.util.ResourceRetriever;
import dev.mcpguard.core.internal.ClientText;
import java.io.IOException;
import java.net.URL;
import java.text.ParseException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.SynchronousQueue;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The issuer's JWKS, fetched over HTTP and cached, built so that no caller can keep a rotated key out.
 *
 * <ul>
 *   <li><b>Cache with refresh-ahead.</b> A fetched set is used for {@code ttl}. Once it is older than
 *       {@code ttl - refreshAhead} the next lookup starts a background refetch and keeps answering from the cached
 *       set; only a set past its {@code ttl} (or none yet) makes lookups wait for a fetch. A failed refresh keeps
 *       the cached set until it expires; an expired set is never used (fail closed).</li>
 *   <li><b>Unknown key id.</b> A token whose {@code kid} is not in the cached set triggers a refetch, at most one
 *       fetch per {@code minRefetchInterval} over all callers, single-flight (callers arriving while a fetch is in
 *       flight wait for it; callers arriving when the budget is spent are answered "no key" at once, never
 *       blocked). Every fetch downloads the whole current set, so whoever spends the budget, a genuinely new key
 *       is in the cache at the latest {@code minRefetchInterval} plus one fetch after the issuer published it.</li>
 *   <li><b>Negative memory.</b> A {@code kid} still unknown after a fetch that started after it was seen is
 *       remembered for {@code unknownKeyIdMemory} and answered "no key" without a fetch; other key ids are not
 *       affected. The memory is bounded; when full it is emptied, which only costs (rate-limited) refetches.</li>
 *   <li>{@link #flush()} drops the cached set, the memory and the rate-limit window (operator action after a key
 *       compromise at the issuer).</li>
 * </ul>
 *
 * <p>Times come from the injected {@link Clock}. Thread-safe. Package-private: {@link JwtIdentityResolver} is the
 * public face.
 */
final class RefreshingJwkSetSource implements JWKSource<SecurityContext> {

    /** Bound on remembered unknown key ids. */
    static final int MAX_REMEMBERED_UNKNOWN_KEY_IDS = 4096;
    /** Longer key ids are not remembered (they are still rate-limited). */
    static final int MAX_REMEMBERED_KEY_ID_LENGTH = 256;

    private static final Logger log = LoggerFactory.getLogger(RefreshingJwkSetSource.class);
    private static final String NO_KEY_ID = "\u0000no-kid";

    private final JwksLocation location;
    private final ResourceRetriever retriever;
    private final Clock clock;
    private final Duration ttl;
    private final Duration refreshAhead;
    private final Duration minRefetchInterval;
    private final Duration unknownKeyIdMemory;
    private final Duration fetchWaitBound;
    private final ThreadPoolExecutor background;

    private final Object lock = new Object();
    private volatile Snapshot snapshot;
    /** Guarded by {@link #lock}. */
    private Instant lastFetchStart;
    /** Guarded by {@link #lock}. */
    private CompletableFuture<Snapshot> inFlight;
    /** Bumped by {@link #flush()}, so a fetch that started before a flush cannot reinstate its keys. Guarded by {@link #lock}. */
    private long generation;
    private final Map<String, Instant> unknownKeyIds = new ConcurrentHashMap<>();

    RefreshingJwkSetSource(URL url, ResourceRetriever retriever, Clock clock, Duration ttl,
                           Duration minRefetchInterval, Duration unknownKeyIdMemory, Duration fetchWaitBound) {
        this(JwksLocation.fixed(url), retriever, clock, ttl, minRefetchInterval, unknownKeyIdMemory, fetchWaitBound);
    }

    /**
     * A source whose JWKS URL is looked up before each fetch ({@code location}), so a URL read from the issuer's
     * metadata is refreshed with the keys; a failed lookup is a failed fetch (fail closed, retried later).
     */
    RefreshingJwkSetSource(JwksLocation location, ResourceRetriever retriever, Clock clock, Duration ttl,
                           Duration minRefetchInterval, Duration unknownKeyIdMemory, Duration fetchWaitBound) {
        this.location = Objects.requireNonNull(location, "location");
        this.retriever = Objects.requireNonNull(retriever, "retriever");
        this.clock = Objects.requireNonNull(clock, "clock");
        this.ttl = Objects.requireNonNull(ttl, "ttl");
        this.refreshAhead = refreshAheadFor(ttl);
        this.minRefetchInterval = Objects.requireNonNull(minRefetchInterval, "minRefetchInterval");
        this.unknownKeyIdMemory = Objects.requireNonNull(unknownKeyIdMemory, "unknownKeyIdMemory");
        this.fetchWaitBound = Objects.requireNonNull(fetchWaitBound, "fetchWaitBound");
        // At most one background thread, created on demand and gone after 30 s idle: nothing to close.
        this.background = new ThreadPoolExecutor(0, 1, 30, TimeUnit.SECONDS, new SynchronousQueue<>(), runnable -> {
            Thread thread = new Thread(runnable, "mcp-guard-jwks-refresh");
            thread.setDaemon(true);
            return thread;
        });
    }

    /** How long before expiry the background refresh starts: a fifth of the TTL, at most one minute. */
    static Duration refreshAheadFor(Duration ttl) {
        Duration fifth = ttl.dividedBy(5);
        return fifth.compareTo(Duration.ofMinutes(1)) > 0 ? Duration.ofMinutes(1) : fifth;
    }

    @Override
    public List<JWK> get(JWKSelector selector, SecurityContext context) throws KeySourceException {
        Instant seen = clock.instant();
        Snapshot current = usableSnapshot(seen);
        List<JWK> matches = selector.select(current.keys());
        if (!matches.isEmpty()) {
            return answeredFrom(current, matches, context);
        }
        String keyId = keyIdOf(selector);
        if (isRememberedAsUnknown(keyId, seen)) {
            return List.of();
        }
        Snapshot fresh = fetch(true, true);
        if (fresh == null) {
            // No budget for a fetch of our own; another caller's fetch may have landed since we looked.
            Snapshot latest = snapshot;
            if (latest != null && latest != current) {
                return answeredFrom(latest, selector.select(latest.keys()), context);
            }
            log.debug("Unknown JWT key id {}: refetch budget spent, rejecting", ClientText.forLog(keyId, 80));
            return List.of();
        }
        matches = selector.select(fresh.keys());
        if (matches.isEmpty() && !fresh.fetchStartedAt().isBefore(seen)) {
            remember(keyId, fresh.fetchStartedAt());
        }
        return answeredFrom(fresh, matches, context);
    }

    /**
     * The key set in use now, as a lookup would find it (refreshed ahead, fetched when expired), if it still
     * holds every one of {@code keys}; null if one of them is no longer published. {@code verifiedAgainst} is the
     * set the keys were taken from ({@link VerificationContext#keySet()}): while it is still the set in use, the
     * answer costs no key comparison.
     *
     * @throws KeySourceException when no usable key set can be had (expired and not refetched): fail closed
     */
    Object currentKeySetHolding(Object verifiedAgainst, List<JWK> keys, Instant now) throws KeySourceException {
        Snapshot current = usableSnapshot(now);
        if (current == verifiedAgainst) {
            return current;
        }
        List<JWK> published = current.keys().getKeys();
        for (JWK key : keys) {
            if (!published.contains(key)) {
                return null;
            }
        }
        return current;
    }

    private static List<JWK> answeredFrom(Snapshot from, List<JWK> matches, SecurityContext context) {
        if (context instanceof VerificationContext verification) {
            verification.keySet(from);
        }
        return matches;
    }

    /** Drops cached keys, remembered unknown key ids and the rate-limit window; the next lookup fetches. */
    void flush() {
        synchronized (lock) {
            snapshot = null;
            lastFetchStart = null;
            inFlight = null;
            generation++;
        }
        unknownKeyIds.clear();
        log.info("JWKS cache of {} flushed", location);
    }

    private Snapshot usableSnapshot(Instant now) throws KeySourceException {
        Snapshot current = snapshot;
        if (current == null || !now.isBefore(current.fetchedAt().plus(ttl))) {
            Snapshot fetched = fetch(true, true);
            if (fetched == null) {
                Snapshot latest = snapshot;
                if (latest != null && now.isBefore(latest.fetchedAt().plus(ttl))) {
                    return latest; // another caller's fetch landed meanwhile
                }
                throw new JWKSetUnavailableException("JWKS expired and the last fetch failed within the refetch interval");
            }
            return fetched;
        }
        if (!now.isBefore(current.fetchedAt().plus(ttl).minus(refreshAhead))) {
            try {
                fetch(true, false);
            } catch (KeySourceException e) {
                // Background refresh could not be started; the cached set is still valid.
            }
        }
        return current;
    }

    /**
     * Fetches the set, single-flight. {@code rateLimited}: start no new fetch within {@code minRefetchInterval}
     * of the previous one. {@code wait}: block for the result (bounded), otherwise fetch in the background.
     * Returns the new snapshot, or null when no fetch was started and none is in flight, or when not waiting.
     */
    private Snapshot fetch(boolean rateLimited, boolean wait) throws KeySourceException {
        CompletableFuture<Snapshot> future;
        boolean mine = false;
        Instant startedAt;
        long startedInGeneration;
        synchronized (lock) {
            startedInGeneration = generation;
            if (inFlight != null) {
                future = inFlight;
                startedAt = null;
            } else {
                startedAt = clock.instant();
                if (rateLimited && lastFetchStart != null
                        && startedAt.isBefore(lastFetchStart.plus(minRefetchInterval))) {
                    return null;
                }
                lastFetchStart = startedAt;
                future = new CompletableFuture<>();
                inFlight = future;
                mine = true;
            }
        }
        if (mine) {
            CompletableFuture<Snapshot> owned = future;
            Instant start = startedAt;
            long fetchGeneration = startedInGeneration;
            if (wait) {
                download(owned, start, fetchGeneration);
            } else {
                try {
                    background.execute(() -> download(owned, start, fetchGeneration));
                } catch (RejectedExecutionException e) {
                    download(owned, start, fetchGeneration);
                }
            }
        }
        if (!wait) {
            return null;
        }
        try {
            return future.get(fetchWaitBound.toMillis(), TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new JWKSetUnavailableException("interrupted while waiting for the JWKS");
        } catch (TimeoutException e) {
            throw new JWKSetUnavailableException("JWKS fetch did not complete in " + fetchWaitBound);
        } catch (ExecutionException e) {
            throw e.getCause() instanceof KeySourceException cause ? cause
                    : new JWKSetUnavailableException("JWKS fetch failed", e.getCause());
        }
    }

    private void download(CompletableFuture<Snapshot> future, Instant startedAt, long fetchGeneration) {
        try {
            JWKSet keys = JWKSet.parse(retriever.retrieveResource(location.jwksUrl()).getContent())
                    .toPublicJWKSet();
            Snapshot fetched = new Snapshot(keys, clock.instant(), startedAt);
            synchronized (lock) {
                if (generation == fetchGeneration) {
                    snapshot = fetched; // a fetch begun before a flush may hold a withdrawn key: not cached
                }
                if (inFlight == future) {
                    inFlight = null;
                }
            }
            future.complete(fetched);
        } catch (IOException | ParseException | RuntimeException e) {
            synchronized (lock) {
                if (inFlight == future) {
                    inFlight = null;
                }
            }
            // Only our own metadata exceptions carry a message (written by us, no document content).
            log.warn("Fetching the JWKS from {} failed ({}); cached keys, if any, are used until they expire",
                    location, e instanceof IssuerMetadataSource.IssuerMetadataException ? e.getMessage()
                            : e.getClass().getSimpleName());
            future.completeExceptionally(new JWKSetUnavailableException("JWKS fetch failed: "
                    + e.getClass().getSimpleName()));
        }
    }

    private boolean isRememberedAsUnknown(String keyId, Instant now) {
        Instant until = unknownKeyIds.get(keyId);
        if (until == null) {
            return false;
        }
        if (now.isBefore(until)) {
            return true;
        }
        unknownKeyIds.remove(keyId, until);
        return false;
    }

    private void remember(String keyId, Instant fetchedAt) {
        if (keyId.length() > MAX_REMEMBERED_KEY_ID_LENGTH) {
            return;
        }
        if (unknownKeyIds.size() >= MAX_REMEMBERED_UNKNOWN_KEY_IDS) {
            unknownKeyIds.clear();
        }
        unknownKeyIds.put(keyId, fetchedAt.plus(unknownKeyIdMemory));
    }

    private static String keyIdOf(JWKSelector selector) {
        Set<String> keyIds = selector.getMatcher().getKeyIDs();
        if (keyIds == null || keyIds.isEmpty()) {
            return NO_KEY_ID;
        }
        return keyIds.iterator().next();
    }

    @Override
    public String toString() {
        return "RefreshingJwkSetSource[" + location + "]";
    }

    /** Where the JWKS is fetched from, looked up before each fetch. */
    interface JwksLocation {
        /** The URL to fetch now. */
        URL jwksUrl() throws IOException;

        /** Always {@code url}. */
        static JwksLocation fixed(URL url) {
            Objects.requireNonNull(url, "url");
            return new JwksLocation() {
                @Override
                public URL jwksUrl() {
                    return url;
                }

                @Override
                public String toString() {
                    return url.toString();
                }
            };
        }
    }

    /** A fetched set, when it arrived and when its fetch started. */
    private record Snapshot(JWKSet keys, Instant fetchedAt, Instant fetchStartedAt) {
    }
}
