package dev.mcpguard.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import dev.mcpguard.core.policy.PolicyMetrics;
import dev.mcpguard.core.testing.LogCapture;
import dev.mcpguard.core.testing.RecordingAuditSink;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The example server warms its policy engine up with calls of its own tools ({@code OrderTools.warmUpRequests})
 * before its port accepts requests, and the warm-up leaves nothing behind that a real call could see: no audit
 * record, no decision in the decision cache, no throttle token spent.
 */
class PolicyWarmUpEndToEndTest {

    @RegisterExtension
    static final OrdersServerFixture fixture = new OrdersServerFixture();

    @Test
    void thePolicyIsWarmedUpWithTheServersTypicalCallsBeforeThePortAcceptsRequests() {
        List<String> messages;
        try (LogCapture logs = LogCapture.everything()) {
            fixture.startServer(settings -> settings, new RecordingAuditSink()).close();
            messages = logs.messages();
        }

        int warmedUp = indexOf(messages, "Warmed up OPA bundle revision");
        int serving = indexOf(messages, "Orders server serving");
        assertThat(warmedUp).as("the engine's warm-up log line in %s", messages).isNotNegative();
        assertThat(messages.get(warmedUp)).endsWith("; 3 typical requests)");
        assertThat(serving).as("the server's serving log line in %s", messages).isNotNegative();
        assertThat(warmedUp).as("warm-up before the port accepts requests").isLessThan(serving);
    }

    @Test
    void theTypicalWarmUpCallsAreCallsTheReferencePolicyAllows() {
        List<PolicyRequest> requests = new OrderTools(OrderBook.seeded(), new JacksonMcpJsonMapper(new ObjectMapper()),
                Optional.empty()).warmUpRequests(OrdersServer.SERVER_NAME, fixture.issuer().issuer().toString(),
                Instant.now());

        assertThat(requests).extracting(r -> r.tool().name())
                .containsExactly("get_order", "list_orders", "refund_order");
        // Asked of the embedded engine itself, past the decision cache, as the warm-up asks it.
        for (PolicyRequest request : requests) {
            assertThat(fixture.server().policyEngine().delegate().decide(request))
                    .as("decision on %s", request.tool().name()).isInstanceOf(Decision.Allow.class);
        }
    }

    @Test
    void theWarmUpLeavesNoAuditRecordNoCachedDecisionAndNoSpentThrottleToken() {
        RecordingAuditSink audit = new RecordingAuditSink();
        try (OrdersServer server = fixture.startServer(settings -> settings.callsPerMinute(1), audit)) {
            PolicyMetrics.Snapshot afterStart = server.policyEngine().metrics().snapshot();
            assertThat(audit.records()).isEmpty();
            assertThat(afterStart.decisions()).isZero();
            assertThat(afterStart.cacheHits()).isZero();
            assertThat(afterStart.cacheMisses()).isZero();
            assertThat(server.executions("get_order")).isZero();

            McpSyncClient alice = fixture.connectedClientFor(server, DemoUser.ALICE);
            try {
                CallToolResult first = alice.callTool(new CallToolRequest("get_order", Map.of("order_id", "acme-1001")));
                CallToolResult second = alice.callTool(new CallToolRequest("get_order", Map.of("order_id", "acme-1001")));

                // The one token of the minute was still there for alice's first call, and the limit is live.
                assertThat(first.isError()).isNotEqualTo(Boolean.TRUE);
                assertThat(((Map<?, ?>) second.structuredContent()).get("reason")).isEqualTo("rate_limited");
                // Her first decision was evaluated, not served from anything the warm-up cached.
                assertThat(server.policyEngine().metrics().snapshot().cacheMisses()).isEqualTo(1);
                assertThat(audit.await(r -> true, 2, java.time.Duration.ofSeconds(5)))
                        .extracting(r -> r.caller().subject()).containsOnly("alice");
            } finally {
                alice.close();
            }
        }
    }

    private static int indexOf(List<String> messages, String prefix) {
        for (int i = 0; i < messages.size(); i++) {
            if (messages.get(i).startsWith(prefix)) {
                return i;
            }
        }
        return -1;
    }
}
