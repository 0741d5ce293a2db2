package dev.mcpguard.core.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class SchemaCompilingValidatorTest {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static final List<String> SCHEMAS = List.of(
            "{\"type\":\"object\",\"properties\":{\"n\":{\"type\":\"integer\"}},\"required\":[\"n\"]}",
            "{\"type\":\"object\",\"properties\":{\"s\":{\"type\":\"string\",\"minLength\":2,\"maxLength\":4}}}",
            "{\"type\":\"object\",\"properties\":{\"e\":{\"enum\":[\"a\",\"b\",1]}}}",
            "{\"type\":\"object\",\"properties\":{\"p\":{\"type\":\"string\",\"pattern\":\"^\\\\p{L}+$\"}}}",
            "{\"type\":\"object\",\"properties\":{\"p\":{\"type\":\"string\",\"pattern\":\"^[a-z]{2}-\\\\d+$\"}}}",
            "{\"type\":\"object\",\"properties\":{\"d\":{\"type\":\"string\",\"format\":\"date-time\"},"
                    + "\"m\":{\"type\":\"string\",\"format\":\"email\"},\"u\":{\"type\":\"string\",\"format\":\"uuid\"}}}",
            "{\"type\":\"object\",\"properties\":{\"o\":{\"type\":\"object\",\"properties\":{\"x\":{\"type\":\"number\","
                    + "\"maximum\":10}},\"required\":[\"x\"],\"additionalProperties\":false}}}",
            "{\"type\":\"object\",\"additionalProperties\":false,\"properties\":{\"a\":{\"type\":\"boolean\"}}}",
            "{\"type\":\"object\",\"properties\":{\"l\":{\"type\":\"array\",\"items\":{\"type\":\"integer\"},"
                    + "\"maxItems\":3,\"uniqueItems\":true}}}",
            "{\"type\":\"object\",\"properties\":{\"big\":{\"type\":\"integer\",\"maximum\":9007199254740993}}}",
            "{\"type\":\"object\",\"properties\":{\"c\":{\"oneOf\":[{\"type\":\"string\"},{\"type\":\"integer\"}]}}}",
            "{\"$schema\":\"http://json-schema.org/draft-07/schema#\",\"type\":\"object\","
                    + "\"properties\":{\"n\":{\"type\":\"integer\"}},\"dependencies\":{\"n\":[\"m\"]}}",
            "{\"type\":\"object\",\"$defs\":{\"pos\":{\"type\":\"integer\",\"minimum\":1}},"
                    + "\"properties\":{\"r\":{\"$ref\":\"#/$defs/pos\"}}}");

    private static final List<Map<String, Object>> INPUTS = inputs();

    private static List<Map<String, Object>> inputs() {
        List<Map<String, Object>> inputs = new ArrayList<>();
        inputs.add(Map.of());
        for (Object v : List.of(1, 1.5, 2L, "ab", "abcde", "日本語", "ab-12", "a1", true, "a", 1,
                BigInteger.valueOf(9007199254740993L), BigInteger.valueOf(9007199254740994L),
                new BigDecimal("1e400"), 9007199254740993L, "2024-01-01T00:00:00Z", "not-a-date",
                "x@example.com", "no-at", "123e4567-e89b-12d3-a456-426614174000", "zz",
                List.of(1, 2), List.of(1, 1), List.of(1, 2, 3, 4), List.of("a"),
                Map.of("x", 5), Map.of("x", 11), Map.of("x", 1, "y", 2), Map.of("y", 2))) {
            for (String key : List.of("n", "s", "e", "p", "d", "m", "u", "o", "a", "l", "big", "c", "r", "zz")) {
                inputs.add(Map.of(key, v));
            }
        }
        inputs.add(Map.of("n", 1, "m", 2));
        return inputs;
    }

    @Test
    void givesTheSdkValidatorsVerdictAndMessageOnEverySchemaAndInput() throws Exception {
        JsonSchemaValidator sdk = McpJsonDefaults.getSchemaValidator();
        var compiled = new SchemaCompilingValidator();
        int invalid = 0;
        // The cache holds its schema maps weakly: keep them reachable, or a GC during the loop drops entries and
        // the count at the end is short (seen on a loaded machine: 11 of 13).
        List<Map<String, Object>> schemas = new ArrayList<>();
        for (String text : SCHEMAS) {
            @SuppressWarnings("unchecked")
            Map<String, Object> schema = JSON.readValue(text, Map.class);
            schemas.add(schema);
            for (Map<String, Object> input : INPUTS) {
                Optional<String> expected = new SdkArgumentSchemaValidator(sdk).violation(schema, input);
                assertThat(compiled.violation(schema, input)).as("%s on %s", input, text).isEqualTo(expected);
                invalid += expected.isPresent() ? 1 : 0;
            }
        }
        assertThat(invalid).as("the inputs exercise both verdicts").isBetween(50, SCHEMAS.size() * INPUTS.size() - 50);
        assertThat(compiled.cachedSchemas()).isEqualTo(schemas.size());
        assertThat(schemas).hasSize(SCHEMAS.size());
    }

    @Test
    void validatesAgainstTheNewSchemaWhenAToolIsReRegisteredUnderTheSameName() {
        var compiled = new SchemaCompilingValidator();
        Map<String, Object> first = Map.of("type", "object", "properties", Map.of("n", Map.of("type", "integer")));
        Map<String, Object> second = Map.of("type", "object", "properties", Map.of("n", Map.of("type", "string")));

        assertThat(compiled.violation(first, Map.of("n", 1))).isEmpty();
        assertThat(compiled.violation(second, Map.of("n", 1))).isPresent();
        assertThat(compiled.violation(second, Map.of("n", "x"))).isEmpty();
        assertThat(compiled.violation(first, Map.of("n", "x"))).isPresent();
    }

    @Test
    void validatesAgainstTheChangedSchemaWhenASchemaMapIsChangedInPlace() {
        var compiled = new SchemaCompilingValidator();
        Map<String, Object> property = new HashMap<>(Map.of("type", "integer"));
        Map<String, Object> schema = new HashMap<>(Map.of("type", "object", "properties", Map.of("n", property)));
        assertThat(compiled.violation(schema, Map.of("n", 1))).isEmpty();

        property.put("type", "string");

        assertThat(compiled.violation(schema, Map.of("n", 1))).isPresent();
        assertThat(compiled.violation(schema, Map.of("n", "x"))).isEmpty();
    }

    @Test
    void comparesSchemasByIdentitySoAnEqualMapIsCompiledOnItsOwn() {
        var compiled = new SchemaCompilingValidator();
        Map<String, Object> schema = Map.of("type", "object");
        compiled.violation(schema, Map.of());
        compiled.violation(new HashMap<>(schema), Map.of());
        assertThat(compiled.cachedSchemas()).isEqualTo(2);
    }

    @Test
    void deniesLikeTheSdkWhenTheSchemaDoesNotCompileAndCachesNothing() {
        var compiled = new SchemaCompilingValidator();
        Map<String, Object> broken = Map.of("type", "object", "properties", Map.of("p",
                Map.of("type", "string", "pattern", "([a-z")));
        Optional<String> expected = new SdkArgumentSchemaValidator(McpJsonDefaults.getSchemaValidator())
                .violation(broken, Map.of("p", "x"));

        assertThat(expected).as("the SDK denies it").isPresent();
        assertThat(compiled.violation(broken, Map.of("p", "x"))).isEqualTo(expected);
    }

    @Test
    void adapterUsesTheCompilingValidatorOnlyForTheSdkDefault() {
        assertThat(McpSdkAdapter.argumentValidator(McpJsonDefaults.getSchemaValidator()))
                .isInstanceOf(SchemaCompilingValidator.class);
        var ownMapper = new io.modelcontextprotocol.json.schema.jackson2.DefaultJsonSchemaValidator(new ObjectMapper());
        assertThat(McpSdkAdapter.argumentValidator(ownMapper)).isInstanceOf(SdkArgumentSchemaValidator.class);
    }
}
