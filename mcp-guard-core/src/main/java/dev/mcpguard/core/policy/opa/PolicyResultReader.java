package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.core.internal.ClientText;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * Turns the value an OPA policy produced into a {@link Decision}: version 1 of the result contract in
 * {@code docs/policy.md}. Everything that is not a well-formed allow is a denial:
 *
 * <ul>
 *   <li>{@code true} allows; {@code false} denies with {@code policy_denied};</li>
 *   <li>an object {@code {"allow": bool, "reason": "code", "message": "text", "obligations": {...}}}: {@code allow}
 *       must be a boolean; {@code reason} must be a lower snake case code (else {@code policy_denied}) and not
 *       one of the codes the guard reserves for its own failures ({@link #RESERVED_CODES}, read as
 *       {@code policy_denied}: a policy must not make a denial look like an engine failure, which would count
 *       against the shared circuit breaker);
 *       {@code message} is shown to the client, stripped of control characters and cut to 200 characters;
 *       {@code obligations} must be an object and is carried on an allow;</li>
 *   <li>undefined (no result) denies with {@code policy_undefined};</li>
 *   <li>anything else (a number, a string, an array, an object without a boolean {@code allow}, non-object
 *       obligations) denies with {@code policy_error}.</li>
 * </ul>
 *
 * <p>Immutable and thread-safe.
 */
final class PolicyResultReader {

    /**
     * Codes that only the guard itself produces, for engine and chain failures. A policy returning one is read
     * as {@code policy_denied}: otherwise any caller able to make the policy answer {@code policy_error} (bad
     * input) could trip the circuit breaker shared by all callers, or disguise a denial as an outage in audits.
     */
    public static final Set<ReasonCode> RESERVED_CODES = Set.of(
            ReasonCode.POLICY_ERROR, ReasonCode.POLICY_UNAVAILABLE, ReasonCode.POLICY_UNDEFINED,
            ReasonCode.POLICY_NOT_LOADED, ReasonCode.POLICY_INPUT_TOO_LARGE,
            ReasonCode.GUARD_ERROR, ReasonCode.AUDIT_UNAVAILABLE, ReasonCode.NO_POLICY_CONFIGURED);
    static final int MAX_MESSAGE_LENGTH = 200;
    static final String DEFAULT_DENY_MESSAGE = "The policy does not allow this call.";
    static final String MALFORMED_MESSAGE = "The policy returned a malformed result; the call is denied.";

    private final ObjectMapper mapper;

    public PolicyResultReader(ObjectMapper mapper) {
        this.mapper = Objects.requireNonNull(mapper, "mapper");
    }

    /**
     * Reads {@code result} (null or a missing node when undefined).
     *
     * @param decisionId the decision's id
     * @param revision   the policy revision that produced the result, when known
     */
    public Decision read(JsonNode result, String decisionId, Optional<String> revision) {
        if (result == null || result.isMissingNode() || result.isNull()) {
            return new Decision.Deny(decisionId, ReasonCode.POLICY_UNDEFINED, "No policy rule applies to this call.",
                    revision);
        }
        if (result.isBoolean()) {
            return result.booleanValue()
                    ? new Decision.Allow(decisionId, Map.of(), revision)
                    : new Decision.Deny(decisionId, ReasonCode.POLICY_DENIED, DEFAULT_DENY_MESSAGE, revision);
        }
        if (!result.isObject() || !result.path("allow").isBoolean()) {
            return malformed(decisionId, revision);
        }
        JsonNode obligations = result.path("obligations");
        if (!obligations.isMissingNode() && !obligations.isNull() && !obligations.isObject()) {
            return malformed(decisionId, revision);
        }
        if (result.get("allow").booleanValue()) {
            Map<String, Object> carried = obligations.isObject()
                    ? mapper.convertValue(obligations, mapper.getTypeFactory().constructMapType(Map.class, String.class, Object.class))
                    : Map.of();
            return new Decision.Allow(decisionId, withoutNulls(carried), revision);
        }
        return new Decision.Deny(decisionId, reasonOf(result.path("reason")), messageOf(result.path("message")), revision);
    }

    private static Decision malformed(String decisionId, Optional<String> revision) {
        return new Decision.Deny(decisionId, ReasonCode.POLICY_ERROR, MALFORMED_MESSAGE, revision);
    }

    private static ReasonCode reasonOf(JsonNode reason) {
        if (reason.isTextual()) {
            try {
                ReasonCode code = ReasonCode.of(reason.textValue());
                return RESERVED_CODES.contains(code) ? ReasonCode.POLICY_DENIED : code;
            } catch (IllegalArgumentException invalid) {
                return ReasonCode.POLICY_DENIED;
            }
        }
        return ReasonCode.POLICY_DENIED;
    }

    private static String messageOf(JsonNode message) {
        if (!message.isTextual()) {
            return DEFAULT_DENY_MESSAGE;
        }
        String cleaned = ClientText.forClient(message.textValue(), MAX_MESSAGE_LENGTH);
        return cleaned.isEmpty() ? DEFAULT_DENY_MESSAGE : cleaned;
    }

    /** Map.copyOf (in Decision.Allow) rejects null values; a JSON null obligation means "not set". */
    private static Map<String, Object> withoutNulls(Map<String, Object> obligations) {
        Map<String, Object> copy = new java.util.LinkedHashMap<>();
        obligations.forEach((k, v) -> {
            if (v != null) {
                copy.put(k, v);
            }
        });
        return copy;
    }
}
