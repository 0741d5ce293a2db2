package dev.mcpguard.core.mcp;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.github.benmanes.caffeine.cache.Cache;
import com.github.benmanes.caffeine.cache.Caffeine;
import com.networknt.schema.Error;
import com.networknt.schema.Schema;
import com.networknt.schema.SchemaRegistry;
import com.networknt.schema.dialect.Dialects;
import dev.mcpguard.core.guardrails.ArgumentSchemaValidator;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * The MCP SDK's default schema check ({@code DefaultJsonSchemaValidator} of {@code mcp-json-jackson2}) without
 * its per-call cost: each tool's input schema is compiled once with networknt, configured as the SDK configures
 * it (draft 2020-12 default dialect, a default {@link ObjectMapper}), and the verdict and message are the SDK's.
 *
 * <p>Compiled schemas are keyed by the schema {@code Map}'s identity in a bounded cache with weak keys, so a tool
 * re-registered with another schema (another {@code Map}) is compiled afresh and a removed tool's schema can be
 * collected; a map changed in place since it was compiled (its deep hash, the SDK's own cache key, differs) is
 * compiled again, so a stale schema is never used. A schema that fails
 * to compile is not cached and yields the SDK's violation message, so the call is denied. Thread-safe.
 */
final class SchemaCompilingValidator implements ArgumentSchemaValidator {

    private static final int MAX_SCHEMAS = 10_000;

    private final ObjectMapper mapper = new ObjectMapper();
    private final SchemaRegistry registry = SchemaRegistry.withDefaultDialect(Dialects.getDraft202012());
    /** A compiled schema and the deep hash of the map it was compiled from, to notice a map changed in place. */
    private record Compiled(int hash, Schema schema) {
    }

    private final Cache<Map<String, Object>, Compiled> compiled =
            Caffeine.newBuilder().weakKeys().maximumSize(MAX_SCHEMAS).build();

    @Override
    public Optional<String> violation(Map<String, Object> inputSchema, Map<String, Object> arguments) {
        if (inputSchema == null) {
            throw new IllegalArgumentException("Schema must not be null");
        }
        if (arguments == null) {
            throw new IllegalArgumentException("Structured content must not be null");
        }
        // Messages and exception handling as in the SDK's DefaultJsonSchemaValidator.validate.
        try {
            JsonNode node = mapper.valueToTree(arguments);
            List<Error> errors = schema(inputSchema).validate(node);
            return errors.isEmpty() ? Optional.empty()
                    : Optional.of("Validation failed: JSON schema validation errors: " + errors);
        } catch (JsonProcessingException e) {
            return Optional.of("Error parsing tool JSON Schema: " + e.getMessage());
        } catch (Exception e) {
            return Optional.of("Unexpected validation error: " + e.getMessage());
        }
    }

    private Schema schema(Map<String, Object> inputSchema) throws JsonProcessingException {
        // The deep hash is the SDK's own cache key; here it only confirms the map was not changed in place since it
        // was compiled (a changed map is compiled again), while the identity key keeps two different maps apart.
        int hash = inputSchema.hashCode();
        Compiled known = compiled.getIfPresent(inputSchema);
        if (known != null && known.hash() == hash) {
            return known.schema();
        }
        JsonNode node = mapper.valueToTree(inputSchema);
        if (node == null) {
            throw new JsonProcessingException("Failed to convert schema to JsonNode") { };
        }
        Schema schema = registry.getSchema(node);
        compiled.put(inputSchema, new Compiled(hash, schema));
        return schema;
    }

    /** Entries currently cached; for tests. */
    long cachedSchemas() {
        compiled.cleanUp();
        return compiled.estimatedSize();
    }

    @Override
    public String toString() {
        return "SchemaCompilingValidator(draft 2020-12, as the SDK's DefaultJsonSchemaValidator)";
    }
}
