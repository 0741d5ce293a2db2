package dev.mcpguard.core.credentials;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KeysetHandle;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The Tink keyset that encrypts credentials: AES256-GCM keys, one primary (used to encrypt), the others kept so
 * that older ciphertexts still decrypt. {@link #rotate()} adds a new primary key; a store's
 * {@code reencryptAll()} then moves every record to it.
 *
 * <p>A key's version is its Tink key id (an unsigned 32-bit number), which Tink writes in the first five bytes
 * of each ciphertext; it is safe to audit.
 *
 * <p>The keyset file holds the keyset encrypted under a {@link KeysetProtection} (KMS or local key-encryption
 * key), or in cleartext only under {@link KeysetProtection#insecureCleartextForDevelopment()}.
 *
 * <p>Needs Tink ({@code com.google.crypto.tink:tink}), an optional dependency of mcp-guard-core: without it the
 * factories throw {@link IllegalStateException} naming the artifact. Tink calls live in {@code TinkPrimitives}.
 *
 * <p>Thread-safe: encryption and decryption read an immutable snapshot; rotation swaps it atomically.
 *
 * <pre>{@code
 * KeysetProtection kek = KeysetProtection.localKeyFromEnvironment("MCP_GUARD_KEK");
 * CredentialKeyset keyset = CredentialKeyset.loadOrCreate(Path.of("/var/lib/mcp-guard/keyset.json"), kek);
 * }</pre>
 */
public final class CredentialKeyset {

    private static final ObjectMapper JSON = new ObjectMapper();
    private static final String FORMAT = "mcp-guard-keyset/v1";

    private record Snapshot(KeysetHandle handle, Aead aead) {
    }

    private final AtomicReference<Snapshot> current;
    private final Optional<Path> file;
    private final KeysetProtection protection;
    private final Object rotation = new Object();

    private CredentialKeyset(KeysetHandle handle, Optional<Path> file, KeysetProtection protection) {
        this.current = new AtomicReference<>(snapshot(handle));
        this.file = file;
        this.protection = protection;
    }

    /** A new keyset with one AES256-GCM key, kept in memory only (tests, benchmarks). */
    public static CredentialKeyset inMemory() {
        TinkLibrary.require("An encrypted credential keyset");
        return new CredentialKeyset(generate(), Optional.empty(), KeysetProtection.insecureCleartextForDevelopment());
    }

    /** Creates a new keyset and writes it to {@code file} under {@code protection}; fails if the file exists. */
    public static CredentialKeyset create(Path file, KeysetProtection protection) {
        TinkLibrary.require("An encrypted credential keyset");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(protection, "protection");
        if (Files.exists(file)) {
            throw new CredentialStoreException("keyset file " + file + " already exists");
        }
        CredentialKeyset keyset = new CredentialKeyset(generate(), Optional.of(file), protection);
        keyset.save();
        return keyset;
    }

    /** Loads the keyset in {@code file}, which must have been written under the same protection mode. */
    public static CredentialKeyset load(Path file, KeysetProtection protection) {
        TinkLibrary.require("An encrypted credential keyset");
        Objects.requireNonNull(file, "file");
        Objects.requireNonNull(protection, "protection");
        JsonNode node;
        try {
            node = JSON.readTree(Files.readAllBytes(file));
        } catch (NoSuchFileException e) {
            throw new CredentialStoreException("keyset file " + file + " does not exist");
        } catch (IOException e) {
            throw new CredentialStoreException("keyset file " + file + " cannot be read or is not JSON");
        }
        if (node == null || !FORMAT.equals(node.path("format").asText())) {
            throw new CredentialStoreException("keyset file " + file + " is not a " + FORMAT + " file");
        }
        String mode = node.path("protection").asText();
        if (!protection.mode().label().equals(mode)) {
            throw new CredentialStoreException("keyset file " + file + " is protected by '" + mode
                    + "' but '" + protection.mode().label() + "' was configured");
        }
        String keyset = node.path("keyset").asText();
        try {
            KeysetHandle handle = TinkPrimitives.parseKeyset(keyset, protection.keyEncryptionAead().orElse(null),
                    KeysetProtection.keysetAssociatedData());
            return new CredentialKeyset(handle, Optional.of(file), protection);
        } catch (GeneralSecurityException e) {
            throw new CredentialStoreException("keyset file " + file
                    + " cannot be decrypted with the configured key-encryption key");
        }
    }

    /** Loads {@code file}, or creates it with a new keyset if it does not exist. */
    public static CredentialKeyset loadOrCreate(Path file, KeysetProtection protection) {
        TinkLibrary.require("An encrypted credential keyset");
        return Files.exists(file) ? load(file, protection) : create(file, protection);
    }

    /** The version of the primary key, which encrypts new records. */
    public long primaryKeyVersion() {
        return Integer.toUnsignedLong(current.get().handle().getPrimary().getId());
    }

    /** Versions of all keys, primary included. */
    public List<Long> keyVersions() {
        KeysetHandle handle = current.get().handle();
        List<Long> versions = new ArrayList<>();
        for (int i = 0; i < handle.size(); i++) {
            versions.add(Integer.toUnsignedLong(handle.getAt(i).getId()));
        }
        return versions;
    }

    /**
     * Adds a new AES256-GCM key, makes it primary, and saves the keyset (when file-backed) before the new key
     * is used. Older keys stay for decryption until records are re-encrypted.
     *
     * @return the new primary key version
     */
    public long rotate() {
        synchronized (rotation) {
            try {
                KeysetHandle rotated = TinkPrimitives.withNewAes256GcmPrimary(current.get().handle());
                writeFile(rotated);
                current.set(snapshot(rotated));
                return primaryKeyVersion();
            } catch (GeneralSecurityException e) {
                throw new CredentialStoreException("the keyset could not be rotated: " + e.getClass().getSimpleName());
            }
        }
    }

    /** Encrypts {@code plaintext} under the primary key, bound to {@code associatedData}. */
    byte[] encrypt(byte[] plaintext, byte[] associatedData) throws GeneralSecurityException {
        return current.get().aead().encrypt(plaintext, associatedData);
    }

    /** Decrypts; fails for a wrong key, wrong associated data or any tampering. */
    byte[] decrypt(byte[] ciphertext, byte[] associatedData) throws GeneralSecurityException {
        return current.get().aead().decrypt(ciphertext, associatedData);
    }

    /** The key version written in a Tink ciphertext's prefix, or -1 when it has none. */
    static long keyVersionOf(byte[] ciphertext) {
        if (ciphertext.length < 5 || ciphertext[0] != 0x01) {
            return -1;
        }
        return Integer.toUnsignedLong(ByteBuffer.wrap(ciphertext, 1, 4).getInt());
    }

    private void save() {
        writeFile(current.get().handle());
    }

    private void writeFile(KeysetHandle handle) {
        if (file.isEmpty()) {
            return;
        }
        try {
            String keyset = TinkPrimitives.serializeKeyset(handle, protection.keyEncryptionAead().orElse(null),
                    KeysetProtection.keysetAssociatedData());
            ObjectNode node = JSON.createObjectNode();
            node.put("format", FORMAT);
            node.put("protection", protection.mode().label());
            node.put("keyset", keyset);
            AtomicFileWrite.write(file.get(), JSON.writerWithDefaultPrettyPrinter().writeValueAsBytes(node));
        } catch (GeneralSecurityException e) {
            throw new CredentialStoreException("the keyset could not be encrypted for " + file.get()
                    + ": " + e.getClass().getSimpleName());
        } catch (IOException e) {
            throw new CredentialStoreException("the keyset file " + file.get() + " could not be written", e);
        }
    }

    private static KeysetHandle generate() {
        try {
            return TinkPrimitives.newAes256GcmKeyset();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES256-GCM keys cannot be generated", e);
        }
    }

    private static Snapshot snapshot(KeysetHandle handle) {
        try {
            return new Snapshot(handle, TinkPrimitives.aeadOf(handle));
        } catch (GeneralSecurityException e) {
            throw new CredentialStoreException("the keyset holds no usable AEAD key: " + e.getClass().getSimpleName());
        }
    }

    @Override
    public String toString() {
        return "CredentialKeyset[primary=" + primaryKeyVersion() + ", keys=" + keyVersions().size() + ", "
                + protection + "]";
    }
}
