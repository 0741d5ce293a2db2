package dev.mcpguard.core.identity;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import com.nimbusds.jose.jwk.JWK;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.spi.IdentityResolver.IdentityResult;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.LongAdder;

/**
 * Identities of bearer JWTs that {@link JwtIdentityResolver} verified, so a token presented again is not parsed
 * and its signature not checked again. What it keeps and for how long:
 *
 * <ul>
 *   <li><b>Key: a SHA-256 digest of the whole token</b>, never the token: a heap dump holds no usable credential,
 *       and a token differing in any character (a tampered payload or signature with the same prefix) has another
 *       digest and is verified from scratch. Digests are compared in constant time.</li>
 *   <li><b>Only verified tokens.</b> A token that fails any check is never stored; a stored entry holds the mapped
 *       {@link CallerIdentity}, the token's {@code exp} and {@code nbf}, and the keys that verified it.</li>
 *   <li><b>Never past {@code exp}.</b> An entry is served only while the injected clock is before the token's
 *       {@code exp} (and, when the token has an {@code nbf}, not before {@code nbf} minus the clock skew, so a clock
 *       set back does not serve it either); Caffeine drops it at {@code exp}, on the same clock. A token still
 *       accepted within the clock skew after its {@code exp} is verified afresh each time and not stored.</li>
 *   <li><b>Keys checked on every hit</b> by the resolver (see {@link JwtIdentityResolver}): an entry verified with
 *       a key the current key set no longer publishes is dropped.</li>
 *   <li><b>Bounded, and not by one caller.</b> At most {@code maximumSize} entries overall and at most
 *       {@code maximumPerPrincipal} per principal (issuer and subject): a principal's new token displaces that
 *       principal's oldest entry, never another principal's. Over the whole cache, Caffeine's W-TinyLFU admission
 *       keeps tokens in repeated use over tokens seen once, so a flood of fresh tokens (which needs the issuer to
 *       mint valid tokens for this audience, for many subjects) mostly fails admission instead of evicting
 *       everyone; what it can still cost others is a re-verification, never an acceptance.</li>
 * </ul>
 *
 * <p>Revocation is not this cache's concern: the transport filter and the chain ask the session registry on
 * every request, cached identity or not.
 *
 * <p>Thread-safe. Package-private: configured through {@link JwtIdentityResolver.Builder}.
 */
final class VerifiedTokenCache {

    /** Caffeine caps expiry at about 146 years; anything longer is "never" for a bearer token. */
    private static final long MAXIMUM_EXPIRY_NANOS = Long.MAX_VALUE >> 1;
    private static final MessageDigest SHA_256_PROTOTYPE = sha256();

    private final Clock clock;
    private final Duration clockSkew;
    private final int maximumPerPrincipal;
    private final Cache<TokenDigest, Entry> entries;
    /** The digests each principal has in {@link #entries}, oldest first; guarded by the map's per-key compute. */
    private final ConcurrentHashMap<String, ArrayDeque<TokenDigest>> byPrincipal = new ConcurrentHashMap<>();
    private final LongAdder hits = new LongAdder();

    VerifiedTokenCache(Clock clock, Duration clockSkew, int maximumSize, int maximumPerPrincipal) {
        this.clock = Objects.requireNonNull(clock, "clock");
        this.clockSkew = Objects.requireNonNull(clockSkew, "clockSkew");
        this.maximumPerPrincipal = maximumPerPrincipal;
        this.entries = Caffeine.newBuilder()
                .maximumSize(maximumSize)
                .expireAfter(new Expiry<TokenDigest, Entry>() {
                    @Override
                    public long expireAfterCreate(TokenDigest key, Entry entry, long now) {
                        return nanosUntil(entry.expiresAt, now);
                    }

                    @Override
                    public long expireAfterUpdate(TokenDigest key, Entry entry, long now, long current) {
                        return nanosUntil(entry.expiresAt, now);
                    }

                    @Override
                    public long expireAfterRead(TokenDigest key, Entry entry, long now, long current) {
                        return current;
                    }
                })
                .ticker(() -> toNanos(clock.instant()))
                // Run inside the removal, so the per-principal index never names an entry gone for long.
                .evictionListener((TokenDigest key, Entry entry, RemovalCause cause) -> {
                    if (key != null && entry != null) {
                        unindex(entry.principal, key);
                    }
                })
                // Maintenance on the caller's thread: deterministic under an injected clock, no pool.
                .executor(Runnable::run)
                .build();
    }

    /** The SHA-256 digest of {@code token}, which the caller may then clear. */
    static TokenDigest digest(byte[] token) {
        MessageDigest sha256;
        try {
            sha256 = (MessageDigest) SHA_256_PROTOTYPE.clone(); // cheaper than a provider lookup per call
        } catch (CloneNotSupportedException e) {
            sha256 = sha256();
        }
        return new TokenDigest(sha256.digest(token));
    }

    /** The entry for {@code digest} if it may be served now, by time; the resolver still checks its keys. */
    Entry get(TokenDigest digest) {
        Entry entry = entries.getIfPresent(digest);
        if (entry == null) {
            return null;
        }
        Instant now = clock.instant();
        if (!now.isBefore(entry.expiresAt)
                || (entry.notBefore != null && now.plus(clockSkew).isBefore(entry.notBefore))) {
            return null;
        }
        return entry;
    }

    /** Counts a served entry (after the key check passed); for tests and diagnostics. */
    void recordHit() {
        hits.increment();
    }

    /**
     * Stores a verified token's identity, unless it is already at or past its {@code exp}. Displaces the
     * principal's oldest entries beyond {@code maximumPerPrincipal}.
     */
    void put(TokenDigest digest, Entry entry) {
        if (!clock.instant().isBefore(entry.expiresAt)) {
            return;
        }
        List<TokenDigest> displaced = new ArrayList<>(1);
        byPrincipal.compute(entry.principal, (principal, digests) -> {
            ArrayDeque<TokenDigest> own = digests == null ? new ArrayDeque<>(2) : digests;
            if (!own.contains(digest)) {
                while (own.size() >= maximumPerPrincipal) {
                    displaced.add(own.removeFirst());
                }
                own.addLast(digest);
            }
            return own;
        });
        entries.put(digest, entry);
        // Never call into the cache inside compute(): its eviction listener calls back into byPrincipal.
        for (TokenDigest old : displaced) {
            entries.invalidate(old);
        }
        // A concurrent put of the same principal may have displaced this digest before it was stored.
        boolean[] indexed = new boolean[1];
        byPrincipal.computeIfPresent(entry.principal, (principal, digests) -> {
            indexed[0] = digests.contains(digest);
            return digests;
        });
        if (!indexed[0]) {
            entries.asMap().remove(digest, entry);
        }
    }

    /** Drops {@code entry} if it is still the one stored under {@code digest}. */
    void remove(TokenDigest digest, Entry entry) {
        if (entries.asMap().remove(digest, entry)) {
            unindex(entry.principal, digest);
        }
    }

    /** Drops every entry. */
    void clear() {
        entries.invalidateAll();
        byPrincipal.clear();
    }

    /** Entries served so far. */
    long hits() {
        return hits.sum();
    }

    /** Entries stored now (after pending maintenance). */
    long size() {
        entries.cleanUp();
        return entries.estimatedSize();
    }

    /** Entries of {@code issuer} and {@code subject} stored now. */
    int sizeOf(String issuer, String subject) {
        int[] size = new int[1];
        byPrincipal.computeIfPresent(principalOf(issuer, subject), (principal, own) -> {
            size[0] = own.size();
            return own;
        });
        return size[0];
    }

    static String principalOf(String issuer, String subject) {
        return issuer + '\u0000' + subject;
    }

    private void unindex(String principal, TokenDigest digest) {
        byPrincipal.computeIfPresent(principal, (key, digests) -> {
            digests.remove(digest);
            return digests.isEmpty() ? null : digests;
        });
    }

    private static long nanosUntil(Instant expiresAt, long nowNanos) {
        long expiresAtSecond = expiresAt.getEpochSecond();
        // Saturate far-future expiries instead of overflowing the nanosecond ticker.
        if (expiresAtSecond > (Long.MAX_VALUE / 1_000_000_000L) - 1) {
            return MAXIMUM_EXPIRY_NANOS;
        }
        long left = toNanos(expiresAt) - nowNanos;
        return Math.max(0, Math.min(left, MAXIMUM_EXPIRY_NANOS));
    }

    private static long toNanos(Instant instant) {
        return TimeUnit.SECONDS.toNanos(instant.getEpochSecond()) + instant.getNano();
    }

    private static MessageDigest sha256() {
        try {
            return MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }

    @Override
    public String toString() {
        return "VerifiedTokenCache[entries=" + entries.estimatedSize() + "]";
    }

    /** A SHA-256 digest of a token: equal in constant time, hashed by its first bytes (uniform). */
    static final class TokenDigest {
        private final byte[] digest;
        private final int hash;

        TokenDigest(byte[] digest) {
            this.digest = digest;
            this.hash = (digest[0] & 0xff) << 24 | (digest[1] & 0xff) << 16 | (digest[2] & 0xff) << 8
                    | (digest[3] & 0xff);
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof TokenDigest other && MessageDigest.isEqual(digest, other.digest);
        }

        @Override
        public int hashCode() {
            return hash;
        }

        @Override
        public String toString() {
            return "TokenDigest[redacted]";
        }
    }

    /**
     * A verified token's identity and what decides whether it may still be served: {@code exp}, {@code nbf}, the
     * keys that verified it and the key set they were taken from ({@code keySet}, re-stamped when a later key set
     * still holds them).
     */
    static final class Entry {
        final IdentityResult.Authenticated result;
        final String principal;
        final Instant expiresAt;
        final Instant notBefore;
        final List<JWK> keys;
        volatile Object keySet;

        Entry(IdentityResult.Authenticated result, Instant expiresAt, Instant notBefore, List<JWK> keys,
              Object keySet) {
            this.result = result;
            CallerIdentity identity = result.identity();
            this.principal = principalOf(identity.issuer(), identity.subject());
            this.expiresAt = expiresAt;
            this.notBefore = notBefore;
            this.keys = List.copyOf(keys);
            this.keySet = keySet;
        }

        @Override
        public String toString() {
            return "Entry[expiresAt=" + expiresAt + "]";
        }
    }
}
