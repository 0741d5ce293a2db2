package dev.mcpguard.core.guardrails;

import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import org.openjdk.jmh.annotations.Benchmark;
import org.openjdk.jmh.annotations.BenchmarkMode;
import org.openjdk.jmh.annotations.Fork;
import org.openjdk.jmh.annotations.Measurement;
import org.openjdk.jmh.annotations.Mode;
import org.openjdk.jmh.annotations.OutputTimeUnit;
import org.openjdk.jmh.annotations.Param;
import org.openjdk.jmh.annotations.Scope;
import org.openjdk.jmh.annotations.Setup;
import org.openjdk.jmh.annotations.State;
import org.openjdk.jmh.annotations.Warmup;

/**
 * What the guard does once per tool definition when it wraps a tool (issue 14): the canonical hash
 * ({@link ToolDefinitionHash}), the poisoning scan over every string ({@link ToolPoisoningDetector#scanDefinition}),
 * the name check against a registry of 1,000 names ({@link ToolNames}, {@link ToolNameRegistry#check}), and the
 * whole verdict of {@link ToolDefinitionGate#check} (pins of 1,000 tools, hash, scan, names). {@code small} is a
 * one-parameter tool (about 300 bytes of JSON); {@code large} has 40 described parameters and an output schema
 * (about 16 KB). Per definition, not per call: a call only carries the verdict. In the package of the classes it
 * measures, which are package-private.
 *
 * <p>Run: {@code java -jar mcp-guard-bench/target/benchmarks.jar ToolDefinitionBenchmark -wi 2 -i 3 -f 1}
 */
@State(Scope.Benchmark)
@BenchmarkMode(Mode.AverageTime)
@OutputTimeUnit(TimeUnit.MICROSECONDS)
@Warmup(iterations = 2, time = 1)
@Measurement(iterations = 3, time = 1)
@Fork(1)
public class ToolDefinitionBenchmark {

    @Param({"small", "large"})
    public String definition;

    private Map<String, Object> tool;
    private ToolNameRegistry names;
    private ToolDefinitionGate gate;

    @Setup
    public void setUp() {
        tool = definition.equals("small") ? small() : large();
        names = ToolNameRegistry.create();
        List<Map<String, Object>> pinned = new java.util.ArrayList<>();
        for (int i = 0; i < 1_000; i++) {
            names.claim("other", "tool_" + i, "sha256:" + "0".repeat(64));
            pinned.add(Map.of("name", "pinned_tool_" + i, "description", "Tool number " + i + "."));
        }
        pinned.add(tool);
        gate = new ToolDefinitionGate("orders", ToolPins.enforce(ToolPinFile.empty().withServer("orders", pinned)),
                ToolPins.Mode.ENFORCE, names);
        if (!gate.check(tool).admitted()) {
            throw new IllegalStateException("the benchmark's definition must be admitted: " + gate.check(tool));
        }
    }

    static Map<String, Object> small() {
        return Map.of("name", "get_order", "title", "Get order",
                "description", "Returns one order of the caller's tenant by its id, with its lines and status.",
                "inputSchema", Map.of("type", "object", "required", List.of("order_id"), "properties",
                        Map.of("order_id", Map.of("type", "string", "description", "The order's id, e.g. A-10017."))),
                "annotations", Map.of("readOnlyHint", true, "destructiveHint", false));
    }

    static Map<String, Object> large() {
        Map<String, Object> properties = new LinkedHashMap<>();
        for (int i = 0; i < 40; i++) {
            properties.put("field_" + i, Map.of("type", "string", "maxLength", 256, "description",
                    "Field " + i + " of the shipment record, as printed on the customs declaration. Leave empty "
                            + "when the carrier does not ask for it; the value is validated against the carrier's "
                            + "rules and rejected with a message naming the rule. See the carrier's manual, "
                            + "section " + i + ", for the accepted formats and the examples there."));
        }
        Map<String, Object> output = new LinkedHashMap<>();
        for (int i = 0; i < 20; i++) {
            output.put("result_" + i, Map.of("type", "string", "description", "Result " + i
                    + " as the carrier returned it, unchanged, so that support can compare it with the carrier's "
                    + "portal."));
        }
        return Map.of("name", "create_customs_declaration", "title", "Create customs declaration",
                "description", "Creates the customs declaration of a shipment and submits it to the carrier. "
                        + "Returns the declaration id and the carrier's answer. Requires the shipping scope.",
                "inputSchema", Map.of("type", "object", "properties", properties),
                "outputSchema", Map.of("type", "object", "properties", output),
                "annotations", Map.of("readOnlyHint", false, "destructiveHint", false, "idempotentHint", false));
    }

    @Benchmark
    public String hash() {
        return ToolDefinitionHash.of(tool);
    }

    @Benchmark
    public Object poisoningScan() {
        return ToolPoisoningDetector.scanDefinition(tool);
    }

    @Benchmark
    public Object nameCheck() {
        String name = (String) tool.get("name");
        return ToolNames.isRestricted(name) ? null : names.check("orders", name, "sha256:" + "1".repeat(64));
    }

    @Benchmark
    public ToolAdmission wholeVerdict() {
        return gate.check(tool);
    }
}
