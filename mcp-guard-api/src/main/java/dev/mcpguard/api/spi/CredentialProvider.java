package dev.mcpguard.api.spi;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.Secret;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Hands a tool handler the downstream credential it may use for this call, never the caller's own token.
 *
 * <p>Which credential a caller and tool may use is decided by policy (through decision obligations) or a static
 * mapping; the provider only fetches, decrypts and, for OAuth grants, refreshes it. Implementations must be
 * thread-safe and must never put a credential value in a log line, an exception message or a metric.
 */
@FunctionalInterface
public interface CredentialProvider {

    /**
     * Returns a usable credential for {@code request}.
     *
     * @throws CredentialUnavailableException when there is no such credential, it cannot be decrypted, or it
     *                                        needs re-consent; the message is safe to show to the client
     */
    CredentialLease obtain(CredentialRequest request) throws CredentialUnavailableException;

    /**
     * What is asked for.
     *
     * @param caller         the verified caller the credential is used for
     * @param server         the MCP server name
     * @param tool           the tool name
     * @param credentialName the logical name of the credential (for example {@code crm-api})
     * @param subjectToken   the caller's own inbound token, when the transport passed it on; used only as the
     *                       subject token of an RFC 8693 token exchange, never forwarded as is
     */
    record CredentialRequest(CallerIdentity caller, String server, String tool, String credentialName,
                             Optional<Secret> subjectToken) {
        public CredentialRequest {
            Objects.requireNonNull(caller, "caller");
            Objects.requireNonNull(server, "server");
            Objects.requireNonNull(tool, "tool");
            Objects.requireNonNull(credentialName, "credentialName");
            Objects.requireNonNull(subjectToken, "subjectToken");
        }

        /** A request without the caller's inbound token. */
        public CredentialRequest(CallerIdentity caller, String server, String tool, String credentialName) {
            this(caller, server, tool, credentialName, Optional.empty());
        }

        @Override
        public String toString() {
            return "CredentialRequest[caller=" + caller.subject() + ", server=" + server + ", tool=" + tool
                    + ", credentialName=" + credentialName + "]";
        }
    }

    /**
     * A credential ready to use.
     *
     * @param credentialId the stored credential's id, safe to audit
     * @param keyVersion   the version of the key that decrypted it, safe to audit
     * @param secret       the value
     * @param expiresAt    when the value stops working, when known
     */
    record CredentialLease(String credentialId, String keyVersion, Secret secret, Optional<Instant> expiresAt) {
        public CredentialLease {
            Objects.requireNonNull(credentialId, "credentialId");
            Objects.requireNonNull(keyVersion, "keyVersion");
            Objects.requireNonNull(secret, "secret");
            Objects.requireNonNull(expiresAt, "expiresAt");
        }
    }

    /**
     * The credential cannot be provided; the message is safe for clients and logs, and the reason code says why
     * ({@link ReasonCode#CREDENTIAL_UNAVAILABLE} unless given).
     */
    final class CredentialUnavailableException extends Exception {
        private static final long serialVersionUID = 1L;

        private final transient ReasonCode reason;

        public CredentialUnavailableException(String message) {
            this(ReasonCode.CREDENTIAL_UNAVAILABLE, message);
        }

        public CredentialUnavailableException(String message, Throwable cause) {
            this(ReasonCode.CREDENTIAL_UNAVAILABLE, message, cause);
        }

        public CredentialUnavailableException(ReasonCode reason, String message) {
            super(message);
            this.reason = Objects.requireNonNull(reason, "reason");
        }

        public CredentialUnavailableException(ReasonCode reason, String message, Throwable cause) {
            super(message, cause);
            this.reason = Objects.requireNonNull(reason, "reason");
        }

        /** Why the credential cannot be provided. */
        public ReasonCode reason() {
            return reason;
        }
    }
}
