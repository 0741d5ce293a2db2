package dev.mcpguard.core.guardrails;

/**
 * What the guardrail step does when an external {@link dev.mcpguard.api.spi.ContentClassifier} cannot answer within
 * its time budget: it timed out, threw, completed exceptionally (down, HTTP error, malformed or oversized answer) or
 * answered something that breaks its contract.
 */
public enum ClassifierFailureMode {
    /**
     * Report one finding of kind {@code guardrail.unavailable}, rule {@code classifier.<name>.unavailable}, path
     * {@code $}, confidence 1.0, so the policy denies (the reference policy does) or decides otherwise. The default:
     * a guardrail that is down is not a guardrail that passed.
     */
    FAIL_CLOSED,
    /**
     * Report no finding; the result is marked unavailable (the audit record says so) and a WARN is logged (names
     * only, never text). Choose it when the classifier is an extra signal the built-in detectors back up.
     */
    FAIL_OPEN
}
