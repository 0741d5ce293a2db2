package dev.mcpguard.core.audit;

import java.security.GeneralSecurityException;

/**
 * Signs the audit chain's checkpoint lines. The one implementation is {@link TinkCheckpointSigner}; this interface
 * keeps Tink types out of {@link JsonlFileAuditSink}, so the sink loads without Tink when no signer is configured.
 *
 * <p>Implementations are thread-safe.
 */
interface CheckpointSigner {

    /** The key id written as {@code key_id}: the Tink id of the keyset's primary key, as an unsigned number. */
    long keyId();

    /** The signature of {@code data} (the checkpoint line without its signature member). */
    byte[] sign(byte[] data) throws GeneralSecurityException;
}
