package dev.mcpguard.core;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.Secret;
import dev.mcpguard.core.identity.ApiKeyIdentityResolver;
import dev.mcpguard.core.policy.opa.BundleSource;
import dev.mcpguard.core.policy.opa.BundleVerification;
import dev.mcpguard.core.policy.opa.OpaWasmPolicyEngine;
import dev.mcpguard.core.testing.EmbeddedTomcat;
import dev.mcpguard.core.testing.OpaBinary;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URISyntaxException;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * Resources, resource templates, prompts and completions pass the same guard chain as tool calls (issue 13), over
 * real Streamable HTTP with the SDK client, decided by a real policy built with {@code opa build -t wasm}
 * ({@code src/test/resources/opa/primitives}, written against input contract version 2). Alice (tenant acme, role
 * hr) and bob (tenant globex) see different listings; what a listing hides is still decided when fetched by name;
 * a denied request never reaches its handler; every request leaves exactly one audit record naming its method and
 * target.
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS)
class EveryPrimitiveOverHttpTest {

    static final String ALICE_KEY = "alice-key-5b1e-test-only";
    static final String BOB_KEY = "bob-key-9c2d-test-only";
    static final String CARD = "4111111111111111";
    static final String ORDERS_TEMPLATE = "orders://{tenant}/{order_id}";
    static final String PAYROLL_TEMPLATE = "payroll://{employee}";

    final List<AuditRecord> audited = new CopyOnWriteArrayList<>();
    /** How often each handler ran, by resource URI, template, prompt name or completion reference. */
    final Map<String, AtomicInteger> runs = new ConcurrentHashMap<>();

    McpGuard guard;
    McpSyncServer server;
    EmbeddedTomcat tomcat;
    McpSyncClient alice;
    McpSyncClient bob;

    @BeforeAll
    void start(@TempDir Path work) throws Exception {
        Path bundle = work.resolve("primitives.tar.gz");
        OpaBinary.run(work, List.of("build", "-t", "wasm", "-e", "mcp/authz/decision", "--revision", "r1",
                "-b", policyDir().toString(), "-o", bundle.toString()));
        OpaWasmPolicyEngine engine = OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).poolSize(1)
                .bundleSource(BundleSource.file(bundle)).verification(BundleVerification.insecureUnsigned()).build();
        engine.pollNow();
        assertThat(engine.currentRevision()).contains("r1");
        guard = McpGuard.builder().serverName("orders").resource(java.net.URI.create("https://orders.test/mcp"))
                .auditSink(audited::add).policyEngine(engine).build();
        var transport = HttpServletStreamableServerTransportProvider.builder()
                .mcpEndpoint("/mcp").contextExtractor(guard.contextExtractor()).sessionSweepInterval(null).build();
        server = guard.syncServer(transport)
                .serverInfo("orders", "1")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(true).resources(true, true).prompts(true)
                        .completions().build())
                .tools(guard.guardSyncTools(List.of(McpServerFeatures.SyncToolSpecification.builder()
                        .tool(McpSchema.Tool.builder().name("echo").inputSchema(new McpSchema.JsonSchema(
                                "object", Map.of(), List.of(), null, null, null)).build())
                        .callHandler((exchange, request) -> McpSchema.CallToolResult.builder()
                                .addTextContent("echo").build())
                        .build(), McpServerFeatures.SyncToolSpecification.builder()
                        .tool(McpSchema.Tool.builder().name("ask_model").inputSchema(new McpSchema.JsonSchema(
                                "object", Map.of(), List.of(), null, null, null)).build())
                        .callHandler((exchange, request) -> {
                            McpSchema.CreateMessageResult answer = exchange.createMessage(
                                    McpSchema.CreateMessageRequest.builder().maxTokens(10).messages(List.of(
                                            new McpSchema.SamplingMessage(McpSchema.Role.USER,
                                                    new McpSchema.TextContent("the secret plan")))).build());
                            return McpSchema.CallToolResult.builder()
                                    .addTextContent(((McpSchema.TextContent) answer.content()).text()).build();
                        })
                        .build())))
                .resources(resource("docs://handbook", "handbook", "Be kind."),
                        resource("docs://payroll", "payroll", "Everyone's salary."))
                .resources(new McpServerFeatures.SyncResourceSpecification(
                        new McpSchema.Resource("docs://broken", "broken", null, null, "text/plain", null, null, null),
                        (exchange, request) -> {
                            throw new IllegalStateException("db password hunter2 rejected");
                        }))
                .resourceTemplates(template(ORDERS_TEMPLATE, "order"), template(PAYROLL_TEMPLATE, "payslip"))
                .prompts(prompt("summarize_order"), prompt("salary_review"))
                .completions(completion("summarize_order"), completion("salary_review"))
                .build();
        tomcat = EmbeddedTomcat.start(transport, guard.httpFilter().identityResolver(ApiKeyIdentityResolver.builder()
                .addKey(ApiKeyIdentityResolver.KeyEntry.of("alice", ApiKeyIdentityResolver.hashOf(
                        Secret.ofUtf8(ALICE_KEY)), "alice").withTenant("acme").withRoles(Set.of("hr")))
                .addKey(ApiKeyIdentityResolver.KeyEntry.of("bob", ApiKeyIdentityResolver.hashOf(
                        Secret.ofUtf8(BOB_KEY)), "bob").withTenant("globex"))
                .build()).build());
        alice = tomcat.client(ALICE_KEY).build();
        alice.initialize();
        bob = tomcat.client(BOB_KEY).build();
        bob.initialize();
    }

    @AfterAll
    void stop() throws Exception {
        if (tomcat == null) {
            return;
        }
        if (alice != null) {
            alice.close();
        }
        if (bob != null) {
            bob.close();
        }
        server.closeGracefully();
        tomcat.close();
        guard.close();
    }

    @BeforeEach
    void forgetEarlierRequests() {
        audited.clear();
        runs.clear();
    }

    static Path policyDir() throws URISyntaxException {
        return Path.of(EveryPrimitiveOverHttpTest.class.getResource("/opa/primitives").toURI());
    }

    int runsOf(String key) {
        return runs.getOrDefault(key, new AtomicInteger()).get();
    }

    McpServerFeatures.SyncResourceSpecification resource(String uri, String name, String text) {
        return new McpServerFeatures.SyncResourceSpecification(
                new McpSchema.Resource(uri, name, null, null, "text/plain", null, null, null),
                (exchange, request) -> {
                    runs.computeIfAbsent(uri, k -> new AtomicInteger()).incrementAndGet();
                    return new McpSchema.ReadResourceResult(List.of(
                            new McpSchema.TextResourceContents(request.uri(), "text/plain", text)));
                });
    }

    McpServerFeatures.SyncResourceTemplateSpecification template(String uriTemplate, String name) {
        return new McpServerFeatures.SyncResourceTemplateSpecification(
                new McpSchema.ResourceTemplate(uriTemplate, name, null, null, "application/json", null),
                (exchange, request) -> {
                    runs.computeIfAbsent(uriTemplate, k -> new AtomicInteger()).incrementAndGet();
                    String id = request.uri().substring(request.uri().lastIndexOf('/') + 1);
                    return new McpSchema.ReadResourceResult(List.of(new McpSchema.TextResourceContents(request.uri(),
                            "application/json", "{\"id\":\"" + id + "\",\"total\":42,\"card\":\"" + CARD + "\"}")));
                });
    }

    McpServerFeatures.SyncPromptSpecification prompt(String name) {
        return new McpServerFeatures.SyncPromptSpecification(new McpSchema.Prompt(name, "A prompt.",
                List.of(new McpSchema.PromptArgument("order_id", "The order.", true))),
                (exchange, request) -> {
                    runs.computeIfAbsent(name, k -> new AtomicInteger()).incrementAndGet();
                    return new McpSchema.GetPromptResult("A prompt.", List.of(new McpSchema.PromptMessage(
                            McpSchema.Role.USER, new McpSchema.TextContent("Summarize order "
                                    + request.arguments().get("order_id")))));
                });
    }

    McpServerFeatures.SyncCompletionSpecification completion(String prompt) {
        return new McpServerFeatures.SyncCompletionSpecification(new McpSchema.PromptReference(prompt),
                (exchange, request) -> {
                    runs.computeIfAbsent("complete:" + prompt, k -> new AtomicInteger()).incrementAndGet();
                    return new McpSchema.CompleteResult(new McpSchema.CompleteResult.CompleteCompletion(
                            List.of("1001", "1002")));
                });
    }

    static McpSchema.JSONRPCResponse.JSONRPCError errorOf(Throwable thrown) {
        assertThat(thrown).isInstanceOf(McpError.class);
        return ((McpError) thrown).getJsonRpcError();
    }

    /** The reason in a denial's data, asserting the denial's shape on the way. */
    static String denialReason(Throwable thrown) {
        McpSchema.JSONRPCResponse.JSONRPCError error = errorOf(thrown);
        assertThat(error.code()).isEqualTo(-32001);
        assertThat(error.message()).startsWith("Denied: ").contains("decision: ");
        Map<?, ?> data = (Map<?, ?>) error.data();
        assertThat(data.get("error")).isEqualTo("denied");
        assertThat((String) data.get("decision_id")).isNotBlank();
        return (String) data.get("reason");
    }

    AuditRecord onlyRecord() {
        assertThat(audited).hasSize(1);
        return audited.get(0);
    }

    // ---------------------------------------------------------------- resources/read

    @Test
    void aCallerReadsAnOrderOfTheirTenantWithTheCardRedactedFromTheJsonContents() {
        McpSchema.ReadResourceResult result = alice.readResource(new McpSchema.ReadResourceRequest("orders://acme/1001"));

        String text = ((McpSchema.TextResourceContents) result.contents().get(0)).text();
        assertThat(text).doesNotContain(CARD).contains("\"card\":\"[redacted]\"").contains("\"total\":42");
        assertThat(runsOf(ORDERS_TEMPLATE)).isEqualTo(1);
        AuditRecord record = onlyRecord();
        assertThat(record.method()).isEqualTo("resources/read");
        assertThat(record.target()).isEqualTo("orders://acme/1001");
        assertThat(record.tool()).isNull();
        assertThat(record.decision()).isEqualTo(AuditRecord.Verdict.ALLOW);
        assertThat(record.outcome()).isEqualTo(AuditRecord.Outcome.SUCCESS);
        assertThat(record.details()).containsEntry("redacted_paths", "card");
        assertThat(record.schemaVersion()).isEqualTo(2);
    }

    @Test
    void aReadOfAnotherTenantsOrderIsDeniedAndItsHandlerNeverRuns() {
        Throwable thrown = catchThrown(() -> bob.readResource(new McpSchema.ReadResourceRequest("orders://acme/1001")));

        assertThat(denialReason(thrown)).isEqualTo("policy_denied");
        assertThat(runsOf(ORDERS_TEMPLATE)).isZero();
        AuditRecord record = onlyRecord();
        assertThat(record.method()).isEqualTo("resources/read");
        assertThat(record.target()).isEqualTo("orders://acme/1001");
        assertThat(record.decision()).isEqualTo(AuditRecord.Verdict.DENY);
        assertThat(record.decisionId()).isEqualTo(((Map<?, ?>) errorOf(thrown).data()).get("decision_id"));
        assertThat(record.caller().subject()).isEqualTo("bob");
    }

    @Test
    void aStaticResourceHiddenFromBobsListIsStillDeniedWhenBobReadsItByName() {
        Throwable thrown = catchThrown(() -> bob.readResource(new McpSchema.ReadResourceRequest("docs://payroll")));

        assertThat(denialReason(thrown)).isEqualTo("policy_denied");
        assertThat(runsOf("docs://payroll")).isZero();
        assertThat(onlyRecord().target()).isEqualTo("docs://payroll");
    }

    @Test
    void aResourceOfAHiddenTemplateIsDeniedWhenFetchedByUri() {
        Throwable thrown = catchThrown(() -> bob.readResource(new McpSchema.ReadResourceRequest("payroll://bob")));

        assertThat(denialReason(thrown)).isEqualTo("policy_denied");
        assertThat(runsOf(PAYROLL_TEMPLATE)).isZero();
        McpSchema.ReadResourceResult allowed = alice.readResource(new McpSchema.ReadResourceRequest("payroll://alice"));
        assertThat(allowed.contents()).hasSize(1);
        assertThat(runsOf(PAYROLL_TEMPLATE)).isEqualTo(1);
    }

    @Test
    void anUnknownResourceIsDecidedByPolicyBeforeTheSdkCouldAnswerAndIsAuditedOnce() {
        Throwable thrown = catchThrown(() -> alice.readResource(new McpSchema.ReadResourceRequest("docs://nothing")));

        assertThat(denialReason(thrown)).isEqualTo("policy_denied");
        assertThat(onlyRecord().target()).isEqualTo("docs://nothing");
    }

    @Test
    void aReadWhoseHandlerThrowsGetsAGenericErrorWithTheCallIdAndTheExceptionTextStaysOnTheServer() {
        Throwable thrown = catchThrown(() -> alice.readResource(new McpSchema.ReadResourceRequest("docs://broken")));

        McpSchema.JSONRPCResponse.JSONRPCError error = errorOf(thrown);
        AuditRecord record = onlyRecord();
        assertThat(error.code()).isEqualTo(-32603);
        assertThat(error.message()).isEqualTo("The request failed. Reference: " + record.eventId());
        assertThat(String.valueOf(error.data())).doesNotContain("hunter2");
        assertThat(record.outcome()).isEqualTo(AuditRecord.Outcome.FAILED);
        assertThat(record.reason()).isEqualTo("handler_error");
        assertThat(record.toString()).doesNotContain("hunter2");
    }

    @Test
    void paramsThatDoNotFitTheMethodAreRefusedBeforeTheSdkAndAudited() {
        String session = tomcat.openSession(ALICE_KEY);

        var response = tomcat.post(ALICE_KEY, session,
                "{\"jsonrpc\":\"2.0\",\"id\":7,\"method\":\"resources/read\",\"params\":{\"uri\":42}}");

        assertThat(response.body()).contains("-32602").contains("invalid_arguments").contains("uri must be");
        AuditRecord record = audited.get(audited.size() - 1);
        assertThat(record.method()).isEqualTo("resources/read");
        assertThat(record.reason()).isEqualTo("invalid_arguments");
        assertThat(record.decision()).isEqualTo(AuditRecord.Verdict.DENY);
    }

    // ---------------------------------------------------------------- listings

    @Test
    void twoCallersSeeDifferentResourceListsAndEachListingIsAuditedOnce() {
        List<String> aliceSees = alice.listResources().resources().stream().map(McpSchema.Resource::uri).toList();
        List<String> bobSees = bob.listResources().resources().stream().map(McpSchema.Resource::uri).toList();

        assertThat(aliceSees).containsExactlyInAnyOrder("docs://handbook", "docs://payroll");
        assertThat(bobSees).containsExactly("docs://handbook");
        assertThat(audited).hasSize(2);
        assertThat(audited).extracting(AuditRecord::method).containsOnly("resources/list");
        assertThat(audited).extracting(AuditRecord::target).containsOnlyNulls();
        assertThat(audited.get(1).details()).containsEntry("items_shown", "1").containsEntry("items_hidden", "2");
    }

    @Test
    void twoCallersSeeDifferentTemplateLists() {
        List<String> aliceSees = alice.listResourceTemplates().resourceTemplates().stream()
                .map(McpSchema.ResourceTemplate::uriTemplate).toList();
        List<String> bobSees = bob.listResourceTemplates().resourceTemplates().stream()
                .map(McpSchema.ResourceTemplate::uriTemplate).toList();

        assertThat(aliceSees).containsExactlyInAnyOrder(ORDERS_TEMPLATE, PAYROLL_TEMPLATE);
        assertThat(bobSees).containsExactly(ORDERS_TEMPLATE);
        assertThat(audited).extracting(AuditRecord::method).containsExactly("resources/templates/list",
                "resources/templates/list");
    }

    @Test
    void twoCallersSeeDifferentPromptLists() {
        List<String> aliceSees = alice.listPrompts().prompts().stream().map(McpSchema.Prompt::name).toList();
        List<String> bobSees = bob.listPrompts().prompts().stream().map(McpSchema.Prompt::name).toList();

        assertThat(aliceSees).containsExactlyInAnyOrder("summarize_order", "salary_review");
        assertThat(bobSees).containsExactly("summarize_order");
        assertThat(audited).extracting(AuditRecord::method).containsExactly("prompts/list", "prompts/list");
    }

    // ---------------------------------------------------------------- prompts/get

    @Test
    void anAllowedPromptIsReturnedAndAuditedWithItsNameAndArgumentNames() {
        McpSchema.GetPromptResult result = bob.getPrompt(new McpSchema.GetPromptRequest("summarize_order",
                Map.of("order_id", "1001")));

        assertThat(((McpSchema.TextContent) result.messages().get(0).content()).text())
                .isEqualTo("Summarize order 1001");
        assertThat(runsOf("summarize_order")).isEqualTo(1);
        AuditRecord record = onlyRecord();
        assertThat(record.method()).isEqualTo("prompts/get");
        assertThat(record.target()).isEqualTo("summarize_order");
        assertThat(record.arguments()).containsOnlyKeys("order_id");
        assertThat(record.arguments().get("order_id")).startsWith("hmac-sha256:");
    }

    @Test
    void aPromptHiddenFromBobsListIsDeniedWhenBobGetsItByName() {
        Throwable thrown = catchThrown(() -> bob.getPrompt(new McpSchema.GetPromptRequest("salary_review",
                Map.of("order_id", "1001"))));

        assertThat(denialReason(thrown)).isEqualTo("policy_denied");
        assertThat(runsOf("salary_review")).isZero();
        AuditRecord record = onlyRecord();
        assertThat(record.method()).isEqualTo("prompts/get");
        assertThat(record.target()).isEqualTo("salary_review");
        assertThat(record.decision()).isEqualTo(AuditRecord.Verdict.DENY);
    }

    // ---------------------------------------------------------------- completion/complete

    @Test
    void anAllowedCompletionRunsItsHandler() {
        McpSchema.CompleteResult result = bob.completeCompletion(new McpSchema.CompleteRequest(
                new McpSchema.PromptReference("summarize_order"),
                new McpSchema.CompleteRequest.CompleteArgument("order_id", "10")));

        assertThat(result.completion().values()).containsExactly("1001", "1002");
        assertThat(runsOf("complete:summarize_order")).isEqualTo(1);
        AuditRecord record = onlyRecord();
        assertThat(record.method()).isEqualTo("completion/complete");
        assertThat(record.target()).isEqualTo("summarize_order");
        assertThat(record.arguments()).containsOnlyKeys("order_id");
    }

    @Test
    void aCompletionForAPromptPolicyDoesNotAllowIsDeniedAndItsHandlerNeverRuns() {
        Throwable thrown = catchThrown(() -> bob.completeCompletion(new McpSchema.CompleteRequest(
                new McpSchema.PromptReference("salary_review"),
                new McpSchema.CompleteRequest.CompleteArgument("order_id", "10"))));

        assertThat(denialReason(thrown)).isEqualTo("policy_denied");
        assertThat(runsOf("complete:salary_review")).isZero();
        assertThat(onlyRecord().target()).isEqualTo("salary_review");
    }

    @Test
    void aCompletionWhosePartialValuePolicyRefusesIsDenied() {
        Throwable thrown = catchThrown(() -> bob.completeCompletion(new McpSchema.CompleteRequest(
                new McpSchema.PromptReference("summarize_order"),
                new McpSchema.CompleteRequest.CompleteArgument("order_id", "99"))));

        assertThat(denialReason(thrown)).isEqualTo("policy_denied");
        assertThat(runsOf("complete:summarize_order")).isZero();
    }

    // ---------------------------------------------------------------- subscribe / unsubscribe

    @Test
    void subscribingToOnesOwnOrderIsAllowedAndToAnotherTenantsDenied() {
        alice.subscribeResource(new McpSchema.SubscribeRequest("orders://acme/1001"));
        Throwable thrown = catchThrown(() -> bob.subscribeResource(new McpSchema.SubscribeRequest("orders://acme/1001")));

        assertThat(denialReason(thrown)).isEqualTo("policy_denied");
        assertThat(audited).extracting(AuditRecord::method).containsExactly("resources/subscribe",
                "resources/subscribe");
        assertThat(audited).extracting(AuditRecord::decision).containsExactly(AuditRecord.Verdict.ALLOW,
                AuditRecord.Verdict.DENY);
        alice.unsubscribeResource(new McpSchema.UnsubscribeRequest("orders://acme/1001"));
        assertThat(audited.get(2).method()).isEqualTo("resources/unsubscribe");
        assertThat(audited.get(2).decision()).isEqualTo(AuditRecord.Verdict.ALLOW);
    }

    // ---------------------------------------------------------------- tools still as before

    @Test
    void toolCallsKeepTheirAuditRecordWithToolAndMethod() {
        McpSchema.CallToolResult result = bob.callTool(new McpSchema.CallToolRequest("echo", Map.of()));

        assertThat(result.isError()).isNotEqualTo(Boolean.TRUE);
        AuditRecord record = onlyRecord();
        assertThat(record.tool()).isEqualTo("echo");
        assertThat(record.method()).isEqualTo("tools/call");
        assertThat(record.target()).isNull();
    }

    // ---------------------------------------------------------------- server-to-client requests

    @Test
    void aSamplingRequestTheServerSendsWhileAnsweringAToolCallIsAuditedWithWhoTriggeredIt() {
        McpSyncClient sampler = tomcat.client(ALICE_KEY)
                .capabilities(McpSchema.ClientCapabilities.builder().sampling().build())
                .sampling(request -> McpSchema.CreateMessageResult.builder().role(McpSchema.Role.ASSISTANT)
                        .content(new McpSchema.TextContent("sampled")).model("test-model").build())
                .build();
        try {
            sampler.initialize();
            audited.clear();

            McpSchema.CallToolResult result = sampler.callTool(new McpSchema.CallToolRequest("ask_model", Map.of()));

            assertThat(((McpSchema.TextContent) result.content().get(0)).text()).isEqualTo("sampled");
            assertThat(audited).extracting(AuditRecord::method)
                    .containsExactly("sampling/createMessage", "tools/call");
            AuditRecord sampling = audited.get(0);
            assertThat(sampling.caller().subject()).isEqualTo("alice");
            assertThat(sampling.sessionId()).isEqualTo(audited.get(1).sessionId()).isNotNull();
            assertThat(sampling.details()).containsEntry("triggered_by", "tools/call")
                    .containsEntry("triggered_by_tool", "ask_model");
            assertThat(sampling.toString()).doesNotContain("the secret plan");
        } finally {
            sampler.close();
        }
    }

    private static Throwable catchThrown(Runnable request) {
        try {
            request.run();
        } catch (RuntimeException e) {
            return e;
        }
        throw new AssertionError("the request was not refused");
    }
}
