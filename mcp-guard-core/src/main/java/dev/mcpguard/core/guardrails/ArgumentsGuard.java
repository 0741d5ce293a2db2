package dev.mcpguard.core.guardrails;

import dev.mcpguard.api.AttributeKey;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.ToolGuard;
import dev.mcpguard.api.ToolOutcome;
import dev.mcpguard.core.internal.ClientText;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletionStage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The {@code arguments} step of the chain: a call whose arguments do not match the tool's JSON input schema is
 * denied with {@link ReasonCode#INVALID_ARGUMENTS} before policy sees it, and, unlike the SDK's own check, the
 * denial is audited. Policy can then rely on argument types.
 *
 * <p>The schema check runs when the call is created ({@link #check}) and its verdict travels on the call; this
 * step turns a failed verdict into a denial at its documented place in the chain. A validator that throws fails
 * closed. The validator is an {@link ArgumentSchemaValidator}; the SDK's is adapted to it in
 * {@code dev.mcpguard.core.mcp}. Thread-safe.
 */
public final class ArgumentsGuard implements ToolGuard {

    private static final Logger log = LoggerFactory.getLogger(ArgumentsGuard.class);
    private static final AttributeKey<String> VIOLATION = AttributeKey.of("mcp-guard.schema-violation", String.class);
    private static final int MAX_DETAIL_LENGTH = 300;

    /** Creates the step; it keeps no state. */
    public ArgumentsGuard() {
    }

    /**
     * Validates {@code call}'s arguments against {@code inputSchema} and returns the call with the verdict
     * attached (unchanged when valid or when the tool declares no schema).
     */
    public static ToolCall check(ArgumentSchemaValidator validator, Map<String, Object> inputSchema, ToolCall call) {
        if (inputSchema.isEmpty()) {
            return call;
        }
        try {
            Optional<String> violation = validator.violation(inputSchema, call.arguments());
            if (violation.isEmpty()) {
                return call;
            }
            return call.withAttribute(VIOLATION, sanitize(violation.get()));
        } catch (RuntimeException e) {
            // Exception type only: validator messages and stack traces can quote argument values.
            log.warn("Schema validator {} failed on call {} (tool {}) with {}; denying", validator,
                    call.callId(), call.toolName(), e.getClass().getName());
            return call.withAttribute(VIOLATION, "the arguments could not be validated");
        }
    }

    @Override
    public CompletionStage<ToolOutcome> intercept(Chain chain) {
        ToolCall call = chain.call();
        return call.attribute(VIOLATION)
                .map(detail -> chain.deny(ReasonCode.INVALID_ARGUMENTS,
                        "The arguments do not match the tool's input schema: " + detail))
                .orElseGet(() -> chain.proceed(call));
    }

    /** Validator messages name schema paths; keep them printable and short, they go back to the client. */
    private static String sanitize(String message) {
        if (message == null || message.isBlank()) {
            return "schema violation";
        }
        String cleaned = ClientText.forClient(message, Integer.MAX_VALUE);
        return cleaned.length() <= MAX_DETAIL_LENGTH ? cleaned
                : ClientText.forClient(cleaned, MAX_DETAIL_LENGTH) + "...";
    }
}
