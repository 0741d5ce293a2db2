package dev.mcpguard.core.session;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.spi.SessionRegistry;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A {@link SessionRegistry} for one process: session id to the {@link CallerIdentity#principalKey() principal key}
 * that opened it, in a bounded Caffeine cache.
 *
 * <p>When the cache is full the least recently used binding is evicted; a request on an evicted session is then
 * {@link SessionCheck.Unknown} and the client re-initializes, which fails closed. With an idle timeout, a
 * session not checked for that long is forgotten the same way; idle time is measured with the injected
 * {@link Clock}.
 *
 * <p>Thread-safe. Arguments are never null; a session id must be 1 to 256 visible ASCII characters (as MCP
 * requires), otherwise {@link #bind} throws and {@link #check} answers {@code Unknown}.
 * <pre>{@code
 * SessionRegistry sessions = InMemorySessionRegistry.builder().maximumSize(50_000)
 *     .idleTimeout(Duration.ofHours(1)).build();
 * }</pre>
 */
public final class InMemorySessionRegistry implements SessionRegistry {

    /** The maximum number of bindings kept when none is configured. */
    public static final long DEFAULT_MAXIMUM_SIZE = 100_000;

    private static final Logger log = LoggerFactory.getLogger(InMemorySessionRegistry.class);
    private static final int MAX_SESSION_ID_LENGTH = 256;

    private final Cache<String, Binding> bindings;

    private InMemorySessionRegistry(Builder b) {
        Caffeine<Object, Object> caffeine = Caffeine.newBuilder().maximumSize(b.maximumSize);
        if (b.idleTimeout.isPresent()) {
            Clock clock = b.clock;
            caffeine.expireAfterAccess(b.idleTimeout.get())
                    .ticker(() -> {
                        Instant now = clock.instant();
                        return now.getEpochSecond() * 1_000_000_000L + now.getNano();
                    })
                    // Run maintenance on the caller's thread so expiry is deterministic and needs no pool.
                    .executor(Runnable::run);
        }
        this.bindings = caffeine.build();
    }

    /** Starts a builder. */
    public static Builder builder() {
        return new Builder();
    }

    /** A registry with the default maximum size and no idle timeout. */
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
        Binding wanted = new Binding(principal.principalKey(), principal.subject());
        Binding actual = bindings.asMap().putIfAbsent(sessionId, wanted);
        if (actual != null && !actual.principalKey().equals(wanted.principalKey())) {
            // Neither the session id nor the other principal goes into the message: it may reach a client.
            throw new IllegalStateException("session id is already bound to another principal");
        }
        log.debug("Bound MCP session to subject {}", principal.subject());
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
        if (!binding.principalKey().equals(principal.principalKey())) {
            return new SessionCheck.PrincipalMismatch(binding.subject());
        }
        return new SessionCheck.Valid();
    }

    @Override
    public void end(String sessionId) {
        if (isValidSessionId(sessionId)) {
            bindings.invalidate(sessionId);
        }
    }

    /** The approximate number of live bindings, for metrics. */
    public long size() {
        bindings.cleanUp();
        return bindings.estimatedSize();
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

    private record Binding(String principalKey, String subject) {
    }

    /** Builds an {@link InMemorySessionRegistry}. Not thread-safe. */
    public static final class Builder {
        private long maximumSize = DEFAULT_MAXIMUM_SIZE;
        private Optional<Duration> idleTimeout = Optional.empty();
        private Clock clock = Clock.systemUTC();

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

        /** Forgets sessions not checked for {@code idleTimeout} (at least one second); default: never. */
        public Builder idleTimeout(Duration idleTimeout) {
            Objects.requireNonNull(idleTimeout, "idleTimeout");
            if (idleTimeout.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("idleTimeout must be at least 1 second, got " + idleTimeout);
            }
            this.idleTimeout = Optional.of(idleTimeout);
            return this;
        }

        /** The clock idle time is measured with; default {@link Clock#systemUTC()}. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Builds the registry. */
        public InMemorySessionRegistry build() {
            return new InMemorySessionRegistry(this);
        }
    }
}
