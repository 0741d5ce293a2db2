package dev.mcpguard.core.http;

import dev.mcpguard.api.spi.SessionRegistry;
import dev.mcpguard.api.spi.SessionRegistry.EndReason;
import dev.mcpguard.api.spi.SessionRegistry.SessionEndListener;
import jakarta.servlet.Servlet;
import jakarta.servlet.ServletException;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.lang.reflect.Proxy;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Frees the MCP SDK's own state for a session when the {@link SessionRegistry} ends it (idle timeout, lifetime,
 * revocation, eviction at the per-principal cap, DELETE, refusal), so that the SDK's session map does not keep
 * sessions nobody may use any more, and their open streams end.
 *
 * <p>The SDK 2.1.0 servlet transport ({@code HttpServletStreamableServerTransportProvider}) has no public
 * per-session close; its DELETE handling is the one public way that closes a session and removes it from the
 * transport's map. This closer hands the transport servlet a DELETE of its own for the ended session id, as a
 * client would send it, but in-process: it never passes the HTTP filter and carries no caller. It runs on one
 * daemon thread of its own (the SDK's DELETE blocks until the session has closed), never on the thread that
 * ended the session. Requires the transport to allow DELETE (the SDK default).
 *
 * <pre>{@code
 * HttpServletStreamableServerTransportProvider transport = HttpServletStreamableServerTransportProvider.builder()
 *         .mcpEndpoint("/mcp")
 *         .sessionSweepInterval(null)     // the registry ends sessions; see docs/throttling-and-sessions.md
 *         .build();
 * McpSessionCloser closer = McpSessionCloser.forTransport(transport, "/mcp");
 * sessions.addEndListener(closer);        // sessions: the SessionRegistry the filter and the guard share
 * ...
 * closer.close();                         // when the server stops
 * }</pre>
 *
 * <p>Thread-safe. Arguments are never null.
 */
public final class McpSessionCloser implements SessionEndListener, AutoCloseable {

    /** Ends queued beyond this are dropped (and logged); the SDK's session then stays until the server stops. */
    static final int QUEUE_CAPACITY = 100_000;

    private static final Logger log = LoggerFactory.getLogger(McpSessionCloser.class);
    private static final AtomicInteger THREADS = new AtomicInteger();

    private final Servlet transport;
    private final String mcpEndpoint;
    private final ThreadPoolExecutor executor;
    private final AtomicLong closed = new AtomicLong();
    private final AtomicLong alreadyGone = new AtomicLong();
    private final AtomicLong failed = new AtomicLong();

    private McpSessionCloser(Servlet transport, String mcpEndpoint) {
        this.transport = transport;
        this.mcpEndpoint = mcpEndpoint;
        this.executor = new ThreadPoolExecutor(1, 1, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(QUEUE_CAPACITY), runnable -> {
                    Thread thread = new Thread(runnable, "mcp-guard-session-closer-" + THREADS.incrementAndGet());
                    thread.setDaemon(true);
                    return thread;
                });
    }

    /**
     * A closer for the SDK servlet transport {@code transport} serving {@code mcpEndpoint} (the transport's
     * {@code mcpEndpoint}, for example {@code /mcp}).
     */
    public static McpSessionCloser forTransport(Servlet transport, String mcpEndpoint) {
        Objects.requireNonNull(transport, "transport");
        Objects.requireNonNull(mcpEndpoint, "mcpEndpoint");
        if (!mcpEndpoint.startsWith("/")) {
            throw new IllegalArgumentException("mcpEndpoint must start with /, got '" + mcpEndpoint + "'");
        }
        return new McpSessionCloser(transport, mcpEndpoint);
    }

    /** Queues the close of the SDK's session {@code sessionId}; returns at once. */
    @Override
    public void sessionEnded(String sessionId, EndReason reason) {
        Objects.requireNonNull(sessionId, "sessionId");
        Objects.requireNonNull(reason, "reason");
        try {
            executor.execute(() -> closeNow(sessionId, reason));
        } catch (RejectedExecutionException e) {
            failed.incrementAndGet();
            log.warn("Could not queue the close of an ended MCP session ({}): closer {}", reason,
                    executor.isShutdown() ? "closed" : "queue full");
        }
    }

    /** How many SDK sessions this closer has closed and removed from the transport. */
    public long sessionsClosed() {
        return closed.get();
    }

    /**
     * How many ended sessions the SDK no longer held when their close ran (for example after a client DELETE), or
     * found the transport shutting down.
     */
    public long sessionsAlreadyGone() {
        return alreadyGone.get();
    }

    /** How many closes failed or could not be queued. */
    public long closesFailed() {
        return failed.get();
    }

    /** Stops the closer thread after the closes already queued; does not wait. Idempotent. */
    @Override
    public void close() {
        executor.shutdown();
    }

    private void closeNow(String sessionId, EndReason reason) {
        SyntheticResponse response = new SyntheticResponse();
        try {
            transport.service(syntheticDelete(sessionId), response.proxy());
        } catch (ServletException | IOException | RuntimeException e) {
            failed.incrementAndGet();
            log.warn("Closing an ended MCP session ({}) in the SDK failed with {}", reason, e.getClass().getName());
            return;
        }
        int status = response.status;
        if (status >= 200 && status < 300) {
            closed.incrementAndGet();
            log.debug("Closed the SDK's MCP session ended by the registry ({})", reason);
        } else if (status == HttpServletResponse.SC_NOT_FOUND || status == HttpServletResponse.SC_SERVICE_UNAVAILABLE) {
            // Not held any more, or the transport is shutting down and closes every session itself.
            alreadyGone.incrementAndGet();
        } else {
            failed.incrementAndGet();
            log.warn("The SDK answered {} to closing an ended MCP session ({}); does the transport disallow DELETE?",
                    status, reason);
        }
    }

    /** A DELETE of {@code sessionId} on the MCP endpoint, with no caller, no body and no other header. */
    private HttpServletRequest syntheticDelete(String sessionId) {
        return (HttpServletRequest) Proxy.newProxyInstance(HttpServletRequest.class.getClassLoader(),
                new Class<?>[] {HttpServletRequest.class}, (proxy, method, args) -> switch (method.getName()) {
                    case "getMethod" -> "DELETE";
                    case "getRequestURI" -> mcpEndpoint;
                    case "getServletPath" -> mcpEndpoint;
                    case "getContextPath" -> "";
                    case "getProtocol" -> "HTTP/1.1";
                    case "getRemoteAddr" -> "in-process";
                    case "getDispatcherType" -> jakarta.servlet.DispatcherType.REQUEST;
                    case "getRequestURL" -> new StringBuffer(mcpEndpoint);
                    case "getHeader" -> isSessionHeader(args[0]) ? sessionId : null;
                    case "getHeaders" -> Collections.enumeration(isSessionHeader(args[0]) ? List.of(sessionId)
                            : List.<String>of());
                    case "getHeaderNames" -> Collections.enumeration(List.of(McpGuardHttpFilter.SESSION_HEADER));
                    case "getAttributeNames", "getParameterNames" -> Collections.emptyEnumeration();
                    case "getDateHeader", "getContentLengthLong" -> -1L;
                    case "getIntHeader", "getContentLength" -> -1;
                    case "isAsyncStarted", "isAsyncSupported", "isSecure" -> false;
                    case "toString" -> "synthetic DELETE of an ended MCP session";
                    case "hashCode" -> System.identityHashCode(proxy);
                    case "equals" -> proxy == args[0];
                    default -> defaultValue(method.getReturnType());
                });
    }

    /** What a method the SDK has no need of answers: nothing, false or zero. */
    private static Object defaultValue(Class<?> type) {
        if (type == boolean.class) {
            return false;
        }
        if (type == int.class) {
            return 0;
        }
        if (type == long.class) {
            return 0L;
        }
        return null;
    }

    private static boolean isSessionHeader(Object name) {
        return name instanceof String header && McpGuardHttpFilter.SESSION_HEADER.equalsIgnoreCase(header);
    }

    /** Records the status the SDK answers; swallows the body. */
    private static final class SyntheticResponse {
        volatile int status = HttpServletResponse.SC_OK;
        private final PrintWriter writer = new PrintWriter(new StringWriter());

        HttpServletResponse proxy() {
            return (HttpServletResponse) Proxy.newProxyInstance(HttpServletResponse.class.getClassLoader(),
                    new Class<?>[] {HttpServletResponse.class}, (proxy, method, args) -> {
                        switch (method.getName()) {
                            case "setStatus", "sendError" -> status = (Integer) args[0];
                            case "getStatus" -> {
                                return status;
                            }
                            case "getWriter" -> {
                                return writer;
                            }
                            case "isCommitted", "containsHeader" -> {
                                return false;
                            }
                            case "toString" -> {
                                return "response to a synthetic DELETE";
                            }
                            case "hashCode" -> {
                                return System.identityHashCode(proxy);
                            }
                            case "equals" -> {
                                return proxy == args[0];
                            }
                            default -> {
                                // Headers, content type, encoding: not needed.
                            }
                        }
                        return defaultValue(method.getReturnType());
                    });
        }
    }
}
