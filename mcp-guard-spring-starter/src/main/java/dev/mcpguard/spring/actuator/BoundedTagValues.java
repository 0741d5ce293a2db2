package dev.mcpguard.spring.actuator;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;

/**
 * Keeps a meter tag's values few: the first {@code limit} distinct values pass as they are, any later one becomes
 * {@value #OTHER}, so a policy that invents reason codes, or tools added at runtime without end, cannot grow the
 * number of time series without bound. Thread-safe; the limit may be overshot by the number of racing threads.
 */
final class BoundedTagValues {

    /** The tag value standing for every value past the limit. */
    static final String OTHER = "other";
    /** The tag value for a fact that does not exist on this call (for example no reason on a success). */
    static final String NONE = "none";

    private final int limit;
    private final Set<String> seen = ConcurrentHashMap.newKeySet();

    BoundedTagValues(int limit) {
        if (limit < 1) {
            throw new IllegalArgumentException("limit must be at least 1, got " + limit);
        }
        this.limit = limit;
    }

    /** {@code value} if it is one of the first {@code limit} distinct values, {@link #OTHER} otherwise. */
    String of(String value) {
        if (value == null) {
            return NONE;
        }
        if (seen.contains(value)) {
            return value;
        }
        if (seen.size() >= limit) {
            return OTHER;
        }
        seen.add(value);
        return value;
    }
}
