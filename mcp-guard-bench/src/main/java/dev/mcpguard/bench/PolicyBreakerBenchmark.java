package dev.mcpguard.bench;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import dev.mcpguard.core.policy.DecisionCacheConfig;
import dev.mcpguard.core.policy.ResilientPolicyEngine;
import io.github.resilience4j.circuitbreaker.CircuitBreaker;
import io.github.resilience4j.circuitbreaker.CircuitBreakerConfig;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
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
import org.openjdk.jmh.annotations.Threads;
import org.openjdk.jmh.annotations.Warmup;

/**
 * The figure behind keeping mcp-guard's own policy circuit breaker instead of Resilience4j's (issue 9): the
 * per-call cost, on a healthy engine (the common case), of {@link ResilientPolicyEngine} with its cache off (shared
 * breaker with the distinct-callers rule, plus the per-caller breaker lookup) against the same engine behind a
 * Resilience4j 2.4.0 breaker configured as closely as it allows (count window 20, 10 minimum calls, 50 %, one
 * half-open probe, failures recognised by result). Resilience4j has no distinct-callers rule, no consecutive-failure
 * condition, no per-caller failure memory and no straggler (generation) check, so its figure is a lower bound for
 * what a Resilience4j-based version would cost.
 *
 * <p>Run: {@code mvn -q -pl mcp-guard-bench -am package -DskipTests && java -jar mcp-guard-bench/target/benchmarks.jar PolicyBreaker}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.NANOSECONDS)
@Warmup(iterations = 3, time = 1)
@Measurement(iterations = 5, time = 1)
@Fork(1)
public class PolicyBreakerBenchmark {

    private static final Decision ALLOW = Decision.allow("bench");

    private PolicyRequest request;
    private PolicyEngine engine;
    private ResilientPolicyEngine ours;
    private CircuitBreaker resilience4j;

    @Setup
    public void setUp() {
        CallerIdentity alice = new CallerIdentity("https://idp.example", "alice", Optional.of("acme"),
                Optional.of("agent"), Set.of("orders.read"), Set.of(), Optional.empty(),
                CallerIdentity.AuthenticationMethod.BEARER_JWT, Optional.empty(), Optional.empty());
        request = new PolicyRequest(PolicyEngine.Operation.CALL, "dec-1", alice, "orders",
                ToolDescriptor.named("get_order"), Map.of("order_id", "A-1"), Optional.empty(), Instant.EPOCH);
        engine = r -> ALLOW;
        ours = ResilientPolicyEngine.decorate(engine).decisionCache(DecisionCacheConfig.DISABLED).build();
        resilience4j = CircuitBreaker.of("policy", CircuitBreakerConfig.custom()
                .slidingWindowType(CircuitBreakerConfig.SlidingWindowType.COUNT_BASED)
                .slidingWindowSize(20)
                .minimumNumberOfCalls(10)
                .failureRateThreshold(50)
                .waitDurationInOpenState(Duration.ofSeconds(5))
                .permittedNumberOfCallsInHalfOpenState(1)
                .recordResult(result -> result instanceof Decision.Deny deny
                        && (deny.reason().equals(ReasonCode.POLICY_ERROR)
                        || deny.reason().equals(ReasonCode.POLICY_UNAVAILABLE)))
                .build());
    }

    @Benchmark
    public Decision engineAlone() {
        return engine.decide(request);
    }

    @Benchmark
    public Decision oursOneThread() {
        return ours.decide(request);
    }

    @Benchmark
    public Decision resilience4jOneThread() {
        return resilience4j.executeSupplier(() -> engine.decide(request));
    }

    @Benchmark
    @Threads(2)
    public Decision oursTwoThreads() {
        return ours.decide(request);
    }

    @Benchmark
    @Threads(2)
    public Decision resilience4jTwoThreads() {
        return resilience4j.executeSupplier(() -> engine.decide(request));
    }
}
