package dev.mcpguard.core.credentials;

import java.util.List;
import java.util.Optional;

/**
 * Where encrypted credential records live: {@link FileCredentialRepository} (embedded, the default) or
 * {@link JdbcCredentialRepository} (shared by many replicas). A repository stores ciphertext only.
 *
 * <p>Writes are compare-and-set on {@link CredentialRecord#revision()}, so two writers (threads or replicas)
 * refreshing the same credential cannot silently overwrite each other. Implementations must be thread-safe
 * and throw {@link CredentialStoreException} (never returning a partial result) when the backend fails.
 */
public interface CredentialRepository {

    /** The record with identity {@code key}, if any. */
    Optional<CredentialRecord> find(CredentialKey key);

    /** Every record, in no particular order. */
    List<CredentialRecord> findAll();

    /**
     * Writes {@code record} if the stored revision is {@code record.revision() - 1} (revision 1: if no record
     * with that identity exists).
     *
     * @return true when written, false when another writer got there first
     */
    boolean compareAndSet(CredentialRecord record);

    /** Removes the record with identity {@code key}; true when there was one. */
    boolean delete(CredentialKey key);
}
