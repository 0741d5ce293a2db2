package dev.mcpguard.bench;

import dev.mcpguard.core.guardrails.ArgumentSchemaValidator;
import io.modelcontextprotocol.json.McpJsonDefaults;
import io.modelcontextprotocol.json.schema.JsonSchemaValidator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;

/**
 * The {@code arguments} step's schema check per call: the SDK's {@code DefaultJsonSchemaValidator} (which
 * recomputes the schema map's deep hash on every call to find its compiled schema) against mcp-guard's
 * {@code SchemaCompilingValidator} (compiled once, looked up by identity), on a small call and a 16 KB one.
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.SampleTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
public class SchemaValidationBenchmark {

    @Param({"small", "16kb"})
    public String arguments;

    private Map<String, Object> schema;
    private Map<String, Object> args;
    private JsonSchemaValidator sdk;
    private ArgumentSchemaValidator compiled;

    @Setup
    public void setUp() throws Exception {
        schema = Map.of("type", "object", "required", List.of("orderId"), "additionalProperties", false,
                "properties", Map.of(
                        "orderId", Map.of("type", "string", "pattern", "^ord-[0-9]+$"),
                        "quantity", Map.of("type", "integer", "minimum", 1, "maximum", 1000),
                        "note", Map.of("type", "string", "maxLength", 20_000),
                        "tags", Map.of("type", "array", "items", Map.of("type", "string"))));
        args = new LinkedHashMap<>();
        args.put("orderId", "ord-42");
        args.put("quantity", 3);
        args.put("tags", List.of("a", "b"));
        if (arguments.equals("16kb")) {
            args.put("note", "x".repeat(16 * 1024));
        }
        sdk = McpJsonDefaults.getSchemaValidator();
        // Package-private in core; reached by reflection so the benchmark measures the real class.
        var ctor = Class.forName("dev.mcpguard.core.mcp.SchemaCompilingValidator").getDeclaredConstructor();
        ctor.setAccessible(true);
        compiled = (ArgumentSchemaValidator) ctor.newInstance();
        if (compiled.violation(schema, args).isPresent() || !sdk.validate(schema, args).valid()) {
            throw new IllegalStateException("benchmark arguments must be valid");
        }
    }

    @Benchmark
    public boolean sdkValidator() {
        return sdk.validate(schema, args).valid();
    }

    @Benchmark
    public Optional<String> compiledValidator() {
        return compiled.violation(schema, args);
    }
}
