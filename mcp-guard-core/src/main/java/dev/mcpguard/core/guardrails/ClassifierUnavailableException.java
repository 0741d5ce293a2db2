package dev.mcpguard.core.guardrails;

import java.io.IOException;

/**
 * A classifier could not answer (HTTP error status, malformed or oversized answer, connection failure). Its message
 * names what went wrong and is safe to log: it never holds request text, response body or a token, which is why
 * {@link BoundedClassifier} logs it while it logs only the class name of any other exception.
 */
final class ClassifierUnavailableException extends IOException {

    private static final long serialVersionUID = 1L;

    private final boolean timedOut;

    ClassifierUnavailableException(String message) {
        this(message, false);
    }

    private ClassifierUnavailableException(String message, boolean timedOut) {
        super(message);
        this.timedOut = timedOut;
    }

    /** The classifier did not answer in time (its own request timeout, not the caller's budget). */
    static ClassifierUnavailableException timedOut(String message) {
        return new ClassifierUnavailableException(message, true);
    }

    /** True when the classifier did not answer in time. */
    boolean timedOut() {
        return timedOut;
    }
}
