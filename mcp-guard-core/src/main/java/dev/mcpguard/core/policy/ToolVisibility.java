package dev.mcpguard.core.policy;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.api.spi.PolicyEngine.Operation;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import dev.mcpguard.core.internal.Ids;
import java.time.Clock;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Decides which tools a caller sees in {@code tools/list} by asking the same policy with
 * {@link Operation#LIST}. Hiding is a courtesy, not the control: a hidden tool called by name is still
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
}
