package dev.mcpguard.core.credentials;

import java.time.Instant;

/**
 * What a listing shows of a stored credential: never its value. Immutable and thread-safe.
 *
 * @param id         the stable id
 * @param key        the identity
 * @param kind       {@code static} or {@code oauth2}
 * @param keyVersion the version of the key that encrypted it
 * @param status     whether it is usable
 * @param updatedAt  when it was last written
 */
public record CredentialSummary(String id, CredentialKey key, String kind, long keyVersion,
                                CredentialRecord.Status status, Instant updatedAt) {

    static CredentialSummary of(CredentialRecord r) {
        return new CredentialSummary(r.id(), r.key(), r.kind(), r.keyVersion(), r.status(), r.updatedAt());
    }
}
