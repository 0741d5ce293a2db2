package dev.mcpguard.core.session;

import java.util.List;

/**
 * The administrative view of sessions: list them, and revoke a session, a subject, a tenant or a token. A
 * revocation takes effect on the next request (HTTP filter and guard chain both consult it); with a
 * {@link RedisRevocationList} it reaches every replica, see {@code docs/throttling-and-sessions.md} for the lag.
 * Meant to be exposed by an operator endpoint (for example a Spring Boot actuator) behind its own authorization.
 *
 * <p>Implementations are thread-safe. Arguments are never null.
 * <pre>{@code
 * SessionAdmin admin = (SessionAdmin) guard.sessionRegistry();
 * admin.revokeSubject("alice");          // every session and token of alice, on every replica
 * }</pre>
 */
public interface SessionAdmin {

    /** The live sessions bound in this process (sessions live on the replica that issued them). */
    List<SessionInfo> sessions();

    /** Revokes one session, wherever it lives. */
    void revokeSession(String sessionId);

    /** Revokes every session and credential of {@code subject} (any issuer). */
    void revokeSubject(String subject);

    /** Revokes every session and credential of {@code tenant}. */
    void revokeTenant(String tenant);

    /** Revokes one token by its JWT {@code jti}, for tokens reported stolen before they expire. */
    void revokeToken(String tokenId);

    /** The revocations in force. */
    List<Revocation> revocations();
}
