package dev.mcpguard.core.throttle;

import java.util.Collections;
import java.util.EnumSet;
import java.util.Objects;
import java.util.Set;

/**
 * At most {@code maxInFlight} calls running at once per combination of the {@link LimitKey}s, for example five
 * calls in flight per caller, or twenty per tool. A slot is taken before the handler runs and given back when the
 * call ends however it ends (result, tool error, exception, timeout of the handler's own {@code Mono}).
 *
 * <pre>{@code
 * ConcurrencyLimit perCaller = ConcurrencyLimit.perCaller().maxInFlight(5);
 * ConcurrencyLimit perTool = ConcurrencyLimit.perTool().maxInFlight(20);
 * }</pre>
 *
 * <p>Concurrency is counted per process, also when rates are shared through Redis. Immutable and thread-safe.
 *
 * @param keyedBy     the dimensions slots are counted by; empty means one count for all calls
 * @param maxInFlight the most calls in flight per key, at least 1
 */
public record ConcurrencyLimit(Set<LimitKey> keyedBy, int maxInFlight) {

    public ConcurrencyLimit {
        Objects.requireNonNull(keyedBy, "keyedBy");
        keyedBy = keyedBy.isEmpty() ? Set.of() : Collections.unmodifiableSet(EnumSet.copyOf(keyedBy));
        if (maxInFlight < 1 || maxInFlight > 1_000_000) {
            throw new IllegalArgumentException("maxInFlight must be between 1 and 1000000, got " + maxInFlight);
        }
    }

    /** Starts a limit counted per caller. */
    public static Builder perCaller() {
        return new Builder().perCaller();
    }

    /** Starts a limit counted per tool. */
    public static Builder perTool() {
        return new Builder().perTool();
    }

    /** Starts a limit counted per tenant. */
    public static Builder perTenant() {
        return new Builder().perTenant();
    }

    /** Starts a limit counted over all calls. */
    public static Builder global() {
        return new Builder();
    }

    /** Builds a {@link ConcurrencyLimit}. Not thread-safe. */
    public static final class Builder {
        private final EnumSet<LimitKey> keyedBy = EnumSet.noneOf(LimitKey.class);

        private Builder() {
        }

        /** Also counted per caller. */
        public Builder perCaller() {
            keyedBy.add(LimitKey.CALLER);
            return this;
        }

        /** Also counted per tool. */
        public Builder perTool() {
            keyedBy.add(LimitKey.TOOL);
            return this;
        }

        /** Also counted per tenant. */
        public Builder perTenant() {
            keyedBy.add(LimitKey.TENANT);
            return this;
        }

        /** Also counted per server. */
        public Builder perServer() {
            keyedBy.add(LimitKey.SERVER);
            return this;
        }

        /** Finishes the limit with at most {@code maxInFlight} calls in flight per key. */
        public ConcurrencyLimit maxInFlight(int maxInFlight) {
            return new ConcurrencyLimit(keyedBy, maxInFlight);
        }
    }
}
