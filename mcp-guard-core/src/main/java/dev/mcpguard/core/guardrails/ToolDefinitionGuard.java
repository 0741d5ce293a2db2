package dev.mcpguard.core.guardrails;

import dev.mcpguard.api.AttributeKey;
import dev.mcpguard.api.AuditDetails;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.Finding;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.ToolGuard;
import dev.mcpguard.api.ToolOutcome;
import dev.mcpguard.core.internal.Ids;
import java.time.Clock;
import java.util.Objects;
import java.util.concurrent.CompletionStage;
import java.util.stream.Collectors;

/**
 * The {@code definitions} step of the chain: a call to a tool whose definition was refused when it was registered
 * ({@link ToolDefinitionGate}: unpinned, changed, poisoned, a conflicting name) is denied with that reason, and the
 * audit record gets the definition's hash ({@code tool_definition_hash}), the findings' rule ids and the
 * verdict's details (the conflicting name, the pinned hash and changed fields); a call to a
 * tool admitted with drift (checks in {@link ToolPins.Mode#WARN}) proceeds with the drift in its audit record.
 *
 * <p>The verdict is made once, at registration, and travels on each call ({@link #attach}); this step turns it into
 * a denial at its place in the chain, after identity and session. Calls without a verdict (requests that are not
 * tool calls) pass. Thread-safe.
 */
public final class ToolDefinitionGuard implements ToolGuard {

    private static final AttributeKey<ToolAdmission> ADMISSION =
            AttributeKey.of("mcp-guard.tool-admission", ToolAdmission.class);

    private final Clock clock;

    /** Creates the step; {@code clock} stamps the decision ids of its denials. */
    public ToolDefinitionGuard(Clock clock) {
        this.clock = Objects.requireNonNull(clock, "clock");
    }

    /** {@code call} carrying the registration verdict of its tool. */
    public static ToolCall attach(ToolAdmission admission, ToolCall call) {
        return call.withAttribute(ADMISSION, admission);
    }

    @Override
    public CompletionStage<ToolOutcome> intercept(Chain chain) {
        ToolCall call = chain.call();
        ToolAdmission admission = call.attribute(ADMISSION).orElse(null);
        if (admission == null || (admission.admitted() && admission.drift().isEmpty())) {
            return chain.proceed(call);
        }
        AuditDetails details = AuditDetails.of(call).with(AuditDetails.TOOL_DEFINITION_HASH, admission.hash());
        if (!admission.findings().isEmpty()) {
            details = details.with(AuditDetails.TOOL_DEFINITION_FINDINGS, ruleIds(admission));
        }
        for (var fact : admission.details().entrySet()) {
            details = details.with(fact.getKey(), fact.getValue());
        }
        if (!admission.drift().isEmpty()) {
            details = details.with(AuditDetails.TOOL_DEFINITION_DRIFT, admission.drift().stream()
                    .map(ReasonCode::value).collect(Collectors.joining(",")));
        }
        ToolCall audited = call.withAttribute(AuditDetails.KEY, details);
        if (admission.admitted()) {
            return chain.proceed(audited);
        }
        // Denied on the copy, not with chain.deny(): the audit step reads the details from the denied call.
        return ToolGuard.done(new ToolOutcome.Denied(audited, Decision.deny(Ids.newId(clock),
                admission.refusal().orElseThrow(), admission.message())));
    }

    private static String ruleIds(ToolAdmission admission) {
        String joined = admission.findings().stream().map(Finding::ruleId).distinct()
                .collect(Collectors.joining(","));
        return joined.length() <= AuditDetails.MAX_VALUE_LENGTH ? joined
                : joined.substring(0, AuditDetails.MAX_VALUE_LENGTH - 3) + "...";
    }
}
