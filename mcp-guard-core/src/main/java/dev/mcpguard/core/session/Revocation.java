package dev.mcpguard.core.session;

import java.time.Instant;
import java.util.Objects;

/**
 * One revocation: what is revoked and until when the entry is kept. An entry should outlive every credential
 * that could still present the revoked value (the longest token lifetime); after {@code until} it lapses.
 *
 * <p>Immutable and thread-safe; components are never null and {@code value} is 1 to 512 characters.
 *
 * @param kind  what {@code value} names
 * @param value the session id, subject, tenant or token id
 * @param until when the entry lapses
 */
public record Revocation(Kind kind, String value, Instant until) {

    public Revocation {
        Objects.requireNonNull(kind, "kind");
        Objects.requireNonNull(value, "value");
        if (value.isEmpty() || value.length() > 512) {
            throw new IllegalArgumentException("revoked value must be 1 to 512 characters, got " + value.length());
        }
        Objects.requireNonNull(until, "until");
    }

    /** What a revocation names. */
    public enum Kind {
        /** One MCP session id. */
        SESSION,
        /** Every session and credential of a subject (any issuer). */
        SUBJECT,
        /** Every session and credential of a tenant. */
        TENANT,
        /** One token, by its JWT {@code jti}. */
        TOKEN
    }
}
