package dev.mcpguard.core.policy;

import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.api.spi.PolicyEngine.ToolListRequest;
import dev.mcpguard.core.internal.ClientText;
import dev.mcpguard.core.internal.PolicyEvaluationRecorder;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import java.util.function.LongSupplier;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decorates any {@link PolicyEngine} (embedded OPA, remote OPA, your own) with a decision cache, a circuit
 * breaker and metrics, so that policy evaluation fails closed with bounded latency.
 *
 * <p>Order, outermost first: <b>cache → circuit breaker (shared, then the caller's own) → engine</b>.
 * <ol>
 *   <li>A cached decision for an equal input (see {@link DecisionCacheConfig}) is returned at once, re-issued
 *       under the current request's decision id, even while the breaker is open: it is a decision the policy
 *       made less than one time-to-live ago. Only decisions are cached, never failures.</li>
 *   <li>The shared breaker (see {@link CircuitBreakerConfig}) denies at once with
 *       {@link ReasonCode#POLICY_UNAVAILABLE} while open, without asking the engine; after the open duration one
 *       probe goes through. It opens only on failures from several distinct callers
 *       ({@link CircuitBreakerConfig#minimumDistinctCallers()}), so no single caller can switch policy off for
 *       the others.</li>
 *   <li>The caller's own breaker, created at its first failure, does the same for that caller alone: when
 *       {@code consecutiveFailures} of its calls failed within {@code consecutiveFailures × openDuration}, whatever
 *       succeeded in between, that caller is denied at once for the open duration and costs the engine
 *       nothing.</li>
 *   <li>The engine decides. It <em>failed</em> if it threw, returned null, or denied with
 *       {@link ReasonCode#POLICY_ERROR} or {@link ReasonCode#POLICY_UNAVAILABLE}; a failure counts against
 *       the breaker and is returned as a denial (a throw or null becomes {@code policy_error}). A normal
 *       denial (for example {@code policy_denied}, {@code policy_undefined}) is a success for the breaker.</li>
 * </ol>
 * Every returned decision is counted in {@link #metrics()}.
 *
 * <p>{@code tools/list} ({@link #visibleTools}): an engine that answers a whole list in one evaluation
 * ({@link ToolListEvaluation}, the OPA engines with a list entrypoint) is asked once, through the same cache (its
 * own entries, keyed on every fact of the list request, every offered tool included) and the shared breaker (a
 * failed evaluation counts against it; while it is open nothing is shown); the callers' own breakers and the
 * decision counters are not involved. When the policy has no list entrypoint, and for an engine that only
 * decides, each tool is asked through {@link #decide} (cached, breaker, counted) as before; an engine of your
 * own that overrides {@code visibleTools} is asked that way, uncached.
 *
 * <p>The cache is flushed by {@link #flush()}, by {@link #onBundleChange(String)} (wire it to the embedded
 * engine's bundle listener), and automatically when a fresh decision carries a policy revision different from
 * the last one seen.
 *
 * <pre>{@code
 * ResilientPolicyEngine policy = ResilientPolicyEngine.decorate(opaEngine)
 *         .circuitBreaker(CircuitBreakerConfig.custom().consecutiveFailures(3).build())
 *         .decisionCache(DecisionCacheConfig.of(10_000, Duration.ofSeconds(1)))
 *         .build();
 * McpGuard.builder().serverName("orders").policyEngine(policy).build();
 * }</pre>
 *
 * <p>Thread-safe. Never throws from {@link #decide} and never returns null.
 */
public final class ResilientPolicyEngine implements PolicyEngine {

    /** The state of the circuit breaker. */
    public enum CircuitState {
        /** Calls go to the engine. */
        CLOSED,
        /** Calls are denied at once with {@code policy_unavailable}. */
        OPEN,
        /** One probe call is with the engine; others are denied at once until it answers. */
        HALF_OPEN
    }

    static final String UNAVAILABLE_MESSAGE = "The policy service is unavailable; the call is denied.";
    static final String CALLER_UNAVAILABLE_MESSAGE = "The policy could not be evaluated for this caller's recent "
            + "calls; calls are denied for a while.";

    private static final Logger log = LoggerFactory.getLogger(ResilientPolicyEngine.class);
    private static final Duration CALLER_BREAKER_IDLE = Duration.ofMinutes(1);

    private final PolicyEngine engine;
    private final CircuitBreaker breaker;
    private final DecisionCache cache;
    private final PolicyMetrics metrics;
    private final CircuitBreakerConfig breakerConfig;
    private final LongSupplier nanoTime;
    /** One breaker per caller that has failed recently; bounded, least recently used forgotten first. */
    private final Cache<String, CallerBreaker> callerBreakers;
    /** Whether {@link #engine} overrides {@link PolicyEngine#visibleTools} (and is no {@link ToolListEvaluation}). */
    private final boolean engineListsItself;

    private ResilientPolicyEngine(Builder builder) {
        this.engine = builder.engine;
        this.breakerConfig = builder.breakerConfig;
        LongSupplier nanoTime = builder.clock == null ? System::nanoTime : nanosOf(builder.clock);
        this.nanoTime = nanoTime;
        this.breaker = new CircuitBreaker(builder.breakerConfig, nanoTime);
        // Kept past the failure memory (failures x open duration), so forgetting a caller never ends its open
        // interval early nor forgets failures it still counts.
        this.callerBreakers = Caffeine.newBuilder()
                .maximumSize(builder.breakerConfig.maxTrackedCallers())
                .expireAfterAccess(builder.breakerConfig.openDuration()
                        .multipliedBy(builder.breakerConfig.consecutiveFailures()).plus(CALLER_BREAKER_IDLE))
                .ticker(nanoTime::getAsLong)
                .build();
        this.cache = builder.cacheConfig.enabled() ? new DecisionCache(builder.cacheConfig, nanoTime) : null;
        this.metrics = builder.metrics;
        this.engineListsItself = !(engine instanceof ToolListEvaluation) && overridesVisibleTools(engine);
    }

    private static boolean overridesVisibleTools(PolicyEngine engine) {
        try {
            return engine.getClass().getMethod("visibleTools", ToolListRequest.class).getDeclaringClass()
                    != PolicyEngine.class;
        } catch (NoSuchMethodException | SecurityException e) {
            return false;
        }
    }

    /** Starts decorating {@code engine}; defaults: {@link CircuitBreakerConfig#DEFAULTS}, {@link DecisionCacheConfig#DEFAULTS}. */
    public static Builder decorate(PolicyEngine engine) {
        return new Builder(engine);
    }

    /** {@code engine} with the default breaker and cache. */
    public static ResilientPolicyEngine ofDefaults(PolicyEngine engine) {
        return decorate(engine).build();
    }

    @Override
    public Decision decide(PolicyRequest request) {
        Optional<DecisionCache.Key> key = cache == null ? Optional.empty() : cache.keyOf(request);
        if (key.isPresent()) {
            DecisionCache.Entry cached = cache.get(key.get());
            if (cached != null) {
                metrics.recordCacheHit();
                PolicyEvaluationRecorder.Recording recording = PolicyEvaluationRecorder.current();
                if (recording != null && cached.evaluation() != null) {
                    recording.cacheHit(cached.evaluation());
                }
                return counted(withDecisionId(cached.decision(), request.decisionId()));
            }
            metrics.recordCacheMiss();
        }
        long epoch = cache == null ? 0 : cache.epoch();
        String caller = callerKey(request);
        CircuitBreaker.Permit permit = breaker.tryAcquire();
        if (!permit.permitted()) {
            metrics.recordShortCircuited();
            return counted(Decision.deny(request.decisionId(), ReasonCode.POLICY_UNAVAILABLE, UNAVAILABLE_MESSAGE));
        }
        // Then the caller's own breaker: a caller on whose calls the engine keeps failing waits alone.
        CallerBreaker callerBreaker = callerBreakers.getIfPresent(caller);
        CallerBreaker.Permit callerPermit = callerBreaker == null ? null : callerBreaker.tryAcquire();
        if (callerPermit != null && !callerPermit.permitted()) {
            breaker.abandon(permit); // this call never reaches the engine: it must not hold the shared probe
            metrics.recordCallerShortCircuited();
            return counted(Decision.deny(request.decisionId(), ReasonCode.POLICY_UNAVAILABLE, CALLER_UNAVAILABLE_MESSAGE));
        }
        Decision decision = null;
        try {
            decision = PolicyDecisions.decideSafely(engine, request, log);
        } finally {
            if (decision == null) {
                // An Error escaped the engine: report the failure, or a half-open probe would never finish.
                breaker.onResult(permit, false, caller);
                if (callerPermit != null) {
                    callerBreaker.onResult(callerPermit, false);
                }
            }
        }
        boolean failed = isFailure(decision);
        if (failed && callerBreaker == null) {
            // Callers get a breaker of their own at their first failure, so callers that never fail cost nothing.
            callerBreaker = callerBreakers.get(caller, unused -> new CallerBreaker(breakerConfig, nanoTime));
            callerPermit = callerBreaker.tryAcquire();
        }
        if (callerPermit != null && callerPermit.permitted()
                && callerBreaker.onResult(callerPermit, !failed)) {
            metrics.recordCallerBreakerOpened();
            log.warn("Policy engine {} keeps failing on the calls of caller {} (last: {}); that caller's calls are "
                    + "denied with policy_unavailable for {}, other callers are not affected", engine,
                    ClientText.forLog(request.caller().subject(), 100), reasonOf(decision),
                    breakerConfig.openDuration());
        }
        CircuitBreaker.Transition transition = breaker.onResult(permit, !failed, caller);
        if (transition == CircuitBreaker.Transition.OPENED) {
            metrics.recordBreakerOpened();
            log.warn("Policy engine {} is failing (last: {}); circuit breaker open for {}: calls are denied with "
                    + "policy_unavailable until a probe succeeds", engine, reasonOf(decision),
                    breakerConfig.openDuration());
        } else if (transition == CircuitBreaker.Transition.CLOSED) {
            log.info("Policy engine {} answered the probe; circuit breaker closed", engine);
        }
        if (!failed && key.isPresent()) {
            PolicyEvaluationRecorder.Recording recording = PolicyEvaluationRecorder.current();
            cache.put(key.get(), decision,
                    recording == null ? null : recording.evaluation().orElse(null), epoch);
        }
        return counted(decision);
    }

    /**
     * The visible tools of {@code request}: in one evaluation when the engine can ({@link ToolListEvaluation}),
     * else per tool through {@link #decide}. Never throws; nothing is visible on a failure or while the breaker is
     * open.
     */
    @Override
    public Set<String> visibleTools(ToolListRequest request) {
        if (engine instanceof ToolListEvaluation lists) {
            Optional<Set<String>> atOnce = visibleAtOnce(lists, request);
            if (atOnce.isPresent()) {
                return atOnce.get();
            }
        } else if (engineListsItself) {
            try {
                Set<String> visible = engine.visibleTools(request);
                return visible == null ? Set.of() : visible;
            } catch (RuntimeException e) {
                log.error("Policy engine {} failed for tools/list (decision {}); showing no tool", engine,
                        request.decisionId(), e);
                return Set.of();
            }
        }
        return PolicyEngine.super.visibleTools(request);
    }

    /** One evaluation of the list, cached and behind the shared breaker; empty when the policy has no list rule. */
    private Optional<Set<String>> visibleAtOnce(ToolListEvaluation lists, ToolListRequest request) {
        Optional<DecisionCache.Key> key = cache == null ? Optional.empty() : cache.keyOf(request);
        if (key.isPresent()) {
            ToolListEvaluation.Answer cached = cache.getList(key.get());
            if (cached != null) {
                return Optional.of(cached.visible());
            }
        }
        long epoch = cache == null ? 0 : cache.epoch();
        CircuitBreaker.Permit permit = breaker.tryAcquire();
        if (!permit.permitted()) {
            metrics.recordShortCircuited();
            return Optional.of(Set.of());
        }
        Optional<ToolListEvaluation.Answer> answer = null;
        try {
            answer = lists.evaluateToolList(request);
        } catch (RuntimeException e) {
            log.error("Policy engine {} failed for tools/list (decision {}); showing no tool", engine,
                    request.decisionId(), e);
            answer = Optional.of(ToolListEvaluation.Answer.failure());
        } finally {
            if (answer == null) {
                breaker.onResult(permit, false, callerKey(request.caller())); // an Error escaped the engine
            }
        }
        if (answer == null || answer.isEmpty()) {
            breaker.abandon(permit); // asked per tool instead, each through the breaker
            return Optional.empty();
        }
        ToolListEvaluation.Answer result = answer.get();
        CircuitBreaker.Transition transition = breaker.onResult(permit, !result.failed(), callerKey(request.caller()));
        if (transition == CircuitBreaker.Transition.OPENED) {
            metrics.recordBreakerOpened();
            log.warn("Policy engine {} is failing (last: a tools/list evaluation); circuit breaker open for {}: calls "
                    + "are denied with policy_unavailable until a probe succeeds", engine, breakerConfig.openDuration());
        } else if (transition == CircuitBreaker.Transition.CLOSED) {
            log.info("Policy engine {} answered the probe; circuit breaker closed", engine);
        }
        if (key.isPresent()) {
            cache.putList(key.get(), result, epoch);
        }
        return Optional.of(result.visible());
    }

    /** Drops every cached decision. Safe to call at any time. */
    public void flush() {
        if (cache != null) {
            cache.flush();
        }
    }

    /**
     * Tells the decorator that the policy changed to {@code revision} (for example the embedded engine activated a
     * new bundle): the cache is flushed at once. Usable as a {@code Consumer<String>}.
     */
    public void onBundleChange(String revision) {
        Objects.requireNonNull(revision, "revision");
        if (cache != null) {
            cache.revisionChanged(revision);
        }
        log.info("Policy bundle changed to revision {}; decision cache flushed", revision);
    }

    /** The current breaker state. */
    public CircuitState circuitState() {
        return breaker.state();
    }

    /** The decision counters. */
    public PolicyMetrics metrics() {
        return metrics;
    }

    /** The decorated engine, for operations (a health check reads an embedded engine's bundle revision). */
    public PolicyEngine delegate() {
        return engine;
    }

    /** The state of {@code caller}'s own breaker; CLOSED for a caller without one. */
    CircuitState circuitStateOf(CallerIdentity caller) {
        CallerBreaker callerBreaker = callerBreakers.getIfPresent(callerKey(caller));
        return callerBreaker == null ? CircuitState.CLOSED : callerBreaker.state();
    }

    /** Who a failure is attributed to: issuer, subject and tenant, length-prefixed so no two callers share a key. */
    private static String callerKey(PolicyRequest request) {
        return callerKey(request.caller());
    }

    private static String callerKey(CallerIdentity caller) {
        String tenant = caller.tenant().orElse("");
        return caller.issuer().length() + ":" + caller.issuer() + caller.subject().length() + ":" + caller.subject()
                + tenant.length() + ":" + tenant;
    }

    /** Decisions currently cached (approximate); 0 when the cache is disabled. */
    long cachedDecisions() {
        return cache == null ? 0 : cache.size();
    }

    /** {@code tools/list} answers currently cached (approximate); 0 when the cache is disabled. */
    long cachedLists() {
        return cache == null ? 0 : cache.listSize();
    }

    @Override
    public String toString() {
        return "ResilientPolicyEngine[" + engine + "]";
    }

    static boolean isFailure(Decision decision) {
        return decision instanceof Decision.Deny deny
                && (deny.reason().equals(ReasonCode.POLICY_ERROR) || deny.reason().equals(ReasonCode.POLICY_UNAVAILABLE));
    }

    private Decision counted(Decision decision) {
        if (decision instanceof Decision.Allow) {
            metrics.recordAllow();
        } else {
            ReasonCode reason = ((Decision.Deny) decision).reason();
            if (reason.equals(ReasonCode.POLICY_ERROR)) {
                metrics.recordError();
            } else if (reason.equals(ReasonCode.POLICY_UNAVAILABLE)) {
                metrics.recordUnavailable();
            } else {
                metrics.recordDeny();
            }
        }
        return decision;
    }

    private static String reasonOf(Decision decision) {
        return decision instanceof Decision.Deny deny ? deny.reason().value() : "allow";
    }

    /** A cached decision must never carry another call's id: the audit trail and client see this call's id. */
    static Decision withDecisionId(Decision decision, String decisionId) {
        if (decision instanceof Decision.Allow allow) {
            return new Decision.Allow(decisionId, allow.obligations(), allow.policyRevision());
        }
        Decision.Deny deny = (Decision.Deny) decision;
        return new Decision.Deny(decisionId, deny.reason(), deny.message(), deny.policyRevision());
    }

    private static LongSupplier nanosOf(Clock clock) {
        return () -> {
            Instant now = clock.instant();
            return now.getEpochSecond() * 1_000_000_000L + now.getNano();
        };
    }

    /** Configures a {@link ResilientPolicyEngine}. Not thread-safe; build once. Setters reject nulls. */
    public static final class Builder {
        private final PolicyEngine engine;
        private CircuitBreakerConfig breakerConfig = CircuitBreakerConfig.DEFAULTS;
        private DecisionCacheConfig cacheConfig = DecisionCacheConfig.DEFAULTS;
        private PolicyMetrics metrics = new PolicyMetrics();
        private Clock clock;

        private Builder(PolicyEngine engine) {
            this.engine = Objects.requireNonNull(engine, "engine");
        }

        /** When the breaker opens and for how long; default {@link CircuitBreakerConfig#DEFAULTS}. */
        public Builder circuitBreaker(CircuitBreakerConfig config) {
            this.breakerConfig = Objects.requireNonNull(config, "config");
            return this;
        }

        /** Size and time to live of the cache; default {@link DecisionCacheConfig#DEFAULTS}. */
        public Builder decisionCache(DecisionCacheConfig config) {
            this.cacheConfig = Objects.requireNonNull(config, "config");
            return this;
        }

        /** Where decisions are counted; default a new {@link PolicyMetrics}. */
        public Builder metrics(PolicyMetrics metrics) {
            this.metrics = Objects.requireNonNull(metrics, "metrics");
            return this;
        }

        /**
         * The time source for the breaker's open duration and the cache's time to live. Default: the monotonic
         * {@link System#nanoTime()}, immune to wall-clock jumps; tests pass a clock they advance by hand.
         */
        public Builder clock(Clock clock) {
            this.clock = Objects.requireNonNull(clock, "clock");
            return this;
        }

        /** Builds the decorator. */
        public ResilientPolicyEngine build() {
            return new ResilientPolicyEngine(this);
        }
    }
}
