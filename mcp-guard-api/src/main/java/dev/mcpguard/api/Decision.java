package dev.mcpguard.api;

import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The answer of a control to "may this call proceed?": {@link Allow} or {@link Deny}, never {@code null}.
 *
 * <p>Every decision has an id that the client sees on a denial and the audit trail records, so an operator can
 * find the record behind a user's complaint. Fail closed: an error while deciding is a {@link Deny} with a
 * reason such as {@link ReasonCode#POLICY_ERROR}, not an exception.
 *
 * <p>Immutable and thread-safe.
 */
public sealed interface Decision permits Decision.Allow, Decision.Deny {

    /** Unique id of this decision; never null or blank. */
    String decisionId();

    /**
     * The revision of the policy that made this decision (for OPA, the bundle revision), recorded in the audit
     * trail; empty when the engine has no notion of revision.
     */
    Optional<String> policyRevision();

    /** Convenience: {@code this instanceof Allow}. */
    default boolean allowed() {
        return this instanceof Allow;
    }

    /** Allows the call. */
    static Allow allow(String decisionId) {
        return new Allow(decisionId, Map.of());
    }

    /** Denies the call with a reason code and a short message that is safe to show to the client. */
    static Deny deny(String decisionId, ReasonCode reason, String message) {
        return new Deny(decisionId, reason, message);
    }

    /**
     * The call may proceed.
     *
     * @param decisionId  unique id of the decision
     * @param obligations what the policy asks the rest of the chain to do (for example which credential to
     *                    use or fields to redact); empty when none. Values are JSON-like: strings, numbers,
     *                    booleans, lists and maps.
     * @param policyRevision the revision of the policy that decided, when known
     */
    record Allow(String decisionId, Map<String, Object> obligations, Optional<String> policyRevision)
            implements Decision {
        public Allow {
            requireId(decisionId);
            obligations = Map.copyOf(Objects.requireNonNull(obligations, "obligations"));
            Objects.requireNonNull(policyRevision, "policyRevision");
        }

        /** An allow with no known policy revision. */
        public Allow(String decisionId, Map<String, Object> obligations) {
            this(decisionId, obligations, Optional.empty());
        }
    }

    /**
     * The call must not proceed; the tool handler is never run.
     *
     * @param decisionId unique id of the decision
     * @param reason     machine-readable reason code
     * @param message    a short human message, safe for the client: no stack trace, no policy internals,
     *                   no secret
     * @param policyRevision the revision of the policy that decided, when known
     */
    record Deny(String decisionId, ReasonCode reason, String message, Optional<String> policyRevision)
            implements Decision {
        public Deny {
            requireId(decisionId);
            Objects.requireNonNull(reason, "reason");
            Objects.requireNonNull(message, "message");
            Objects.requireNonNull(policyRevision, "policyRevision");
        }

        /** A denial with no known policy revision. */
        public Deny(String decisionId, ReasonCode reason, String message) {
            this(decisionId, reason, message, Optional.empty());
        }
    }

    private static void requireId(String decisionId) {
        Objects.requireNonNull(decisionId, "decisionId");
        if (decisionId.isBlank()) {
            throw new IllegalArgumentException("decisionId must not be blank");
        }
    }
}
