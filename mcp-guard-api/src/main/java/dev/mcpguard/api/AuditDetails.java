package dev.mcpguard.api;

import java.util.Collections;
import java.util.Map;
import java.util.Objects;
import java.util.TreeMap;
import java.util.regex.Pattern;

/**
 * Facts a control wants in the audit record's {@code details} (for example {@code policy_revision} or
 * {@code credential_id}), carried on the call under {@link #KEY}. The audit step writes the details of the
 * call as the innermost step saw it.
 *
 * <pre>{@code
 * ToolCall next = call.withAttribute(AuditDetails.KEY, AuditDetails.of(call).with("policy_revision", "42"));
 * return chain.proceed(next);
 * }</pre>
 *
 * <p>Names are lower snake case, 1 to 64 characters; values at most {@value #MAX_VALUE_LENGTH} characters. Never
 * put a secret, a token or a raw argument value here. Immutable and thread-safe; nulls are rejected.
 *
 * @param entries the details, sorted by name
 */
public record AuditDetails(Map<String, String> entries) {

    /** The attribute under which controls attach details to a {@link ToolCall}. */
    public static final AttributeKey<AuditDetails> KEY = AttributeKey.of("mcp-guard.audit-details", AuditDetails.class);

    // The standard detail names, in one place so that controls need not import each other for them
    // (docs/audit.md lists them with their meaning).

    /** The revision of the policy that decided (for OPA, the bundle revision). */
    public static final String POLICY_REVISION = "policy_revision";
    /** The ids of the downstream credentials the handler used, comma separated in first-use order. */
    public static final String CREDENTIAL_ID = "credential_id";
    /** The key versions that decrypted those credentials, in the same order. */
    public static final String CREDENTIAL_KEY_VERSION = "credential_key_version";
    /** The retry-after of a throttled call, in seconds. */
    public static final String RETRY_AFTER_SECONDS = "retry_after_seconds";
    /** The {@code redact_fields} paths that matched, comma-separated; never the values. */
    public static final String REDACTED_PATHS = "redacted_paths";
    /** The policy obligation key that no control in the chain enforces. */
    public static final String UNSUPPORTED_OBLIGATION = "unsupported_obligation";
    /** {@code true} when a result was withheld after the handler ran. */
    public static final String RESULT_WITHHELD = "result_withheld";
    /** The ticket of a break-glass allow. */
    public static final String BREAK_GLASS_TICKET = "break_glass_ticket";
    /** The canonical hash of the called tool's definition, when it was refused or drifted at registration. */
    public static final String TOOL_DEFINITION_HASH = "tool_definition_hash";
    /**
     * The reason codes, comma separated, that would have refused the tool's definition had its checks been
     * enforced (they are configured to warn): {@code tool_not_pinned}, {@code tool_definition_changed}, ...
     */
    public static final String TOOL_DEFINITION_DRIFT = "tool_definition_drift";
    /** The rule ids, comma separated, of the findings in the called tool's definition; never the text matched. */
    public static final String TOOL_DEFINITION_FINDINGS = "tool_definition_findings";
    /**
     * The guardrail findings in the request's arguments: {@code kind:rule_id@path} items joined by {@code ,}
     * (never the matched text), cut to {@value #MAX_VALUE_LENGTH} characters with the count of the rest.
     */
    public static final String ARGUMENT_FINDINGS = "argument_findings";
    /** The guardrail findings in the result, as {@link #ARGUMENT_FINDINGS}. */
    public static final String RESULT_FINDINGS = "result_findings";
    /** {@code "true"} when a guardrail scan could not look at all of a value (a bound stopped it). */
    public static final String SCAN_INCOMPLETE = "scan_incomplete";
    /** The finding kinds masked in the result on policy's {@code redact_findings}, joined by {@code ,}. */
    public static final String REDACTED_KINDS = "redacted_kinds";
    /** The finding kinds the result was marked for on policy's {@code mark_findings}, joined by {@code ,}. */
    public static final String MARKED_KINDS = "marked_kinds";
    /**
     * Why the external classifier gave no usable answer ({@code timeout}, {@code error}, {@code invalid_answer}),
     * when it did not; with fail-open it is the only trace that the value was not classified.
     */
    public static final String CLASSIFIER_UNAVAILABLE = "classifier_unavailable";
    /** The decision id of the result-phase policy evaluation. */
    public static final String RESULT_DECISION_ID = "result_decision_id";
    /** The pinned hash of a tool whose definition differs from its pin ({@code tool_definition_changed}). */
    public static final String TOOL_DEFINITION_PINNED_HASH = "tool_definition_pinned_hash";
    /** The top-level fields, comma separated, in which a tool's definition differs from its pin. */
    public static final String TOOL_DEFINITION_CHANGED_FIELDS = "tool_definition_changed_fields";
    /**
     * How a refused tool's name conflicts ({@code tool_name_conflict}): {@code duplicate},
     * {@code case_or_separators}, {@code confusable}, {@code restricted} or {@code registry_full}.
     */
    public static final String TOOL_NAME_CONFLICT = "tool_name_conflict";
    /** The name, registered first, that a refused tool's name conflicts with. */
    public static final String TOOL_NAME_CONFLICT_WITH = "tool_name_conflict_with";
    /** The server of the tool named {@link #TOOL_NAME_CONFLICT_WITH}. */
    public static final String TOOL_NAME_CONFLICT_SERVER = "tool_name_conflict_server";
    /** Longest accepted value. */
    public static final int MAX_VALUE_LENGTH = 256;
    /** No details. */
    public static final AuditDetails EMPTY = new AuditDetails(Map.of());

    private static final Pattern NAME = Pattern.compile("[a-z][a-z0-9_]{0,63}");

    public AuditDetails {
        Objects.requireNonNull(entries, "entries");
        TreeMap<String, String> copy = new TreeMap<>();
        entries.forEach((name, value) -> copy.put(checkName(name), checkValue(name, value)));
        entries = Collections.unmodifiableMap(copy);
    }

    /** The details already attached to {@code call}, or {@link #EMPTY}. */
    public static AuditDetails of(ToolCall call) {
        return call.attribute(KEY).orElse(EMPTY);
    }

    /** A copy with {@code value} under {@code name} (replacing an earlier value). */
    public AuditDetails with(String name, String value) {
        TreeMap<String, String> copy = new TreeMap<>(entries);
        copy.put(checkName(name), checkValue(name, value));
        return new AuditDetails(copy);
    }

    private static String checkName(String name) {
        Objects.requireNonNull(name, "name");
        if (!NAME.matcher(name).matches()) {
            throw new IllegalArgumentException("audit detail name must match [a-z][a-z0-9_]{0,63}, got '"
                    + (name.length() > 64 ? name.substring(0, 64) + "…" : name) + "'");
        }
        return name;
    }

    private static String checkValue(String name, String value) {
        Objects.requireNonNull(value, name);
        if (value.length() > MAX_VALUE_LENGTH) {
            throw new IllegalArgumentException("audit detail '" + name + "' must be at most " + MAX_VALUE_LENGTH
                    + " characters, got " + value.length());
        }
        return value;
    }
}
