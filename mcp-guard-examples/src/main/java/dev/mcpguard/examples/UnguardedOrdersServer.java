package dev.mcpguard.examples;

import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.core.http.GuardRequestAttributes;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.json.jackson2.JacksonMcpJsonMapper;
import io.modelcontextprotocol.server.McpServer;
import io.modelcontextprotocol.server.McpSyncServer;
import io.modelcontextprotocol.server.transport.HttpServletStreamableServerTransportProvider;
import io.modelcontextprotocol.spec.McpSchema.ServerCapabilities;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.Map;
import java.util.Set;
import java.util.stream.Stream;
import org.apache.catalina.Context;
import org.apache.catalina.LifecycleException;
import org.apache.catalina.Wrapper;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.core.StandardContext;
import org.apache.catalina.startup.Tomcat;

/**
 * The orders tools and resources served by a bare MCP Java SDK server, with NO mcp-guard: no authentication, policy, throttle,
 * sessions or audit. It exists as the baseline the end-to-end benchmark ({@code mcp-guard-bench}) measures the
 * guarded {@link OrdersServer} against: the same Streamable HTTP servlet transport, the same embedded Tomcat
 * settings ({@code TomcatHardening}), the same JSON mapper and the same handlers, so the difference is the guard.
 * Every call acts as {@link #CALLER} (tenant {@code acme}, put in every request's transport context, where the
 * resource handlers read the caller as they do behind the guard's HTTP filter); {@code refund_order} is not
 * offered, since only a guard can grant its credential. Never expose it: it trusts everyone.
 *
 * <pre>{@code
 * try (UnguardedOrdersServer server = UnguardedOrdersServer.start(0)) {
 *     URI endpoint = server.baseUrl().resolve(OrdersServer.MCP_ENDPOINT);
 * }
 * }</pre>
 *
 * <p>Thread-safe; {@link #close()} is idempotent.
 */
public final class UnguardedOrdersServer implements AutoCloseable {

    /** Whom every call acts as: a reader in tenant {@code acme}, like {@link DemoUser#ALICE}. */
    public static final CallerIdentity CALLER = CallerIdentity.builder("unguarded", "anyone").tenant("acme")
            .scopes(Set.of("orders.read")).build();

    private final Tomcat tomcat;
    private final Path baseDir;
    private final McpSyncServer mcpServer;
    private boolean closed;

    private UnguardedOrdersServer(Tomcat tomcat, Path baseDir, McpSyncServer mcpServer) {
        this.tomcat = tomcat;
        this.baseDir = baseDir;
        this.mcpServer = mcpServer;
    }

    /**
     * Starts serving on {@code 127.0.0.1:port} ({@code 0} for a free port) at {@link OrdersServer#MCP_ENDPOINT}.
     *
     * @throws IllegalStateException when the port cannot be bound
     */
    public static UnguardedOrdersServer start(int port) {
        if (port < 0 || port > 65_535) {
            throw new IllegalArgumentException("port must be between 0 and 65535, got " + port);
        }
        McpJsonMapper jsonMapper = new JacksonMcpJsonMapper(new ObjectMapper());
        OrderBook book = OrderBook.seeded();
        OrderTools tools = new OrderTools(book, jsonMapper, java.util.Optional.empty());
        OrderResources resources = new OrderResources(book, jsonMapper);
        Path baseDir = null;
        Tomcat tomcat = null;
        McpSyncServer mcpServer = null;
        try {
            baseDir = Files.createTempDirectory("mcp-guard-unguarded-tomcat");
            tomcat = new Tomcat();
            tomcat.setBaseDir(baseDir.toString());
            Connector connector = tomcat.getConnector();
            connector.setProperty("address", "127.0.0.1");
            connector.setPort(port);
            TomcatHardening.apply(tomcat, connector);
            HttpServletStreamableServerTransportProvider transport = HttpServletStreamableServerTransportProvider
                    .builder()
                    .mcpEndpoint(OrdersServer.MCP_ENDPOINT)
                    .jsonMapper(jsonMapper)
                    // As in OrdersServer: SDK 2.1.0's sweeper runs on a non-daemon scheduler close() never disposes.
                    .sessionSweepInterval(null)
                    .contextExtractor(request -> McpTransportContext.create(
                            Map.of(GuardRequestAttributes.CALLER, CALLER)))
                    .build();
            mcpServer = McpServer.sync(transport)
                    // As guard.syncServer sets it for B (and Spring AI for servlet servers): handlers on the servlet
                    // thread, no hop to bounded-elastic per call.
                    .immediateExecution(true)
                    .serverInfo(OrdersServer.SERVER_NAME, "1.0")
                    .jsonMapper(jsonMapper)
                    .capabilities(ServerCapabilities.builder().tools(true).resources(false, false).build())
                    .tools(tools.unguardedSpecifications(CALLER))
                    .resources(resources.resourceSpecifications())
                    .resourceTemplates(resources.templateSpecifications())
                    .build();
            Context context = tomcat.addContext("", null);
            if (context instanceof StandardContext standard) {
                standard.setClearReferencesStopThreads(false);
                standard.setClearReferencesThreadLocals(false);
                standard.setClearReferencesRmiTargets(false);
            }
            Wrapper servlet = Tomcat.addServlet(context, "mcp", transport);
            servlet.setAsyncSupported(true);
            servlet.setLoadOnStartup(1);
            context.addServletMappingDecoded("/*", "mcp");
            tomcat.start();
            return new UnguardedOrdersServer(tomcat, baseDir, mcpServer);
        } catch (IOException | LifecycleException | RuntimeException e) {
            new UnguardedOrdersServer(tomcat, baseDir, mcpServer).close();
            throw new IllegalStateException("cannot start the unguarded orders server on 127.0.0.1:" + port + ": "
                    + e.getMessage(), e);
        }
    }

    /** The port the server listens on. */
    public int port() {
        return tomcat.getConnector().getLocalPort();
    }

    /** {@code http://127.0.0.1:<port>}. */
    public URI baseUrl() {
        return URI.create("http://127.0.0.1:" + port());
    }

    /** Stops serving and closes the MCP server. Safe to call more than once. */
    @Override
    public synchronized void close() {
        if (closed) {
            return;
        }
        closed = true;
        try {
            if (mcpServer != null) {
                mcpServer.closeGracefully();
            }
            if (tomcat != null) {
                tomcat.stop();
                tomcat.destroy();
            }
        } catch (LifecycleException e) {
            throw new IllegalStateException("cannot stop the unguarded orders server", e);
        } finally {
            deleteQuietly(baseDir);
        }
    }

    private static void deleteQuietly(Path dir) {
        if (dir == null) {
            return;
        }
        try (Stream<Path> paths = Files.walk(dir)) {
            paths.sorted(Comparator.reverseOrder()).forEach(path -> path.toFile().delete());
        } catch (IOException e) {
            throw new UncheckedIOException("cannot delete " + dir, e);
        }
    }
}
