package dev.mcpguard.examples;

import java.util.logging.Level;
import org.apache.catalina.connector.Connector;
import org.apache.catalina.startup.Tomcat;
import org.apache.catalina.valves.ErrorReportValve;

/**
 * The embedded Tomcat settings the orders example runs with, as {@code docs/deployment-hardening.md} recommends:
 * mcp-guard bounds what reaches the MCP SDK, the container bounds the connection itself.
 * <ul>
 *   <li>read timeouts: {@value #CONNECTION_TIMEOUT_MILLIS} ms for the request line and headers and between body
 *       packets, {@value #KEEP_ALIVE_TIMEOUT_MILLIS} ms idle on a kept-alive connection;</li>
 *   <li>limits: headers of at most {@value #MAX_HEADER_BYTES} bytes, at most {@value #MAX_SWALLOW_BYTES} bytes of
 *       an unread body drained before the connection is closed instead, no form parsing of POST bodies;</li>
 *   <li>no server version: error pages without the Tomcat version or a stack trace, no {@code Server} header;</li>
 *   <li>no credentials in the container's log: Tomcat's HTTP parser logs a malformed request line or header
 *       (token included) at INFO; its loggers are raised to WARNING.</li>
 * </ul>
 * Stateless; {@link #apply} is called once per server before it starts.
 */
final class TomcatHardening {

    static final int CONNECTION_TIMEOUT_MILLIS = 10_000;
    static final int KEEP_ALIVE_TIMEOUT_MILLIS = 15_000;
    static final int MAX_HEADER_BYTES = 16 * 1024;
    static final int MAX_SWALLOW_BYTES = 8 * 1024;

    /** Held so the level set on it is not lost when the JDK collects an unreferenced logger. */
    private static final java.util.logging.Logger HTTP_PARSER_LOG =
            java.util.logging.Logger.getLogger("org.apache.coyote.http11");

    private TomcatHardening() {
    }

    static void apply(Tomcat tomcat, Connector connector) {
        connector.setProperty("connectionTimeout", Integer.toString(CONNECTION_TIMEOUT_MILLIS));
        connector.setProperty("keepAliveTimeout", Integer.toString(KEEP_ALIVE_TIMEOUT_MILLIS));
        connector.setProperty("maxHttpHeaderSize", Integer.toString(MAX_HEADER_BYTES));
        connector.setProperty("maxSwallowSize", Integer.toString(MAX_SWALLOW_BYTES));
        connector.setMaxPostSize(0);
        connector.setXpoweredBy(false);
        ErrorReportValve errors = new ErrorReportValve();
        errors.setShowReport(false);
        errors.setShowServerInfo(false);
        // A valve of this class in the host's pipeline stops the host from adding its default, chatty one.
        tomcat.getHost().getPipeline().addValve(errors);
        HTTP_PARSER_LOG.setLevel(Level.WARNING);
    }

    /** The busy worker threads of {@code connector}'s executor, or -1 when it is not Tomcat's own pool. */
    static int busyWorkers(Connector connector) {
        return connector.getProtocolHandler().getExecutor()
                instanceof org.apache.tomcat.util.threads.ThreadPoolExecutor pool ? pool.getActiveCount() : -1;
    }
}
