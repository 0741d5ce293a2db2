package dev.mcpguard.api.spi;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.Secret;
import java.util.Objects;

/**
 * Turns a credential presented by a client into a verified {@link CallerIdentity}.
 *
 * <p>Implementations must be thread-safe, must not log or echo the credential, and must fail closed: a
 * credential that cannot be verified for any reason (bad signature, unreachable key set, expired, wrong
 * audience) is {@link IdentityResult.Rejected}, never an exception and never an identity. A resolver that does
 * not handle a kind of credential answers {@link IdentityResult.NotApplicable} so the next one may try.
 */
@FunctionalInterface
public interface IdentityResolver {

    /** Verifies {@code credential}; never returns null. */
    IdentityResult resolve(PresentedCredential credential);

    /** A credential as the client presented it; its value is a {@link Secret}. */
    sealed interface PresentedCredential permits PresentedCredential.BearerToken, PresentedCredential.ApiKey {

        /** The secret value. */
        Secret value();

        /** {@code Authorization: Bearer <token>}. */
        record BearerToken(Secret value) implements PresentedCredential {
            public BearerToken {
                Objects.requireNonNull(value, "value");
            }
        }

        /** An API key header for service callers. */
        record ApiKey(Secret value) implements PresentedCredential {
            public ApiKey {
                Objects.requireNonNull(value, "value");
            }
        }
    }

    /** The result of verification. */
    sealed interface IdentityResult
            permits IdentityResult.Authenticated, IdentityResult.Rejected, IdentityResult.NotApplicable {

        /** The credential is valid and identifies {@code identity}. */
        record Authenticated(CallerIdentity identity) implements IdentityResult {
            public Authenticated {
                Objects.requireNonNull(identity, "identity");
            }
        }

        /**
         * The credential is not acceptable.
         *
         * @param reason      machine-readable reason, usually {@link ReasonCode#INVALID_TOKEN}
         * @param description a short description safe to return to the client (RFC 6750
         *                    {@code error_description}); never contains the credential
         */
        record Rejected(ReasonCode reason, String description) implements IdentityResult {
            public Rejected {
                Objects.requireNonNull(reason, "reason");
                Objects.requireNonNull(description, "description");
            }
        }

        /** This resolver does not handle this kind of credential. */
        record NotApplicable() implements IdentityResult {
        }
    }
}
