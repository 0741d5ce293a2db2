package dev.mcpguard.core.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.Secret;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.http.McpGuardHttpFilter;
import dev.mcpguard.core.identity.ApiKeyIdentityResolver;
import dev.mcpguard.core.policy.InsecureAllowAllPolicyEngine;
import dev.mcpguard.core.testing.EmbeddedTomcat;
import dev.mcpguard.core.testing.LogCapture;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.server.McpStatelessSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStatelessServerTransport;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;

/**
 * {@link McpGuard#guardTransport(io.modelcontextprotocol.spec.McpStatelessServerTransport)} on a real stateless
 * SDK server in Tomcat, called by the SDK client over HTTP through {@link McpGuardHttpFilter}.
 */
class GuardedStatelessTransportOverHttpTest {

    private static final String KEY = "mgk_mallory_9fQz1Lr7XbT2nVw8KcY0eHs";

    private final List<AuditRecord> audit = new CopyOnWriteArrayList<>();
    private EmbeddedTomcat tomcat;
    private McpStatelessSyncServer server;

    @BeforeEach
    void start() throws Exception {
        McpGuard guard = McpGuard.builder().serverName("stateless")
                .policyEngine(new InsecureAllowAllPolicyEngine())
                .auditSink(audit::add)
                .unknownToolAudit(3, 100, Duration.ofMinutes(1))
                .build();
        HttpServletStatelessServerTransport transport = HttpServletStatelessServerTransport.builder()
                .messageEndpoint("/mcp").contextExtractor(McpSdkAdapter.contextExtractor()).build();
        McpSchema.Tool echo = McpSchema.Tool.builder().name("echo").description("echo")
                .inputSchema(Map.of("type", "object")).build();
        server = McpServer.sync(guard.guardTransport(transport))
                .serverInfo("stateless", "1")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
                .tools(guard.guardStatelessSyncTools(List.of(McpStatelessServerFeatures.SyncToolSpecification.builder()
                        .tool(echo).callHandler((context, request) -> McpSchema.CallToolResult.builder()
                                .addTextContent("ok").build()).build())))
                .build();
        McpGuardHttpFilter filter = McpGuardHttpFilter.builder()
                .identityResolver(ApiKeyIdentityResolver.builder()
                        .addKey(ApiKeyIdentityResolver.KeyEntry.of("mallory-key",
                                ApiKeyIdentityResolver.hashOf(Secret.ofUtf8(KEY)), "mallory").withTenant("acme"))
                        .build())
                .sessionRegistry(guard.sessionRegistry())
                .resource(URI.create("http://localhost/mcp"))
                .authorizationServer(URI.create("https://issuer.test"))
                .mcpPath("/mcp")
                .build();
        tomcat = EmbeddedTomcat.start(transport, List.of("/mcp"), filter, "/*");
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        tomcat.close();
    }

    @Test
    void callsToUnknownToolsOfAStatelessServerAreAuditedAndSampled() {
        McpSyncClient client = tomcat.client(KEY).build();
        try {
            client.initialize();
            assertThat(client.callTool(new McpSchema.CallToolRequest("echo", Map.of())).isError())
                    .isNotEqualTo(Boolean.TRUE);
            for (int i = 0; i < 10; i++) {
                String name = "probe_" + i;
                assertThatThrownBy(() -> client.callTool(new McpSchema.CallToolRequest(name, Map.of())))
                        .isInstanceOf(McpError.class);
            }
        } finally {
            client.closeGracefully();
        }

        List<AuditRecord> unknown = audit.stream().filter(r -> "unknown_tool".equals(r.reason())).toList();
        assertThat(unknown).extracting(AuditRecord::tool).containsExactly("probe_0", "probe_1", "probe_2");
        assertThat(unknown).allSatisfy(r -> {
            assertThat(r.caller().subject()).isEqualTo("mallory");
            assertThat(r.server()).isEqualTo("stateless");
            assertThat(r.sessionId()).isNull();
        });
        assertThat(audit).filteredOn(r -> r.tool().equals("echo")).hasSize(1);
    }

    @Test
    void aRequestMethodWithALineBreakIsRefusedBeforeTheSdkLogsIt() throws Exception {
        HttpResponse<String> response;
        List<String> logged;
        try (LogCapture logs = LogCapture.everything()) {
            response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(tomcat.base().resolve("/mcp"))
                    .header("X-API-Key", KEY)
                    .header("Content-Type", "application/json")
                    .header("Accept", "application/json, text/event-stream")
                    .POST(HttpRequest.BodyPublishers.ofString(
                            "{\"jsonrpc\":\"2.0\",\"id\":1,\"method\":\"x\\nERROR forged\",\"params\":{}}"))
                    .build(), HttpResponse.BodyHandlers.ofString());
            logged = logs.messages();
        }

        assertThat(response.body()).contains("-32600").doesNotContain("forged");
        assertThat(logged)
                .filteredOn(m -> m.contains("forged")).isNotEmpty()
                .allSatisfy(m -> assertThat(m).doesNotContain("\n"));
    }
}
