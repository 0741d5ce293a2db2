package dev.mcpguard.core.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class SdkArgumentSchemaValidatorTest {

    private static final Map<String, Object> SCHEMA = Map.of("type", "object",
            "properties", Map.of("limit", Map.of("type", "integer")), "required", List.of("limit"));

    @Test
    void argumentsThatMatchTheSchemaHaveNoViolation() {
        var validator = new SdkArgumentSchemaValidator(McpJsonDefaults.getSchemaValidator());

        assertThat(validator.violation(SCHEMA, Map.of("limit", 5))).isEmpty();
    }

    @Test
    void argumentsThatDoNotMatchCarryTheSdkValidatorsMessage() {
        var validator = new SdkArgumentSchemaValidator(McpJsonDefaults.getSchemaValidator());

        assertThat(validator.violation(SCHEMA, Map.of("limit", "five"))).hasValueSatisfying(
                message -> assertThat(message).isNotBlank());
    }

    @Test
    void anInvalidVerdictWithoutAMessageIsAViolationAllTheSame() {
        JsonSchemaValidator silent = new JsonSchemaValidator() {
            @Override
            public ValidationResponse validate(Map<String, Object> schema, Object content) {
                return new ValidationResponse(false, null, null);
            }
        };

        assertThat(new SdkArgumentSchemaValidator(silent).violation(SCHEMA, Map.of())).contains("");
        assertThat(new SdkArgumentSchemaValidator(silent).toString()).isEqualTo(silent.getClass().getName());
    }
}
