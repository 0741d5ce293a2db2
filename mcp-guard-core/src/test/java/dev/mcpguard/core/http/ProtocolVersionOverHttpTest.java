package dev.mcpguard.core.http;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.core.identity.ApiKeyIdentityResolver;
import dev.mcpguard.core.mcp.McpSdkAdapter;
import dev.mcpguard.core.session.InMemorySessionRegistry;
import dev.mcpguard.core.testing.EmbeddedTomcat;
import dev.mcpguard.core.testing.LogCapture;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.util.List;
import java.util.Map;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/**
 * Issue 13, the edge: the Streamable HTTP transport specification requires 400 for a request whose
 * {@code MCP-Protocol-Version} header names an unsupported version; the MCP SDK 2.1.0 servlet transport answers
 * 200. Over real HTTP, in front of that transport on embedded Tomcat, with raw requests and the real SDK client.
 */
class ProtocolVersionOverHttpTest {

    static final String ALICE_KEY = "mgk_alice_version_8Kd2Lq5Zx9Cv6Bn3Mk";
    static final String TOOLS_LIST = "{\"jsonrpc\": \"2.0\", \"id\": 2, \"method\": \"tools/list\"}";
    static final ObjectMapper JSON = new ObjectMapper();

    static final InMemorySessionRegistry sessions = InMemorySessionRegistry.ofDefaults();
    static HttpServletStreamableServerTransportProvider transport;
    static EmbeddedTomcat tomcat;
    static McpSyncServer server;

    @BeforeAll
    static void start() {
        transport = HttpServletStreamableServerTransportProvider.builder()
                .mcpEndpoint("/mcp")
                .contextExtractor(McpSdkAdapter.contextExtractor())
                .sessionSweepInterval(null)
                .build();
        server = McpServer.sync(transport).serverInfo("version-test", "1")
                .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
                .tools(McpServerFeatures.SyncToolSpecification.builder()
                        .tool(McpSchema.Tool.builder().name("ping").inputSchema(new McpSchema.JsonSchema(
                                "object", Map.of(), List.of(), null, null, null)).build())
                        .callHandler((exchange, request) ->
                                McpSchema.CallToolResult.builder().addTextContent("pong").build())
                        .build())
                .build();
        McpGuardHttpFilter filter = McpGuardHttpFilter.builder()
                .identityResolver(ApiKeyIdentityResolver.builder()
                        .addKey(McpGuardHttpFilterTest.key("alice-key", ALICE_KEY, "alice", Set.of()))
                        .build())
                .sessionRegistry(sessions)
                .resource(URI.create("https://orders.example.com/mcp"))
                .mcpPath("/mcp")
                .build();
        tomcat = EmbeddedTomcat.start(transport, List.of("/mcp"), filter, "/*");
    }

    @AfterAll
    static void stop() throws Exception {
        server.closeGracefully();
        tomcat.close();
        sessions.close();
    }

    @Test
    void supportsByDefaultExactlyTheVersionsOfTheSdksStreamableHttpTransport() {
        assertThat(ProtocolVersionHeader.ofSdkStreamableHttpTransport()).isEqualTo(transport.protocolVersions())
                .isNotEmpty();
    }

    @Test
    void answers400WithAJsonRpcErrorToARequestNamingAnUnsupportedVersion() throws Exception {
        String session = tomcat.openSession(ALICE_KEY);

        HttpResponse<String> response = send(post(session, TOOLS_LIST).header("MCP-Protocol-Version", "1999-01-01"));

        assertThat(response.statusCode()).isEqualTo(400);
        assertThat(response.headers().firstValue("Content-Type").orElseThrow()).startsWith("application/json");
        JsonNode body = JSON.readTree(response.body());
        assertThat(body.get("jsonrpc").asText()).isEqualTo("2.0");
        assertThat(body.get("error").get("code").asInt()).isEqualTo(-32600);
        assertThat(body.get("error").get("message").asText()).isEqualTo(
                "unsupported MCP-Protocol-Version (supported: " + String.join(", ", transport.protocolVersions()) + ")");
        assertThat(response.body()).doesNotContain("1999-01-01");
    }

    @Test
    void refusesAVersionTheSdkKnowsButItsStreamableHttpTransportDoesNotSupport() {
        String session = tomcat.openSession(ALICE_KEY);
        // 2024-11-05 had no Streamable HTTP; the SDK's ProtocolVersions lists it, the transport does not.
        assertThat(transport.protocolVersions()).doesNotContain("2024-11-05");

        HttpResponse<String> response = send(post(session, TOOLS_LIST).header("MCP-Protocol-Version", "2024-11-05"));

        assertThat(response.statusCode()).isEqualTo(400);
    }

    @Test
    void answers200ToEverySupportedVersionAndToARequestWithoutTheHeader() {
        String session = tomcat.openSession(ALICE_KEY);
        for (String version : transport.protocolVersions()) {
            HttpResponse<String> response = send(post(session, TOOLS_LIST).header("MCP-Protocol-Version", version));

            assertThat(response.statusCode()).as(version).isEqualTo(200);
            assertThat(response.body()).as(version).contains("\"ping\"");
        }
        HttpResponse<String> without = send(post(session, TOOLS_LIST));

        assertThat(without.statusCode()).isEqualTo(200);
        assertThat(without.body()).contains("\"ping\"");
    }

    @Test
    void refusesTwoHeaderLinesAndAnEmptyValue() {
        String session = tomcat.openSession(ALICE_KEY);
        String supported = transport.protocolVersions().get(0);

        HttpResponse<String> twice = send(post(session, TOOLS_LIST)
                .header("MCP-Protocol-Version", supported).header("MCP-Protocol-Version", supported));
        HttpResponse<String> empty = send(post(session, TOOLS_LIST).header("MCP-Protocol-Version", ""));

        assertThat(twice.statusCode()).isEqualTo(400);
        assertThat(empty.statusCode()).isEqualTo(400);
    }

    @Test
    void letsInitializeNegotiateInItsBodyWhateverItsHeaderSays() throws Exception {
        HttpResponse<String> response = send(post(null, EmbeddedTomcat.INITIALIZE)
                .header("MCP-Protocol-Version", "1999-01-01"));

        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(response.headers().firstValue("Mcp-Session-Id")).isPresent();
        assertThat(response.body()).contains("\"protocolVersion\"");
    }

    @Test
    void refusesAGetStreamAndADeleteNamingAnUnsupportedVersion() throws Exception {
        String session = tomcat.openSession(ALICE_KEY);

        HttpResponse<String> get = send(HttpRequest.newBuilder(tomcat.base().resolve("/mcp")).GET()
                .header("Accept", "text/event-stream").header("X-API-Key", ALICE_KEY)
                .header("Mcp-Session-Id", session).header("MCP-Protocol-Version", "2099-12-31"));
        HttpResponse<String> delete = send(HttpRequest.newBuilder(tomcat.base().resolve("/mcp")).DELETE()
                .header("X-API-Key", ALICE_KEY).header("Mcp-Session-Id", session)
                .header("MCP-Protocol-Version", "2099-12-31"));

        assertThat(get.statusCode()).isEqualTo(400);
        assertThat(JSON.readTree(get.body()).get("error").get("code").asInt()).isEqualTo(-32600);
        assertThat(delete.statusCode()).isEqualTo(400);
        assertThat(send(post(session, TOOLS_LIST)).statusCode()).as("the refused DELETE ended nothing").isEqualTo(200);
    }

    @Test
    void answers401BeforeLookingAtTheVersionOfAnUnauthenticatedRequest() {
        HttpResponse<String> response = send(HttpRequest.newBuilder(tomcat.base().resolve("/mcp"))
                .header("Accept", "application/json, text/event-stream").header("Content-Type", "application/json")
                .header("MCP-Protocol-Version", "1999-01-01")
                .POST(HttpRequest.BodyPublishers.ofString(TOOLS_LIST)));

        assertThat(response.statusCode()).isEqualTo(401);
    }

    @Test
    void logsTheRefusedValueEscapedAndBounded() {
        String session = tomcat.openSession(ALICE_KEY);
        String hostile = "2025-06-18\tforged=" + "x".repeat(500) + "END";

        List<String> messages;
        try (LogCapture logs = LogCapture.ofAtDebug("dev.mcpguard.core.http")) {
            assertThat(send(post(session, TOOLS_LIST).header("MCP-Protocol-Version", hostile)).statusCode())
                    .isEqualTo(400);
            messages = logs.messages();
        }

        assertThat(messages).filteredOn(m -> m.startsWith("Refused MCP request with an unsupported protocol version"))
                .singleElement()
                .satisfies(m -> assertThat(m).contains("reason=unsupported_protocol_version",
                        "version=2025-06-18\\u0009forged=x", "chars)", "subject=alice")
                        .doesNotContain("\t", "END"));
    }

    @Test
    void letsTheRealSdkClientWorkAsItSendsTheNegotiatedVersion() {
        McpSyncClient client = tomcat.client(ALICE_KEY).build();
        try {
            McpSchema.InitializeResult initialized = client.initialize();

            McpSchema.CallToolResult result = client.callTool(new McpSchema.CallToolRequest("ping", Map.of()));

            assertThat(transport.protocolVersions()).contains(initialized.protocolVersion());
            assertThat(((McpSchema.TextContent) result.content().get(0)).text()).isEqualTo("pong");
        } finally {
            client.close();
        }
    }

    @Test
    void rejectsMalformedSupportedVersionsWhenBuilding() {
        assertThatThrownBy(() -> McpGuardHttpFilter.builder().supportedProtocolVersions(List.of()))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("at least one");
        assertThatThrownBy(() -> McpGuardHttpFilter.builder().supportedProtocolVersions(List.of("2025-06-18, x")))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("'2025-06-18, x'");
    }

    /** A POST to {@code /mcp} as alice, on {@code sessionId} unless null. */
    static HttpRequest.Builder post(String sessionId, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(tomcat.base().resolve("/mcp"))
                .header("Accept", "application/json, text/event-stream")
                .header("Content-Type", "application/json")
                .header("X-API-Key", ALICE_KEY)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (sessionId != null) {
            request.header("Mcp-Session-Id", sessionId);
        }
        return request;
    }

    static HttpResponse<String> send(HttpRequest.Builder request) {
        return EmbeddedTomcat.send(request);
    }
}
