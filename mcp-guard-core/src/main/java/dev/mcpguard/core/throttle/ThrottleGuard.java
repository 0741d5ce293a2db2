package dev.mcpguard.core.throttle;

import dev.mcpguard.api.Decision;
import dev.mcpguard.api.GuardKeys;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.ToolGuard;
import dev.mcpguard.api.ToolOutcome;
import dev.mcpguard.api.spi.Throttle;
import dev.mcpguard.api.spi.Throttle.ThrottleResult;
import dev.mcpguard.core.internal.Ids;
import dev.mcpguard.api.AuditDetails;
import java.time.Clock;
import java.time.Duration;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The throttle step of the chain, right after policy (so it sees the policy's obligations and never spends a
 * token on a call policy denies): asks the {@link Throttle} for a permit and either denies the call before the
 * handler runs or holds the permit until the call has ended.
 *
 * <p>A rejected call is a {@link Decision.Deny} with the throttle's reason ({@code rate_limited},
 * {@code budget_exceeded}, {@code throttle_unavailable}, or {@code policy_error} for a malformed obligation) and, when the reason is about
 * capacity, a retry-after in whole seconds (at least 1): attached to the call as {@link GuardKeys#RETRY_AFTER}
 * (the client sees {@code structuredContent.retry_after_seconds}) and to the audit record as
 * {@code retry_after_seconds}.
 *
 * <p>The permit is closed exactly once when the rest of the chain's stage completes: normally, exceptionally (the
 * handler threw, or its {@code Mono} failed or timed out), or when {@code proceed} itself throws. A throttle that
 * throws or returns null denies the call with {@link ReasonCode#GUARD_ERROR}. Thread-safe and stateless.
 */
public final class ThrottleGuard implements ToolGuard {

    private static final Logger log = LoggerFactory.getLogger(ThrottleGuard.class);

    private final Throttle throttle;
    private final Clock clock;

    /**
     * @param throttle the limits to enforce
     * @param clock    the clock decision ids are stamped with
     */
    public ThrottleGuard(Throttle throttle, Clock clock) {
        this.throttle = Objects.requireNonNull(throttle, "throttle");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    @Override
    public CompletionStage<ToolOutcome> intercept(Chain chain) {
        ToolCall call = chain.call();
        ThrottleResult result;
        try {
            result = throttle.tryAcquire(call);
        } catch (RuntimeException e) {
            log.error("Throttle {} failed on call {} (tool {}); denying", throttle.getClass().getName(),
                    call.callId(), call.toolName(), e);
            result = null;
        }
        if (result == null) {
            return chain.deny(ReasonCode.GUARD_ERROR, "The call could not be checked and was not run.");
        }
        if (result instanceof ThrottleResult.Rejected rejected) {
            return deny(call, rejected);
        }
        Throttle.Permit permit = ((ThrottleResult.Acquired) result).permit();
        CompletionStage<ToolOutcome> stage;
        try {
            stage = chain.proceed(call);
        } catch (RuntimeException | Error e) {
            permit.close();
            throw e;
        }
        if (stage == null) {
            permit.close();
            return null; // the chain reports the broken contract further in
        }
        return stage.whenComplete((outcome, error) -> permit.close());
    }

    private CompletionStage<ToolOutcome> deny(ToolCall call, ThrottleResult.Rejected rejected) {
        ReasonCode reason = rejected.reason();
        String decisionId = Ids.newId(clock);
        if (!ReasonCode.RATE_LIMITED.equals(reason) && !ReasonCode.THROTTLE_UNAVAILABLE.equals(reason)
                && !ReasonCode.BUDGET_EXCEEDED.equals(reason)) {
            return ToolGuard.done(new ToolOutcome.Denied(call, Decision.deny(decisionId, reason,
                    "The call could not be checked against its limits and was not run.")));
        }
        long seconds = Math.max(1, (rejected.retryAfter().toMillis() + 999) / 1000);
        ToolCall denied = call.withAttribute(GuardKeys.RETRY_AFTER, Duration.ofSeconds(seconds))
                .withAttribute(AuditDetails.KEY,
                        AuditDetails.of(call).with(AuditDetails.RETRY_AFTER_SECONDS, Long.toString(seconds)));
        String message = ReasonCode.RATE_LIMITED.equals(reason)
                ? "Too many calls; retry after " + seconds + " s."
                : ReasonCode.BUDGET_EXCEEDED.equals(reason)
                ? "This call would exceed its budget; enough of it is available again in " + seconds + " s."
                : "Rate limits cannot be checked right now; retry after " + seconds + " s.";
        log.debug("Throttled call {} to tool '{}': reason={} retryAfter={}s", call.callId(), call.toolName(), reason,
                seconds);
        return ToolGuard.done(new ToolOutcome.Denied(denied, Decision.deny(decisionId, reason, message)));
    }
}
