package dev.mcpguard.core.internal;

import java.time.Duration;
import java.util.Objects;

/**
 * Validation shared by the builders of the Redis-backed stores (rate limits, revocations). Error messages show the
 * bad value, except for the Redis URI, which may carry a password. Internal to mcp-guard: not a supported API.
 */
public final class RedisSettings {

    private RedisSettings() {
    }

    /** A {@code redis://} or {@code rediss://} URI; the value is never echoed (it may hold a password). */
    public static String redisUri(String uri) {
        Objects.requireNonNull(uri, "redisUri");
        if (!uri.startsWith("redis://") && !uri.startsWith("rediss://")) {
            throw new IllegalArgumentException("redisUri must start with redis:// or rediss://");
        }
        return uri;
    }

    /** A key prefix of 1 to 64 visible ASCII characters. */
    public static String keyPrefix(String keyPrefix) {
        Objects.requireNonNull(keyPrefix, "keyPrefix");
        if (keyPrefix.isEmpty() || keyPrefix.length() > 64 || keyPrefix.chars().anyMatch(c -> c < 0x21 || c > 0x7e)) {
            throw new IllegalArgumentException("keyPrefix must be 1 to 64 visible ASCII characters, got '"
                    + keyPrefix + "'");
        }
        return keyPrefix;
    }

    /** {@code value}, if between {@code min} and {@code max} inclusive. */
    public static Duration within(String name, Duration value, Duration min, Duration max) {
        Objects.requireNonNull(value, name);
        if (value.compareTo(min) < 0 || value.compareTo(max) > 0) {
            throw new IllegalArgumentException(name + " must be between " + min + " and " + max + ", got " + value);
        }
        return value;
    }
}
