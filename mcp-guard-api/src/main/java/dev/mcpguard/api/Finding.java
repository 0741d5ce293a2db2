package dev.mcpguard.api;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * What a guardrail detector found in a tool call's arguments or result (or a resource's contents, a prompt's
 * messages, a tool definition): the kind of thing, the rule that found it, where, and how sure the detector is.
 * Findings go into the policy input and the audit record, so they never carry the matched text itself: a found
 * card number or token is described, never repeated.
 *
 * <pre>{@code
 * new Finding("pii.payment_card", "pii.payment_card.luhn", "$.customer.note", 0.99)
 * }</pre>
 *
 * <p>Immutable and thread-safe.
 *
 * @param kind       what was found, dotted lower case: {@code prompt_injection}, {@code pii.email},
 *                   {@code secret.github_token}, {@code tool.poisoning}; a stable vocabulary listed in
 *                   {@code docs/guardrails.md}
 * @param ruleId     the rule that matched, dotted lower case ({@code injection.instruction_override}), stable
 *                   across releases so policies and dashboards can refer to it
 * @param path       where: a JSON path into the scanned value ({@code $.arguments.note}, {@code $.content[0].text},
 *                   {@code $['odd key']}), at most {@value #MAX_PATH_LENGTH} characters
 * @param confidence how sure the detector is, from 0 (a guess) to 1 (validated, for example by a checksum)
 */
public record Finding(String kind, String ruleId, String path, double confidence) {

    /** The longest path kept; longer ones are cut and end in {@code "..."}. */
    public static final int MAX_PATH_LENGTH = 256;

    private static final Pattern NAME = Pattern.compile("[a-z0-9][a-z0-9_.-]{0,63}");

    public Finding {
        requireName("kind", kind);
        requireName("ruleId", ruleId);
        Objects.requireNonNull(path, "path");
        if (!path.startsWith("$")) {
            throw new IllegalArgumentException("path must be a JSON path starting with '$'");
        }
        if (path.length() > MAX_PATH_LENGTH) {
            path = path.substring(0, MAX_PATH_LENGTH - 3) + "...";
        }
        if (!(confidence >= 0 && confidence <= 1)) {
            throw new IllegalArgumentException("confidence must be between 0 and 1, got " + confidence);
        }
    }

    private static void requireName(String what, String value) {
        Objects.requireNonNull(value, what);
        if (!NAME.matcher(value).matches()) {
            // The value is not repeated: a detector bug must not turn a finding's name into a leak.
            throw new IllegalArgumentException(what + " must be 1 to 64 of a-z, 0-9, '_', '.', '-' starting with a "
                    + "letter or digit (length " + value.length() + ")");
        }
    }
}
