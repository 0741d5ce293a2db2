package dev.mcpguard.core;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.spi.AuditSink;
import dev.mcpguard.core.http.GuardRequestAttributes;
import dev.mcpguard.core.testing.Callers;
import dev.mcpguard.core.testing.EmbeddedTomcat;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.util.ArrayDeque;
import java.util.Deque;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.slf4j.helpers.NOPLogger;
import reactor.core.publisher.Mono;

/**
 * The one wiring path ({@code syncServer}, {@code asyncServer}, {@code httpFilter}, {@code contextExtractor}) and
 * the mistakes a newcomer made before it, over real Streamable HTTP with the SDK client where the wire matters.
 */
class McpGuardWiringTest {

    private static final URI RESOURCE = URI.create("https://orders.example.com/mcp");
    private static final Decision.Allow ALLOW = Decision.allow("d-1");

    private final List<AuditRecord> audited = new CopyOnWriteArrayList<>();
    private final AuditSink recordingSink = audited::add;
    /** Tomcat and the client a test started, closed after it, the last started first. */
    private final Deque<AutoCloseable> started = new ArrayDeque<>();
    private McpGuard guard;

    @AfterEach
    void stop() throws Exception {
        while (!started.isEmpty()) {
            started.pop().close();
        }
        if (guard != null) {
            guard.close();
        }
    }

    /** Hosts {@code transport} behind {@code guard}'s filter (API keys) and connects alice's SDK client. */
    private McpSyncClient serve(HttpServletStreamableServerTransportProvider transport) {
        EmbeddedTomcat tomcat = GuardingYourServerTest.host(transport,
                guard.httpFilter().identityResolver(GuardingYourServerTest.apiKeys()).build());
        started.push(tomcat);
        McpSyncClient client = GuardingYourServerTest.client(tomcat);
        started.push(client);
        return client;
    }

    @Test
    void buildFailsNamingWhatToAddWhenTheDefaultAuditSinkWouldRecordNothing() {
        // NOPLogger is what SLF4J 2 hands out when no provider is on the class path.
        assertThatThrownBy(() -> McpGuard.builder().serverName("orders")
                .defaultAuditLogger(NOPLogger.NOP_LOGGER).build())
                .isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("SLF4J")
                .hasMessageContaining("logback-classic")
                .hasMessageContaining("auditSink(")
                .hasMessageContaining("audit_unavailable");
        // An explicit sink needs no provider.
        assertThat(McpGuard.builder().serverName("orders").defaultAuditLogger(NOPLogger.NOP_LOGGER)
                .auditSink(recordingSink).build().serverName()).isEqualTo("orders");
    }

    @Test
    void aTransportWithoutTheContextExtractorIsNamedInTheDenialAndAudited() {
        guard = McpGuard.builder().serverName("orders").resource(RESOURCE).auditSink(recordingSink)
                .policyEngine(request -> ALLOW).build();
        var transport = HttpServletStreamableServerTransportProvider.builder().build(); // no context extractor
        guard.syncServer(transport).tools(guard.guardSyncTools(List.of(
                GuardingYourServerTest.tool("get_order", true)))).build();
        McpSyncClient client = serve(transport);

        McpSchema.CallToolResult result = client.callTool(new McpSchema.CallToolRequest("get_order", Map.of()));

        Map<?, ?> structured = (Map<?, ?>) result.structuredContent();
        assertThat(result.isError()).isTrue();
        assertThat(structured.get("reason")).isEqualTo("unauthenticated");
        assertThat((String) structured.get("message")).contains("context extractor")
                .contains(".contextExtractor(guard.contextExtractor())");
        assertThat(audited).extracting(AuditRecord::reason).containsExactly("unauthenticated");
    }

    @Test
    void argumentsAreValidatedInsideTheChainAndAuditedWithoutTheSdkCheckFirst() {
        guard = McpGuard.builder().serverName("orders").resource(RESOURCE).auditSink(recordingSink)
                .policyEngine(request -> ALLOW).validateArguments().build();
        var transport = HttpServletStreamableServerTransportProvider.builder()
                .contextExtractor(guard.contextExtractor()).build();
        McpSchema.Tool tool = McpSchema.Tool.builder().name("get_order").inputSchema(new McpSchema.JsonSchema(
                "object", Map.of("order_id", Map.of("type", "string")), List.of("order_id"), false, null, null))
                .build();
        guard.syncServer(transport).tools(guard.guard(McpServerFeatures.SyncToolSpecification.builder().tool(tool)
                .callHandler((exchange, request) -> McpSchema.CallToolResult.builder().addTextContent("ok").build())
                .build())).build();
        McpSyncClient client = serve(transport);

        McpSchema.CallToolResult result = client.callTool(new McpSchema.CallToolRequest("get_order", Map.of()));

        // The SDK's own check (on unless the guard turns it off) would answer first, without reason or audit.
        assertThat(result.isError()).isTrue();
        assertThat(((Map<?, ?>) result.structuredContent()).get("reason")).isEqualTo("invalid_arguments");
        assertThat(audited).extracting(AuditRecord::reason).containsExactly("invalid_arguments");
    }

    @Test
    void anAsyncHandlerOfAStatefulServerGetsTheVerifiedCallerFromTheGuardContext() {
        guard = McpGuard.builder().serverName("orders").resource(RESOURCE).auditSink(recordingSink)
                .policyEngine(request -> ALLOW).build();
        var transport = HttpServletStreamableServerTransportProvider.builder()
                .contextExtractor(guard.contextExtractor()).build();
        guard.asyncServer(transport).tools(guard.guardAsyncWithContext(
                McpSchema.Tool.builder().name("whoami").inputSchema(new McpSchema.JsonSchema(
                        "object", Map.of(), List.of(), null, null, null)).build(),
                (exchange, request, context) -> Mono.just(McpSchema.CallToolResult.builder()
                        .addTextContent(context.caller().subject() + " on call " + context.callId()).build())))
                .build();
        McpSyncClient client = serve(transport);

        McpSchema.CallToolResult result = client.callTool(new McpSchema.CallToolRequest("whoami", Map.of()));

        assertThat(result.isError()).isFalse();
        assertThat(((McpSchema.TextContent) result.content().get(0)).text()).matches("alice on call [0-9a-f-]{36}");
        assertThat(audited).extracting(AuditRecord::decision).containsExactly(AuditRecord.Verdict.ALLOW);
    }

    @Test
    void statelessHandlersSyncAndAsyncGetTheGuardContext() {
        guard = McpGuard.builder().serverName("orders").auditSink(recordingSink).policyEngine(request -> ALLOW)
                .build();
        CallerIdentity alice = Callers.user("alice", "acme");
        McpTransportContext transport = McpTransportContext.create(Map.of(GuardRequestAttributes.CALLER, alice));
        McpSchema.Tool tool = McpSchema.Tool.builder().name("whoami").inputSchema(new McpSchema.JsonSchema(
                "object", Map.of(), List.of(), null, null, null)).build();
        McpSchema.CallToolRequest request = new McpSchema.CallToolRequest("whoami", Map.of());

        McpSchema.CallToolResult sync = guard.guardStatelessWithContext(tool, (context, call, guardContext) ->
                        McpSchema.CallToolResult.builder().addTextContent(guardContext.caller().subject()).build())
                .callHandler().apply(transport, request);
        McpSchema.CallToolResult async = guard.guardStatelessAsyncWithContext(tool, (context, call, guardContext) ->
                        Mono.just(McpSchema.CallToolResult.builder()
                                .addTextContent(guardContext.caller().subject()).build()))
                .callHandler().apply(transport, request).block();

        assertThat(((McpSchema.TextContent) sync.content().get(0)).text()).isEqualTo("alice");
        assertThat(((McpSchema.TextContent) async.content().get(0)).text()).isEqualTo("alice");
    }
}
