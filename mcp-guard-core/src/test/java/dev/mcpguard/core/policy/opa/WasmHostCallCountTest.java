package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.styra.opa.wasm.OpaBuiltin;
import com.styra.opa.wasm.OpaWasm;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.PolicyEngine.Operation;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import dev.mcpguard.core.testing.OpaBinary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Arrays;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * How many times one decision of the reference policy (the example's committed bundle) calls into the host, by
 * builtin: each host call costs microseconds, so the reference policy must not make many. Counts, not times.
 */
class WasmHostCallCountTest {

    private static final ObjectMapper MAPPER = new ObjectMapper();
    private static byte[] wasm;
    private static String data;

    @BeforeAll
    static void loadReferenceBundle() throws Exception {
        Path root = OpaBinary.repositoryRoot();
        OpaBundle bundle = OpaBundle.read(
                Files.readAllBytes(root.resolve("mcp-guard-examples/src/main/resources/policy/orders-bundle.tar.gz")),
                BundleVerification.publicKey(Files.readString(root.resolve("policies/demo-signing/public.pem"))));
        byte[] original = bundle.policyWasm();
        wasm = WasmHostRewrite.rewrite(original, WasmBuiltins.mapping(original, MAPPER), DivergentBuiltins.REPLACED).wasm();
        data = MAPPER.writeValueAsString(bundle.data());
    }

    @Test
    void aReadOfTheExampleCallsTheHostAFewTimesAtMost() {
        Map<String, Integer> calls = hostCalls(getOrder());
        // Today: indexof and substring of the tenant-prefixed order id, twice each.
        assertThat(total(calls)).as("host calls by builtin: %s", calls).isLessThanOrEqualTo(8);
    }

    @Test
    void aBreakGlassCheckParsesEachWindowBoundInOneHostCall() {
        Map<String, Integer> calls = hostCalls(breakGlass());
        // Today 11: each window bound is one regex.match and one time.parse_rfc3339_ns (the hand-written parser
        // this replaced made 259 arithmetic and substring calls), plus the window's length check.
        assertThat(calls).containsEntry("time.parse_rfc3339_ns", 2);
        assertThat(total(calls)).as("host calls by builtin: %s", calls).isLessThanOrEqualTo(16);
    }

    @Test
    void aResultWithAThousandFindingsCallsTheHostPerDistinctKindNotPerFinding() throws Exception {
        ObjectNode input = new PolicyInputDocument(MAPPER, Map.of()).build(getOrder());
        input.put("phase", "result");
        ObjectNode guardrails = input.putObject("guardrails");
        guardrails.putObject("arguments").put("complete", true).putArray("findings");
        ObjectNode result = guardrails.putObject("result").put("complete", true);
        ArrayNode findings = result.putArray("findings");
        String[] kinds = {"pii.email", "pii.phone", "secret.generic", "prompt_injection"};
        for (int i = 0; i < 1_000; i++) {
            findings.addObject().put("kind", kinds[i % kinds.length]).put("rule_id", "rule")
                    .put("path", "$.content[" + i + "].text").put("confidence", 0.6);
        }
        Map<String, Integer> calls = hostCalls(MAPPER.writeValueAsString(input), "redact_findings");
        // Today 20: get_order's 4, then one substring and one minus per distinct kind (4) and family pattern (2),
        // whatever the number of findings (matched per finding, it would be two per finding and pattern).
        assertThat(total(calls)).as("host calls by builtin: %s", calls).isLessThanOrEqualTo(40);
    }

    private static int total(Map<String, Integer> calls) {
        return calls.values().stream().mapToInt(Integer::intValue).sum();
    }

    private static PolicyRequest getOrder() {
        CallerIdentity alice = CallerIdentity.builder("https://login.example.com", "alice").tenant("acme")
                .clientId("orders-agent").scopes(Set.of("orders.read")).roles(Set.of("support")).build();
        return new PolicyRequest(Operation.CALL, "count-1", alice, "orders",
                new ToolDescriptor("get_order", "Looks up one order.", true, false, true, false),
                Map.of("order_id", "acme-1001"), Optional.empty(), Instant.parse("2026-11-22T10:00:00Z"));
    }

    private static PolicyRequest breakGlass() {
        CallerIdentity oncall = CallerIdentity.builder("https://login.example.com", "oncall-example").tenant("acme")
                .clientId("orders-agent").scopes(Set.of("customers.delete")).roles(Set.of("admin")).build();
        return new PolicyRequest(Operation.CALL, "count-2", oncall, "orders",
                new ToolDescriptor("delete_customer", "Deletes a customer.", false, true, false, false),
                Map.of("customer_id", "acme-77"), Optional.empty(), Instant.parse("2026-11-22T10:00:00Z"));
    }

    /** Host calls of one evaluation of {@code request}, by builtin name. */
    private static Map<String, Integer> hostCalls(PolicyRequest request) {
        String input;
        try {
            input = MAPPER.writeValueAsString(new PolicyInputDocument(MAPPER, Map.of()).build(request));
        } catch (Exception e) {
            throw new IllegalStateException(e);
        }
        return hostCalls(input, "\"allow\"");
    }

    /** Host calls of one evaluation of the input document {@code input}, whose result must contain {@code expected}. */
    private static Map<String, Integer> hostCalls(String input, String expected) {
        Map<String, Integer> calls = new TreeMap<>();
        OpaBuiltin.Builtin[] builtins = Arrays.stream(WasmBuiltins.forInstance(() -> 0L, new BuiltinCache()))
                .map(builtin -> counting(builtin, calls)).toArray(OpaBuiltin.Builtin[]::new);
        WasmPolicyInstance instance = new WasmPolicyInstance(wasm, MAPPER, 1024, builtins, "mcp/authz/decision", data,
                true);
        instance.evaluate(input); // the first evaluation may fill the module's caches
        calls.clear();
        String result = instance.evaluate(input);
        assertThat(result).contains(expected);
        return calls;
    }

    private static OpaBuiltin.Builtin counting(OpaBuiltin.Builtin builtin, Map<String, Integer> calls) {
        return new OpaBuiltin.Builtin() {
            @Override
            public String name() {
                return builtin.name();
            }

            @Override
            public int asBuiltin0(OpaWasm wasm) {
                calls.merge(name(), 1, Integer::sum);
                return builtin.asBuiltin0(wasm);
            }

            @Override
            public int asBuiltin1(OpaWasm wasm, int a) {
                calls.merge(name(), 1, Integer::sum);
                return builtin.asBuiltin1(wasm, a);
            }

            @Override
            public int asBuiltin2(OpaWasm wasm, int a, int b) {
                calls.merge(name(), 1, Integer::sum);
                return builtin.asBuiltin2(wasm, a, b);
            }

            @Override
            public int asBuiltin3(OpaWasm wasm, int a, int b, int c) {
                calls.merge(name(), 1, Integer::sum);
                return builtin.asBuiltin3(wasm, a, b, c);
            }

            @Override
            public int asBuiltin4(OpaWasm wasm, int a, int b, int c, int d) {
                calls.merge(name(), 1, Integer::sum);
                return builtin.asBuiltin4(wasm, a, b, c, d);
            }
        };
    }
}
