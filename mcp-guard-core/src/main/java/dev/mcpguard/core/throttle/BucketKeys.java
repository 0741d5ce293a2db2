package dev.mcpguard.core.throttle;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ToolCall;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.Set;

/**
 * The keys buckets and concurrency slots are kept under: {@code kind:hash}, where the hash (the first 16 bytes of
 * a SHA-256, in hex) covers the kind, the limit's fingerprint and the values of the dimensions the limit is keyed
 * by, so nothing personal is stored in clear. What is hashed is, in UTF-8,
 * {@code kind U+0001 fingerprint} followed by {@code U+0001 DIMENSION=value} for each dimension in
 * {@link LimitKey} order (a caller's value is {@code issuer U+0000 subject}): the keys mcp-guard has always
 * derived, in this process and in Redis.
 *
 * <p>Cheaper, not different: a {@link Prefix} hashes the constant start of one limit's keys once, and each call
 * continues from a copy of that digest; {@link CallValues} encodes one call's values once, however many limits
 * key by them. Nothing is cached across calls, so no caller can evict or reset another's bucket.
 *
 * <p>Thread-safe: a {@code Prefix} is immutable (its digest is only ever cloned); a {@code CallValues} belongs to
 * one {@code tryAcquire} on one thread.
 */
final class BucketKeys {

    private static final HexFormat HEX = HexFormat.of();
    /** {@code U+0001 NAME =} per dimension, by ordinal. */
    private static final byte[][] HEADERS = new byte[LimitKey.values().length][];
    private static final MessageDigest SHA_256;

    static {
        for (LimitKey dimension : LimitKey.values()) {
            HEADERS[dimension.ordinal()] = utf8('\u0001' + dimension.name() + '=');
        }
        try {
            SHA_256 = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required by the Java platform", e);
        }
    }

    private BucketKeys() {
    }

    /** The constant start of one limit's keys, already hashed. Immutable. */
    static final class Prefix {
        private final String kind;
        private final LimitKey[] dimensions;
        private final MessageDigest started;

        /**
         * @param kind        {@code r} for a rate limit, {@code c} for a concurrency limit
         * @param keyedBy     the dimensions the limit counts by
         * @param fingerprint what tells this limit's buckets from another's keyed by the same dimensions
         */
        Prefix(String kind, Set<LimitKey> keyedBy, String fingerprint) {
            this.kind = kind;
            this.dimensions = LimitKey.values().length == keyedBy.size() ? LimitKey.values()
                    : java.util.Arrays.stream(LimitKey.values()).filter(keyedBy::contains).toArray(LimitKey[]::new);
            this.started = newDigest();
            started.update(utf8(kind + '\u0001' + fingerprint));
        }

        /** The key of this limit's bucket (or slot count) for the call {@code values} are of. */
        String keyFor(CallValues values) {
            MessageDigest digest = copy(started);
            for (LimitKey dimension : dimensions) {
                digest.update(HEADERS[dimension.ordinal()]);
                digest.update(values.of(dimension));
            }
            return kind + ':' + HEX.formatHex(digest.digest(), 0, 16);
        }
    }

    /** One call's dimension values, each encoded on first use. Confined to one thread. */
    static final class CallValues {
        private final ToolCall call;
        private final byte[][] encoded = new byte[LimitKey.values().length][];

        CallValues(ToolCall call) {
            this.call = call;
        }

        byte[] of(LimitKey dimension) {
            byte[] bytes = encoded[dimension.ordinal()];
            if (bytes == null) {
                bytes = utf8(switch (dimension) {
                    case CALLER -> call.caller().map(BucketKeys::callerValue).orElse("");
                    case TENANT -> call.caller().flatMap(CallerIdentity::tenant).orElse("");
                    case TOOL -> call.toolName();
                    case SERVER -> call.server();
                });
                encoded[dimension.ordinal()] = bytes;
            }
            return bytes;
        }
    }

    /** What identifies a caller in a key: issuer and subject. */
    static String callerValue(CallerIdentity caller) {
        return caller.issuer() + '\u0000' + caller.subject();
    }

    /** The first 16 bytes of the SHA-256 of {@code material}'s UTF-8, in hex. */
    static String sha256Hex(String material) {
        return HEX.formatHex(newDigest().digest(utf8(material)), 0, 16);
    }

    private static MessageDigest newDigest() {
        return copy(SHA_256);
    }

    /** A copy of {@code digest} in its current state; the platform's SHA-256 supports cloning. */
    private static MessageDigest copy(MessageDigest digest) {
        try {
            return (MessageDigest) digest.clone();
        } catch (CloneNotSupportedException e) {
            throw new IllegalStateException("the platform's SHA-256 cannot be cloned", e);
        }
    }

    private static byte[] utf8(String text) {
        return text.getBytes(StandardCharsets.UTF_8);
    }
}
