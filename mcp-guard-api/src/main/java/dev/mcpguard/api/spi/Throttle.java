package dev.mcpguard.api.spi;

import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolCall;
import java.time.Duration;
import java.util.Objects;
import java.util.Set;

/**
 * Limits how often and how many at once a caller, tenant or tool may run calls.
 *
 * <p>Implementations must be thread-safe and must never block a call longer than their configured timeout;
 * what they do when their backing store is unreachable (deny, or fall back to local limits) is their documented
 * configuration.
 */
@FunctionalInterface
public interface Throttle {

    /** Takes a permit for {@code call}, or says when to retry. Never returns null. */
    ThrottleResult tryAcquire(ToolCall call);

    /**
     * The policy obligation keys this throttle enforces (for example {@code rate_limit}); the guard chain denies a
     * call whose policy allow carries an obligation no control enforces. Default: none. Never null.
     */
    default Set<String> enforcedObligations() {
        return Set.of();
    }

    /** The answer of {@link #tryAcquire}. */
    sealed interface ThrottleResult permits ThrottleResult.Acquired, ThrottleResult.Rejected {

        /** The call may run; close the permit when it ends (releases concurrency slots). */
        record Acquired(Permit permit) implements ThrottleResult {
            public Acquired {
                Objects.requireNonNull(permit, "permit");
            }
        }

        /**
         * The call must not run now.
         *
         * @param reason     usually {@link ReasonCode#RATE_LIMITED}
         * @param retryAfter how long until a retry may succeed
         */
        record Rejected(ReasonCode reason, Duration retryAfter) implements ThrottleResult {
            public Rejected {
                Objects.requireNonNull(reason, "reason");
                Objects.requireNonNull(retryAfter, "retryAfter");
            }
        }
    }

    /** Held for the duration of one call. Closing twice has no further effect. */
    @FunctionalInterface
    interface Permit extends AutoCloseable {
        /** A permit that holds nothing. */
        Permit NONE = () -> { };

        @Override
        void close();
    }
}
