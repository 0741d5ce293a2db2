package dev.mcpguard.core.session;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import com.github.benmanes.caffeine.cache.RemovalCause;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.spi.SessionRegistry;
import dev.mcpguard.core.internal.ClientText;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link SessionRegistry} for the sessions of one process: session id to the principal that opened it, when,
 * and when it was last used, in a bounded Caffeine cache; with revocation and an administrative view
 * ({@link SessionAdmin}).
 *
 * <p>Lifecycle, all measured with the injected {@link Clock}:
 * <ul>
 *   <li>idle timeout: a session not used for that long is refused ({@link SessionCheck.Unknown}) and removed;</li>
 *   <li>absolute lifetime: a session older than that is refused and removed however busy it is;</li>
 *   <li>revocation: a session whose id, subject, tenant or token id is on the {@link RevocationList} is refused
 *       and removed on its next request; {@link #isRevoked} refuses revoked callers also without a session.</li>
 * </ul>
 * A refused session makes the HTTP filter answer 404, so the MCP client re-initializes (and is authenticated
 * afresh). The MCP SDK offers no per-session close on its servlet transport, so the SDK's own session object
 * stays until the SDK drops it; no request reaches it after refusal.
 *
 * <p>Limits, so that one principal cannot crowd out the others:
 * <ul>
 *   <li>per principal ({@link CallerIdentity#principalKey()}): at most {@code maximumSessionsPerPrincipal} live
 *       sessions (default {@value #DEFAULT_MAXIMUM_SESSIONS_PER_PRINCIPAL}). A principal at its cap that opens
 *       another session ends its own least recently used one ({@link EndReason#EVICTED}); nobody else's;</li>
 *   <li>in all: at most {@code maximumSize} sessions (default {@value #DEFAULT_MAXIMUM_SIZE}). At that bound a new
 *       session is refused ({@link #admitsNewSession} is false, {@link #bind} throws); no live session of anyone
 *       is evicted to make room.</li>
 * </ul>
 *
 * <p>Ends are reported to the listeners added with {@link #addEndListener} (the HTTP filter ends the session's
 * open streams, {@code McpSessionCloser} frees the MCP SDK's session): DELETE, idle timeout, lifetime,
 * revocation, eviction at the cap. Sessions that expire or are revoked on another replica while nobody uses
 * them are found by {@link #sweep}, which a daemon thread runs every {@code sweepInterval} (default
 * {@value #DEFAULT_SWEEP_SECONDS} s) once a listener is added; {@link #close} stops it.
 *
 * <p>Thread-safe. Arguments are never null; a session id must be 1 to 256 visible ASCII characters (as MCP
 * requires), otherwise {@link #bind} throws and {@link #check} answers {@code Unknown}.
 * <pre>{@code
 * InMemorySessionRegistry sessions = InMemorySessionRegistry.builder()
 *     .idleTimeout(Duration.ofMinutes(30))
 *     .absoluteLifetime(Duration.ofHours(8))
 *     .revocations(RedisRevocationList.builder("redis://10.0.0.5:6379").build())   // many replicas
 *     .build();
 * }</pre>
 */
public final class InMemorySessionRegistry implements SessionRegistry, SessionAdmin, AutoCloseable {

    /**
     * A use closer than this to the recorded last use is not written again: the filter and the chain check the
     * same session within microseconds on every call. The idle timeout can therefore end a session up to this
     * much sooner than configured, never later.
     */
    static final long LAST_SEEN_GRANULARITY_NANOS = 1_000_000;
    private static final SessionCheck VALID = new SessionCheck.Valid();
    private static final SessionCheck UNKNOWN = new SessionCheck.Unknown();

    /** The maximum number of bindings kept when none is configured. */
    public static final long DEFAULT_MAXIMUM_SIZE = 100_000;
    /** The most live sessions one principal may hold when none is configured. */
    public static final int DEFAULT_MAXIMUM_SESSIONS_PER_PRINCIPAL = 16;
    /** How often, in seconds, expired and revoked sessions are looked for when not configured. */
    public static final int DEFAULT_SWEEP_SECONDS = 5;
    /** How long a revocation is kept when not configured: longer than typical access-token lifetimes. */
    public static final Duration DEFAULT_REVOCATION_RETENTION = Duration.ofHours(24);

    private static final Logger log = LoggerFactory.getLogger(InMemorySessionRegistry.class);
    private static final int MAX_SESSION_ID_LENGTH = 256;
    private static final long NEVER = Long.MAX_VALUE;
    private static final String SWEEPER_THREAD_PREFIX = "mcp-guard-session-sweeper-";
    private static final AtomicLong SWEEPER_THREADS = new AtomicLong();

    private final Cache<String, Binding> bindings;
    /** Session ids per principal key; changed only inside compute, so each principal's set is consistent. */
    private final Map<String, Set<String>> sessionsByPrincipal = new ConcurrentHashMap<>();
    private final AtomicLong liveSessions = new AtomicLong();
    /** Serializes bind, so that the caps are checked and taken atomically; removals need no lock. */
    private final Object bindLock = new Object();
    private final List<SessionEndListener> listeners = new CopyOnWriteArrayList<>();
    private final Clock clock;
    private final Optional<Duration> idleTimeout;
    private final Optional<Duration> absoluteLifetime;
    private final RevocationList revocations;
    private final Duration revocationRetention;
    private final long maximumSize;
    private final int maximumSessionsPerPrincipal;
    private final Duration sweepInterval;
    private ScheduledExecutorService sweeper; // guarded by this
    private boolean closed; // guarded by this

    private InMemorySessionRegistry(Builder b) {
        this.clock = b.clock;
        this.maximumSize = b.maximumSize;
        this.maximumSessionsPerPrincipal = b.maximumSessionsPerPrincipal;
        this.sweepInterval = b.sweepInterval;
        this.idleTimeout = b.idleTimeout;
        this.absoluteLifetime = b.absoluteLifetime;
        this.revocations = b.revocations != null ? b.revocations : new InMemoryRevocationList(b.clock);
        this.revocationRetention = b.revocationRetention;
        // No size bound in the cache: at the bound new sessions are refused, live ones are never evicted.
        this.bindings = Caffeine.newBuilder()
                .expireAfter(new Expiry<String, Binding>() {
                    @Override
                    public long expireAfterCreate(String id, Binding binding, long now) {
                        return nanosLeft(binding, now);
                    }

                    @Override
                    public long expireAfterUpdate(String id, Binding binding, long now, long current) {
                        return nanosLeft(binding, now);
                    }

                    @Override
                    public long expireAfterRead(String id, Binding binding, long now, long current) {
                        return nanosLeft(binding, now);
                    }
                })
                .ticker(() -> toNanos(clock.instant()))
                // Explicit removals are reported where they happen, with their reason; expiry is reported here.
                .removalListener((String id, Binding binding, RemovalCause cause) -> {
                    if (cause == RemovalCause.EXPIRED && id != null && binding != null) {
                        unindexed(id, binding, expiryReason(binding));
                    }
                })
                // Maintenance on the caller's thread so expiry is deterministic and needs no pool.
                .executor(Runnable::run)
                .build();
    }

    /** Starts a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** A registry with the default maximum size, no idle timeout or lifetime, and in-memory revocations. */
    public static InMemorySessionRegistry ofDefaults() {
        return builder().build();
    }

    /**
     * {@inheritDoc}
     *
     * <p>Binding an id again to the same principal is a no-op; to another principal it throws
     * {@link IllegalStateException} and leaves the existing binding in place.
     */
    @Override
    public void bind(String sessionId, CallerIdentity principal) {
        Objects.requireNonNull(principal, "principal");
        if (!isValidSessionId(sessionId)) {
            throw new IllegalArgumentException("session id must be 1 to " + MAX_SESSION_ID_LENGTH
                    + " visible ASCII characters");
        }
        Instant now = clock.instant();
        Binding wanted = new Binding(principal.principalKey(), principal.issuer(), principal.subject(),
                principal.tenant(), principal.tokenId(), now, now);
        String evicted = null;
        synchronized (bindLock) {
            Binding existing = bindings.getIfPresent(sessionId);
            if (existing != null) {
                if (!existing.principalKey().equals(wanted.principalKey())) {
                    // Neither the session id nor the other principal goes into the message: it may reach a client.
                    throw new IllegalStateException("session id is already bound to another principal");
                }
                return;
            }
            List<String> own = sessionIdsOf(wanted.principalKey());
            if (own.size() >= maximumSessionsPerPrincipal) {
                evicted = endLeastRecentlyUsed(own);
            } else if (liveSessions.get() >= maximumSize) {
                bindings.cleanUp();
                if (liveSessions.get() >= maximumSize) {
                    log.warn("Refused a new MCP session of subject {}: {} sessions live, the maximum",
                            ClientText.forLog(principal.subject()), maximumSize);
                    notifyEnded(sessionId, EndReason.REFUSED);
                    throw new IllegalStateException("too many live sessions on this server");
                }
            }
            if (bindings.asMap().putIfAbsent(sessionId, wanted) != null) {
                throw new IllegalStateException("session id was bound concurrently");
            }
            sessionsByPrincipal.compute(wanted.principalKey(), (key, ids) -> {
                Set<String> set = ids == null ? new HashSet<>() : ids;
                set.add(sessionId);
                return set;
            });
            liveSessions.incrementAndGet();
        }
        if (evicted != null) {
            log.info("Ended the least recently used MCP session of subject {}: {} sessions is the cap per principal",
                    ClientText.forLog(principal.subject()), maximumSessionsPerPrincipal);
            notifyEnded(evicted, EndReason.EVICTED);
        }
        log.debug("Bound MCP session to subject {}", ClientText.forLog(principal.subject()));
    }

    /**
     * {@inheritDoc}
     *
     * <p>True while fewer than {@code maximumSize} sessions are live, and always for a principal at its own cap
     * (its new session replaces its least recently used one, so the total does not grow).
     */
    @Override
    public boolean admitsNewSession(CallerIdentity principal) {
        Objects.requireNonNull(principal, "principal");
        if (sessionIdsOf(principal.principalKey()).size() >= maximumSessionsPerPrincipal
                || liveSessions.get() < maximumSize) {
            return true;
        }
        bindings.cleanUp();
        return liveSessions.get() < maximumSize;
    }

    /**
     * {@inheritDoc}
     *
     * <p>Always true. Adding the first listener starts the sweeper (see {@link #sweep}).
     */
    @Override
    public boolean addEndListener(SessionEndListener listener) {
        listeners.add(Objects.requireNonNull(listener, "listener"));
        startSweeper();
        return true;
    }

    /**
     * Ends, now, every session that is past its idle timeout or lifetime, or whose id, subject, tenant or token
     * (the one it was opened with) is revoked, also by a revocation that arrived from another replica; the end
     * listeners are told. Sessions are otherwise checked only when they are used, so without a sweep an unused
     * session with an open stream would stay until its next request. Run every {@code sweepInterval} by a daemon
     * thread once a listener is added; safe to call at any time from any thread.
     */
    public void sweep() {
        bindings.cleanUp();
        Instant now = clock.instant();
        for (Map.Entry<String, Binding> entry : bindings.asMap().entrySet()) {
            EndReason reason = endReason(entry.getKey(), entry.getValue(), null, now);
            if (reason != null && bindings.asMap().remove(entry.getKey(), entry.getValue())) {
                log.info("Ended MCP session of subject {}: {}", ClientText.forLog(entry.getValue().subject()),
                        describe(reason));
                unindexed(entry.getKey(), entry.getValue(), reason);
            }
        }
    }

    /** Stops the sweeper thread, if one runs. Sessions and revocations stay usable. Idempotent. */
    @Override
    public synchronized void close() {
        closed = true;
        if (sweeper != null) {
            sweeper.shutdownNow();
            sweeper = null;
        }
    }

    @Override
    public SessionCheck check(String sessionId, CallerIdentity principal) {
        Objects.requireNonNull(principal, "principal");
        if (!isValidSessionId(sessionId)) {
            return UNKNOWN;
        }
        Binding binding = bindings.getIfPresent(sessionId);
        if (binding == null) {
            return UNKNOWN;
        }
        Instant now = clock.instant();
        EndReason ended = endReason(sessionId, binding, principal, now);
        if (ended != null) {
            if (bindings.asMap().remove(sessionId, binding)) {
                log.info("Refused and removed MCP session of subject {}: {}", ClientText.forLog(binding.subject()),
                        describe(ended));
                unindexed(sessionId, binding, ended);
            }
            return UNKNOWN;
        }
        if (!isKeyOf(binding.principalKey(), principal)) {
            return new SessionCheck.PrincipalMismatch(binding.subject());
        }
        if (toNanos(now) - toNanos(binding.lastSeen()) >= LAST_SEEN_GRANULARITY_NANOS) {
            bindings.asMap().replace(sessionId, binding, binding.seenAt(now));
        }
        return VALID;
    }

    @Override
    public void end(String sessionId) {
        if (isValidSessionId(sessionId)) {
            endNow(sessionId, EndReason.DELETED);
        }
    }

    @Override
    public boolean isRevoked(CallerIdentity caller) {
        Objects.requireNonNull(caller, "caller");
        return revocations.covers(caller);
    }

    // ---------------------------------------------------------------- SessionAdmin

    @Override
    public List<SessionInfo> sessions() {
        bindings.cleanUp();
        return bindings.asMap().entrySet().stream()
                .map(e -> new SessionInfo(e.getKey(), e.getValue().issuer(), e.getValue().subject(),
                        e.getValue().tenant(), e.getValue().created(), e.getValue().lastSeen()))
                .toList();
    }

    @Override
    public void revokeSession(String sessionId) {
        Objects.requireNonNull(sessionId, "sessionId");
        revoke(Revocation.Kind.SESSION, sessionId);
        endNow(sessionId, EndReason.REVOKED);
    }

    @Override
    public void revokeSubject(String subject) {
        Objects.requireNonNull(subject, "subject");
        revoke(Revocation.Kind.SUBJECT, subject);
        endRevoked(b -> b.subject().equals(subject));
    }

    @Override
    public void revokeTenant(String tenant) {
        Objects.requireNonNull(tenant, "tenant");
        revoke(Revocation.Kind.TENANT, tenant);
        endRevoked(b -> b.tenant().filter(tenant::equals).isPresent());
    }

    @Override
    public void revokeToken(String tokenId) {
        Objects.requireNonNull(tokenId, "tokenId");
        revoke(Revocation.Kind.TOKEN, tokenId);
        endRevoked(b -> b.tokenId().filter(tokenId::equals).isPresent());
    }

    @Override
    public List<Revocation> revocations() {
        return revocations.entries();
    }

    /** The number of live bindings, for metrics. */
    public long size() {
        bindings.cleanUp();
        return liveSessions.get();
    }

    /** The number of live sessions of {@code principal}, for metrics and tests. */
    public int sessionCount(CallerIdentity principal) {
        Objects.requireNonNull(principal, "principal");
        bindings.cleanUp();
        return sessionIdsOf(principal.principalKey()).size();
    }

    private List<String> sessionIdsOf(String principalKey) {
        List<String> ids = new ArrayList<>();
        sessionsByPrincipal.computeIfPresent(principalKey, (key, set) -> {
            ids.addAll(set);
            return set;
        });
        return ids;
    }

    /** Removes the least recently used of {@code ids} (one principal's sessions); returns its id, or null. */
    private String endLeastRecentlyUsed(List<String> ids) {
        String oldestId = null;
        Binding oldest = null;
        for (String id : ids) {
            Binding b = bindings.getIfPresent(id);
            if (b != null && (oldest == null || b.lastSeen().isBefore(oldest.lastSeen()))) {
                oldestId = id;
                oldest = b;
            }
        }
        if (oldest != null && bindings.asMap().remove(oldestId, oldest)) {
            unindex(oldestId, oldest);
            return oldestId;
        }
        return null;
    }

    private void endNow(String sessionId, EndReason reason) {
        Binding removed = bindings.asMap().remove(sessionId);
        if (removed != null) {
            unindexed(sessionId, removed, reason);
        }
    }

    private void endRevoked(java.util.function.Predicate<Binding> revoked) {
        for (Map.Entry<String, Binding> entry : bindings.asMap().entrySet()) {
            if (revoked.test(entry.getValue()) && bindings.asMap().remove(entry.getKey(), entry.getValue())) {
                unindexed(entry.getKey(), entry.getValue(), EndReason.REVOKED);
            }
        }
    }

    /** Called exactly once per binding that left the cache: updates the counts and tells the listeners. */
    private void unindexed(String sessionId, Binding binding, EndReason reason) {
        unindex(sessionId, binding);
        notifyEnded(sessionId, reason);
    }

    private void unindex(String sessionId, Binding binding) {
        sessionsByPrincipal.computeIfPresent(binding.principalKey(), (key, set) -> {
            if (set.remove(sessionId)) {
                liveSessions.decrementAndGet();
            }
            return set.isEmpty() ? null : set;
        });
    }

    private void notifyEnded(String sessionId, EndReason reason) {
        for (SessionEndListener listener : listeners) {
            try {
                listener.sessionEnded(sessionId, reason);
            } catch (RuntimeException e) {
                log.warn("Session end listener {} threw {}; the other listeners are still told",
                        listener.getClass().getName(), e.getClass().getName());
            }
        }
    }

    private synchronized void startSweeper() {
        if (sweeper != null || closed) {
            return;
        }
        sweeper = Executors.newSingleThreadScheduledExecutor(runnable -> {
            Thread thread = new Thread(runnable, SWEEPER_THREAD_PREFIX + SWEEPER_THREADS.incrementAndGet());
            thread.setDaemon(true);
            return thread;
        });
        long millis = sweepInterval.toMillis();
        sweeper.scheduleWithFixedDelay(this::sweepLogged, millis, millis, TimeUnit.MILLISECONDS);
    }

    private void sweepLogged() {
        try {
            sweep();
        } catch (RuntimeException e) {
            log.warn("Session sweep failed with {}; retrying in {}", e.getClass().getName(), sweepInterval);
        }
    }

    private EndReason expiryReason(Binding binding) {
        Instant now = clock.instant();
        if (absoluteLifetime.isPresent() && !now.isBefore(binding.created().plus(absoluteLifetime.get()))) {
            return EndReason.LIFETIME_REACHED;
        }
        return EndReason.IDLE_TIMEOUT;
    }

    private static String describe(EndReason reason) {
        return switch (reason) {
            case IDLE_TIMEOUT -> "idle timeout";
            case LIFETIME_REACHED -> "absolute lifetime reached";
            case REVOKED -> "revoked";
            default -> reason.name().toLowerCase(java.util.Locale.ROOT);
        };
    }

    private void revoke(Revocation.Kind kind, String value) {
        revocations.add(new Revocation(kind, value, clock.instant().plus(revocationRetention)));
        log.info("Revoked {} (entry kept for {})", kind, revocationRetention);
    }

    /**
     * Why the session must end now, or null when it may continue. {@code principal} is the caller using it, or
     * null when sweeping (then the token the session was opened with is checked).
     */
    private EndReason endReason(String sessionId, Binding binding, CallerIdentity principal, Instant now) {
        if (idleTimeout.isPresent() && !now.isBefore(binding.lastSeen().plus(idleTimeout.get()))) {
            return EndReason.IDLE_TIMEOUT;
        }
        if (absoluteLifetime.isPresent() && !now.isBefore(binding.created().plus(absoluteLifetime.get()))) {
            return EndReason.LIFETIME_REACHED;
        }
        if (revocations.contains(Revocation.Kind.SESSION, sessionId)
                || revocations.contains(Revocation.Kind.SUBJECT, binding.subject())
                || binding.tenant().map(t -> revocations.contains(Revocation.Kind.TENANT, t)).orElse(false)
                || binding.tokenId().map(t -> revocations.contains(Revocation.Kind.TOKEN, t)).orElse(false)
                || (principal != null && revocations.covers(principal))) {
            return EndReason.REVOKED;
        }
        return null;
    }

    private long nanosLeft(Binding binding, long nowNanos) {
        long left = NEVER;
        if (idleTimeout.isPresent()) {
            left = Math.min(left, toNanos(binding.lastSeen().plus(idleTimeout.get())) - nowNanos);
        }
        if (absoluteLifetime.isPresent()) {
            left = Math.min(left, toNanos(binding.created().plus(absoluteLifetime.get())) - nowNanos);
        }
        return Math.max(left, 0);
    }

    private static long toNanos(Instant instant) {
        return instant.getEpochSecond() * 1_000_000_000L + instant.getNano();
    }

    /**
     * Whether {@code key} equals {@code principal.principalKey()}, compared part by part so that the session check
     * on every request builds no string.
     */
    static boolean isKeyOf(String key, CallerIdentity principal) {
        String issuer = principal.issuer();
        String subject = principal.subject();
        String clientId = principal.clientId().orElse("");
        String actor = principal.actor().isPresent() ? principal.actor().get().subject() : "";
        if (key.length() != issuer.length() + subject.length() + clientId.length() + actor.length() + 3) {
            return false;
        }
        int at = 0;
        for (String part : new String[] {issuer, subject, clientId}) {
            if (!key.regionMatches(at, part, 0, part.length()) || key.charAt(at + part.length()) != '\u0000') {
                return false;
            }
            at += part.length() + 1;
        }
        return key.regionMatches(at, actor, 0, actor.length());
    }

    private static boolean isValidSessionId(String sessionId) {
        Objects.requireNonNull(sessionId, "sessionId");
        if (sessionId.isEmpty() || sessionId.length() > MAX_SESSION_ID_LENGTH) {
            return false;
        }
        for (int i = 0; i < sessionId.length(); i++) {
            char c = sessionId.charAt(i);
            if (c < 0x21 || c > 0x7e) {
                return false;
            }
        }
        return true;
    }

    private record Binding(String principalKey, String issuer, String subject, Optional<String> tenant,
                           Optional<String> tokenId, Instant created, Instant lastSeen) {
        Binding seenAt(Instant now) {
            return new Binding(principalKey, issuer, subject, tenant, tokenId, created, now);
        }
    }

    /** Builds an {@link InMemorySessionRegistry}. Not thread-safe. */
    public static final class Builder {
        private long maximumSize = DEFAULT_MAXIMUM_SIZE;
        private int maximumSessionsPerPrincipal = DEFAULT_MAXIMUM_SESSIONS_PER_PRINCIPAL;
        private Duration sweepInterval = Duration.ofSeconds(DEFAULT_SWEEP_SECONDS);
        private Optional<Duration> idleTimeout = Optional.empty();
        private Optional<Duration> absoluteLifetime = Optional.empty();
        private Clock clock = Clock.systemUTC();
        private RevocationList revocations;
        private Duration revocationRetention = DEFAULT_REVOCATION_RETENTION;

        private Builder() {
        }

        /**
         * The most live sessions of one principal (between 1 and 10,000; default
         * {@value #DEFAULT_MAXIMUM_SESSIONS_PER_PRINCIPAL}). A principal at the cap that opens another session
         * ends its own least recently used one.
         */
        public Builder maximumSessionsPerPrincipal(int maximum) {
            if (maximum < 1 || maximum > 10_000) {
                throw new IllegalArgumentException("maximumSessionsPerPrincipal must be between 1 and 10000, got "
                        + maximum);
            }
            this.maximumSessionsPerPrincipal = maximum;
            return this;
        }

        /**
         * How often the sweeper looks for expired and revoked sessions once an end listener is added (between
         * 100 ms and 10 minutes; default {@value #DEFAULT_SWEEP_SECONDS} s): the bound on how long an unused
         * session's open stream outlives its expiry or a revocation made on another replica.
         */
        public Builder sweepInterval(Duration interval) {
            Objects.requireNonNull(interval, "interval");
            if (interval.compareTo(Duration.ofMillis(100)) < 0 || interval.compareTo(Duration.ofMinutes(10)) > 0) {
                throw new IllegalArgumentException("sweepInterval must be between 100 ms and 10 minutes, got "
                        + interval);
            }
            this.sweepInterval = interval;
            return this;
        }

        /**
         * The most live sessions in all; default {@value #DEFAULT_MAXIMUM_SIZE}, between 1 and 100 million. At
         * the bound new sessions are refused; live sessions are never evicted to make room.
         */
        public Builder maximumSize(long maximumSize) {
            if (maximumSize < 1 || maximumSize > 100_000_000L) {
                throw new IllegalArgumentException("maximumSize must be between 1 and 100000000, got " + maximumSize);
            }
            this.maximumSize = maximumSize;
            return this;
        }

        /** Ends sessions not used for {@code idleTimeout} (at least one second); default: never. */
        public Builder idleTimeout(Duration idleTimeout) {
            Objects.requireNonNull(idleTimeout, "idleTimeout");
            if (idleTimeout.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("idleTimeout must be at least 1 second, got " + idleTimeout);
            }
            this.idleTimeout = Optional.of(idleTimeout);
            return this;
        }

        /** Ends sessions {@code absoluteLifetime} after they were bound (at least one second); default: never. */
        public Builder absoluteLifetime(Duration absoluteLifetime) {
            Objects.requireNonNull(absoluteLifetime, "absoluteLifetime");
            if (absoluteLifetime.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("absoluteLifetime must be at least 1 second, got " + absoluteLifetime);
            }
            this.absoluteLifetime = Optional.of(absoluteLifetime);
            return this;
        }

        /** The clock idle time, lifetime and revocation lapses are measured with; default UTC system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /**
         * Where revocations are kept; default an {@link InMemoryRevocationList} on this registry's clock. Use a
         * {@link RedisRevocationList} to share them between replicas. The registry does not close it.
         */
        public Builder revocations(RevocationList revocations) {
            this.revocations = Objects.requireNonNull(revocations, "revocations");
            return this;
        }

        /**
         * How long a revocation made through this registry is kept (at least a minute): at least the longest
         * lifetime of an access token, so a revoked token cannot outlive its entry. Default 24 hours.
         */
        public Builder revocationRetention(Duration retention) {
            Objects.requireNonNull(retention, "retention");
            if (retention.compareTo(Duration.ofMinutes(1)) < 0 || retention.compareTo(Duration.ofDays(365)) > 0) {
                throw new IllegalArgumentException("revocationRetention must be between 1 minute and 365 days, got "
                        + retention);
            }
            this.revocationRetention = retention;
            return this;
        }

        /** Builds the registry. */
        public InMemorySessionRegistry build() {
            return new InMemorySessionRegistry(this);
        }
    }
}
