package dev.mcpguard.core.session;

import dev.mcpguard.api.CallerIdentity;
import java.util.List;

/**
 * The revocations a session registry enforces. {@link InMemoryRevocationList} serves one process;
 * {@link RedisRevocationList} shares revocations between replicas through Redis.
 *
 * <p>{@link #contains} is on the path of every request and must answer from memory, never block on a remote
 * store. Implementations are thread-safe.
 */
public interface RevocationList {

    /**
     * Records {@code revocation}, effective for the next {@link #contains} in this process at once.
     *
     * @throws IllegalStateException when the revocation could not be shared with other replicas (it still holds
     *                               here); the message holds no revoked value
     */
    void add(Revocation revocation);

    /** True when an unlapsed revocation of {@code kind} names {@code value}. */
    boolean contains(Revocation.Kind kind, String value);

    /** The unlapsed revocations known here. */
    List<Revocation> entries();

    /** True when {@code caller}'s subject, tenant or token id is revoked. */
    default boolean covers(CallerIdentity caller) {
        return contains(Revocation.Kind.SUBJECT, caller.subject())
                || caller.tenant().map(t -> contains(Revocation.Kind.TENANT, t)).orElse(false)
                || caller.tokenId().map(t -> contains(Revocation.Kind.TOKEN, t)).orElse(false);
    }
}
