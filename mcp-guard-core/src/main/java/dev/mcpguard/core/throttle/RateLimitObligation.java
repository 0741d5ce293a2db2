package dev.mcpguard.core.throttle;

import java.time.Duration;
import java.util.EnumSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads the {@code rate_limit} obligation a policy may attach to an allow decision:
 * <pre>{@code
 * {"rate_limit": {"per_minute": 10}}
 * {"rate_limit": {"per_second": 5, "capacity": 20, "key": ["tenant", "tool"]}}
 * }</pre>
 * Exactly one of {@code per_second}, {@code per_minute}, {@code per_hour} (a whole number from 1 to
 * {@link RateLimit#MAX_TOKENS}); optional {@code capacity} (the burst, default the rate); optional {@code key}, a
 * list of {@code caller}, {@code tenant}, {@code tool}, {@code server} (default {@code ["caller", "tool"]}).
 * Any other field or value is malformed. Thread-safe (stateless).
 */
final class RateLimitObligation {

    static final String NAME = "rate_limit";
    private static final Set<String> FIELDS = Set.of("per_second", "per_minute", "per_hour", "capacity", "key");

    private RateLimitObligation() {
    }

    /**
     * The limit the obligations ask for, if any.
     *
     * @throws IllegalArgumentException when the obligation is present but malformed; the message names the
     *                                  problem, not the caller
     */
    static Optional<RateLimit> read(Map<String, Object> obligations) {
        Object value = obligations.get(NAME);
        if (value == null) {
            return Optional.empty();
        }
        if (!(value instanceof Map<?, ?> fields)) {
            throw new IllegalArgumentException("rate_limit must be an object");
        }
        for (Object field : fields.keySet()) {
            if (!(field instanceof String name) || !FIELDS.contains(name)) {
                throw new IllegalArgumentException("rate_limit has an unknown field");
            }
        }
        Long tokens = null;
        Duration period = null;
        for (var rate : List.of(Map.entry("per_second", Duration.ofSeconds(1)),
                Map.entry("per_minute", Duration.ofMinutes(1)), Map.entry("per_hour", Duration.ofHours(1)))) {
            if (fields.containsKey(rate.getKey())) {
                if (tokens != null) {
                    throw new IllegalArgumentException("rate_limit must give exactly one of per_second, per_minute, per_hour");
                }
                tokens = wholeNumber(fields.get(rate.getKey()), rate.getKey());
                period = rate.getValue();
            }
        }
        if (tokens == null) {
            throw new IllegalArgumentException("rate_limit must give one of per_second, per_minute, per_hour");
        }
        long capacity = fields.containsKey("capacity") ? wholeNumber(fields.get("capacity"), "capacity") : tokens;
        Set<LimitKey> keys = fields.containsKey("key") ? keys(fields.get("key"))
                : EnumSet.of(LimitKey.CALLER, LimitKey.TOOL);
        return Optional.of(new RateLimit(keys, capacity, tokens, period));
    }

    private static long wholeNumber(Object value, String name) {
        if (value instanceof Integer || value instanceof Long || value instanceof Short) {
            long n = ((Number) value).longValue();
            if (n >= 1 && n <= RateLimit.MAX_TOKENS) {
                return n;
            }
        } else if (value instanceof Number number) {
            double d = number.doubleValue();
            if (d >= 1 && d <= RateLimit.MAX_TOKENS && d == Math.rint(d)) {
                return (long) d;
            }
        }
        throw new IllegalArgumentException("rate_limit." + name + " must be a whole number from 1 to " + RateLimit.MAX_TOKENS);
    }

    private static Set<LimitKey> keys(Object value) {
        if (!(value instanceof List<?> list)) {
            throw new IllegalArgumentException("rate_limit.key must be a list");
        }
        EnumSet<LimitKey> keys = EnumSet.noneOf(LimitKey.class);
        for (Object item : list) {
            if (!(item instanceof String name)) {
                throw new IllegalArgumentException("rate_limit.key items must be strings");
            }
            try {
                keys.add(LimitKey.valueOf(name.toUpperCase(Locale.ROOT)));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("rate_limit.key items must be caller, tenant, tool or server");
            }
        }
        return keys;
    }
}
