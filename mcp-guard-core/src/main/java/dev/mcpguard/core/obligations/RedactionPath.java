package dev.mcpguard.core.obligations;

import java.util.List;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * One path of a {@code redact_fields} obligation: dot-separated segments, each a member name
 * ({@code [A-Za-z0-9_-]+}) or {@code *} (every member of an object, every element of an array), for example
 * {@code customer.email} or {@code orders.*.payment.card_last4}. Paths start at the root of the result's
 * {@code structuredContent} (or of a text content that holds serialized JSON). Arrays are traversed
 * transparently: a name segment applied to an array applies to each element, so {@code orders.customer.email}
 * also reaches every order of a list. Immutable and thread-safe.
 *
 * @param text     the path as the policy wrote it
 * @param segments its segments, {@code *} for a wildcard
 */
record RedactionPath(String text, List<String> segments) {

    /** The longest accepted path, in characters. */
    static final int MAX_LENGTH = 256;
    /** The most segments a path may have. */
    static final int MAX_SEGMENTS = 32;
    static final String WILDCARD = "*";

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_-]+");

    RedactionPath {
        Objects.requireNonNull(text, "text");
        segments = List.copyOf(segments);
    }

    /**
     * Parses {@code text}.
     *
     * @throws IllegalArgumentException when the path is empty, too long, has an empty segment or a character
     *                                  outside the syntax; the message does not repeat the path
     */
    static RedactionPath parse(String text) {
        Objects.requireNonNull(text, "text");
        if (text.isEmpty() || text.length() > MAX_LENGTH) {
            throw new IllegalArgumentException("a redact_fields path must be 1 to " + MAX_LENGTH
                    + " characters, got " + text.length());
        }
        String[] parts = text.split("\\.", -1);
        if (parts.length > MAX_SEGMENTS) {
            throw new IllegalArgumentException("a redact_fields path may have at most " + MAX_SEGMENTS
                    + " segments, got " + parts.length);
        }
        for (String part : parts) {
            if (!part.equals(WILDCARD) && !NAME.matcher(part).matches()) {
                throw new IllegalArgumentException("a redact_fields path segment must be a name of letters, digits,"
                        + " '_' or '-', or '*'");
            }
        }
        return new RedactionPath(text, List.of(parts));
    }

    @Override
    public String toString() {
        return text;
    }
}
