package dev.mcpguard.core.session;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.github.benmanes.caffeine.cache.Expiry;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.spi.SessionRegistry;
import dev.mcpguard.core.internal.ClientText;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
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
 * <p>When the cache is full the least recently used binding is evicted; a request on it is then
 * {@link SessionCheck.Unknown} and the client re-initializes, which fails closed.
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
public final class InMemorySessionRegistry implements SessionRegistry, SessionAdmin {

    /** The maximum number of bindings kept when none is configured. */
    public static final long DEFAULT_MAXIMUM_SIZE = 100_000;
    /** How long a revocation is kept when not configured: longer than typical access-token lifetimes. */
    public static final Duration DEFAULT_REVOCATION_RETENTION = Duration.ofHours(24);

    private static final Logger log = LoggerFactory.getLogger(InMemorySessionRegistry.class);
    private static final int MAX_SESSION_ID_LENGTH = 256;
    private static final long NEVER = Long.MAX_VALUE;

    private final Cache<String, Binding> bindings;
    private final Clock clock;
    private final Optional<Duration> idleTimeout;
    private final Optional<Duration> absoluteLifetime;
    private final RevocationList revocations;
    private final Duration revocationRetention;

    private InMemorySessionRegistry(Builder b) {
        this.clock = b.clock;
        this.idleTimeout = b.idleTimeout;
        this.absoluteLifetime = b.absoluteLifetime;
        this.revocations = b.revocations != null ? b.revocations : new InMemoryRevocationList(b.clock);
        this.revocationRetention = b.revocationRetention;
        this.bindings = Caffeine.newBuilder()
                .maximumSize(b.maximumSize)
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
                principal.tenant(), now, now);
        Binding actual = bindings.asMap().putIfAbsent(sessionId, wanted);
        if (actual != null && !actual.principalKey().equals(wanted.principalKey())) {
            // Neither the session id nor the other principal goes into the message: it may reach a client.
            throw new IllegalStateException("session id is already bound to another principal");
        }
        log.debug("Bound MCP session to subject {}", ClientText.forLog(principal.subject()));
    }

    @Override
    public SessionCheck check(String sessionId, CallerIdentity principal) {
        Objects.requireNonNull(principal, "principal");
        if (!isValidSessionId(sessionId)) {
            return new SessionCheck.Unknown();
        }
        Binding binding = bindings.getIfPresent(sessionId);
        if (binding == null) {
            return new SessionCheck.Unknown();
        }
        Instant now = clock.instant();
        String ended = endReason(sessionId, binding, principal, now);
        if (ended != null) {
            bindings.asMap().remove(sessionId, binding);
            log.info("Refused and removed MCP session of subject {}: {}", ClientText.forLog(binding.subject()), ended);
            return new SessionCheck.Unknown();
        }
        if (!binding.principalKey().equals(principal.principalKey())) {
            return new SessionCheck.PrincipalMismatch(binding.subject());
        }
        bindings.asMap().replace(sessionId, binding, binding.seenAt(now));
        return new SessionCheck.Valid();
    }

    @Override
    public void end(String sessionId) {
        if (isValidSessionId(sessionId)) {
            bindings.invalidate(sessionId);
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
        bindings.asMap().remove(sessionId);
        revoke(Revocation.Kind.SESSION, sessionId);
    }

    @Override
    public void revokeSubject(String subject) {
        Objects.requireNonNull(subject, "subject");
        bindings.asMap().values().removeIf(b -> b.subject().equals(subject));
        revoke(Revocation.Kind.SUBJECT, subject);
    }

    @Override
    public void revokeTenant(String tenant) {
        Objects.requireNonNull(tenant, "tenant");
        bindings.asMap().values().removeIf(b -> b.tenant().filter(tenant::equals).isPresent());
        revoke(Revocation.Kind.TENANT, tenant);
    }

    @Override
    public void revokeToken(String tokenId) {
        Objects.requireNonNull(tokenId, "tokenId");
        revoke(Revocation.Kind.TOKEN, tokenId);
    }

    @Override
    public List<Revocation> revocations() {
        return revocations.entries();
    }

    /** The approximate number of live bindings, for metrics. */
    public long size() {
        bindings.cleanUp();
        return bindings.estimatedSize();
    }

    private void revoke(Revocation.Kind kind, String value) {
        revocations.add(new Revocation(kind, value, clock.instant().plus(revocationRetention)));
        log.info("Revoked {} (entry kept for {})", kind, revocationRetention);
    }

    /** Why the session must end now, or null when it may continue. */
    private String endReason(String sessionId, Binding binding, CallerIdentity principal, Instant now) {
        if (idleTimeout.isPresent() && !now.isBefore(binding.lastSeen().plus(idleTimeout.get()))) {
            return "idle timeout";
        }
        if (absoluteLifetime.isPresent() && !now.isBefore(binding.created().plus(absoluteLifetime.get()))) {
            return "absolute lifetime reached";
        }
        if (revocations.contains(Revocation.Kind.SESSION, sessionId)) {
            return "session revoked";
        }
        if (revocations.contains(Revocation.Kind.SUBJECT, binding.subject())
                || binding.tenant().map(t -> revocations.contains(Revocation.Kind.TENANT, t)).orElse(false)
                || revocations.covers(principal)) {
            return "principal revoked";
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
                           Instant created, Instant lastSeen) {
        Binding seenAt(Instant now) {
            return new Binding(principalKey, issuer, subject, tenant, created, now);
        }
    }

    /** Builds an {@link InMemorySessionRegistry}. Not thread-safe. */
    public static final class Builder {
        private long maximumSize = DEFAULT_MAXIMUM_SIZE;
        private Optional<Duration> idleTimeout = Optional.empty();
        private Optional<Duration> absoluteLifetime = Optional.empty();
        private Clock clock = Clock.systemUTC();
        private RevocationList revocations;
        private Duration revocationRetention = DEFAULT_REVOCATION_RETENTION;

        private Builder() {
        }

        /** The most bindings kept; default {@value #DEFAULT_MAXIMUM_SIZE}, between 1 and 100 million. */
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
