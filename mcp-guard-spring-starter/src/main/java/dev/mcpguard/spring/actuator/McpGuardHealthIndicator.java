package dev.mcpguard.spring.actuator;

import dev.mcpguard.api.spi.AuditSink;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.audit.JsonlFileAuditSink;
import dev.mcpguard.core.audit.Slf4jAuditSink;
import dev.mcpguard.core.policy.DenyAllPolicyEngine;
import dev.mcpguard.core.policy.ResilientPolicyEngine;
import dev.mcpguard.core.policy.opa.OpaWasmPolicyEngine;
import java.nio.file.Files;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import org.slf4j.LoggerFactory;
import org.springframework.boot.health.contributor.Health;
import org.springframework.boot.health.contributor.HealthIndicator;
import org.springframework.boot.health.contributor.Status;

/**
 * Health of one {@link McpGuard}: is a policy loaded (and which bundle revision), can the audit sink take records,
 * and is every Redis the guard uses reachable. {@code DOWN} whenever tool calls would be denied for a reason of
 * the guard's own rather than the caller's:
 * <ul>
 *   <li>{@code policy}: no engine configured ({@code no_policy_configured}); an embedded OPA engine with no bundle
 *       loaded; a {@link ResilientPolicyEngine} whose breaker is open. Details: {@code engine}, {@code loaded},
 *       {@code revision}, {@code lastLoadError} (bounded), {@code breaker};</li>
 *   <li>{@code audit}: a {@link JsonlFileAuditSink} that failed or whose file is not writable; the default SLF4J
 *       sink whose logger does not record at INFO. Other sinks are reported with {@code writable=unknown};</li>
 *   <li>{@code redis}: each {@link RedisProbe}, {@code UP} or {@code DOWN}.</li>
 * </ul>
 * Details never hold a secret, a token or a subject ({@code lastLoadError} may name the bundle location).
 *
 * <p>Thread-safe; each {@link #health()} reads the current state (and pings each Redis once, bounded by its
 * command timeout).
 */
public final class McpGuardHealthIndicator implements HealthIndicator {

    static final int MAX_ERROR_CHARS = 200;

    private final McpGuard guard;
    private final List<RedisProbe> redis;

    /** Checks {@code guard} and the Redis servers in {@code redis}. */
    public McpGuardHealthIndicator(McpGuard guard, List<RedisProbe> redis) {
        this.guard = Objects.requireNonNull(guard, "guard");
        this.redis = List.copyOf(redis);
    }

    @Override
    public Health health() {
        boolean up = true;
        Map<String, Object> policy = new LinkedHashMap<>();
        up &= checkPolicy(guard.policyEngine(), policy);
        Map<String, Object> audit = new LinkedHashMap<>();
        up &= checkAudit(guard.auditSink(), audit);
        Health.Builder health = new Health.Builder().withDetail("server", guard.serverName())
                .withDetail("policy", policy).withDetail("audit", audit);
        if (!redis.isEmpty()) {
            Map<String, Object> redisDetails = new LinkedHashMap<>();
            for (RedisProbe probe : redis) {
                boolean reachable = probe.ping().getAsBoolean();
                redisDetails.put(probe.name(), reachable ? Status.UP.getCode() : Status.DOWN.getCode());
                up &= reachable;
            }
            health.withDetail("redis", redisDetails);
        }
        return health.status(up ? Status.UP : Status.DOWN).build();
    }

    private static boolean checkPolicy(PolicyEngine engine, Map<String, Object> details) {
        boolean up = true;
        PolicyEngine inner = engine;
        if (engine instanceof ResilientPolicyEngine resilient) {
            ResilientPolicyEngine.CircuitState state = resilient.circuitState();
            details.put("breaker", state.name());
            up = state != ResilientPolicyEngine.CircuitState.OPEN;
            inner = resilient.delegate();
        }
        details.put("engine", inner.getClass().getSimpleName());
        if (inner instanceof DenyAllPolicyEngine) {
            details.put("loaded", false);
            details.put("reason", "no_policy_configured");
            return false;
        }
        if (inner instanceof OpaWasmPolicyEngine wasm) {
            details.put("loaded", wasm.currentRevision().isPresent());
            wasm.currentRevision().ifPresent(revision -> details.put("revision", revision));
            wasm.lastLoadError().ifPresent(error -> details.put("lastLoadError", bounded(error)));
            up &= wasm.currentRevision().isPresent();
        }
        return up;
    }

    private static boolean checkAudit(AuditSink configured, Map<String, Object> details) {
        AuditSink sink = configured instanceof MeteredAuditSink metered ? metered.delegate() : configured;
        details.put("sink", sink.getClass().getSimpleName());
        if (sink instanceof JsonlFileAuditSink jsonl) {
            boolean writable = !jsonl.isFailed() && Files.isWritable(jsonl.file());
            details.put("writable", writable);
            details.put("mode", jsonl.mode().name());
            details.put("failedWrites", jsonl.failedCount());
            return writable;
        }
        if (sink instanceof Slf4jAuditSink) {
            boolean writable = LoggerFactory.getLogger(Slf4jAuditSink.LOGGER_NAME).isInfoEnabled();
            details.put("writable", writable);
            return writable;
        }
        details.put("writable", "unknown");
        return true;
    }

    private static String bounded(String text) {
        return text.length() <= MAX_ERROR_CHARS ? text : text.substring(0, MAX_ERROR_CHARS) + "…";
    }
}
