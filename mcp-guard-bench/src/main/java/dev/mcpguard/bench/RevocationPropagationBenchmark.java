package dev.mcpguard.bench;

import dev.mcpguard.core.session.RedisRevocationList;
import dev.mcpguard.core.session.Revocation;
import java.time.Duration;
import java.time.Instant;
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
 * How long a revocation takes to reach another replica through Redis: one {@link RedisRevocationList} adds a
 * token revocation (HSET + PUBLISH), the benchmark then spins until a second list, on its own connections as
 * another replica would be, reports it (its pub/sub listener). Sample mode, so JMH prints the median (p0.50), p0.90
 * and p0.99. The resync interval is set to its maximum so only the pub/sub path is measured; a replica that
 * missed the message catches up at its resync interval instead (correctness tested in
 * {@code RedisRevocationListTest}).
 *
 * <p>Run: {@code mvn -q -pl mcp-guard-bench -am package -DskipTests && java -jar mcp-guard-bench/target/benchmarks.jar RevocationPropagation}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 2)
@Measurement(iterations = 5, time = 2)
@Fork(1)
public class RevocationPropagationBenchmark {

    private static final long GIVE_UP_NANOS = TimeUnit.SECONDS.toNanos(5);

    private LocalRedisServer redis;
    private RedisRevocationList revokingReplica;
    private RedisRevocationList otherReplica;
    private long sequence;

    @Setup
    public void setUp() throws Exception {
        redis = LocalRedisServer.start();
        revokingReplica = replica();
        otherReplica = replica();
    }

    private RedisRevocationList replica() {
        return RedisRevocationList.builder(redis.uri()).resyncInterval(Duration.ofMinutes(10))
                .commandTimeout(Duration.ofSeconds(2)).build();
    }

    @TearDown
    public void tearDown() throws Exception {
        revokingReplica.close();
        otherReplica.close();
        redis.close();
    }

    @Benchmark
    public boolean tokenRevocationUntilVisibleOnAnotherReplica() {
        String tokenId = "jti-" + sequence++;
        revokingReplica.add(new Revocation(Revocation.Kind.TOKEN, tokenId, Instant.now().plusSeconds(600)));
        long start = System.nanoTime();
        while (!otherReplica.contains(Revocation.Kind.TOKEN, tokenId)) {
            if (System.nanoTime() - start > GIVE_UP_NANOS) {
                throw new IllegalStateException("revocation " + tokenId + " did not reach the other replica in 5 s");
            }
            Thread.onSpinWait(); // a benchmark measuring sub-millisecond latency; tests await with Eventually
        }
        return true;
    }
}
