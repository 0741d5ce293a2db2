package dev.mcpguard.core.credentials;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.KmsClient;
import dev.mcpguard.api.Secret;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.util.Base64;
import java.util.Objects;
import java.util.Optional;

/**
 * How the keyset that encrypts credentials is itself protected at rest (the key-encryption key, KEK):
 * <ul>
 *   <li>{@link #kms(KmsClient, String)}: envelope encryption under a KMS key (add {@code tink-awskms} or
 *       {@code tink-gcpkms} and pass its {@code KmsClient}); the KEK never leaves the KMS;</li>
 *   <li>{@link #localKeyFromFile(Path)} / {@link #localKeyFromEnvironment(String)}: a 256-bit AES key, base64
 *       encoded, in a file or an environment variable (for example mounted from a secret manager);</li>
 *   <li>{@link #insecureCleartextForDevelopment()}: no protection, the keyset file holds raw keys. Named so it is
 *       easy to find with grep; refuse it in production.</li>
 * </ul>
 * A keyset file records its protection mode, and is only loaded with the same mode: a cleartext keyset is
 * never accepted where an encrypted one is expected.
 *
 * <p>Needs Tink ({@code com.google.crypto.tink:tink}), an optional dependency of mcp-guard-core: without it the
 * factories throw {@link IllegalStateException} naming the artifact.
 *
 * <p>Immutable and thread-safe.
 */
public final class KeysetProtection {

    /** The protection modes, as recorded in the keyset file. */
    public enum Mode {
        KMS("kms"), LOCAL_KEK("local-kek"), INSECURE_CLEARTEXT("insecure-cleartext");

        private final String label;

        Mode(String label) {
            this.label = label;
        }

        /** The label stored in the keyset file. */
        public String label() {
            return label;
        }
    }

    private static final byte[] KEYSET_AD = "mcp-guard/credential-keyset/v1".getBytes(java.nio.charset.StandardCharsets.UTF_8);

    private final Mode mode;
    private final Aead keyEncryptionAead;
    private final String description;

    private KeysetProtection(Mode mode, Aead keyEncryptionAead, String description) {
        this.mode = mode;
        this.keyEncryptionAead = keyEncryptionAead;
        this.description = description;
    }

    /** Envelope encryption under the KMS key {@code keyUri} (for example {@code aws-kms://arn:...}). */
    public static KeysetProtection kms(KmsClient client, String keyUri) {
        TinkLibrary.require("Keyset protection");
        Objects.requireNonNull(client, "client");
        Objects.requireNonNull(keyUri, "keyUri");
        try {
            return new KeysetProtection(Mode.KMS, client.getAead(keyUri), "kms " + keyUri);
        } catch (GeneralSecurityException e) {
            throw new CredentialStoreException("the KMS key " + keyUri + " is not usable: " + e.getClass().getSimpleName());
        }
    }

    /** Protection by an arbitrary AEAD (for example one from your own KMS integration); recorded as {@code kms}. */
    public static KeysetProtection keyEncryptionAead(Aead aead, String description) {
        TinkLibrary.require("Keyset protection");
        return new KeysetProtection(Mode.KMS, Objects.requireNonNull(aead, "aead"),
                Objects.requireNonNull(description, "description"));
    }

    /** A local 256-bit key-encryption key. */
    public static KeysetProtection localKey(Secret key) {
        TinkLibrary.require("Keyset protection");
        Objects.requireNonNull(key, "key");
        byte[] raw = key.revealBytes();
        try {
            if (raw.length != 32) {
                throw new IllegalArgumentException("a local key-encryption key must be 32 bytes, got " + raw.length);
            }
            return new KeysetProtection(Mode.LOCAL_KEK, TinkPrimitives.aesGcm(raw), "local key");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("AES-GCM is not available", e);
        } finally {
            java.util.Arrays.fill(raw, (byte) 0);
        }
    }

    /** A local key-encryption key: the file holds 32 random bytes, base64 encoded. */
    public static KeysetProtection localKeyFromFile(Path file) {
        TinkLibrary.require("Keyset protection");
        Objects.requireNonNull(file, "file");
        String text;
        try {
            text = Files.readString(file).trim();
        } catch (IOException e) {
            throw new CredentialStoreException("the key-encryption key file " + file + " cannot be read", e);
        }
        return localKey(decodeKey(text, "file " + file));
    }

    /** A local key-encryption key: the environment variable {@code name} holds 32 random bytes, base64 encoded. */
    public static KeysetProtection localKeyFromEnvironment(String name) {
        TinkLibrary.require("Keyset protection");
        Objects.requireNonNull(name, "name");
        String text = System.getenv(name);
        if (text == null || text.isBlank()) {
            throw new CredentialStoreException("the environment variable " + name + " holding the key-encryption key is not set");
        }
        return localKey(decodeKey(text.trim(), "environment variable " + name));
    }

    /** No protection: the keyset file holds raw keys. For local development only. */
    public static KeysetProtection insecureCleartextForDevelopment() {
        TinkLibrary.require("Keyset protection");
        return new KeysetProtection(Mode.INSECURE_CLEARTEXT, null, "INSECURE cleartext keyset");
    }

    /** The mode. */
    public Mode mode() {
        return mode;
    }

    Optional<Aead> keyEncryptionAead() {
        return Optional.ofNullable(keyEncryptionAead);
    }

    static byte[] keysetAssociatedData() {
        return KEYSET_AD.clone();
    }

    private static Secret decodeKey(String base64, String where) {
        try {
            return Secret.ofBytes(Base64.getDecoder().decode(base64));
        } catch (IllegalArgumentException e) {
            throw new CredentialStoreException("the key-encryption key in " + where + " is not valid base64");
        }
    }

    @Override
    public String toString() {
        return "KeysetProtection[" + description + "]";
    }
}
