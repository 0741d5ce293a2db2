package dev.mcpguard.core.credentials;

import java.security.GeneralSecurityException;
import java.time.Clock;
import java.util.Comparator;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.UUID;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Credentials encrypted at rest with Tink AEAD (AES256-GCM), each ciphertext bound to its identity
 * ({@link CredentialKey#associatedData()}), kept in a {@link CredentialRepository}.
 *
 * <p>A record whose ciphertext was tampered with, copied from another record, or encrypted under a key no
 * longer in the keyset fails to decrypt: {@link #read} throws {@link CredentialStoreException}, never returns
 * garbage. Updates are compare-and-set on the record's revision.
 *
 * <p>Thread-safe.
 *
 * <pre>{@code
 * TinkCredentialStore store = new TinkCredentialStore(
 *         new FileCredentialRepository(Path.of("/var/lib/mcp-guard/credentials.json")),
 *         CredentialKeyset.loadOrCreate(Path.of("/var/lib/mcp-guard/keyset.json"),
 *                 KeysetProtection.localKeyFromEnvironment("MCP_GUARD_KEK")),
 *         Clock.systemUTC());
 * store.put(CredentialKey.ofService("*", "orders", "crm-api", "orders"),
 *         new CredentialMaterial.StaticSecret(Secret.ofUtf8(apiKey)));
 * }</pre>
 */
public final class TinkCredentialStore {

    private static final Logger log = LoggerFactory.getLogger(TinkCredentialStore.class);
    private static final int MAX_ATTEMPTS = 5;

    private final CredentialRepository repository;
    private final CredentialKeyset keyset;
    private final Clock clock;

    public TinkCredentialStore(CredentialRepository repository, CredentialKeyset keyset, Clock clock) {
        this.repository = Objects.requireNonNull(repository, "repository");
        this.keyset = Objects.requireNonNull(keyset, "keyset");
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** The keyset, for rotation. */
    public CredentialKeyset keyset() {
        return keyset;
    }

    /** Stores {@code material} under {@code key}, creating the record or replacing its material (status active). */
    public StoredCredential put(CredentialKey key, CredentialMaterial material) {
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(material, "material");
        for (int attempt = 0; attempt < MAX_ATTEMPTS; attempt++) {
            Optional<CredentialRecord> existing = repository.find(key);
            String id = existing.map(CredentialRecord::id).orElseGet(() -> "cred-" + UUID.randomUUID());
            long revision = existing.map(CredentialRecord::revision).orElse(0L) + 1;
            CredentialRecord record = seal(id, key, material, CredentialRecord.Status.ACTIVE, revision);
            if (repository.compareAndSet(record)) {
                return decrypted(record, material);
            }
        }
        throw new CredentialStoreException("credential " + key + " is being written concurrently; try again");
    }

    /** The decrypted credential under {@code key}, if any. */
    public Optional<StoredCredential> read(CredentialKey key) {
        return repository.find(key).map(this::open);
    }

    /**
     * Replaces the material of {@code current} if nobody wrote the record since it was read.
     *
     * @return the new state, or empty when another writer got there first (re-read and decide again)
     */
    public Optional<StoredCredential> replace(StoredCredential current, CredentialMaterial material) {
        return write(current, material, CredentialRecord.Status.ACTIVE);
    }

    /** Marks {@code current} as needing its owner's consent again; empty when another writer got there first. */
    public Optional<StoredCredential> markNeedsReauthorization(StoredCredential current) {
        return write(current, current.material(), CredentialRecord.Status.NEEDS_REAUTHORIZATION);
    }

    /** Removes the credential under {@code key}; true when there was one. */
    public boolean delete(CredentialKey key) {
        return repository.delete(key);
    }

    /** Every credential's identity and metadata, never a value; sorted by identity. */
    public List<CredentialSummary> list() {
        return repository.findAll().stream().map(CredentialSummary::of)
                .sorted(Comparator.comparing(s -> s.key().toString())).toList();
    }

    /**
     * Re-encrypts every record not under the primary key, so old keys can later be removed from the keyset.
     * Records changed concurrently are retried.
     *
     * @return how many records were moved to the primary key
     */
    public int reencryptAll() {
        long primary = keyset.primaryKeyVersion();
        int moved = 0;
        for (CredentialRecord record : repository.findAll()) {
            CredentialRecord current = record;
            for (int attempt = 0; current != null && current.keyVersion() != primary; attempt++) {
                if (attempt == MAX_ATTEMPTS) {
                    throw new CredentialStoreException("credential " + current.id() + " kept changing during re-encryption");
                }
                StoredCredential open = open(current);
                CredentialRecord resealed = seal(current.id(), current.key(), open.material(), current.status(),
                        current.revision() + 1);
                if (repository.compareAndSet(resealed)) {
                    log.info("Re-encrypted credential {} from key version {} to {}", current.id(),
                            current.keyVersion(), primary);
                    moved++;
                    break;
                }
                current = repository.find(current.key()).orElse(null);
            }
        }
        return moved;
    }

    private Optional<StoredCredential> write(StoredCredential current, CredentialMaterial material,
                                             CredentialRecord.Status status) {
        Objects.requireNonNull(current, "current");
        Objects.requireNonNull(material, "material");
        CredentialRecord record = seal(current.id(), current.key(), material, status, current.revision() + 1);
        return repository.compareAndSet(record) ? Optional.of(decrypted(record, material)) : Optional.empty();
    }

    private CredentialRecord seal(String id, CredentialKey key, CredentialMaterial material,
                                  CredentialRecord.Status status, long revision) {
        byte[] plaintext = MaterialCodec.encode(material);
        try {
            byte[] ciphertext = keyset.encrypt(plaintext, key.associatedData());
            return new CredentialRecord(id, key, material.kind(), CredentialKeyset.keyVersionOf(ciphertext),
                    ciphertext, status, clock.instant(), revision);
        } catch (GeneralSecurityException e) {
            throw new CredentialStoreException("credential " + id + " could not be encrypted: "
                    + e.getClass().getSimpleName());
        } finally {
            java.util.Arrays.fill(plaintext, (byte) 0);
        }
    }

    private StoredCredential open(CredentialRecord record) {
        byte[] ciphertext = record.ciphertext();
        byte[] plaintext;
        try {
            plaintext = keyset.decrypt(ciphertext, record.key().associatedData());
        } catch (GeneralSecurityException e) {
            throw new CredentialStoreException("credential " + record.id() + " (key version "
                    + CredentialKeyset.keyVersionOf(ciphertext) + ") does not decrypt: the record was altered, "
                    + "moved from another identity, or its key is not in the keyset");
        }
        CredentialMaterial material;
        try {
            material = MaterialCodec.decode(plaintext);
        } catch (IllegalArgumentException e) {
            throw new CredentialStoreException("credential " + record.id() + " decrypted to an unreadable value: "
                    + e.getMessage());
        }
        return new StoredCredential(record.id(), record.key(), material, CredentialKeyset.keyVersionOf(ciphertext),
                record.status(), record.updatedAt(), record.revision());
    }

    private static StoredCredential decrypted(CredentialRecord record, CredentialMaterial material) {
        return new StoredCredential(record.id(), record.key(), material, record.keyVersion(), record.status(),
                record.updatedAt(), record.revision());
    }

    @Override
    public String toString() {
        return "TinkCredentialStore[" + repository + ", " + keyset + "]";
    }
}
