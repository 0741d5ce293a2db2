package dev.mcpguard.core.guardrails;

import java.util.Map;
import java.util.Optional;

/**
 * Checks a call's arguments against a tool's JSON input schema: what the {@code arguments} step needs from a
 * schema validator, free of any SDK type. {@code dev.mcpguard.core.mcp} adapts the MCP SDK's validator to it.
 *
 * <p>Implementations must be thread-safe. An implementation that throws makes {@link ArgumentsGuard} deny the
 * call (fail closed); its {@code toString()} names it in that log line, so it must not hold secrets.
 */
@FunctionalInterface
public interface ArgumentSchemaValidator {

    /**
     * The violation, if {@code arguments} do not match {@code inputSchema}: the validator's own description
     * (possibly blank; it names schema paths and may quote argument values), or empty when they match.
     *
     * @param inputSchema the tool's input schema, not empty
     * @param arguments   the call's arguments
     */
    Optional<String> violation(Map<String, Object> inputSchema, Map<String, Object> arguments);
}
