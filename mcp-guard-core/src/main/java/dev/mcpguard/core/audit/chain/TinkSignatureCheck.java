package dev.mcpguard.core.audit.chain;

import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.PublicKeyVerify;
import com.google.crypto.tink.RegistryConfiguration;
import com.google.crypto.tink.signature.SignatureConfig;

import java.security.GeneralSecurityException;
import java.util.HashSet;
import java.util.Objects;
import java.util.Set;

/**
 * A {@link SignatureCheck} on a Tink public keyset (ECDSA P-256 or Ed25519). Thread-safe.
 */
final class TinkSignatureCheck implements SignatureCheck {

    private final PublicKeyVerify verify;
    private final Set<Long> keyIds = new HashSet<>();
    private final long primary;

    TinkSignatureCheck(KeysetHandle publicKeyset) {
        Objects.requireNonNull(publicKeyset, "publicKeyset");
        try {
            SignatureConfig.register();
            this.verify = publicKeyset.getPrimitive(RegistryConfiguration.get(), PublicKeyVerify.class);
        } catch (GeneralSecurityException e) {
            throw new IllegalArgumentException("not a Tink public signature keyset (ECDSA_P256 or ED25519): "
                    + e.getClass().getSimpleName(), e);
        }
        for (int i = 0; i < publicKeyset.size(); i++) {
            keyIds.add(Integer.toUnsignedLong(publicKeyset.getAt(i).getId()));
        }
        this.primary = Integer.toUnsignedLong(publicKeyset.getPrimary().getId());
    }

    @Override
    public boolean knows(long keyId) {
        return keyIds.contains(keyId);
    }

    @Override
    public boolean verifies(byte[] signature, byte[] data) {
        try {
            verify.verify(signature, data);
            return true;
        } catch (GeneralSecurityException e) {
            return false;
        }
    }

    @Override
    public long primaryKeyId() {
        return primary;
    }
}
