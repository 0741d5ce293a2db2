package dev.mcpguard.core.guardrails;

import java.io.IOException;

/**
 * A classifier could not answer (HTTP error status, malformed or oversized answer, connection failure). Its message
 * names what went wrong and is safe to log: it never holds request text, response body or a token, which is why
 * {@link BoundedClassifier} logs it while it logs only the class name of any other exception.
 */
final class ClassifierUnavailableException extends IOException {

    private static final long serialVersionUID = 1L;

    ClassifierUnavailableException(String message) {
        super(message);
    }

    ClassifierUnavailableException(String message, Throwable cause) {
        super(message, cause);
    }
}
