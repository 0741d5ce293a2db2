package dev.mcpguard.core.throttle;

/** What a throttle with a shared store (Redis) does while the store is unreachable. */
public enum StoreFailureMode {
    /**
     * Deny every call that a shared limit applies to, with reason {@code throttle_unavailable} and a retry-after
     * of the store's retry interval. The safe choice when the downstream cannot take an unthrottled fleet.
     */
    FAIL_CLOSED,
    /**
     * Enforce the same limits in this process only. The fleet may then pass up to (replicas x limit) calls;
     * choose it when availability matters more than the exact ceiling.
     */
    FALL_BACK_TO_LOCAL
}
