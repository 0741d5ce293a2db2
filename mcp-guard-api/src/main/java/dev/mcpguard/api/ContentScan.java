package dev.mcpguard.api;

import java.util.List;
import java.util.Objects;

/**
 * What the guardrails found in one scanned value (a call's arguments, or its result): the findings, and whether
 * the whole value was looked at. A scan a bound stopped (too deep, too many strings, too much text, content that
 * cannot be read as text) says {@code complete == false}; policy should not treat such a value as clean.
 *
 * <p>Immutable and thread-safe.
 *
 * @param findings what was found, at most one per kind, rule and path (copied)
 * @param complete whether every string of the value was scanned
 */
public record ContentScan(List<Finding> findings, boolean complete) {

    /** A complete scan that found nothing. */
    public static final ContentScan CLEAN = new ContentScan(List.of(), true);

    public ContentScan {
        findings = List.copyOf(Objects.requireNonNull(findings, "findings"));
    }

    /** Whether policy needs to look: something was found, or not everything could be scanned. */
    public boolean needsReview() {
        return !complete || !findings.isEmpty();
    }
}
