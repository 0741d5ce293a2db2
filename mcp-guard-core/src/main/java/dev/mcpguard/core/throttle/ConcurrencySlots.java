package dev.mcpguard.core.throttle;

import java.util.concurrent.ConcurrentHashMap;

/**
 * In-flight counts per key. An entry exists only while a call holds a slot under it, so the map never holds
 * more keys than there are calls in flight: no unbounded growth by caller. Thread-safe.
 */
final class ConcurrencySlots {

    private final ConcurrentHashMap<String, Integer> inFlight = new ConcurrentHashMap<>();

    /** Takes a slot under {@code key} if fewer than {@code max} are taken. */
    boolean tryTake(String key, int max) {
        boolean[] taken = {false};
        inFlight.compute(key, (k, count) -> {
            int n = count == null ? 0 : count;
            if (n >= max) {
                return count;
            }
            taken[0] = true;
            return n + 1;
        });
        return taken[0];
    }

    /** Gives back a slot taken under {@code key}. */
    void release(String key) {
        inFlight.computeIfPresent(key, (k, count) -> count <= 1 ? null : count - 1);
    }

    /** Slots taken under {@code key}. */
    int inFlight(String key) {
        return inFlight.getOrDefault(key, 0);
    }

    /** Keys with a slot taken. */
    int keys() {
        return inFlight.size();
    }
}
