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

    /**
     * Forgets {@code sessionId} (client DELETE, server close, revocation), telling the end listeners
     * ({@link EndReason#DELETED}). Unknown ids are ignored.
     */
    void end(String sessionId);

    /**
     * Whether {@code caller} has been revoked regardless of any session: its subject, its tenant or its token id
     * (JWT {@code jti}). The transport and the chain ask on every request, also on stateless transports.
     * The default revokes no one, for registries without revocation.
     */
    default boolean isRevoked(CallerIdentity caller) {
        return false;
    }

    /**
     * Whether {@code principal} may open a new session now. The transport asks before a request that may be an
     * {@code initialize} reaches the server, so that a registry at its limit answers with a clear error instead of
     * a session id the client cannot use. Advisory: {@link #bind} may still refuse (for example under a race). The
     * default admits everyone, for registries without limits.
     */
    default boolean admitsNewSession(CallerIdentity principal) {
        return true;
    }

    /**
     * Asks to be told whenever a session ends, for whatever reason ({@link EndReason}), so that what the transport
     * and the MCP server keep for the session (open streams, the server's own session object) is released with it.
     * Returns whether this registry reports session ends; the default does not, and returns {@code false}.
     *
     * <p>Listeners are called after the binding is gone, on the thread that ended it (a request thread, an
     * administrator's thread or a sweeper thread). They must be quick and must not block or call back into the
     * registry; a listener that throws is logged and does not stop the others.
     */
    default boolean addEndListener(SessionEndListener listener) {
        return false;
    }

    /** Told when a session has ended. See {@link #addEndListener}. */
    @FunctionalInterface
    interface SessionEndListener {

        /** Session {@code sessionId} has ended for {@code reason}; never null. */
        void sessionEnded(String sessionId, EndReason reason);
    }

    /** Why a session ended. */
    enum EndReason {
        /** The client deleted it (HTTP DELETE), or the server ended it through {@link #end}. */
        DELETED,
        /** Not used for the idle timeout. */
        IDLE_TIMEOUT,
        /** Its absolute lifetime was reached. */
        LIFETIME_REACHED,
        /** The session, its subject, tenant or token was revoked. */
        REVOKED,
        /** Ended to make room for a newer session of the same principal, which had reached its cap. */
        EVICTED,
        /** Never bound: the registry refused to bind this newly issued id (at its limit). */
        REFUSED
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
