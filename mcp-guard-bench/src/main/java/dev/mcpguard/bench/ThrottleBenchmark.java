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
import java.io.IOException;
import java.net.InetAddress;
import java.net.InetSocketAddress;
import java.net.ServerSocket;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
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

    private Process redis;
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

        int port = freePort();
        redis = new ProcessBuilder(redisBinary(), "--port", Integer.toString(port), "--bind", "127.0.0.1",
                "--save", "", "--appendonly", "no").redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.DISCARD).start();
        awaitPing(port);
        store = RedisRateLimitStore.builder("redis://127.0.0.1:" + port).commandTimeout(Duration.ofSeconds(2)).build();
        shared = TokenBucketThrottle.builder().limit(perCallerPerTool).limit(perTenant)
                .concurrencyLimit(ConcurrencyLimit.perCaller().maxInFlight(100))
                .sharedStore(store, StoreFailureMode.FAIL_CLOSED).build();
    }

    @TearDown
    public void tearDown() throws Exception {
        store.close();
        redis.destroy();
        redis.waitFor(10, TimeUnit.SECONDS);
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

    private static String redisBinary() throws IOException, InterruptedException {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.isRegularFile(dir.resolve("scripts/ensure-redis.sh"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IOException("scripts/ensure-redis.sh not found; run from the repository");
        }
        Process p = new ProcessBuilder("bash", dir.resolve("scripts/ensure-redis.sh").toString())
                .redirectError(ProcessBuilder.Redirect.INHERIT).start();
        List<String> lines = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).lines()
                .filter(l -> !l.isBlank()).toList();
        if (p.waitFor() != 0 || lines.isEmpty()) {
            throw new IOException("scripts/ensure-redis.sh failed");
        }
        return lines.get(lines.size() - 1).trim();
    }

    private static void awaitPing(int port) throws IOException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(15);
        while (System.nanoTime() < deadline) {
            try (Socket s = new Socket()) {
                s.connect(new InetSocketAddress(InetAddress.getLoopbackAddress(), port), 200);
                s.getOutputStream().write("PING\r\n".getBytes(StandardCharsets.US_ASCII));
                byte[] b = new byte[5];
                if (s.getInputStream().read(b) > 0) {
                    return;
                }
            } catch (IOException retry) {
                Thread.onSpinWait();
            }
        }
        throw new IOException("redis-server did not start on port " + port);
    }

    private static int freePort() throws IOException {
        try (ServerSocket s = new ServerSocket(0, 1, InetAddress.getLoopbackAddress())) {
            return s.getLocalPort();
        }
    }
}
