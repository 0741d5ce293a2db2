package dev.mcpguard.spring.actuator;

import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.policy.PolicyMetrics;
import dev.mcpguard.core.policy.ResilientPolicyEngine;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.util.Locale;
import java.util.Objects;
import java.util.function.ToLongFunction;

/**
 * Binds the state of a guard's {@link ResilientPolicyEngine} to Micrometer: {@value #BREAKER_STATE} (a gauge per
 * {@code state} of {@code closed|open|half_open}, 1 for the current state, 0 for the others), and the engine's
 * {@link PolicyMetrics} as function counters: {@value #DECISIONS} by {@code outcome}
 * ({@code allow|deny|error|unavailable}), {@value #CACHE} by {@code result} ({@code hit|miss}),
 * {@value #BREAKER_OPENED} and {@value #SHORT_CIRCUITED}. All are tagged with the {@code server} name only.
 * A guard whose policy engine is not a {@code ResilientPolicyEngine} has no breaker: nothing is bound.
 *
 * <p>Thread-safe: the values are read from the engine when the registry samples them.
 */
public final class McpGuardPolicyMeters implements MeterBinder {

    /** Gauge of the policy circuit breaker's state. */
    public static final String BREAKER_STATE = "mcp.guard.policy.breaker.state";
    /** Policy decisions made through the resilient engine, by outcome. */
    public static final String DECISIONS = "mcp.guard.policy.decisions";
    /** Decision cache lookups, by result. */
    public static final String CACHE = "mcp.guard.policy.cache";
    /** Times the shared breaker opened. */
    public static final String BREAKER_OPENED = "mcp.guard.policy.breaker.opened";
    /** Calls denied by an open breaker without asking the engine. */
    public static final String SHORT_CIRCUITED = "mcp.guard.policy.breaker.short.circuited";

    private final McpGuard guard;

    /** Binds the policy meters of {@code guard}. */
    public McpGuardPolicyMeters(McpGuard guard) {
        this.guard = Objects.requireNonNull(guard, "guard");
    }

    @Override
    public void bindTo(MeterRegistry registry) {
        PolicyEngine engine = guard.policyEngine();
        if (!(engine instanceof ResilientPolicyEngine resilient)) {
            return;
        }
        String server = guard.serverName();
        for (ResilientPolicyEngine.CircuitState state : ResilientPolicyEngine.CircuitState.values()) {
            Gauge.builder(BREAKER_STATE, resilient, e -> e.circuitState() == state ? 1 : 0)
                    .description("1 for the policy circuit breaker's current state, 0 for the others")
                    .tags("server", server, "state", state.name().toLowerCase(Locale.ROOT))
                    .register(registry);
        }
        PolicyMetrics metrics = resilient.metrics();
        counter(registry, DECISIONS, "Policy decisions by outcome", server, metrics, PolicyMetrics.Snapshot::allow,
                "outcome", "allow");
        counter(registry, DECISIONS, "Policy decisions by outcome", server, metrics, PolicyMetrics.Snapshot::deny,
                "outcome", "deny");
        counter(registry, DECISIONS, "Policy decisions by outcome", server, metrics, PolicyMetrics.Snapshot::error,
                "outcome", "error");
        counter(registry, DECISIONS, "Policy decisions by outcome", server, metrics,
                PolicyMetrics.Snapshot::unavailable, "outcome", "unavailable");
        counter(registry, CACHE, "Decision cache lookups", server, metrics, PolicyMetrics.Snapshot::cacheHits,
                "result", "hit");
        counter(registry, CACHE, "Decision cache lookups", server, metrics, PolicyMetrics.Snapshot::cacheMisses,
                "result", "miss");
        counter(registry, BREAKER_OPENED, "Times the policy circuit breaker opened", server, metrics,
                PolicyMetrics.Snapshot::breakerOpened);
        counter(registry, SHORT_CIRCUITED, "Calls denied by the open breaker", server, metrics,
                PolicyMetrics.Snapshot::shortCircuited);
    }

    private static void counter(MeterRegistry registry, String name, String description, String server,
                                PolicyMetrics metrics, ToLongFunction<PolicyMetrics.Snapshot> value, String... tags) {
        FunctionCounter.builder(name, metrics, m -> value.applyAsLong(m.snapshot()))
                .description(description).tags("server", server).tags(tags).register(registry);
    }
}
