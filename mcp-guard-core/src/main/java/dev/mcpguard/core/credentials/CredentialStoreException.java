package dev.mcpguard.core.credentials;

/**
 * The credential store cannot do what was asked: a backend is down, a file is corrupt, a record does not
 * decrypt. Messages name ids, paths and key versions only, never a credential value or plaintext.
 */
public class CredentialStoreException extends RuntimeException {
    private static final long serialVersionUID = 1L;

    public CredentialStoreException(String message) {
        super(message);
    }

    public CredentialStoreException(String message, Throwable cause) {
        super(message, cause);
    }
}
