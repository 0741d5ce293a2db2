package dev.mcpguard.api;

import java.util.Objects;
import java.util.regex.Pattern;

/**
 * A machine-readable reason for a denial or failure, such as {@code no_policy_configured}.
 *
 * <p>The well-known codes are constants here; policies may return their own codes (for example
 * {@code refund_limit_exceeded}), which must be lower snake case, 1 to 64 characters, so a code can never
 * carry free text, a secret or markup to the client or the audit trail.
 *
 * <p>Immutable and thread-safe.
 */
public record ReasonCode(String value) {

    private static final Pattern FORMAT = Pattern.compile("[a-z][a-z0-9_]{0,63}");

    /** No caller identity reached the tool call (the transport did not authenticate it). */
    public static final ReasonCode UNAUTHENTICATED = new ReasonCode("unauthenticated");
    /** A credential was presented but is invalid (bad signature, expired, wrong audience...). */
    public static final ReasonCode INVALID_TOKEN = new ReasonCode("invalid_token");
    /** The caller is authenticated but lacks a required scope. */
    public static final ReasonCode INSUFFICIENT_SCOPE = new ReasonCode("insufficient_scope");
    /** The request's Origin header is not on the allow-list. */
    public static final ReasonCode ORIGIN_NOT_ALLOWED = new ReasonCode("origin_not_allowed");
    /** The MCP session is unknown, expired or revoked. */
    public static final ReasonCode SESSION_INVALID = new ReasonCode("session_invalid");
    /** The MCP session belongs to another principal. */
    public static final ReasonCode SESSION_PRINCIPAL_MISMATCH = new ReasonCode("session_principal_mismatch");
    /** No policy engine is configured: the safe default denies everything. */
    public static final ReasonCode NO_POLICY_CONFIGURED = new ReasonCode("no_policy_configured");
    /** The policy evaluated and did not allow the call. */
    public static final ReasonCode POLICY_DENIED = new ReasonCode("policy_denied");
    /** The policy engine failed; the call is denied rather than allowed on error. */
    public static final ReasonCode POLICY_ERROR = new ReasonCode("policy_error");
    /**
     * The policy engine could not be reached in time (remote engine down or slow, or its circuit breaker open);
     * the call is denied rather than allowed while the engine is unavailable.
     */
    public static final ReasonCode POLICY_UNAVAILABLE = new ReasonCode("policy_unavailable");
    /** A rate limit was exceeded. */
    public static final ReasonCode RATE_LIMITED = new ReasonCode("rate_limited");
    /** The rate limiter's shared store (Redis) is unreachable and the throttle is configured to fail closed. */
    public static final ReasonCode THROTTLE_UNAVAILABLE = new ReasonCode("throttle_unavailable");
    /** The caller's subject, tenant or token (JWT {@code jti}) has been revoked. */
    public static final ReasonCode REVOKED = new ReasonCode("revoked");
    /** A guard in the chain failed or broke its contract; the call is denied. */
    public static final ReasonCode GUARD_ERROR = new ReasonCode("guard_error");
    /** The audit record could not be written; the result is withheld. */
    public static final ReasonCode AUDIT_UNAVAILABLE = new ReasonCode("audit_unavailable");
    /** The tool asked for a downstream credential that policy does not grant to this caller and tool. */
    public static final ReasonCode CREDENTIAL_NOT_PERMITTED = new ReasonCode("credential_not_permitted");
    /** The downstream credential is missing, cannot be decrypted, or its token endpoint failed. */
    public static final ReasonCode CREDENTIAL_UNAVAILABLE = new ReasonCode("credential_unavailable");
    /** The downstream OAuth grant was revoked or expired ({@code invalid_grant}); its owner must consent again. */
    public static final ReasonCode CREDENTIAL_REAUTHORIZATION_REQUIRED =
            new ReasonCode("credential_reauthorization_required");

    /**
     * A {@code tools/call} named a tool the server does not have; the SDK refused it before any guard could run.
     * Audited (sampled per principal) so that probing for tool names is visible.
     */
    public static final ReasonCode UNKNOWN_TOOL = new ReasonCode("unknown_tool");
    /**
     * The policy's allow carries an obligation no control in this chain enforces; ignoring it could drop a
     * restriction the policy meant, so the call is denied.
     */
    public static final ReasonCode UNSUPPORTED_OBLIGATION = new ReasonCode("unsupported_obligation");
    /**
     * The result could not be redacted as the policy's {@code redact_fields} obligation requires (for example it
     * holds an image); the tool ran, but its result is withheld.
     */
    public static final ReasonCode REDACTION_FAILED = new ReasonCode("redaction_failed");
    /** The call would exceed a cumulative budget set by a policy {@code budget} obligation. */
    public static final ReasonCode BUDGET_EXCEEDED = new ReasonCode("budget_exceeded");

    /**
     * The tool arguments do not match the tool's input schema, or hold a value no policy engine can take (a string
     * with a lone UTF-16 surrogate, a non-finite number). This call's own denial, not an engine failure.
     */
    public static final ReasonCode INVALID_ARGUMENTS = new ReasonCode("invalid_arguments");
    /**
     * Like {@link #INVALID_ARGUMENTS}, for a value of the policy input outside the arguments (for example a token
     * claim with a lone surrogate): the call is denied before evaluation.
     */
    public static final ReasonCode POLICY_INPUT_INVALID = new ReasonCode("policy_input_invalid");
    /**
     * The serialised policy input is larger than the engine's bound (typically huge tool arguments): the call is
     * denied before the policy is evaluated or the input is sent anywhere.
     */
    public static final ReasonCode POLICY_INPUT_TOO_LARGE = new ReasonCode("policy_input_too_large");
    /** The policy produced no value (no rule matched and no default was set). */
    public static final ReasonCode POLICY_UNDEFINED = new ReasonCode("policy_undefined");
    /** No policy bundle has been loaded (yet): the engine denies. */
    public static final ReasonCode POLICY_NOT_LOADED = new ReasonCode("policy_not_loaded");
    /**
     * The tool's definition is not in the configured pin file ({@code mcp-guard-tools.lock.json}): it was refused
     * when registered, is not listed, and every call to it is denied.
     */
    public static final ReasonCode TOOL_NOT_PINNED = new ReasonCode("tool_not_pinned");
    /**
     * The tool's definition differs from the one pinned (its canonical hash changed: description, schemas,
     * annotations...): refused until the pin file is updated after review.
     */
    public static final ReasonCode TOOL_DEFINITION_CHANGED = new ReasonCode("tool_definition_changed");
    /** The tool's definition holds signs of poisoning (hidden instructions, references to secrets, invisible text). */
    public static final ReasonCode TOOL_DEFINITION_POISONED = new ReasonCode("tool_definition_poisoned");
    /**
     * The tool's name collides with another tool's of this server or of another server sharing the guard's name
     * registry (the same name, one differing only by case or separators, a confusable one), or mixes scripts.
     */
    public static final ReasonCode TOOL_NAME_CONFLICT = new ReasonCode("tool_name_conflict");
    /** Recorded in audit when the handler (or a guard after the policy allowed the call) failed. */
    public static final ReasonCode HANDLER_ERROR = new ReasonCode("handler_error");

    public ReasonCode {
        Objects.requireNonNull(value, "value");
        if (!FORMAT.matcher(value).matches()) {
            throw new IllegalArgumentException(
                    "reason code must match [a-z][a-z0-9_]{0,63}, got a value of length " + value.length());
        }
    }

    /** Returns the code for {@code value}, validating its format. */
    public static ReasonCode of(String value) {
        return new ReasonCode(value);
    }

    @Override
    public String toString() {
        return value;
    }
}
