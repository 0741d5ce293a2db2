package dev.mcpguard.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.AuditRecord;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Throttling end to end through the SDK client: the server's static limit (3 calls per caller, tool and minute, as in
 * the demo) and the reference policy's {@code rate_limit} obligation for {@code refund_order} (10 per minute), which
 * replaces the static limit for that tool. A throttled call is denied with {@code rate_limited} and
 * {@code retry_after_seconds}, never reaches the handler, and is audited.
 */
class ThrottlingEndToEndTest {

    private static final int LIMIT = 3;
    private static final Duration TIMEOUT = Duration.ofSeconds(5);

    @RegisterExtension
    static final OrdersServerFixture fixture = new OrdersServerFixture(settings -> settings.callsPerMinute(LIMIT));

    @Test
    void callBeyondTheStaticLimitIsDeniedRateLimitedWithRetryAfterWithoutRunningTheHandlerAndIsAudited() {
        McpSyncClient grace = fixture.connectedClientFor(DemoUser.GRACE);
        int before = fixture.server().executions("get_order");

        List<CallToolResult> results = new ArrayList<>();
        for (int i = 0; i < LIMIT + 1; i++) {
            results.add(grace.callTool(new CallToolRequest("get_order", Map.of("order_id", "globex-2001"))));
        }

        assertThat(results.subList(0, LIMIT)).allSatisfy(r -> assertThat(r.isError()).isNotEqualTo(Boolean.TRUE));
        CallToolResult throttled = results.get(LIMIT);
        assertThat(throttled.isError()).isTrue();
        Map<?, ?> structured = (Map<?, ?>) throttled.structuredContent();
        assertThat(structured.get("error")).isEqualTo("denied");
        assertThat(structured.get("reason")).isEqualTo("rate_limited");
        // 3 per minute refill one token every 20 s.
        assertThat(((Number) structured.get("retry_after_seconds")).intValue()).isBetween(1, 20);
        assertThat(fixture.server().executions("get_order")).isEqualTo(before + LIMIT);

        List<AuditRecord> records = fixture.audit().await(r -> r.tool().equals("get_order"), LIMIT + 1, TIMEOUT);
        assertThat(records).hasSize(LIMIT + 1);
        AuditRecord denied = records.get(LIMIT);
        assertThat(denied.outcome()).isEqualTo(AuditRecord.Outcome.DENIED);
        assertThat(denied.reason()).isEqualTo("rate_limited");
        assertThat(denied.caller().subject()).isEqualTo("grace");
        assertThat(denied.decisionId()).isEqualTo(structured.get("decision_id"));
        assertThat(denied.details()).containsKey("retry_after_seconds");
    }

    @Test
    void thePolicysObligationSetsTenRefundsPerMinuteInsteadOfTheStaticLimit() {
        McpSyncClient bob = fixture.connectedClientFor(DemoUser.BOB);
        int executionsBefore = fixture.server().executions("refund_order");
        int paidBefore = fixture.payments().acceptedRequests();

        List<CallToolResult> results = new ArrayList<>();
        for (int i = 0; i < 11; i++) {
            results.add(bob.callTool(new CallToolRequest("refund_order",
                    Map.of("order_id", "acme-1002", "amount", 1, "reason", "goodwill"))));
        }

        assertThat(results.subList(0, 10)).allSatisfy(r -> assertThat(r.isError()).isNotEqualTo(Boolean.TRUE));
        Map<?, ?> eleventh = (Map<?, ?>) results.get(10).structuredContent();
        assertThat(eleventh.get("reason")).isEqualTo("rate_limited");
        assertThat(eleventh.get("retry_after_seconds")).isNotNull();
        assertThat(fixture.server().executions("refund_order")).isEqualTo(executionsBefore + 10);
        assertThat(fixture.payments().acceptedRequests()).isEqualTo(paidBefore + 10);
    }

    @Test
    void oneCallersEmptyBucketLeavesOtherCallersAlone() {
        McpSyncClient alice = fixture.connectedClientFor(DemoUser.ALICE);
        McpSyncClient bob = fixture.connectedClientFor(DemoUser.BOB);
        for (int i = 0; i < LIMIT; i++) {
            alice.callTool(new CallToolRequest("list_orders", Map.of()));
        }
        CallToolResult aliceAgain = alice.callTool(new CallToolRequest("list_orders", Map.of()));
        CallToolResult bobFirst = bob.callTool(new CallToolRequest("list_orders", Map.of()));

        assertThat(((Map<?, ?>) aliceAgain.structuredContent()).get("reason")).isEqualTo("rate_limited");
        assertThat(bobFirst.isError()).isNotEqualTo(Boolean.TRUE);
    }

    @Test
    void aCallerOverTheHttpRequestRateIsRefused429BeforeAnyToolCallRuns() {
        int requestsPerMinute = 5;
        try (OrdersServer limited = fixture.startServer(settings -> settings.requestsPerMinute(requestsPerMinute),
                new dev.mcpguard.core.testing.RecordingAuditSink())) {
            McpSyncClient alice = fixture.connectedClientFor(limited, DemoUser.ALICE);
            RuntimeException refused = null;
            int calls = 0;
            try {
                // initialize and notifications/initialized used two of the five; the event stream may use one.
                for (; calls < 2 * requestsPerMinute && refused == null; calls++) {
                    try {
                        alice.callTool(new CallToolRequest("get_order", Map.of("order_id", "acme-1001")));
                    } catch (RuntimeException e) {
                        refused = e;
                    }
                }
            } finally {
                try {
                    alice.close();
                } catch (RuntimeException ignored) {
                    // Its DELETE is over the rate too.
                }
            }

            assertThat(refused).as("a call over the HTTP request rate").isNotNull();
            assertThat(refused).hasStackTraceContaining("429");
            assertThat(limited.executions("get_order")).isLessThan(requestsPerMinute);
        }
    }
}
