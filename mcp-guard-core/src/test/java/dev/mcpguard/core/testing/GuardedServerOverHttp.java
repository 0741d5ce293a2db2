package dev.mcpguard.core.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.api.Secret;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.mcp.McpSdkAdapter;
import dev.mcpguard.core.http.McpGuardHttpFilter;
import dev.mcpguard.core.identity.ApiKeyIdentityResolver;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;

/**
 * A guarded MCP server on embedded Tomcat (loopback, ephemeral port) behind {@link McpGuardHttpFilter} with API
 * keys, the SDK's Streamable HTTP servlet transport and the real SDK client: for core tests that must go over the
 * wire. The caller of {@link #API_KEY} is subject {@code alice}, scope {@code mcp:tools}. Close it after use.
 */
public final class GuardedServerOverHttp implements AutoCloseable {

    /** The API key every client of this server presents. */
    public static final String API_KEY = "test-key-7f3a-not-a-secret-elsewhere";

    private final EmbeddedTomcat tomcat;
    private final McpSyncServer server;
    private final List<McpSyncClient> clients = new CopyOnWriteArrayList<>();

    private GuardedServerOverHttp(EmbeddedTomcat tomcat, McpSyncServer server) {
        this.tomcat = tomcat;
        this.server = server;
    }

    /** Starts a server whose tools are {@code tools}, each wrapped by {@code guard}. */
    public static GuardedServerOverHttp start(McpGuard guard, List<McpServerFeatures.SyncToolSpecification> tools)
            throws Exception {
        McpJsonMapper json = new JacksonMcpJsonMapper(new ObjectMapper());
        HttpServletStreamableServerTransportProvider transport = HttpServletStreamableServerTransportProvider.builder()
                .mcpEndpoint("/mcp")
                .contextExtractor(McpSdkAdapter.contextExtractor())
                .jsonMapper(json)
                .sessionSweepInterval(null)
                .build();
        McpSyncServer server = McpServer.sync(transport)
                .serverInfo("test", "1")
                .jsonMapper(json)
                .capabilities(McpSchema.ServerCapabilities.builder().tools(true).build())
                .tools(guard.guardSyncTools(tools))
                .addToolFilter(guard.toolFilter())
                .build();
        McpGuardHttpFilter filter = McpGuardHttpFilter.builder()
                .identityResolver(ApiKeyIdentityResolver.builder()
                        .addKey(ApiKeyIdentityResolver.KeyEntry.of("alice-key",
                                ApiKeyIdentityResolver.hashOf(Secret.ofUtf8(API_KEY)), "alice")
                                .withScopes(Set.of("mcp:tools")))
                        .build())
                .sessionRegistry(guard.sessionRegistry())
                // API keys carry no audience; the resource only appears in the 401 metadata.
                .resource(URI.create("https://mcp.test/mcp"))
                .authorizationServer(URI.create("https://issuer.test"))
                .mcpPath("/mcp")
                .build();
        return new GuardedServerOverHttp(EmbeddedTomcat.start(transport, filter), server);
    }

    /** The SDK server, for tests that add or remove tools at runtime. */
    public McpSyncServer server() {
        return server;
    }

    /** The MCP endpoint's URL. */
    public URI url() {
        String base = tomcat.base().toString();
        return URI.create((base.endsWith("/") ? base.substring(0, base.length() - 1) : base) + "/mcp");
    }

    /** An initialized SDK client presenting {@link #API_KEY}; closed with this server. */
    public McpSyncClient client() {
        McpSyncClient client = tomcat.client(API_KEY).build();
        clients.add(client);
        client.initialize();
        return client;
    }

    @Override
    public void close() throws Exception {
        clients.forEach(McpSyncClient::close);
        server.closeGracefully();
        tomcat.close();
    }
}
