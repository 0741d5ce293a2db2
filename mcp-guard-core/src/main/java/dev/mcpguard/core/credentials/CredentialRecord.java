package dev.mcpguard.core.credentials;

import java.time.Instant;
import java.util.Arrays;
import java.util.Objects;

/**
 * A stored credential as a backend holds it: its identity and non-secret metadata in clear, the material
 * encrypted. Backends store and return records verbatim; they never see plaintext.
 *
 * <p>Immutable (the ciphertext is copied in and out) and thread-safe.
 *
 * @param id          a stable random id, safe to audit
 * @param key         the identity, which is also the ciphertext's associated data
 * @param kind        {@code static} or {@code oauth2}, for listings
 * @param keyVersion  the version of the key that encrypted the ciphertext
 * @param ciphertext  the Tink AEAD ciphertext of the material
 * @param status      whether the credential is usable
 * @param updatedAt   when the record was last written
 * @param revision    increases by one on every write; backends use it for compare-and-set
 */
public record CredentialRecord(String id, CredentialKey key, String kind, long keyVersion, byte[] ciphertext,
                               Status status, Instant updatedAt, long revision) {

    /** Whether a credential is usable. */
    public enum Status {
        /** Usable. */
        ACTIVE,
        /** The authorization server rejected its grant ({@code invalid_grant}); its owner must consent again. */
        NEEDS_REAUTHORIZATION
    }

    public CredentialRecord {
        Objects.requireNonNull(id, "id");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(kind, "kind");
        ciphertext = Objects.requireNonNull(ciphertext, "ciphertext").clone();
        Objects.requireNonNull(status, "status");
        Objects.requireNonNull(updatedAt, "updatedAt");
        if (revision < 1) {
            throw new IllegalArgumentException("revision must be at least 1, got " + revision);
        }
    }

    @Override
    public byte[] ciphertext() {
        return ciphertext.clone();
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof CredentialRecord r && id.equals(r.id) && key.equals(r.key) && kind.equals(r.kind)
                && keyVersion == r.keyVersion && Arrays.equals(ciphertext, r.ciphertext) && status == r.status
                && updatedAt.equals(r.updatedAt) && revision == r.revision;
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, key, revision);
    }

    @Override
    public String toString() {
        return "CredentialRecord[id=" + id + ", key=" + key + ", kind=" + kind + ", keyVersion=" + keyVersion
                + ", status=" + status + ", revision=" + revision + "]";
    }
}
