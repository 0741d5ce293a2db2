package dev.mcpguard.core.credentials;

import com.google.crypto.tink.Aead;
import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.aead.AeadConfig;
import com.google.crypto.tink.aead.PredefinedAeadParameters;
import com.google.crypto.tink.subtle.AesGcmJce;
import java.security.GeneralSecurityException;

/**
 * Every Tink call of the credential keyset, in one class. {@link CredentialKeyset} and {@link KeysetProtection}
 * pass Tink values through only with their exact types, so the JVM verifies them without loading Tink, and their
 * factories can call {@link TinkLibrary#require(String)} first when Tink is missing.
 *
 * <p>Stateless and thread-safe.
 */
final class TinkPrimitives {

    static {
        try {
            AeadConfig.register();
        } catch (GeneralSecurityException e) {
            throw new ExceptionInInitializerError(e);
        }
    }

    private TinkPrimitives() {
    }

    static KeysetHandle newAes256GcmKeyset() throws GeneralSecurityException {
        return KeysetHandle.generateNew(PredefinedAeadParameters.AES256_GCM);
    }

    static KeysetHandle withNewAes256GcmPrimary(KeysetHandle handle) throws GeneralSecurityException {
        return KeysetHandle.newBuilder(handle)
                .addEntry(KeysetHandle.generateEntryFromParameters(PredefinedAeadParameters.AES256_GCM)
                        .withRandomId().makePrimary())
                .build();
    }

    static Aead aeadOf(KeysetHandle handle) throws GeneralSecurityException {
        return handle.getPrimitive(RegistryConfiguration.get(), Aead.class);
    }

    /** Parses a keyset encrypted under {@code keyEncryptionAead}, or a cleartext one when it is {@code null}. */
    static KeysetHandle parseKeyset(String json, Aead keyEncryptionAead, byte[] associatedData)
            throws GeneralSecurityException {
        return keyEncryptionAead != null
                ? TinkJsonProtoKeysetFormat.parseEncryptedKeyset(json, keyEncryptionAead, associatedData)
                : TinkJsonProtoKeysetFormat.parseKeyset(json, InsecureSecretKeyAccess.get());
    }

    /** Serializes encrypted under {@code keyEncryptionAead}, or in cleartext when it is {@code null}. */
    static String serializeKeyset(KeysetHandle handle, Aead keyEncryptionAead, byte[] associatedData)
            throws GeneralSecurityException {
        return keyEncryptionAead != null
                ? TinkJsonProtoKeysetFormat.serializeEncryptedKeyset(handle, keyEncryptionAead, associatedData)
                : TinkJsonProtoKeysetFormat.serializeKeyset(handle, InsecureSecretKeyAccess.get());
    }

    static Aead aesGcm(byte[] key) throws GeneralSecurityException {
        return new AesGcmJce(key);
    }
}
