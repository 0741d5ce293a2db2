package dev.mcpguard.core.obligations;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.GuardKeys;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.testing.GuardedServerOverHttp;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * Policy obligations through the whole guard, over real Streamable HTTP with the MCP SDK client (issue 8, item 5):
 * {@code redact_fields} is enforced on the result before it leaves the chain, and an obligation no control
 * enforces denies the call instead of being ignored.
 */
class ObligationsOverHttpTest {

    static final String EMAIL = "jane.roe@acme.example";
    static final String PHONE = "+1-202-555-0143";

    final List<AuditRecord> audited = new CopyOnWriteArrayList<>();
    final AtomicInteger handlerRuns = new AtomicInteger();
    GuardedServerOverHttp server;

    @AfterEach
    void stop() throws Exception {
        if (server != null) {
            server.close();
        }
    }

    static PolicyEngine allowWith(Map<String, Object> obligations) {
        return request -> new Decision.Allow(request.decisionId(), obligations);
    }

    SyncToolSpecification tool(Supplier<CallToolResult> result) {
        return SyncToolSpecification.builder()
                .tool(McpSchema.Tool.builder().name("get_customer").description("A customer.")
                        .inputSchema(Map.of("type", "object")).build())
                .callHandler((exchange, request) -> {
                    handlerRuns.incrementAndGet();
                    return result.get();
                })
                .build();
    }

    static CallToolResult customer() {
        Map<String, Object> structured = Map.of("id", "acme-100", "name", "Jane Roe",
                "contact", Map.of("email", EMAIL, "phone", PHONE));
        return CallToolResult.builder()
                .structuredContent(structured)
                .addTextContent("{\"id\":\"acme-100\",\"name\":\"Jane Roe\",\"contact\":{\"email\":\"" + EMAIL
                        + "\",\"phone\":\"" + PHONE + "\"}}")
                .addTextContent("Reach Jane Roe at " + EMAIL + " or " + PHONE + ".")
                .build();
    }

    McpSyncClient serve(McpGuard.Builder guard, Supplier<CallToolResult> result) throws Exception {
        server = GuardedServerOverHttp.start(guard.serverName("crm").auditSink(audited::add).build(),
                List.of(tool(result)));
        return server.client();
    }

    static McpGuard.Builder guardWith(Map<String, Object> obligations) {
        return McpGuard.builder().policyEngine(allowWith(obligations));
    }

    @Test
    void redactFieldsAreRedactedInStructuredContentJsonTextAndProseBeforeTheClientSeesThem() throws Exception {
        McpSyncClient client = serve(guardWith(Map.of("redact_fields", List.of("contact.email", "contact.phone"))),
                ObligationsOverHttpTest::customer);

        CallToolResult result = client.callTool(new CallToolRequest("get_customer", Map.of()));

        assertThat(result.isError()).isNotEqualTo(Boolean.TRUE);
        assertThat(result.structuredContent()).isEqualTo(Map.of("id", "acme-100", "name", "Jane Roe",
                "contact", Map.of("email", "[redacted]", "phone", "[redacted]")));
        assertThat(result.content()).hasSize(2);
        assertThat(result.toString()).doesNotContain(EMAIL, PHONE).contains("Jane Roe");
        assertThat(((McpSchema.TextContent) result.content().get(1)).text())
                .isEqualTo("Reach Jane Roe at [redacted] or [redacted].");
        AuditRecord record = audited.get(0);
        assertThat(record.details()).containsEntry("redacted_paths", "contact.email,contact.phone");
        assertThat(record.toString()).doesNotContain(EMAIL, PHONE);
    }

    @Test
    void anObligationNoControlEnforcesDeniesTheCallBeforeTheHandlerRunsAndNamesTheKeyNotTheValue() throws Exception {
        McpSyncClient client = serve(guardWith(Map.of("notify_dpo", Map.of("mailbox", "dpo-secret-mailbox"))),
                ObligationsOverHttpTest::customer);

        CallToolResult result = client.callTool(new CallToolRequest("get_customer", Map.of()));

        assertThat(result.isError()).isTrue();
        assertThat(result.structuredContent()).isInstanceOfSatisfying(Map.class,
                s -> assertThat(s).containsEntry("reason", "unsupported_obligation"));
        assertThat(handlerRuns).hasValue(0);
        AuditRecord record = audited.get(0);
        assertThat(record.reason()).isEqualTo("unsupported_obligation");
        assertThat(record.details()).containsEntry("unsupported_obligation", "notify_dpo");
        assertThat(record.toString()).doesNotContain("dpo-secret-mailbox");
    }

    @Test
    void aRateLimitObligationWithoutAThrottleThatEnforcesItDeniesInsteadOfBeingIgnored() throws Exception {
        McpSyncClient client = serve(guardWith(Map.of("rate_limit", Map.of("per_minute", 1))),
                ObligationsOverHttpTest::customer);

        CallToolResult result = client.callTool(new CallToolRequest("get_customer", Map.of()));

        assertThat(result.structuredContent()).isInstanceOfSatisfying(Map.class,
                s -> assertThat(s).containsEntry("reason", "unsupported_obligation"));
        assertThat(handlerRuns).hasValue(0);
    }

    @Test
    void anObligationDeclaredForYourOwnGuardReachesIt() throws Exception {
        AtomicInteger seen = new AtomicInteger();
        McpSyncClient client = serve(guardWith(Map.of("notify_dpo", true))
                .addGuard("dpo", chain -> {
                    chain.call().attribute(GuardKeys.POLICY_DECISION)
                            .filter(allow -> allow.obligations().containsKey("notify_dpo"))
                            .ifPresent(allow -> seen.incrementAndGet());
                    return chain.proceed(chain.call());
                })
                .enforcedObligation("notify_dpo"), ObligationsOverHttpTest::customer);

        CallToolResult result = client.callTool(new CallToolRequest("get_customer", Map.of()));

        assertThat(result.isError()).isNotEqualTo(Boolean.TRUE);
        assertThat(seen).hasValue(1);
    }

    @Test
    void aMalformedRedactFieldsObligationDeniesBeforeTheHandlerRuns() throws Exception {
        McpSyncClient client = serve(guardWith(Map.of("redact_fields", "contact.email")),
                ObligationsOverHttpTest::customer);

        CallToolResult result = client.callTool(new CallToolRequest("get_customer", Map.of()));

        assertThat(result.structuredContent()).isInstanceOfSatisfying(Map.class,
                s -> assertThat(s).containsEntry("reason", "policy_error"));
        assertThat(handlerRuns).hasValue(0);
    }

    @Test
    void aResultThatCannotBeRedactedIsWithheldAndTheAuditSaysSo() throws Exception {
        McpSyncClient client = serve(guardWith(Map.of("redact_fields", List.of("contact.email"))),
                () -> CallToolResult.builder().addTextContent("see the picture")
                        .addContent(new McpSchema.ImageContent(null, "aGVsbG8=", "image/png")).build());

        CallToolResult result = client.callTool(new CallToolRequest("get_customer", Map.of()));

        assertThat(result.isError()).isTrue();
        assertThat(result.structuredContent()).isInstanceOfSatisfying(Map.class,
                s -> assertThat(s).containsEntry("reason", "redaction_failed"));
        assertThat(result.toString()).doesNotContain("aGVsbG8=", "see the picture");
        assertThat(handlerRuns).hasValue(1);
        AuditRecord record = audited.get(0);
        assertThat(record.reason()).isEqualTo("redaction_failed");
        assertThat(record.details()).containsEntry("result_withheld", "true");
    }

    @Test
    void aBreakGlassAllowPutsItsTicketIntoTheAuditRecord() throws Exception {
        McpSyncClient client = serve(guardWith(Map.of("break_glass",
                Map.of("ticket", "INC-4711", "expires", "2026-11-22T12:00:00Z"))), ObligationsOverHttpTest::customer);

        CallToolResult result = client.callTool(new CallToolRequest("get_customer", Map.of()));

        assertThat(result.isError()).isNotEqualTo(Boolean.TRUE);
        assertThat(audited.get(0).details()).containsEntry("break_glass_ticket", "INC-4711");
    }
}
