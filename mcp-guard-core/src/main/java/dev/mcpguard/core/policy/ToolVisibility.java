package dev.mcpguard.core.policy;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.McpTarget;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.api.spi.PolicyEngine.Operation;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import dev.mcpguard.core.internal.Ids;
import dev.mcpguard.api.spi.PolicyEngine.ToolListRequest;
import java.time.Clock;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides which tools a caller sees in {@code tools/list} by asking the same policy with
 * {@link Operation#LIST}: about a whole list at once ({@link #visibleAmong}, {@link PolicyEngine#visibleTools}: one
 * evaluation when the policy has a list entrypoint, else one per tool) or about one tool ({@link #visibleTo}). Hiding is a courtesy, not the control: a hidden tool called by name is still
 * checked by the policy step of the chain. Unknown callers and policy errors see nothing. Thread-safe.
 */
public final class ToolVisibility {

    private static final Logger log = LoggerFactory.getLogger(ToolVisibility.class);

    private final PolicyEngine engine;
    private final String server;
    private final Clock clock;

    public ToolVisibility(PolicyEngine engine, String server, Clock clock) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.server = Objects.requireNonNull(server, "server");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** True when policy lets {@code caller} see {@code tool}; false for an absent caller. */
    public boolean visibleTo(Optional<CallerIdentity> caller, ToolDescriptor tool) {
        if (caller.isEmpty()) {
            return false;
        }
        PolicyRequest request = new PolicyRequest(Operation.LIST, Ids.newId(clock), caller.get(), server, tool,
                Map.of(), Optional.empty(), clock.instant());
        Decision decision = PolicyDecisions.decideSafely(engine, request, log);
        return decision.allowed();
    }

    /**
     * True when policy lets {@code caller} see {@code item} in its listing: a resource, template or prompt as
     * {@code resources/list}, {@code resources/templates/list} or {@code prompts/list} shows it ({@code item} is a
     * listing target). Asked with {@link Operation#LIST}, a decision id of its own, and {@code sessionId}; an
     * engine failure hides the item.
     */
    public boolean listable(CallerIdentity caller, McpTarget item, Optional<String> sessionId) {
        Objects.requireNonNull(caller, "caller");
        if (!item.isListing() || item.isTool()) {
            throw new IllegalArgumentException("not a listed resource, template or prompt: " + item);
        }
        PolicyRequest request = new PolicyRequest(Operation.LIST, Ids.newId(clock), caller, server,
                ToolDescriptor.named(item.method()), Map.of(), sessionId, clock.instant(), item);
        return PolicyDecisions.decideSafely(engine, request, log).allowed();
    }

    /**
     * The names among {@code tools} that policy lets {@code caller} see, asked once for the whole list; only names
     * of {@code tools}, whatever the engine answers; empty on any engine failure.
     */
    public Set<String> visibleAmong(CallerIdentity caller, List<ToolDescriptor> tools) {
        Objects.requireNonNull(caller, "caller");
        ToolListRequest request = new ToolListRequest(Ids.newId(clock), caller, server, tools, Optional.empty(),
                clock.instant());
        Set<String> visible;
        try {
            visible = engine.visibleTools(request);
        } catch (RuntimeException e) {
            log.error("Policy engine {} failed for tools/list (decision {}); showing no tool",
                    engine.getClass().getName(), request.decisionId(), e);
            return Set.of();
        }
        if (visible == null) {
            log.error("Policy engine {} returned null for tools/list (decision {}); showing no tool",
                    engine.getClass().getName(), request.decisionId());
            return Set.of();
        }
        return visible;
    }
}
