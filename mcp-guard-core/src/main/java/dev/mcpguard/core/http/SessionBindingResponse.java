package dev.mcpguard.core.http;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.spi.SessionRegistry;
import dev.mcpguard.core.internal.ClientText;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.util.Objects;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Watches the MCP server set {@value McpGuardHttpFilter#SESSION_HEADER} on its response and binds each newly
 * issued session id to the authenticated caller at that moment, before the id reaches the client. If binding
 * fails, the header is withheld, so the client never holds an unbound session id.
 *
 * <p>Used by one request thread at a time, like the response it wraps.
 */
final class SessionBindingResponse extends HttpServletResponseWrapper {

    private static final Logger log = LoggerFactory.getLogger(SessionBindingResponse.class);

    private final CallerIdentity caller;
    private final SessionRegistry registry;
    private final String requestSessionId;

    SessionBindingResponse(HttpServletResponse response, CallerIdentity caller, SessionRegistry registry,
                           String requestSessionId) {
        super(response);
        this.caller = Objects.requireNonNull(caller, "caller");
        this.registry = Objects.requireNonNull(registry, "registry");
        this.requestSessionId = requestSessionId;
    }

    @Override
    public void setHeader(String name, String value) {
        if (isSessionHeader(name) && !bind(value)) {
            return;
        }
        super.setHeader(name, value);
    }

    @Override
    public void addHeader(String name, String value) {
        if (isSessionHeader(name) && !bind(value)) {
            return;
        }
        super.addHeader(name, value);
    }

    private static boolean isSessionHeader(String name) {
        return McpGuardHttpFilter.SESSION_HEADER.equalsIgnoreCase(name);
    }

    /** Returns whether the header may be sent. */
    private boolean bind(String sessionId) {
        if (sessionId == null || sessionId.equals(requestSessionId)) {
            return true;
        }
        try {
            registry.bind(sessionId, caller);
            return true;
        } catch (RuntimeException e) {
            log.error("Could not bind a new MCP session to subject {} ({}); withholding the session id",
                    ClientText.forLog(caller.subject()), e.getClass().getName());
            return false;
        }
    }
}
