package dev.mcpguard.core.identity;

import com.nimbusds.jose.jwk.JWK;
import com.nimbusds.jose.proc.SecurityContext;
import java.util.List;

/**
 * What one signature verification used: the keys the key source offered for the token's header and the key set
 * they were taken from (a {@link RefreshingJwkSetSource} snapshot, or a constant for a fixed set). The
 * {@link VerifiedTokenCache} keeps both, so an identity is served only while the key set in use still holds those
 * keys. One instance per verification, on one thread; not thread-safe.
 */
final class VerificationContext implements SecurityContext {

    /** Stands for a fixed key set, which never changes. */
    static final Object FIXED_KEY_SET = new Object() {
        @Override
        public String toString() {
            return "fixed key set";
        }
    };

    private List<JWK> keys = List.of();
    private Object keySet;

    /** Records the keys offered for the token; called by the key source. */
    void offered(List<JWK> offered, Object from) {
        this.keys = List.copyOf(offered);
        if (from != null) {
            this.keySet = from;
        }
    }

    /** Records the key set the keys come from, when the key source knows it better than the caller. */
    void keySet(Object from) {
        this.keySet = from;
    }

    List<JWK> keys() {
        return keys;
    }

    Object keySet() {
        return keySet;
    }
}
