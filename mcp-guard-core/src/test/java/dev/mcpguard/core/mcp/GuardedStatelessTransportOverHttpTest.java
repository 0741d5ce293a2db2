package dev.mcpguard.core.mcp;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.Secret;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.http.McpGuardHttpFilter;
import dev.mcpguard.core.identity.ApiKeyIdentityResolver;
import dev.mcpguard.core.policy.InsecureAllowAllPolicyEngine;
import dev.mcpguard.core.testing.LogCapture;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
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
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;
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
    private Tomcat tomcat;
    private McpStatelessSyncServer server;
    private URI base;

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

        Path baseDir = Files.createTempDirectory("mcp-guard-stateless");
        tomcat = new Tomcat();
        tomcat.setBaseDir(baseDir.toString());
        tomcat.setPort(0);
        Context context = tomcat.addContext("", baseDir.toString());
        Tomcat.addServlet(context, "mcp", transport).setAsyncSupported(true);
        context.addServletMappingDecoded("/mcp", "mcp");
        FilterDef def = new FilterDef();
        def.setFilterName("guard");
        def.setFilter(filter);
        def.setAsyncSupported("true");
        context.addFilterDef(def);
        FilterMap map = new FilterMap();
        map.setFilterName("guard");
        map.addURLPattern("/*");
        context.addFilterMap(map);
        tomcat.getConnector();
        tomcat.start();
        base = URI.create("http://localhost:" + tomcat.getConnector().getLocalPort());
    }

    @AfterEach
    void stop() throws Exception {
        server.close();
        tomcat.stop();
        tomcat.destroy();
    }

    @Test
    void callsToUnknownToolsOfAStatelessServerAreAuditedAndSampled() {
        McpSyncClient client = McpClient.sync(HttpClientStreamableHttpTransport.builder(base.toString())
                        .endpoint("/mcp")
                        .httpRequestCustomizer((request, method, uri, body, ctx) -> request.header("X-API-Key", KEY))
                        .build())
                .requestTimeout(Duration.ofSeconds(10)).build();
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
            response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(base.resolve("/mcp"))
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
