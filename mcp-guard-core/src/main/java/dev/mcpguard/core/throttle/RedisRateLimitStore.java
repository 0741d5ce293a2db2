package dev.mcpguard.core.throttle;

import dev.mcpguard.core.internal.RedisSettings;
import io.github.bucket4j.BucketConfiguration;
import io.github.bucket4j.ConsumptionProbe;
import io.github.bucket4j.distributed.ExpirationAfterWriteStrategy;
import io.github.bucket4j.distributed.proxy.ProxyManager;
import io.github.bucket4j.redis.lettuce.Bucket4jLettuce;
import io.lettuce.core.ClientOptions;
import io.lettuce.core.RedisClient;
import io.lettuce.core.RedisURI;
import io.lettuce.core.SocketOptions;
import io.lettuce.core.TimeoutOptions;
import io.lettuce.core.api.StatefulRedisConnection;
import io.lettuce.core.codec.ByteArrayCodec;
import java.nio.charset.StandardCharsets;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Token buckets shared by every replica through Redis (Bucket4j's compare-and-swap buckets over Lettuce), so a
 * limit of 30 calls a minute is 30 across the fleet, not 30 per replica. Pass it to
 * {@link TokenBucketThrottle.Builder#sharedStore(RedisRateLimitStore, StoreFailureMode)}.
 *
 * <p><b>No call hangs on Redis.</b> Every command is bounded by {@code commandTimeout}; while disconnected,
 * commands are rejected at once instead of queued. After a failure the store reports itself unavailable for
 * {@code retryInterval} without touching Redis, so a dead Redis costs one timeout per interval, not one per call.
 * What the throttle then does is its {@link StoreFailureMode}.
 *
 * <p>Bucket time is the injected {@link Clock} of each replica (Bucket4j's client-side clock): keep replica clocks
 * in sync (NTP); a skew of a second changes a per-minute limit by a second's worth of tokens. Keys are
 * {@code keyPrefix} plus a hash of the limit and the key values, so no subject or tenant name is stored in Redis
 * in clear; they expire once the bucket would be full again.
 *
 * <p>Thread-safe. Close it to release the connection. Requires {@code io.lettuce:lettuce-core} and
 * {@code com.bucket4j:bucket4j_jdk17-lettuce} on the class path (optional dependencies of mcp-guard-core).
 * <pre>{@code
 * RedisRateLimitStore redis = RedisRateLimitStore.builder("redis://10.0.0.5:6379")
 *         .commandTimeout(Duration.ofMillis(250)).build();
 * }</pre>
 */
public final class RedisRateLimitStore implements BucketStore, AutoCloseable {

    /** The command timeout used when none is configured. */
    public static final Duration DEFAULT_COMMAND_TIMEOUT = Duration.ofMillis(500);
    /** How long the store stays unavailable after a failure, when not configured. */
    public static final Duration DEFAULT_RETRY_INTERVAL = Duration.ofSeconds(5);

    private static final Logger log = LoggerFactory.getLogger(RedisRateLimitStore.class);

    private final RedisClient client;
    private final Duration commandTimeout;
    private final Duration retryInterval;
    private final Clock clock;
    private final String keyPrefix;
    private final Object connectLock = new Object();
    private volatile StatefulRedisConnection<byte[], byte[]> connection;
    private volatile ProxyManager<byte[]> buckets;
    private volatile Instant unavailableUntil = Instant.MIN;

    private RedisRateLimitStore(Builder b) {
        this.commandTimeout = b.commandTimeout;
        this.retryInterval = b.retryInterval;
        this.clock = b.clock;
        this.keyPrefix = b.keyPrefix;
        RedisURI uri = RedisURI.create(b.uri);
        uri.setTimeout(commandTimeout);
        this.client = RedisClient.create(uri);
        client.setOptions(ClientOptions.builder()
                .autoReconnect(true)
                .disconnectedBehavior(ClientOptions.DisconnectedBehavior.REJECT_COMMANDS)
                .timeoutOptions(TimeoutOptions.enabled(commandTimeout))
                .socketOptions(SocketOptions.builder().connectTimeout(commandTimeout).build())
                .build());
        try {
            connect();
        } catch (StoreUnavailableException e) {
            log.warn("Redis for rate limits is not reachable at startup; will retry every {}", retryInterval);
        }
    }

    /** Starts a builder for the Redis at {@code redisUri}, for example {@code redis://127.0.0.1:6379}. */
    public static Builder builder(String redisUri) {
        return new Builder(redisUri);
    }

    @Override
    public ConsumptionProbe tryConsume(String key, RateLimit limit, long tokens) {
        ProxyManager<byte[]> manager = available();
        try {
            return manager.builder().build(redisKey(key), configurationOf(limit)).tryConsumeAndReturnRemaining(tokens);
        } catch (RuntimeException e) {
            throw markUnavailable(e);
        }
    }

    @Override
    public void refund(String key, RateLimit limit, long tokens) {
        try {
            available().builder().build(redisKey(key), configurationOf(limit)).addTokens(tokens);
        } catch (RuntimeException e) {
            log.debug("Could not give back a rate-limit token ({})", e.getClass().getName());
        }
    }

    /**
     * Whether Redis answers a {@code PING} within the command timeout now, for a health check (connecting first
     * if needed, unless a recent failure holds the store unavailable). Never throws.
     */
    public boolean ping() {
        try {
            available();
            StatefulRedisConnection<byte[], byte[]> c = connection;
            return c != null && "PONG".equalsIgnoreCase(c.sync().ping());
        } catch (RuntimeException e) {
            log.debug("Redis for rate limits did not answer PING ({})", e.getClass().getName());
            return false;
        }
    }

    @Override
    public void close() {
        StatefulRedisConnection<byte[], byte[]> c = connection;
        if (c != null) {
            c.closeAsync();
        }
        client.shutdown(0, 2, TimeUnit.SECONDS);
    }

    @Override
    public String toString() {
        return "RedisRateLimitStore[timeout=" + commandTimeout + "]";
    }

    private ProxyManager<byte[]> available() {
        if (clock.instant().isBefore(unavailableUntil)) {
            throw new StoreUnavailableException("Redis was unreachable recently; not retrying yet", null);
        }
        ProxyManager<byte[]> manager = buckets;
        return manager != null ? manager : connect();
    }

    private ProxyManager<byte[]> connect() {
        synchronized (connectLock) {
            if (buckets != null) {
                return buckets;
            }
            try {
                StatefulRedisConnection<byte[], byte[]> c = client.connect(ByteArrayCodec.INSTANCE);
                c.setTimeout(commandTimeout);
                this.connection = c;
                this.buckets = Bucket4jLettuce.casBasedBuilder(c)
                        .clientClock(new ClockTimeMeter(clock))
                        .requestTimeout(commandTimeout)
                        .expirationAfterWrite(
                                ExpirationAfterWriteStrategy.basedOnTimeForRefillingBucketUpToMax(Duration.ofSeconds(5)))
                        .build();
                log.info("Connected to Redis for shared rate limits");
                return buckets;
            } catch (RuntimeException e) {
                throw markUnavailable(e);
            }
        }
    }

    private StoreUnavailableException markUnavailable(RuntimeException e) {
        unavailableUntil = clock.instant().plus(retryInterval);
        // The exception type is enough; Lettuce messages can hold the server address, which is fine, but never keys.
        log.warn("Redis for rate limits is unavailable ({}); next attempt in {}", e.getClass().getName(), retryInterval);
        return new StoreUnavailableException("Redis for rate limits is unavailable", e);
    }

    private byte[] redisKey(String key) {
        return (keyPrefix + key).getBytes(StandardCharsets.UTF_8);
    }

    private static BucketConfiguration configurationOf(RateLimit limit) {
        return BucketStore.configuration(limit);
    }

    /** Builds a {@link RedisRateLimitStore}. Not thread-safe. */
    public static final class Builder {
        private final String uri;
        private Duration commandTimeout = DEFAULT_COMMAND_TIMEOUT;
        private Duration retryInterval = DEFAULT_RETRY_INTERVAL;
        private Clock clock = Clock.systemUTC();
        private String keyPrefix = "mcp-guard:rl:";

        private Builder(String uri) {
            this.uri = RedisSettings.redisUri(uri);
        }

        /** The most a Redis command may take (connect included); default 500ms, between 1ms and 30s. */
        public Builder commandTimeout(Duration commandTimeout) {
            this.commandTimeout = RedisSettings.within("commandTimeout", commandTimeout, Duration.ofMillis(1), Duration.ofSeconds(30));
            return this;
        }

        /** How long to stop asking Redis after a failure; default 5s, between 10ms and 10 minutes. */
        public Builder retryInterval(Duration retryInterval) {
            this.retryInterval = RedisSettings.within("retryInterval", retryInterval, Duration.ofMillis(10), Duration.ofMinutes(10));
            return this;
        }

        /** The clock bucket refills and retry intervals are measured with; default UTC system clock. */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** The prefix of every key this store writes; default {@code mcp-guard:rl:}. */
        public Builder keyPrefix(String keyPrefix) {
            this.keyPrefix = RedisSettings.keyPrefix(keyPrefix);
            return this;
        }

        /** Builds the store and tries to connect; an unreachable Redis is retried later, not an error here. */
        public RedisRateLimitStore build() {
            return new RedisRateLimitStore(this);
        }
    }
}
