package dev.mcpguard.core.session;

import dev.mcpguard.core.internal.RedisSettings;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.pubsub.RedisPubSubAdapter;
import io.lettuce.core.pubsub.StatefulRedisPubSubConnection;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Revocations shared by every replica through Redis, read from memory on the request path.
 *
 * <p>How a revocation travels: {@link #add} records it here at once, writes it to a Redis hash (the shared
 * revocation set: field {@code KIND:value}, value the lapse time) and publishes it on a channel. Every replica
 * applies published revocations as they arrive (typically within a millisecond or two on a LAN) and also re-reads
 * the whole hash every {@code resyncInterval}, so a replica that missed a message (disconnected, just started)
 * catches up within that interval. The propagation bound is therefore {@code resyncInterval} plus one command
 * round trip; see {@code docs/throttling-and-sessions.md} for measured figures.
 *
 * <p>Redis unreachable: {@link #contains} keeps answering from the revocations already known (no request waits
 * on Redis); {@link #add} still applies the revocation here but throws {@link IllegalStateException} so the
 * administrator knows it has not reached the other replicas. Lapsed entries are removed from the hash during
 * resync by whichever replica sees them first.
 *
 * <p>Thread-safe. Close it to stop the resync thread and release the connections. Requires
 * {@code io.lettuce:lettuce-core} (an optional dependency of mcp-guard-core).
 * <pre>{@code
 * RedisRevocationList revocations = RedisRevocationList.builder("redis://10.0.0.5:6379")
 *         .resyncInterval(Duration.ofSeconds(5)).build();
 * }</pre>
 */
public final class RedisRevocationList implements RevocationList, AutoCloseable {

    private static final Logger log = LoggerFactory.getLogger(RedisRevocationList.class);

    private final InMemoryRevocationList local;
    private final Clock clock;
    private final String hashKey;
    private final String channel;
    private final RedisClient client;
    private final StatefulRedisConnection<String, String> connection;
    private final StatefulRedisPubSubConnection<String, String> subscription;
    private final ScheduledExecutorService resyncThread;

    private RedisRevocationList(Builder b) {
        this.clock = b.clock;
        this.local = new InMemoryRevocationList(b.clock);
        this.hashKey = b.keyPrefix + "revocations";
        this.channel = b.keyPrefix + "revocations";
        RedisURI uri = RedisURI.create(b.uri);
        // The handshake gets the (longer) connect timeout; commands get the command timeout below.
        uri.setTimeout(b.connectTimeout);
        this.client = RedisClient.create(uri);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(b.commandTimeout))
                .socketOptions(SocketOptions.builder().connectTimeout(b.connectTimeout).build())
                .build());
        // Connecting at startup is required: a replica that cannot learn revocations must not start serving.
        StatefulRedisConnection<String, String> commands = null;
        StatefulRedisPubSubConnection<String, String> pubSub = null;
        try {
            commands = client.connect();
            commands.setTimeout(b.commandTimeout);
            pubSub = client.connectPubSub();
            pubSub.addListener(new RedisPubSubAdapter<>() {
                @Override
                public void message(String ch, String message) {
                    if (channel.equals(ch)) {
                        apply(message);
                    }
                }
            });
            pubSub.sync().subscribe(channel);
        } catch (RuntimeException e) {
            client.shutdown(0, 2, TimeUnit.SECONDS);
            throw e;
        }
        this.connection = commands;
        this.subscription = pubSub;
        try {
            resyncNow();
        } catch (RuntimeException e) {
            close0();
            throw e;
        }
        this.resyncThread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "mcp-guard-revocation-resync");
            t.setDaemon(true);
            return t;
        });
        long millis = b.resyncInterval.toMillis();
        resyncThread.scheduleWithFixedDelay(this::resyncQuietly, millis, millis, TimeUnit.MILLISECONDS);
    }

    /** Starts a builder for the Redis at {@code redisUri}, for example {@code redis://127.0.0.1:6379}. */
    public static Builder builder(String redisUri) {
        return new Builder(redisUri);
    }

    @Override
    public void add(Revocation revocation) {
        Objects.requireNonNull(revocation, "revocation");
        local.merge(revocation);
        String field = revocation.kind().name() + ':' + revocation.value();
        String until = Long.toString(revocation.until().toEpochMilli());
        try {
            connection.sync().hset(hashKey, field, until);
            connection.sync().publish(channel, until + ':' + field);
        } catch (RuntimeException e) {
            log.error("Revocation of a {} applies on this replica only: Redis is unavailable ({})", revocation.kind(),
                    e.getClass().getName());
            throw new IllegalStateException("the revocation holds on this replica but could not be shared: Redis "
                    + "is unavailable", e);
        }
    }

    @Override
    public boolean contains(Revocation.Kind kind, String value) {
        return local.contains(kind, value);
    }

    @Override
    public List<Revocation> entries() {
        return local.entries();
    }

    /** Re-reads the shared revocation set now; the resync thread does this every interval. */
    public void resyncNow() {
        Map<String, String> all = connection.sync().hgetall(hashKey);
        Instant now = clock.instant();
        for (Map.Entry<String, String> entry : all.entrySet()) {
            Revocation revocation = parse(entry.getValue() + ':' + entry.getKey());
            if (revocation == null) {
                continue;
            }
            if (revocation.until().isAfter(now)) {
                local.merge(revocation);
            } else {
                connection.sync().hdel(hashKey, entry.getKey());
            }
        }
        local.prune();
    }

    /**
     * Whether Redis answers a {@code PING} within the command timeout now, for a health check. Never throws;
     * revocations already learnt keep applying on this replica while Redis is unreachable.
     */
    public boolean ping() {
        try {
            return "PONG".equalsIgnoreCase(connection.sync().ping());
        } catch (RuntimeException e) {
            log.debug("Redis for revocations did not answer PING ({})", e.getClass().getName());
            return false;
        }
    }

    @Override
    public void close() {
        resyncThread.shutdownNow();
        close0();
    }

    private void close0() {
        subscription.closeAsync();
        connection.closeAsync();
        client.shutdown(0, 2, TimeUnit.SECONDS);
    }

    private void resyncQuietly() {
        try {
            resyncNow();
        } catch (RuntimeException e) {
            log.warn("Could not re-read shared revocations ({}); known revocations still apply",
                    e.getClass().getName());
        }
    }

    private void apply(String message) {
        Revocation revocation = parse(message);
        if (revocation != null) {
            local.merge(revocation);
        }
    }

    /** {@code untilMillis:KIND:value}; null (and a warning) when malformed. */
    private static Revocation parse(String message) {
        String[] parts = message.split(":", 3);
        try {
            return new Revocation(Revocation.Kind.valueOf(parts[1]), parts[2],
                    Instant.ofEpochMilli(Long.parseLong(parts[0])));
        } catch (RuntimeException e) {
            log.warn("Ignored a malformed shared revocation entry ({} characters)", message.length());
            return null;
        }
    }

    /** Builds a {@link RedisRevocationList}. Not thread-safe. */
    public static final class Builder {
        private final String uri;
        private Duration commandTimeout = Duration.ofMillis(500);
        private Duration connectTimeout = Duration.ofSeconds(5);
        private Duration resyncInterval = Duration.ofSeconds(5);
        private Clock clock = Clock.systemUTC();
        private String keyPrefix = "mcp-guard:";

        private Builder(String uri) {
            this.uri = RedisSettings.redisUri(uri);
        }

        /** The most a Redis command may take; default 500ms, between 1ms and 30s. */
        public Builder commandTimeout(Duration commandTimeout) {
            this.commandTimeout = RedisSettings.within("commandTimeout", commandTimeout, Duration.ofMillis(1), Duration.ofSeconds(30));
            return this;
        }

        /** The most connecting at startup may take; default 5s, between 1ms and 60s. */
        public Builder connectTimeout(Duration connectTimeout) {
            this.connectTimeout = RedisSettings.within("connectTimeout", connectTimeout, Duration.ofMillis(1), Duration.ofSeconds(60));
            return this;
        }

        /** How often the whole shared set is re-read, the propagation bound; default 5s, 100ms to 10 minutes. */
        public Builder resyncInterval(Duration resyncInterval) {
            this.resyncInterval = RedisSettings.within("resyncInterval", resyncInterval, Duration.ofMillis(100), Duration.ofMinutes(10));
            return this;
        }

        /** The clock lapses are measured with; default UTC system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The prefix of the hash key and channel; default {@code mcp-guard:}. */
        public Builder keyPrefix(String keyPrefix) {
            this.keyPrefix = RedisSettings.keyPrefix(keyPrefix);
            return this;
        }

        /**
         * Connects, subscribes and loads the shared set.
         *
         * @throws io.lettuce.core.RedisException when Redis is unreachable: a replica that cannot learn
         *                                        revocations should not start
         */
        public RedisRevocationList build() {
            return new RedisRevocationList(this);
        }
    }
}
