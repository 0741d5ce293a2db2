package dev.mcpguard.core.guardrails;

import dev.mcpguard.api.Finding;
import java.util.Objects;

/**
 * One match of a {@link TextDetector} in one scanned string: the span {@code [start, end)} of the string as it was
 * given to the detector (so a redactor can mask exactly it), and what the span is. A match stays inside the
 * process; what leaves it is the {@link Finding} made from it ({@link #toFinding}), without the span's text.
 *
 * <p>Immutable and thread-safe.
 *
 * @param start      first char of the span, inclusive
 * @param end        last char of the span, exclusive; {@code start <= end}
 * @param kind       as {@link Finding#kind()}
 * @param ruleId     as {@link Finding#ruleId()}
 * @param confidence as {@link Finding#confidence()}
 */
record TextMatch(int start, int end, String kind, String ruleId, double confidence) {

    TextMatch {
        if (start < 0 || end < start) {
            throw new IllegalArgumentException("span must satisfy 0 <= start <= end, got [" + start + ", " + end + ")");
        }
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(ruleId, "ruleId");
    }

    /** The finding this match reports at {@code path} (the scanned string's JSON path). */
    Finding toFinding(String path) {
        return new Finding(kind, ruleId, path, confidence);
    }
}
