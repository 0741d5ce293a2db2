package dev.mcpguard.core.policy.opa;

/**
 * A policy bundle could not be fetched, read or verified. The message says why in terms an operator can act on
 * (which file, which limit, which check) and never contains key material or bundle contents.
 *
 * <p>Checked on purpose: every caller that loads a bundle must decide what a bad bundle means (the engine keeps
 * the last good one).
 */
public final class BundleException extends Exception {

    public BundleException(String message) {
        super(message);
    }

    public BundleException(String message, Throwable cause) {
        super(message, cause);
    }
}
