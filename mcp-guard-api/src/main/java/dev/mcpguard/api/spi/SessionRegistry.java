package dev.mcpguard.api.spi;

import dev.mcpguard.api.CallerIdentity;
import java.util.Objects;

/**
 * Remembers which principal opened each MCP session, so that a session id alone never authenticates anyone
 * and a session cannot be used by another principal.
 *
 * <p>The transport binds a session when the server issues its id at {@code initialize}; every later request on
 * that session is checked against the binding. Implementations must be thread-safe and must bound their memory.
 */
public interface SessionRegistry {

    /** Binds a newly issued {@code sessionId} to {@code principal}. Binding an already bound id is refused. */
    void bind(String sessionId, CallerIdentity principal);

    /** Checks that {@code sessionId} is live and bound to {@code principal}; records activity when it is. */
    SessionCheck check(String sessionId, CallerIdentity principal);

    /** Forgets {@code sessionId} (client DELETE, server close, revocation). Unknown ids are ignored. */
    void end(String sessionId);

    /**
     * Whether {@code caller} has been revoked regardless of any session: its subject, its tenant or its token id
     * (JWT {@code jti}). The transport and the chain ask on every request, also on stateless transports.
     * The default revokes no one, for registries without revocation.
     */
    default boolean isRevoked(CallerIdentity caller) {
        return false;
    }

    /** The answer of {@link #check}. */
    sealed interface SessionCheck permits SessionCheck.Valid, SessionCheck.Unknown, SessionCheck.PrincipalMismatch {

        /** The session is live and belongs to the principal. */
        record Valid() implements SessionCheck {
        }

        /** No such live session (never issued, ended, expired or revoked). */
        record Unknown() implements SessionCheck {
        }

        /**
         * The session belongs to another principal; the request must be refused.
         *
         * @param boundSubject the subject the session is bound to, for the server log only
         */
        record PrincipalMismatch(String boundSubject) implements SessionCheck {
            public PrincipalMismatch {
                Objects.requireNonNull(boundSubject, "boundSubject");
            }
        }
    }
}
