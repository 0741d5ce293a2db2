package dev.mcpguard.core.policy;

import dev.mcpguard.api.ContentScan;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.GuardrailFindings;
import dev.mcpguard.api.GuardKeys;
import dev.mcpguard.api.McpTarget;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.ToolGuard;
import dev.mcpguard.api.ToolOutcome;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import dev.mcpguard.core.internal.Ids;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The policy step of the chain: asks the {@link PolicyEngine} whether the caller may call this tool with these
 * arguments (or read the resource, get the prompt, complete the argument the request's {@link McpTarget} names,
 * with that operation). A listing request proceeds undecided: its items are decided one by one with operation
 * {@code list} when the listing comes back. An allow is attached to the call ({@link GuardKeys#POLICY_DECISION}) for the audit record and later
 * controls; a deny ends the call. An engine that throws or returns null is a denial with
 * {@link ReasonCode#POLICY_ERROR}: policy failures never open the gate. Thread-safe.
 */
public final class PolicyGuard implements ToolGuard {

    private static final Logger log = LoggerFactory.getLogger(PolicyGuard.class);
    static final String ERROR_MESSAGE = "The policy could not be evaluated; the call is denied.";

    private final PolicyEngine engine;
    private final Clock clock;

    public PolicyGuard(PolicyEngine engine, Clock clock) {
        this.engine = Objects.requireNonNull(engine, "engine");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public CompletionStage<ToolOutcome> intercept(Chain chain) {
        ToolCall call = chain.call();
        if (call.caller().isEmpty()) {
            return chain.deny(ReasonCode.UNAUTHENTICATED, "The caller is not authenticated.");
        }
        McpTarget target = call.target();
        if (target.isListing()) {
            // A listing is decided item by item as it leaves the server (operation list); the request itself
            // carries no item to decide, and passes the rest of the chain (throttle, your guards) as a call does.
            return chain.proceed(call);
        }
        Decision decision = PolicyDecisions.decideSafely(engine, requestOf(call, Optional.empty()), log);
        if (decision instanceof Decision.Allow allow) {
            return chain.proceed(call.withAttribute(GuardKeys.POLICY_DECISION, allow));
        }
        return chain.deny((Decision.Deny) decision);
    }

    /**
     * The result-phase decision on {@code call} (which this step allowed; its handler has run): the same question,
     * asked again with {@code result}, what the guardrails found in the handler's result, in
     * {@code input.guardrails.result} and {@code input.phase = "result"}. Fails closed like {@link #intercept}:
     * an engine error is a denial.
     */
    public Decision decideResult(ToolCall call, ContentScan result) {
        if (call.caller().isEmpty() || call.target().isListing()) {
            return Decision.deny(Ids.newId(clock), ReasonCode.POLICY_ERROR, ERROR_MESSAGE);
        }
        return PolicyDecisions.decideSafely(engine, requestOf(call, Optional.of(result)), log);
    }

    private PolicyRequest requestOf(ToolCall call, Optional<ContentScan> result) {
        McpTarget target = call.target();
        Optional<ContentScan> arguments = call.attribute(GuardKeys.ARGUMENT_FINDINGS);
        Optional<GuardrailFindings> guardrails = arguments.isEmpty() && result.isEmpty() ? Optional.empty()
                : Optional.of(new GuardrailFindings(arguments.orElse(ContentScan.CLEAN), result));
        return new PolicyRequest(target.operation(), Ids.newId(clock), call.caller().get(), call.server(),
                call.tool(), call.arguments(), call.sessionId(), clock.instant(), target, guardrails);
    }
}
