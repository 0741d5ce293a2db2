package dev.mcpguard.spring;

import io.modelcontextprotocol.spec.McpStreamableServerTransportProvider;
import java.time.Duration;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import org.springframework.boot.web.server.context.WebServerGracefulShutdownLifecycle;
import org.springframework.context.SmartLifecycle;

/**
 * Closes the MCP sessions' listening streams when the application stops, just before the web server's graceful
 * shutdown starts waiting for active requests.
 *
 * <p>Every Streamable HTTP client may hold a {@code GET /mcp} event stream open for as long as its session lives. To
 * Tomcat's graceful shutdown that stream is an active request that never ends, so without this every shutdown waited
 * the whole {@code spring.lifecycle.timeout-per-shutdown-phase} (30 s by default) and then cut in-flight tool calls
 * anyway. Closing the transport gracefully ends the listening streams and refuses new sessions; requests in flight
 * keep their own response streams and are then awaited by the graceful shutdown as usual.
 *
 * <p>Thread-safe; Spring calls {@link #start()} and {@link #stop()} once each.
 */
final class McpSessionsShutdown implements SmartLifecycle {

    private static final Logger log = LoggerFactory.getLogger(McpSessionsShutdown.class);
    /** Stopped before (phases stop from highest to lowest) the web server's graceful shutdown. */
    static final int PHASE = WebServerGracefulShutdownLifecycle.SMART_LIFECYCLE_PHASE + 1;

    private final McpStreamableServerTransportProvider transport;
    private final Duration timeout;
    private volatile boolean running;

    McpSessionsShutdown(McpStreamableServerTransportProvider transport, Duration timeout) {
        this.transport = Objects.requireNonNull(transport, "transport");
        this.timeout = Objects.requireNonNull(timeout, "timeout");
    }

    @Override
    public void start() {
        running = true;
    }

    @Override
    public void stop() {
        running = false;
        try {
            transport.closeGracefully().block(timeout);
            log.info("MCP sessions closed for shutdown");
        } catch (RuntimeException e) {
            // Shutdown goes on: the graceful shutdown's own timeout still bounds it.
            log.warn("Closing the MCP sessions for shutdown failed or took over {}: {}", timeout, e.toString());
        }
    }

    @Override
    public boolean isRunning() {
        return running;
    }

    @Override
    public int getPhase() {
        return PHASE;
    }
}
