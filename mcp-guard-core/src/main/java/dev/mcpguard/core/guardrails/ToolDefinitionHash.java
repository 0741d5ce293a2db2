package dev.mcpguard.core.guardrails;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.HexFormat;
import java.util.regex.Pattern;

/**
 * The canonical hash of a tool definition: SHA-256 over its JSON written by the JSON Canonicalization Scheme
 * (RFC 8785), as {@code sha256:<64 lower-case hex digits>}. The definition is the tool as {@code tools/list}
 * shows it to a client, whole: {@code name}, {@code title}, {@code description}, {@code inputSchema},
 * {@code outputSchema}, {@code annotations}, {@code _meta}, {@code icons}, whatever the server declares. So the
 * hash changes when any of it changes, and does not change with key order, whitespace or how a number is spelled;
 * a client that hashes the definitions it lists gets the same value as the server.
 *
 * <pre>{@code
 * String hash = ToolDefinitionHash.of(Map.of("name", "get_order", "description", "Returns one order.",
 *         "inputSchema", Map.of("type", "object")));   // "sha256:…"
 * }</pre>
 *
 * <p>Values are JSON-like: maps with string keys, lists, strings, numbers, booleans, null. Numbers count as IEEE
 * 754 doubles (RFC 8785), so integers beyond 2^53 that round to the same double hash alike. Stateless and
 * thread-safe.
 */
public final class ToolDefinitionHash {

    /** What every hash starts with: the algorithm. */
    public static final String PREFIX = "sha256:";

    private static final Pattern FORMAT = Pattern.compile("sha256:[0-9a-f]{64}");

    private ToolDefinitionHash() {
    }

    /**
     * The hash of {@code definition} (a whole tool definition, or any part of one such as its input schema).
     *
     * @throws IllegalArgumentException when the value is not JSON-like (a NaN, a map with a non-string key, an
     *                                  object of another type, nesting deeper than 128 levels)
     */
    public static String of(Object definition) {
        return PREFIX + HexFormat.of().formatHex(sha256(canonicalJson(definition)));
    }

    /** The RFC 8785 canonical JSON text that {@link #of} hashes. */
    public static String canonicalJson(Object value) {
        return CanonicalJson.write(value);
    }

    /** Whether {@code text} has the shape of a hash made by {@link #of}. */
    public static boolean isWellFormed(String text) {
        return text != null && FORMAT.matcher(text).matches();
    }

    private static byte[] sha256(String text) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(text.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every Java platform", e);
        }
    }
}
