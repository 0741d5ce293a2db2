package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import com.sun.net.httpserver.HttpServer;
import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.http.GuardRequestAttributes;
import dev.mcpguard.core.policy.CircuitBreakerConfig;
import dev.mcpguard.core.policy.ResilientPolicyEngine;
import dev.mcpguard.core.testing.OpaServer;
import dev.mcpguard.core.testing.PolicyRequests;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.net.InetSocketAddress;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;

/** The remote engine inside the full guard chain: a failing OPA never lets the tool run. */
@Timeout(value = 30, unit = TimeUnit.SECONDS) // a safety net against hangs, not a latency assertion
class OpaRemoteThroughGuardTest {

    private static final CallerIdentity ALICE =
            PolicyRequests.caller("alice", "acme", Set.of("orders.read"), Set.of("viewer"));

    private final AtomicInteger handlerRuns = new AtomicInteger();
    private final List<AuditRecord> audited = new CopyOnWriteArrayList<>();

    private McpStatelessServerFeatures.SyncToolSpecification guardedGetOrder(PolicyEngine engine) {
        McpGuard guard = McpGuard.builder().serverName("orders").policyEngine(engine).auditSink(audited::add).build();
        var tool = McpSchema.Tool.builder().name("get_order").description("Reads an order")
                .inputSchema(Map.of("type", "object")).build();
        return guard.guard(McpStatelessServerFeatures.SyncToolSpecification.builder().tool(tool)
                .callHandler((context, request) -> {
                    handlerRuns.incrementAndGet();
                    return CallToolResult.builder().addTextContent("order A-1: shipped").build();
                }).build());
    }

    private static CallToolResult call(McpStatelessServerFeatures.SyncToolSpecification spec) {
        return spec.callHandler().apply(McpTransportContext.create(Map.of(GuardRequestAttributes.CALLER, ALICE)),
                new CallToolRequest("get_order", Map.of("order_id", "A-1")));
    }

    @SuppressWarnings("unchecked")
    private static String reasonOf(CallToolResult result) {
        assertThat(result.isError()).isTrue();
        return (String) ((Map<String, Object>) result.structuredContent()).get("reason");
    }

    private static OpaRemotePolicyEngine remote(URI base) {
        return OpaRemotePolicyEngine.builder(base).allowPlainHttpOnLoopback().build();
    }

    @Test
    void opaThatIsDownDeniesEveryCallWithPolicyUnavailableAndTheToolNeverRuns() throws Exception {
        var spec = guardedGetOrder(ResilientPolicyEngine.decorate(remote(URI.create("http://127.0.0.1:" + OpaServer.freePort())))
                .circuitBreaker(CircuitBreakerConfig.custom().consecutiveFailures(2).build()).build());

        List<String> reasons = List.of(reasonOf(call(spec)), reasonOf(call(spec)), reasonOf(call(spec)));

        assertThat(reasons).containsOnly("policy_unavailable");
        assertThat(handlerRuns).hasValue(0);
        assertThat(audited).hasSize(3).allSatisfy(r -> {
            assertThat(r.outcome()).isEqualTo(AuditRecord.Outcome.DENIED);
            assertThat(r.reason()).isEqualTo("policy_unavailable");
        });
    }

    @Test
    void opaAnsweringWithAServerErrorDeniesWithPolicyErrorAndTheToolNeverRuns() throws Exception {
        HttpServer broken = HttpServer.create(new InetSocketAddress("127.0.0.1", 0), 0);
        broken.createContext("/", exchange -> {
            exchange.getRequestBody().readAllBytes();
            byte[] body = "{\"code\":\"internal_error\"}".getBytes(StandardCharsets.UTF_8);
            exchange.sendResponseHeaders(500, body.length);
            exchange.getResponseBody().write(body);
            exchange.close();
        });
        broken.start();
        try {
            var spec = guardedGetOrder(remote(URI.create("http://127.0.0.1:" + broken.getAddress().getPort())));

            CallToolResult result = call(spec);

            assertThat(reasonOf(result)).isEqualTo("policy_error");
            assertThat(((McpSchema.TextContent) result.content().get(0)).text()).doesNotContain("internal_error");
            assertThat(handlerRuns).hasValue(0);
        } finally {
            broken.stop(0);
        }
    }

    @Test
    void realOpaThatAllowsRunsTheToolAndTheRevisionReachesTheAuditRecord() throws Exception {
        try (OpaServer opa = OpaServer.startWithBundle(OpaRemotePolicyEngineTest.bundleDir())) {
            var spec = guardedGetOrder(ResilientPolicyEngine.ofDefaults(remote(opa.baseUri())));

            CallToolResult result = call(spec);

            assertThat(result.isError()).isNotEqualTo(Boolean.TRUE);
            assertThat(handlerRuns).hasValue(1);
            assertThat(audited).singleElement()
                    .satisfies(r -> assertThat(r.details()).containsEntry("policy_revision", OpaRemotePolicyEngineTest.REVISION));
        }
    }
}
