package dev.mcpguard.core.audit;

import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.PublicKeySign;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.signature.SignatureConfig;

import java.security.GeneralSecurityException;
import java.util.Objects;

/**
 * A {@link CheckpointSigner} on a Tink {@link PublicKeySign} (ECDSA P-256 or Ed25519 keysets; any Tink signature
 * key works). Loaded only when a signer is configured: Tink is an optional dependency of mcp-guard-core.
 *
 * <p>Thread-safe: Tink primitives are. {@link #toString()} names the key id, never key material.
 */
final class TinkCheckpointSigner implements CheckpointSigner {

    private final PublicKeySign sign;
    private final long keyId;

    private TinkCheckpointSigner(PublicKeySign sign, long keyId) {
        this.sign = sign;
        this.keyId = keyId;
    }

    /**
     * A signer on the primary key of {@code privateKeyset}.
     *
     * @throws IllegalArgumentException if the keyset holds no private signature key
     */
    static TinkCheckpointSigner of(KeysetHandle privateKeyset) {
        Objects.requireNonNull(privateKeyset, "privateKeyset");
        try {
            SignatureConfig.register();
            PublicKeySign sign = privateKeyset.getPrimitive(RegistryConfiguration.get(), PublicKeySign.class);
            return new TinkCheckpointSigner(sign, Integer.toUnsignedLong(privateKeyset.getPrimary().getId()));
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("the audit checkpoint signer needs a Tink keyset with a private"
                    + " signature key (ECDSA_P256 or ED25519): " + e.getClass().getSimpleName(), e);
        }
    }

    @Override
    public long keyId() {
        return keyId;
    }

    @Override
    public byte[] sign(byte[] data) throws GeneralSecurityException {
        return sign.sign(data);
    }

    @Override
    public String toString() {
        return "TinkCheckpointSigner[key_id=" + keyId + "]";
    }
}
