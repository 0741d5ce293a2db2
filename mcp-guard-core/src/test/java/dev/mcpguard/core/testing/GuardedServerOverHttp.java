package dev.mcpguard.core.testing;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.api.Secret;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.mcp.McpSdkAdapter;
import dev.mcpguard.core.http.McpGuardHttpFilter;
import dev.mcpguard.core.identity.ApiKeyIdentityResolver;
import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpServerFeatures;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;

/**
 * A guarded MCP server on embedded Tomcat (loopback, ephemeral port) behind {@link McpGuardHttpFilter} with API
 * keys, the SDK's Streamable HTTP servlet transport and the real SDK client: for core tests that must go over the
 * wire. The caller of {@link #API_KEY} is subject {@code alice}, scope {@code mcp:tools}. Close it after use.
 */
public final class GuardedServerOverHttp implements AutoCloseable {

    /** The API key every client of this server presents. */
    public static final String API_KEY = "test-key-7f3a-not-a-secret-elsewhere";

    private final Tomcat tomcat;
    private final McpSyncServer server;
    private final URI base;
    private final List<McpSyncClient> clients = new CopyOnWriteArrayList<>();

    private GuardedServerOverHttp(Tomcat tomcat, McpSyncServer server, URI base) {
        this.tomcat = tomcat;
        this.server = server;
        this.base = base;
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
        Path baseDir = Files.createTempDirectory("mcp-guard-tomcat");
        Tomcat tomcat = new Tomcat();
        tomcat.setBaseDir(baseDir.toString());
        tomcat.setPort(0);
        tomcat.getConnector().setProperty("address", "127.0.0.1");
        Context context = tomcat.addContext("", baseDir.toString());
        Tomcat.addServlet(context, "mcp", transport).setAsyncSupported(true);
        context.addServletMappingDecoded("/*", "mcp");
        FilterDef def = new FilterDef();
        def.setFilterName("guard");
        def.setFilter(filter);
        def.setAsyncSupported("true");
        context.addFilterDef(def);
        FilterMap map = new FilterMap();
        map.setFilterName("guard");
        map.addURLPatternDecoded("/*");
        context.addFilterMap(map);
        tomcat.start();
        URI base = URI.create("http://127.0.0.1:" + tomcat.getConnector().getLocalPort());
        return new GuardedServerOverHttp(tomcat, server, base);
    }

    /** An initialized SDK client presenting {@link #API_KEY}; closed with this server. */
    public McpSyncClient client() {
        McpSyncClient client = McpClient.sync(HttpClientStreamableHttpTransport.builder(base.toString())
                        .endpoint("/mcp")
                        .httpRequestCustomizer((request, method, uri, body, context) ->
                                request.header("X-API-Key", API_KEY))
                        .build())
                .requestTimeout(Duration.ofSeconds(10))
                .build();
        clients.add(client);
        client.initialize();
        return client;
    }

    @Override
    public void close() throws Exception {
        clients.forEach(McpSyncClient::close);
        server.closeGracefully();
        tomcat.stop();
        tomcat.destroy();
    }
}
