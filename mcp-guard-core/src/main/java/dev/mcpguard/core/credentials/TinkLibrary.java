package dev.mcpguard.core.credentials;

/**
 * Checks that Tink, an optional dependency of mcp-guard-core, is on the classpath before any class that uses it is
 * touched, so that enabling credentials without it fails at once with the artifact to add instead of a
 * {@code NoClassDefFoundError}. This class must never refer to a Tink type itself (its own loading would fail).
 *
 * <p>Stateless and thread-safe.
 */
final class TinkLibrary {

    /** The Tink version mcp-guard-core is built and tested with (checked by a test against the build's). */
    static final String TESTED_VERSION = "1.24.0";
    static final String ARTIFACT = "com.google.crypto.tink:tink:" + TESTED_VERSION;

    private static final boolean PRESENT = isPresent();

    private TinkLibrary() {
    }

    /** Throws {@link IllegalStateException} naming the artifact when Tink is missing; {@code what} needs it. */
    static void require(String what) {
        if (!PRESENT) {
            throw new IllegalStateException(what + " needs Tink, an optional dependency of mcp-guard-core: add "
                    + ARTIFACT + " to your dependencies (and tink-awskms or tink-gcpkms for a KMS)");
        }
    }

    private static boolean isPresent() {
        try {
            Class.forName("com.google.crypto.tink.Aead", false, TinkLibrary.class.getClassLoader());
            return true;
        } catch (ClassNotFoundException | LinkageError e) {
            return false;
        }
    }
}
