package dev.mcpguard.core.mcp;

import dev.mcpguard.api.Decision;
import dev.mcpguard.api.GuardKeys;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.ToolOutcome;
import dev.mcpguard.api.spi.CredentialProvider.CredentialUnavailableException;
import dev.mcpguard.core.internal.ClientText;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.util.LinkedHashMap;
import java.util.Map;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Renders a {@link ToolOutcome} as the {@link CallToolResult} the client receives: a completed call as the
 * handler's result; a denial as {@code isError=true} with a short text and {@code structuredContent} holding
 * {@code error}, {@code reason}, {@code decision_id}, {@code message} (and {@code retry_after_seconds}); a failure
 * as a generic error with the call id (the cause is logged, never sent). Stateless.
 */
final class ToolResults {

    static final int MAX_CREDENTIAL_MESSAGE_LENGTH = 200;
    private static final String CREDENTIAL_UNAVAILABLE_MESSAGE = "The credential is unavailable.";
    private static final Logger log = LoggerFactory.getLogger(ToolResults.class);

    private ToolResults() {
    }

    static ToolOutcome completed(ToolCall call, CallToolResult result) {
        if (result == null) {
            return new ToolOutcome.Failed(call, new IllegalStateException("tool handler returned null"));
        }
        return new ToolOutcome.Completed(call, result, Boolean.TRUE.equals(result.isError()));
    }

    static ToolOutcome credentialDenied(ToolCall call, String decisionId, CredentialUnavailableException e) {
        return new ToolOutcome.Denied(call, Decision.deny(decisionId, e.reason(), clientMessageOf(e)));
    }

    /**
     * The message of a credential failure as the client may see it: it can come from a third-party provider, so
     * control and format characters become spaces and it is cut at {@value #MAX_CREDENTIAL_MESSAGE_LENGTH}
     * characters, as policy messages are.
     */
    static String clientMessageOf(CredentialUnavailableException e) {
        String cleaned = ClientText.forClient(e.getMessage(), MAX_CREDENTIAL_MESSAGE_LENGTH);
        return cleaned.isEmpty() ? CREDENTIAL_UNAVAILABLE_MESSAGE : cleaned;
    }

    static CallToolResult toResult(ToolOutcome outcome) {
        if (outcome instanceof ToolOutcome.Completed completed) {
            return (CallToolResult) completed.result();
        }
        if (outcome instanceof ToolOutcome.Denied denied) {
            Decision.Deny deny = denied.decision();
            Map<String, Object> structured = new LinkedHashMap<>();
            structured.put("error", "denied");
            structured.put("reason", deny.reason().value());
            structured.put("decision_id", deny.decisionId());
            structured.put("message", deny.message());
            denied.call().attribute(GuardKeys.RETRY_AFTER).ifPresent(retryAfter ->
                    structured.put("retry_after_seconds", Math.max(1, (retryAfter.toMillis() + 999) / 1000)));
            return CallToolResult.builder()
                    .isError(true)
                    .addTextContent("Denied: " + deny.message() + " (reason: " + deny.reason().value()
                            + ", decision: " + deny.decisionId() + ")")
                    .structuredContent(structured)
                    .build();
        }
        ToolOutcome.Failed failed = (ToolOutcome.Failed) outcome;
        String callId = failed.call().callId();
        log.warn("Tool '{}' failed on call {}", ClientText.forLog(failed.call().toolName()), callId, failed.cause());
        Map<String, Object> structured = new LinkedHashMap<>();
        structured.put("error", "failed");
        structured.put("reason", "tool_failed");
        structured.put("call_id", callId);
        return CallToolResult.builder()
                .isError(true)
                .addTextContent("The tool failed. Reference: " + callId)
                .structuredContent(structured)
                .build();
    }
}
