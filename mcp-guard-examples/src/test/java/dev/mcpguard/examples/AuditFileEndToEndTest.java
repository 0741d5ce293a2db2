package dev.mcpguard.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.core.audit.AuditRecordJson;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The durable JSONL audit file, written by the real sink behind the real server and read back: exactly one
 * correct record per call, allowed, denied or failed, each naming the policy revision that decided, and no token
 * or raw argument value in it.
 */
class AuditFileEndToEndTest {

    @TempDir
    Path dir;

    @Test
    void auditFileHoldsExactlyOneCorrectRecordPerCallWithThePolicyRevisionAndNoSecrets() throws Exception {
        Path file = dir.resolve("audit.jsonl");
        try (DemoIssuer issuer = DemoIssuer.start();
             PaymentsApi payments = PaymentsApi.start(issuer.issuer(), issuer.jwksUri());
             OrdersServer server = new OrdersServer(OrdersServerSettings.builder().port(0)
                     .issuer(issuer.issuer()).jwksUri(issuer.jwksUri()).auditFile(file)
                     .paymentsApi(payments.refundsUri())
                     .credentialsDir(dir.resolve("credentials")).build()).start()) {
            PaymentsCredential.provision(server.credentialStore(), issuer);
            String token = issuer.token(DemoUser.BOB, server.resourceUri());
            McpSyncClient client = McpClient.sync(HttpClientStreamableHttpTransport.builder(server.baseUrl().toString())
                            .endpoint(OrdersServer.MCP_ENDPOINT)
                            .httpRequestCustomizer((request, method, uri, body, context) ->
                                    request.header("Authorization", "Bearer " + token))
                            .build())
                    .requestTimeout(Duration.ofSeconds(10)).build();
            try {
                client.initialize();
                CallToolResult allowed = client.callTool(new CallToolRequest("get_order", Map.of("order_id", "acme-1001")));
                CallToolResult denied = client.callTool(new CallToolRequest("delete_customer", Map.of("customer_id", "acme-100")));
                CallToolResult failed = client.callTool(new CallToolRequest("refund_order",
                        Map.of("order_id", OrderBook.FLAKY_PAYMENT_ORDER, "amount", 5, "reason", "goodwill")));
                assertThat(allowed.isError()).isNotEqualTo(Boolean.TRUE);
                assertThat(denied.isError()).isTrue();
                assertThat(failed.isError()).isTrue();
            } finally {
                client.closeGracefully();
            }

            List<AuditRecord> records = AuditRecordJson.readAll(file);

            assertThat(records).extracting(AuditRecord::tool)
                    .containsExactly("get_order", "delete_customer", "refund_order");
            assertThat(records).extracting(AuditRecord::outcome).containsExactly(
                    AuditRecord.Outcome.SUCCESS, AuditRecord.Outcome.DENIED, AuditRecord.Outcome.FAILED);
            assertThat(records).allSatisfy(r -> {
                assertThat(r.caller().subject()).isEqualTo("bob");
                assertThat(r.caller().tenant()).isEqualTo("acme");
                assertThat(r.server()).isEqualTo(OrdersServer.SERVER_NAME);
                assertThat(r.sessionId()).isNotBlank();
                assertThat(r.decisionId()).isNotBlank();
                assertThat(r.details()).containsEntry("policy_revision", server.policyRevision());
            });
            assertThat(records.get(1).reason()).isEqualTo("insufficient_scope");
            assertThat(records.get(2).errorType()).endsWith("PaymentProviderException");
            assertThat(records.get(0).arguments().get("order_id")).startsWith("hmac-sha256:");
            String raw = Files.readString(file);
            assertThat(raw).doesNotContain(token).doesNotContain("acme-1001").doesNotContain("goodwill");
            // Schema version 3: the records between the chain's start checkpoint (the sink is still open).
            assertThat(raw.lines()).hasSize(4);
            assertThat(raw.lines().filter(AuditRecordJson::isChainLine)).hasSize(1);
        }
    }
}
