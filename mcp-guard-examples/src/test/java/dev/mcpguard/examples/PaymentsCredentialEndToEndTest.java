package dev.mcpguard.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.core.audit.AuditRecordJson;
import dev.mcpguard.core.credentials.StoredCredential;
import dev.mcpguard.core.testing.RecordingAuditSink;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;
import org.junit.jupiter.api.io.TempDir;

/**
 * The downstream credential end to end: the real SDK client calls {@code refund_order}, the guard grants the
 * {@code payments-api} credential the reference policy names, the provider renews the expired client credentials
 * grant at the real issuer's token endpoint, and the handler pays out through the real payments API, which verifies
 * the token against the issuer's JWKS. Each test starts its own server, so its credential starts expired and its
 * refund bucket full.
 */
class PaymentsCredentialEndToEndTest {

    private static final Duration TIMEOUT = Duration.ofSeconds(10);

    @RegisterExtension
    static final OrdersServerFixture fixture = new OrdersServerFixture();

    @TempDir
    Path dir;

    @Test
    void refundIsPaidOutWithAValidTokenThatTheClientAndTheAuditFileNeverSee() throws Exception {
        Path auditFile = dir.resolve("audit.jsonl");
        try (OrdersServer server = fixture.startServer(s -> s, OrdersServer.auditSink(auditFile))) {
            StoredCredential stored = server.credentialStore().read(PaymentsCredential.key()).orElseThrow();
            int acceptedBefore = fixture.payments().acceptedRequests();
            int refusedBefore = fixture.payments().refusedRequests();
            int tokensBefore = fixture.payments().receivedTokens().size();
            List<CallToolResult> results = new ArrayList<>();
            McpSyncClient bob = fixture.connectedClientFor(server, DemoUser.BOB);
            try {
                results.add(refund(bob, "acme-1002", 20));
                results.add(refund(bob, "acme-1001", 2));
            } finally {
                bob.closeGracefully();
            }

            assertThat(results).allSatisfy(result -> {
                assertThat(result.isError()).isNotEqualTo(Boolean.TRUE);
                assertThat(structured(result)).containsEntry("payment_provider", "accepted")
                        .hasEntrySatisfying("payment_reference", ref -> assertThat(ref.toString()).startsWith("pay-"));
            });
            assertThat(fixture.payments().acceptedRequests() - acceptedBefore).isEqualTo(2);
            assertThat(fixture.payments().refusedRequests()).isEqualTo(refusedBefore);
            assertThat(server.executions("refund_order")).isEqualTo(2);

            List<String> tokens = fixture.payments().receivedTokens();
            List<String> tokensOfThisTest = tokens.subList(tokensBefore, tokens.size());
            assertThat(tokensOfThisTest).hasSize(2);
            assertThat(tokensOfThisTest.stream().distinct().count()).as("the renewed token is reused").isEqualTo(1);
            String everythingTheClientSaw = results.stream()
                    .map(r -> text(r) + r.structuredContent()).collect(Collectors.joining("\n"));
            String audit = Files.readString(auditFile);
            String store = Files.readString(server.settings().credentialsDir().resolve("credentials.json"));
            for (String token : tokensOfThisTest) {
                assertThat(everythingTheClientSaw).doesNotContain(token);
                assertThat(audit).doesNotContain(token);
                assertThat(store).as("the store holds ciphertext only").doesNotContain(token);
            }

            List<AuditRecord> records = AuditRecordJson.readAll(auditFile);
            assertThat(records).hasSize(2).allSatisfy(record -> {
                assertThat(record.tool()).isEqualTo("refund_order");
                assertThat(record.outcome()).isEqualTo(AuditRecord.Outcome.SUCCESS);
                assertThat(record.details())
                        .containsEntry("credential_id", stored.id())
                        .containsEntry("credential_key_version", Long.toString(stored.keyVersion()));
            });
        }
    }

    @Test
    void tenConcurrentRefundsOnAnExpiredGrantCauseExactlyOneTokenRequest() throws Exception {
        RecordingAuditSink audit = new RecordingAuditSink();
        try (OrdersServer server = fixture.startServer(s -> s, audit)) {
            int refunds = 10; // the policy's obligation allows 10 refunds per caller and minute
            List<McpSyncClient> clients = new ArrayList<>();
            for (int i = 0; i < refunds; i++) {
                clients.add(fixture.connectedClientFor(server, i % 2 == 0 ? DemoUser.BOB : DemoUser.CAROL));
            }
            int tokenRequestsBefore = fixture.issuer().tokenRequests();
            int acceptedBefore = fixture.payments().acceptedRequests();
            ExecutorService pool = Executors.newFixedThreadPool(refunds);
            try {
                CountDownLatch start = new CountDownLatch(1);
                List<Future<CallToolResult>> calls = new ArrayList<>();
                for (McpSyncClient client : clients) {
                    calls.add(pool.submit(() -> {
                        start.await();
                        return refund(client, "acme-1002", 1);
                    }));
                }
                start.countDown();
                for (Future<CallToolResult> call : calls) {
                    CallToolResult result = call.get(TIMEOUT.toSeconds(), TimeUnit.SECONDS);
                    assertThat(result.isError()).as("refund result %s", result.structuredContent())
                            .isNotEqualTo(Boolean.TRUE);
                }
            } finally {
                pool.shutdownNow();
                clients.forEach(McpSyncClient::closeGracefully);
            }

            assertThat(fixture.issuer().tokenRequests() - tokenRequestsBefore).isEqualTo(1);
            assertThat(fixture.payments().acceptedRequests() - acceptedBefore).isEqualTo(refunds);
            assertThat(server.executions("refund_order")).isEqualTo(refunds);
            assertThat(audit.await(r -> r.details().containsKey("credential_id"), refunds, TIMEOUT)).hasSize(refunds);
        }
    }

    @Test
    void handlerAskingForACredentialThePolicyDidNotNameIsDeniedCredentialNotPermitted() {
        RecordingAuditSink audit = new RecordingAuditSink();
        try (OrdersServer server = fixture.startServer(s -> s, audit)) {
            // list_orders is allowed for alice and the policy grants it no credential; this handler asks anyway.
            AtomicInteger asked = new AtomicInteger();
            AtomicInteger reachedThePaymentsApi = new AtomicInteger();
            server.replaceToolForTests(McpSchema.Tool.builder()
                            .name("list_orders")
                            .description("Lists orders, and tries to use the payments credential.")
                            .inputSchema(new McpSchema.JsonSchema("object", Map.of(), List.of(), false, null, null))
                            .annotations(McpSchema.ToolAnnotations.builder()
                                    .readOnlyHint(true).idempotentHint(true).openWorldHint(false).build())
                            .build(),
                    (exchange, request, context) -> {
                        asked.incrementAndGet();
                        context.authorizeRequest(PaymentsApi.AUDIENCE);
                        reachedThePaymentsApi.incrementAndGet();
                        return CallToolResult.builder().addTextContent("paid").build();
                    });
            int tokenRequestsBefore = fixture.issuer().tokenRequests();
            int paymentsBefore = fixture.payments().acceptedRequests() + fixture.payments().refusedRequests();
            McpSyncClient alice = fixture.connectedClientFor(server, DemoUser.ALICE);
            CallToolResult result;
            try {
                result = alice.callTool(new CallToolRequest("list_orders", Map.of()));
            } finally {
                alice.closeGracefully();
            }

            assertThat(result.isError()).isTrue();
            assertThat(structured(result)).containsEntry("error", "denied")
                    .containsEntry("reason", "credential_not_permitted");
            assertThat(asked).hasValue(1);
            assertThat(reachedThePaymentsApi).hasValue(0);
            assertThat(fixture.issuer().tokenRequests()).isEqualTo(tokenRequestsBefore);
            assertThat(fixture.payments().acceptedRequests() + fixture.payments().refusedRequests())
                    .isEqualTo(paymentsBefore);
            List<AuditRecord> records = audit.await(r -> r.tool().equals("list_orders"), 1, TIMEOUT);
            assertThat(records).singleElement().satisfies(record -> {
                assertThat(record.outcome()).isEqualTo(AuditRecord.Outcome.DENIED);
                assertThat(record.reason()).isEqualTo("credential_not_permitted");
                assertThat(record.details()).doesNotContainKey("credential_id");
            });
        }
    }

    private static CallToolResult refund(McpSyncClient client, String orderId, int amount) {
        return client.callTool(new CallToolRequest("refund_order",
                Map.of("order_id", orderId, "amount", amount, "reason", "damaged box")));
    }

    @SuppressWarnings("unchecked")
    private static Map<String, Object> structured(CallToolResult result) {
        assertThat(result.structuredContent()).isInstanceOf(Map.class);
        return (Map<String, Object>) result.structuredContent();
    }

    private static String text(CallToolResult result) {
        return result.content().stream()
                .map(content -> content instanceof McpSchema.TextContent t ? t.text() : content.type())
                .collect(Collectors.joining("\n"));
    }
}
