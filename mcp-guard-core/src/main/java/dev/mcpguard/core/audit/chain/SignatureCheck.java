package dev.mcpguard.core.audit.chain;

/**
 * Checks checkpoint signatures for {@link AuditChainVerifier}. The one implementation is
 * {@link TinkSignatureCheck}; the interface keeps Tink out of the verifier when no public key is given.
 *
 * <p>Implementations are thread-safe.
 */
interface SignatureCheck {

    /** Whether the public keyset holds a key with this id. */
    boolean knows(long keyId);

    /** Whether {@code signature} is a valid signature of {@code data} by a key of the keyset. */
    boolean verifies(byte[] signature, byte[] data);

    /** The primary key's id. */
    long primaryKeyId();
}
