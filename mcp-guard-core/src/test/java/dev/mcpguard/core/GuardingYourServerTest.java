package dev.mcpguard.core;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.Secret;
import dev.mcpguard.api.spi.IdentityResolver;
import dev.mcpguard.core.identity.ApiKeyIdentityResolver;
import dev.mcpguard.core.testing.EmbeddedTomcat;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import jakarta.servlet.Filter;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;

/**
 * The README's "Guarding your server" snippet, compiled and run exactly as printed: it guards a plain SDK
 * server on embedded Tomcat, and the real SDK client calls it over Streamable HTTP with an API key.
 */
class GuardingYourServerTest {

    private static final String API_KEY = "readme-key-4b1e-not-a-secret-elsewhere";
    private static final Path README = Path.of("..", "README.md");
    private static final Path THIS_SOURCE = Path.of("src", "test", "java", "dev", "mcpguard", "core",
            "GuardingYourServerTest.java");
    /** Lines of the snippet that an unguarded server has too, only changed (transport, server, tools, build). */
    private static final int LINES_A_PLAIN_SERVER_HAS = 5;
    /** Lines of the snippet that choose the policy (lambda) or the IdP (API keys): the user's settings. */
    private static final int POLICY_AND_IDP_LINES = 3;

    private EmbeddedTomcat tomcat;
    private McpSyncClient client;
    private McpGuard guard;

    @AfterEach
    void stop() throws Exception {
        if (client != null) {
            client.close();
        }
        if (tomcat != null) {
            tomcat.close();
        }
        if (guard != null) {
            guard.close();
        }
    }

    /** The snippet, between the markers; everything else in this class only hosts it. */
    private Filter guardYourServer(List<McpServerFeatures.SyncToolSpecification> tools, IdentityResolver apiKeys) {
        // README-BEGIN
        McpGuard guard = McpGuard.builder().serverName("orders")
                .resource(URI.create("https://orders.example.com/mcp"))     // token audience, RFC 9728 resource
                .policyEngine(request -> request.tool().readOnlyHint()       // or OpaWasmPolicyEngine (below)
                        ? Decision.allow(request.decisionId())
                        : Decision.deny(request.decisionId(), ReasonCode.POLICY_DENIED, "Read-only tools only."))
                .build();
        var transport = HttpServletStreamableServerTransportProvider.builder()
                .contextExtractor(guard.contextExtractor())                  // hands the verified caller to the chain
                .build();
        McpSyncServer server = guard.syncServer(transport)                   // guarded transport, tools/list filter
                .tools(guard.guardSyncTools(tools))                          // every call passes the chain
                .build();
        Filter filter = guard.httpFilter().identityResolver(apiKeys).build(); // map it to /* before `transport`
        // README-END
        this.guard = guard;
        tomcat = host(transport, filter);
        return filter;
    }

    @Test
    void readmeSnippetIsThisTestsCodeAndGuardsAPlainServer() throws Exception {
        List<String> snippet = snippetOfThisTest();
        assertThat(readmeBlockUnder("## Guarding your server")).containsExactlyElementsOf(snippet);
        assertThat(snippet).hasSizeLessThanOrEqualTo(15);
        int added = snippet.size() - LINES_A_PLAIN_SERVER_HAS - POLICY_AND_IDP_LINES;
        System.out.printf("README guarding snippet: %d lines, %d of them added to a plain server beyond policy "
                + "and IdP settings (plus registering the filter with the container)%n", snippet.size(), added);
        assertThat(added).isLessThanOrEqualTo(5);

        guardYourServer(List.of(tool("get_order", true), tool("delete_order", false)), apiKeys());
        client = client();

        assertThat(client.listTools().tools()).extracting(McpSchema.Tool::name).containsExactly("get_order");
        McpSchema.CallToolResult allowed = client.callTool(new McpSchema.CallToolRequest("get_order", Map.of()));
        assertThat(allowed.isError()).isFalse();
        assertThat(((McpSchema.TextContent) allowed.content().get(0)).text()).isEqualTo("ran get_order");
        // guard.syncServer sets immediateExecution(true): the handler ran on the servlet thread, no hop per call.
        assertThat(HANDLER_THREAD.get()).doesNotStartWith("boundedElastic");
        McpSchema.CallToolResult denied = client.callTool(new McpSchema.CallToolRequest("delete_order", Map.of()));
        assertThat(denied.isError()).isTrue();
        assertThat(((Map<?, ?>) denied.structuredContent()).get("reason")).isEqualTo("policy_denied");
    }

    @Test
    void metadataNamesNoAuthorizationServerWhenCallersUseApiKeysOnly() throws Exception {
        guardYourServer(List.of(tool("get_order", true)), apiKeys());
        HttpResponse<String> response = HttpClient.newHttpClient().send(HttpRequest.newBuilder(
                base().resolve("/.well-known/oauth-protected-resource")).build(), HttpResponse.BodyHandlers.ofString());
        JsonNode metadata = new ObjectMapper().readTree(response.body());
        assertThat(response.statusCode()).isEqualTo(200);
        assertThat(metadata.get("resource").asText()).isEqualTo("https://orders.example.com/mcp");
        assertThat(metadata.has("authorization_servers")).isFalse();
    }

    // ---------------------------------------------------------------- hosting

    /** Starts Tomcat on a loopback ephemeral port with {@code filter} in front of {@code transport} at /*. */
    static EmbeddedTomcat host(HttpServletStreamableServerTransportProvider transport, Filter filter) {
        return EmbeddedTomcat.start(transport, filter);
    }

    private URI base() {
        return tomcat.base();
    }

    private McpSyncClient client() {
        return client(tomcat);
    }

    /** An initialized SDK client presenting alice's API key. */
    static McpSyncClient client(EmbeddedTomcat tomcat) {
        McpSyncClient sdkClient = tomcat.client(API_KEY).build();
        sdkClient.initialize();
        return sdkClient;
    }

    /** The thread the last tool handler ran on. */
    private static final java.util.concurrent.atomic.AtomicReference<String> HANDLER_THREAD =
            new java.util.concurrent.atomic.AtomicReference<>();

    static IdentityResolver apiKeys() {
        return ApiKeyIdentityResolver.builder()
                .addKey(ApiKeyIdentityResolver.KeyEntry.of("alice-key",
                        ApiKeyIdentityResolver.hashOf(Secret.ofUtf8(API_KEY)), "alice"))
                .build();
    }

    static McpServerFeatures.SyncToolSpecification tool(String name, boolean readOnly) {
        return McpServerFeatures.SyncToolSpecification.builder()
                .tool(McpSchema.Tool.builder().name(name).inputSchema(new McpSchema.JsonSchema(
                                "object", Map.of(), List.of(), null, null, null))
                        .annotations(McpSchema.ToolAnnotations.builder().readOnlyHint(readOnly).build()).build())
                .callHandler((exchange, request) -> {
                    HANDLER_THREAD.set(Thread.currentThread().getName());
                    return McpSchema.CallToolResult.builder().addTextContent("ran " + name).build();
                })
                .build();
    }

    // ---------------------------------------------------------------- the snippet in both places

    private static List<String> snippetOfThisTest() throws Exception {
        List<String> lines = Files.readAllLines(THIS_SOURCE);
        int begin = lines.indexOf("        // README-BEGIN");
        int end = lines.indexOf("        // README-END");
        assertThat(begin).as("markers in %s", THIS_SOURCE).isPositive().isLessThan(end);
        return lines.subList(begin + 1, end).stream().map(line -> line.substring(8)).toList();
    }

    private static List<String> readmeBlockUnder(String heading) throws Exception {
        List<String> lines = Files.readAllLines(README);
        int section = lines.indexOf(heading);
        assertThat(section).as("README heading %s", heading).isNotNegative();
        int open = section + 1;
        while (!lines.get(open).equals("```java")) {
            open++;
        }
        int close = open + 1;
        while (!lines.get(close).equals("```")) {
            close++;
        }
        return lines.subList(open + 1, close).stream().collect(Collectors.toList());
    }
}
