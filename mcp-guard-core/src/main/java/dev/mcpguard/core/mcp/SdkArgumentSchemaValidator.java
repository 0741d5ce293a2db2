package dev.mcpguard.core.mcp;

import dev.mcpguard.core.guardrails.ArgumentSchemaValidator;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;

/**
 * The MCP SDK's {@link JsonSchemaValidator} as the {@code arguments} step's {@link ArgumentSchemaValidator}.
 * Thread-safe if the SDK's validator is (its default one is).
 */
final class SdkArgumentSchemaValidator implements ArgumentSchemaValidator {

    private final JsonSchemaValidator validator;

    SdkArgumentSchemaValidator(JsonSchemaValidator validator) {
        this.validator = Objects.requireNonNull(validator, "validator");
    }

    @Override
    public Optional<String> violation(Map<String, Object> inputSchema, Map<String, Object> arguments) {
        JsonSchemaValidator.ValidationResponse response = validator.validate(inputSchema, arguments);
        if (response.valid()) {
            return Optional.empty();
        }
        return Optional.of(Objects.requireNonNullElse(response.errorMessage(), ""));
    }

    /** The SDK validator's class: what the arguments step names when the validator fails. */
    @Override
    public String toString() {
        return validator.getClass().getName();
    }
}
