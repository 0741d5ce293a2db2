package dev.mcpguard.core.identity;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.GuardKeys;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.ToolGuard;
import dev.mcpguard.api.ToolOutcome;
import java.time.Clock;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.CompletionStage;

/**
 * The identity step of the chain: a call proceeds only with a verified caller whose credential has not expired.
 *
 * <p>The transport authenticates (see {@code McpGuardHttpFilter}); this step makes sure no call reaches policy
 * or the handler without an identity, whatever the transport, and re-checks expiry for long-lived streams.
 * Thread-safe.
 */
public final class CallerRequiredGuard implements ToolGuard {

    private final Clock clock;

    public CallerRequiredGuard(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public CompletionStage<ToolOutcome> intercept(Chain chain) {
        ToolCall call = chain.call();
        Optional<CallerIdentity> caller = call.caller();
        if (caller.isEmpty()) {
            return chain.deny(ReasonCode.UNAUTHENTICATED, call.attribute(GuardKeys.MISSING_CALLER_EXPLANATION)
                    .orElse("The caller is not authenticated."));
        }
        if (caller.get().expiresAt().map(expiry -> !expiry.isAfter(clock.instant())).orElse(false)) {
            return chain.deny(ReasonCode.INVALID_TOKEN, "The caller's credential has expired.");
        }
        return chain.proceed(call);
    }
}
