package dev.mcpguard.core.session;

import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * A live MCP session as an administrator sees it. Immutable and thread-safe.
 *
 * @param sessionId the MCP session id (an administrative handle; it never authenticates on its own)
 * @param issuer    the issuer of the principal that opened it
 * @param subject   the principal that opened it
 * @param tenant    the principal's tenant, when known
 * @param created   when it was bound
 * @param lastSeen  when it was last used
 */
public record SessionInfo(String sessionId, String issuer, String subject, Optional<String> tenant, Instant created,
                          Instant lastSeen) {
    public SessionInfo {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(issuer, "issuer");
        Objects.requireNonNull(subject, "subject");
        Objects.requireNonNull(tenant, "tenant");
        Objects.requireNonNull(created, "created");
        Objects.requireNonNull(lastSeen, "lastSeen");
    }
}
