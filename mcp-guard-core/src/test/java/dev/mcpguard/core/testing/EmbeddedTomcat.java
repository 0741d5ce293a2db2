package dev.mcpguard.core.testing;

import io.modelcontextprotocol.client.McpClient;
import io.modelcontextprotocol.client.transport.HttpClientStreamableHttpTransport;
import jakarta.servlet.Filter;
import jakarta.servlet.Servlet;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.apache.catalina.Context;
import org.apache.catalina.startup.Tomcat;
import org.apache.tomcat.util.descriptor.web.FilterDef;
import org.apache.tomcat.util.descriptor.web.FilterMap;

/**
 * Embedded Tomcat on a loopback ephemeral port hosting one (async) servlet, an MCP SDK transport as a rule, behind
 * one (async) filter, {@code McpGuardHttpFilter} as a rule; and SDK clients for it that present an API key. Close
 * it after use.
 */
public final class EmbeddedTomcat implements AutoCloseable {

    /** A raw MCP {@code initialize} request. */
    public static final String INITIALIZE = """
            {"jsonrpc": "2.0", "id": 1, "method": "initialize", "params": {"protocolVersion": "2025-06-18",
             "capabilities": {}, "clientInfo": {"name": "raw", "version": "1"}}}""";
    /** The {@code notifications/initialized} notification. */
    public static final String INITIALIZED = "{\"jsonrpc\": \"2.0\", \"method\": \"notifications/initialized\"}";

    private static final HttpClient HTTP = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();

    private final Tomcat tomcat;
    private final URI base;

    private EmbeddedTomcat(Tomcat tomcat) {
        this.tomcat = tomcat;
        this.base = URI.create("http://127.0.0.1:" + tomcat.getConnector().getLocalPort());
    }

    /** Starts {@code servlet} at {@code /*} with {@code filter} in front of it at {@code /*}. */
    public static EmbeddedTomcat start(Servlet servlet, Filter filter) {
        return start(servlet, List.of("/*"), filter, "/*");
    }

    /** Starts {@code servlet} at {@code servletPatterns} with {@code filter} in front of it at {@code filterPattern}. */
    public static EmbeddedTomcat start(Servlet servlet, List<String> servletPatterns, Filter filter,
            String filterPattern) {
        try {
            Path baseDir = Files.createTempDirectory("mcp-guard-tomcat");
            Tomcat tomcat = new Tomcat();
            tomcat.setBaseDir(baseDir.toString());
            tomcat.setPort(0);
            tomcat.getConnector().setProperty("address", "127.0.0.1");
            Context context = tomcat.addContext("", baseDir.toString());
            Tomcat.addServlet(context, "mcp", servlet).setAsyncSupported(true);
            servletPatterns.forEach(pattern -> context.addServletMappingDecoded(pattern, "mcp"));
            FilterDef def = new FilterDef();
            def.setFilterName("mcp-guard");
            def.setFilter(filter);
            def.setAsyncSupported("true");
            context.addFilterDef(def);
            FilterMap map = new FilterMap();
            map.setFilterName("mcp-guard");
            map.addURLPatternDecoded(filterPattern);
            context.addFilterMap(map);
            tomcat.start();
            return new EmbeddedTomcat(tomcat);
        } catch (Exception e) {
            throw new IllegalStateException("could not start Tomcat", e);
        }
    }

    /** {@code http://127.0.0.1:port}. */
    public URI base() {
        return base;
    }

    /** An SDK client spec for the Streamable HTTP endpoint {@code /mcp} presenting {@code apiKey}, 10 s timeout. */
    public McpClient.SyncSpec client(String apiKey) {
        return McpClient.sync(HttpClientStreamableHttpTransport.builder(base.toString())
                        .endpoint("/mcp")
                        .httpRequestCustomizer((request, method, uri, body, context) ->
                                request.header("X-API-Key", apiKey))
                        .build())
                .requestTimeout(Duration.ofSeconds(10));
    }

    /** Opens a session with raw requests ({@link #INITIALIZE}, then {@link #INITIALIZED}); its id. */
    public String openSession(String apiKey) {
        HttpResponse<String> response = post(apiKey, null, INITIALIZE);
        String sessionId = response.headers().firstValue("Mcp-Session-Id")
                .orElseThrow(() -> new AssertionError("no session id: HTTP " + response.statusCode()));
        int status = post(apiKey, sessionId, INITIALIZED).statusCode();
        if (status != 202) {
            throw new AssertionError("initialized notification: HTTP " + status + ", expected 202");
        }
        return sessionId;
    }

    /** POSTs {@code body} to {@code /mcp} presenting {@code apiKey}, on {@code sessionId} unless null. */
    public HttpResponse<String> post(String apiKey, String sessionId, String body) {
        HttpRequest.Builder request = HttpRequest.newBuilder(base.resolve("/mcp"))
                .header("Accept", "application/json, text/event-stream")
                .header("Content-Type", "application/json")
                .header("X-API-Key", apiKey)
                .POST(HttpRequest.BodyPublishers.ofString(body));
        if (sessionId != null) {
            request.header("Mcp-Session-Id", sessionId);
        }
        return send(request);
    }

    /** Sends {@code request} with a 10 s timeout; a failure to send is an {@link AssertionError}. */
    public static HttpResponse<String> send(HttpRequest.Builder request) {
        try {
            return HTTP.send(request.timeout(Duration.ofSeconds(10)).build(), HttpResponse.BodyHandlers.ofString());
        } catch (Exception e) {
            throw new AssertionError("request failed: " + e, e);
        }
    }

    @Override
    public void close() throws Exception {
        tomcat.stop();
        tomcat.destroy();
    }
}
