package dev.mcpguard.api;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.Arrays;
import java.util.Objects;

/**
 * A secret value (a bearer token, an API key, a downstream credential) that cannot leak by accident.
 *
 * <p>{@link #toString()} never shows the value, {@link #equals(Object)} compares in constant time, and the
 * only way to read the value is the deliberately named {@link #revealUtf8()}, so every place that touches the
 * raw value is easy to find with grep.
 *
 * <p>Instances are immutable and thread-safe. Null values are rejected.
 *
 * <pre>{@code
 * Secret token = Secret.ofUtf8(header.substring("Bearer ".length()));
 * log.info("got {}", token);           // logs "Secret[redacted]"
 * jwtParser.parse(token.revealUtf8()); // the one place the value is read
 * }</pre>
 */
public final class Secret {

    private final byte[] value;

    private Secret(byte[] value) {
        this.value = value;
    }

    /** Wraps the UTF-8 bytes of {@code value}; the caller should drop its own reference afterwards. */
    public static Secret ofUtf8(String value) {
        Objects.requireNonNull(value, "value");
        return new Secret(value.getBytes(StandardCharsets.UTF_8));
    }

    /** Wraps a copy of {@code value}. */
    public static Secret ofBytes(byte[] value) {
        Objects.requireNonNull(value, "value");
        return new Secret(value.clone());
    }

    /** Returns the value as a string. Every call site of this method handles a raw secret: keep them few. */
    public String revealUtf8() {
        return new String(value, StandardCharsets.UTF_8);
    }

    /** Returns a copy of the raw bytes. Every call site of this method handles a raw secret: keep them few. */
    public byte[] revealBytes() {
        return value.clone();
    }

    /** Length of the secret in bytes; safe to log. */
    public int length() {
        return value.length;
    }

    /** Compares with another secret in time independent of where the values differ. */
    public boolean constantTimeEquals(Secret other) {
        return other != null && MessageDigest.isEqual(value, other.value);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Secret other && constantTimeEquals(other);
    }

    @Override
    public int hashCode() {
        // Deliberately constant: a value-derived hash would leak information through hash-based collections.
        return 0x5ec2e7;
    }

    @Override
    public String toString() {
        return "Secret[redacted]";
    }

    /** Overwrites the value in memory. The secret must not be used afterwards. */
    public void destroy() {
        Arrays.fill(value, (byte) 0);
    }
}
