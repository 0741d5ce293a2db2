package dev.mcpguard.core.credentials;

import java.time.Instant;
import java.util.Objects;

/**
 * A decrypted credential: its identity, its material and where it came from. Immutable and thread-safe;
 * {@code toString} never shows a secret.
 *
 * @param id         the stable id, safe to audit
 * @param key        the identity
 * @param material   the decrypted material
 * @param keyVersion the version of the key that encrypted it, safe to audit
 * @param status     whether it is usable
 * @param updatedAt  when it was last written
 * @param revision   the stored revision, for compare-and-set updates
 */
public record StoredCredential(String id, CredentialKey key, CredentialMaterial material, long keyVersion,
                               CredentialRecord.Status status, Instant updatedAt, long revision) {
    public StoredCredential {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(material, "material");
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(updatedAt, "updatedAt");
    }
}
