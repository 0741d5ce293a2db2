package dev.mcpguard.bench;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.Throttle;
import dev.mcpguard.core.throttle.ConcurrencyLimit;
import dev.mcpguard.core.throttle.RateLimit;
import dev.mcpguard.core.throttle.RedisRateLimitStore;
import dev.mcpguard.core.throttle.StoreFailureMode;
import dev.mcpguard.core.throttle.TokenBucketThrottle;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.TearDown;
import org.openjdk.jmh.annotations.Warmup;

/**
 * Cost of one throttle decision (take a permit, close it) per call: token buckets in this process, and shared in
 * Redis (a real {@code redis-server} on loopback, started by this benchmark through
 * {@code scripts/ensure-redis.sh}). Limits are high enough that every call passes, except in
 * {@code localRejected}, which measures a call refused by an empty bucket.
 *
 * <p>Run: {@code mvn -q -pl mcp-guard-bench -am package -DskipTests && java -jar mcp-guard-bench/target/benchmarks.jar Throttle}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class ThrottleBenchmark {

    private LocalRedisServer redis;
    private RedisRateLimitStore store;
    private TokenBucketThrottle local;
    private TokenBucketThrottle localEmpty;
    private TokenBucketThrottle shared;
    private ToolCall call;

    @Setup
    public void setUp() throws Exception {
        CallerIdentity caller = CallerIdentity.builder("https://issuer", "alice").tenant("acme").build();
        call = new ToolCall("call-1", "orders", ToolDescriptor.named("get_order"), Map.of(), Optional.empty(),
                Optional.of(caller), Instant.now(), ToolCall.Attributes.EMPTY);
        RateLimit perCallerPerTool = RateLimit.perCaller().perTool().capacity(RateLimit.MAX_TOKENS)
                .refillPerSecond(RateLimit.MAX_TOKENS).build();
        RateLimit perTenant = RateLimit.perTenant().capacity(RateLimit.MAX_TOKENS)
                .refillPerSecond(RateLimit.MAX_TOKENS).build();
        local = TokenBucketThrottle.builder().limit(perCallerPerTool).limit(perTenant)
                .concurrencyLimit(ConcurrencyLimit.perCaller().maxInFlight(100)).build();
        localEmpty = TokenBucketThrottle.builder()
                .limit(RateLimit.perCaller().capacity(1).refillPerHour(1).build()).build();
        localEmpty.tryAcquire(call);

        redis = LocalRedisServer.start();
        store = RedisRateLimitStore.builder(redis.uri()).commandTimeout(Duration.ofSeconds(2)).build();
        shared = TokenBucketThrottle.builder().limit(perCallerPerTool).limit(perTenant)
                .concurrencyLimit(ConcurrencyLimit.perCaller().maxInFlight(100))
                .sharedStore(store, StoreFailureMode.FAIL_CLOSED).build();
    }

    @TearDown
    public void tearDown() throws Exception {
        store.close();
        redis.close();
    }

    @Benchmark
    public Object localTwoLimitsAndConcurrency() {
        return acquireAndClose(local);
    }

    @Benchmark
    public Object localRejected() {
        return localEmpty.tryAcquire(call);
    }

    @Benchmark
    public Object redisTwoLimitsAndConcurrency() {
        return acquireAndClose(shared);
    }

    private Object acquireAndClose(TokenBucketThrottle throttle) {
        Throttle.ThrottleResult result = throttle.tryAcquire(call);
        if (!(result instanceof Throttle.ThrottleResult.Acquired acquired)) {
            throw new IllegalStateException("benchmark limits must let every call through, got " + result);
        }
        acquired.permit().close();
        return result;
    }
}
