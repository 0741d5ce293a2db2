package dev.mcpguard.api;

import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;

/**
 * One control around a tool call, in the manner of an OkHttp interceptor: look at the call, then either answer
 * without proceeding (that is how a guard denies) or call {@link Chain#proceed(ToolCall)} and return, or
 * decorate, what the rest of the chain produced.
 *
 * <pre>{@code
 * ToolGuard businessHours = chain -> isBusinessHours(clock)
 *         ? chain.proceed(chain.call())
 *         : chain.deny(ReasonCode.of("outside_business_hours"), "This tool is available 8:00-18:00.");
 * }</pre>
 *
 * <p>Contract: return a non-null stage; call {@code proceed} at most once. A guard that throws, returns
 * {@code null} or proceeds twice breaks the contract; the chain turns that into a denial with reason
 * {@link ReasonCode#GUARD_ERROR} naming the guard in the server log, never into an allowed call.
 *
 * <p>Implementations must be thread-safe: one guard instance serves all concurrent calls. A guard may block
 * (for example on a remote policy engine), bounded by its own timeouts.
 */
@FunctionalInterface
public interface ToolGuard {

    /** Decides about {@code chain.call()} and returns how the call ended. */
    CompletionStage<ToolOutcome> intercept(Chain chain);

    /** The rest of the chain, from this guard's point of view. Not shared between calls. */
    interface Chain {

        /** The call as it reached this guard. */
        ToolCall call();

        /** Passes {@code call} (this call, possibly with more attributes) to the next guard or the handler. */
        CompletionStage<ToolOutcome> proceed(ToolCall call);

        /** Ends the call here with a denial; the handler does not run. */
        CompletionStage<ToolOutcome> deny(Decision.Deny decision);

        /** Ends the call here with a denial carrying a fresh decision id. */
        CompletionStage<ToolOutcome> deny(ReasonCode reason, String message);
    }

    /** A completed stage holding {@code outcome}; a convenience for synchronous guards. */
    static CompletionStage<ToolOutcome> done(ToolOutcome outcome) {
        return CompletableFuture.completedFuture(outcome);
    }
}
