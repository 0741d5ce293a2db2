package dev.mcpguard.core.throttle;

import java.time.Duration;
import java.time.format.DateTimeParseException;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * Reads the {@code budget} obligation a policy may attach to an allow decision: a cumulative allowance that each
 * call spends from, for example at most 500 refunded per caller and order per day:
 * <pre>{@code
 * {"budget": {"key": "refund_order:amount:acme-1001", "amount": 240, "window": "P1D", "limit": 500}}
 * }</pre>
 * All four fields are required and no other is allowed: {@code key}, a string of 1 to {@value #MAX_KEY_LENGTH}
 * characters naming what is budgeted (the bucket is keyed by the caller, the server and this key; the key is
 * stored only hashed); {@code amount}, a whole number from 0 to {@link RateLimit#MAX_TOKENS} that this call spends
 * (0 spends nothing); {@code window}, an ISO-8601 duration from 1 second to 1 day ({@code "PT1H"}, {@code "P1D"}) in
 * which {@code limit} (a whole number from 1 to {@link RateLimit#MAX_TOKENS}) is given back, a token bucket
 * refilled greedily. Anything else is malformed. Thread-safe (stateless).
 */
final class BudgetObligation {

    static final String NAME = "budget";
    static final int MAX_KEY_LENGTH = 256;
    private static final Set<String> FIELDS = Set.of("key", "amount", "window", "limit");

    /**
     * A budget to spend from.
     *
     * @param key    the policy's key
     * @param amount what this call spends
     * @param bucket the bucket: capacity {@code limit}, refilled with {@code limit} per {@code window}
     */
    record Budget(String key, long amount, RateLimit bucket) {
    }

    private BudgetObligation() {
    }

    /**
     * The budget the obligations ask for, if any.
     *
     * @throws IllegalArgumentException when the obligation is present but malformed; the message names the
     *                                  problem, never the key's value
     */
    static Optional<Budget> read(Map<String, Object> obligations) {
        Object value = obligations.get(NAME);
        if (value == null) {
            return Optional.empty();
        }
        if (!(value instanceof Map<?, ?> fields)) {
            throw new IllegalArgumentException("budget must be an object");
        }
        for (Object field : fields.keySet()) {
            if (!(field instanceof String name) || !FIELDS.contains(name)) {
                throw new IllegalArgumentException("budget has an unknown field");
            }
        }
        for (String field : FIELDS) {
            if (fields.get(field) == null) {
                throw new IllegalArgumentException("budget." + field + " is required");
            }
        }
        if (!(fields.get("key") instanceof String key) || key.isEmpty() || key.length() > MAX_KEY_LENGTH) {
            throw new IllegalArgumentException("budget.key must be a string of 1 to " + MAX_KEY_LENGTH + " characters");
        }
        long amount = wholeNumber(fields.get("amount"), "amount", 0);
        long limit = wholeNumber(fields.get("limit"), "limit", 1);
        Duration window = window(fields.get("window"));
        return Optional.of(new Budget(key, amount, new RateLimit(Set.of(LimitKey.CALLER), limit, limit, window)));
    }

    private static Duration window(Object value) {
        if (value instanceof String text) {
            try {
                Duration window = Duration.parse(text);
                if (window.compareTo(Duration.ofSeconds(1)) >= 0 && window.compareTo(Duration.ofDays(1)) <= 0) {
                    return window;
                }
            } catch (DateTimeParseException e) {
                // reported below
            }
        }
        throw new IllegalArgumentException("budget.window must be an ISO-8601 duration from PT1S to P1D");
    }

    private static long wholeNumber(Object value, String name, long minimum) {
        if (value instanceof Integer || value instanceof Long || value instanceof Short) {
            long n = ((Number) value).longValue();
            if (n >= minimum && n <= RateLimit.MAX_TOKENS) {
                return n;
            }
        } else if (value instanceof Number number) {
            double d = number.doubleValue();
            if (d >= minimum && d <= RateLimit.MAX_TOKENS && d == Math.rint(d)) {
                return (long) d;
            }
        }
        throw new IllegalArgumentException("budget." + name + " must be a whole number from " + minimum + " to "
                + RateLimit.MAX_TOKENS);
    }
}
