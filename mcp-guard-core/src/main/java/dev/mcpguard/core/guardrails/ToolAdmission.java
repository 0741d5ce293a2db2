package dev.mcpguard.core.guardrails;

import dev.mcpguard.api.Finding;
import dev.mcpguard.api.ReasonCode;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.TreeMap;

/**
 * What the guard decided about one tool definition when it was registered ({@link ToolDefinitionGate#admit}):
 * admitted, admitted with drift (a check configured to warn failed), or refused with a reason. Carries the
 * definition's hash and the poisoning findings (kinds, rule ids and JSON paths into the definition; never the text
 * matched), never the description.
 *
 * <p>Immutable and thread-safe.
 *
 * @param tool     the tool name
 * @param hash     the definition's canonical hash ({@link ToolDefinitionHash})
 * @param refusal  why the tool is refused; empty when admitted
 * @param message  for a refusal, what the caller of the tool is told (fixed text, no description); else empty
 * @param drift    the reasons that would have refused it had their checks been enforced, in the order checked
 * @param findings what the poisoning scan found in the definition
 * @param details  facts for the audit record ({@code dev.mcpguard.api.AuditDetails} names, values of at most 256
 *                 characters): the name a conflicting name conflicts with, the pinned hash and the fields that
 *                 changed; never a description
 */
public record ToolAdmission(String tool, String hash, Optional<ReasonCode> refusal, String message,
                            List<ReasonCode> drift, List<Finding> findings, Map<String, String> details) {

    public ToolAdmission {
        Objects.requireNonNull(tool, "tool");
        Objects.requireNonNull(hash, "hash");
        Objects.requireNonNull(refusal, "refusal");
        Objects.requireNonNull(message, "message");
        drift = List.copyOf(drift);
        findings = List.copyOf(findings);
        details = Collections.unmodifiableMap(new TreeMap<>(details));
    }

    /** A verdict without details. */
    public ToolAdmission(String tool, String hash, Optional<ReasonCode> refusal, String message,
                         List<ReasonCode> drift, List<Finding> findings) {
        this(tool, hash, refusal, message, drift, findings, Map.of());
    }

    /** Whether the tool may be listed and called. */
    public boolean admitted() {
        return refusal.isEmpty();
    }
}
