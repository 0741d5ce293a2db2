package dev.mcpguard.spring;

import dev.mcpguard.core.http.McpGuardHttpFilter;
import jakarta.servlet.Filter;
import jakarta.servlet.FilterChain;
import jakarta.servlet.ServletException;
import jakarta.servlet.ServletRequest;
import jakarta.servlet.ServletResponse;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.net.URI;
import java.util.Objects;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Function;
import org.springframework.boot.web.server.context.WebServerInitializedEvent;
import org.springframework.context.ApplicationListener;

/**
 * mcp-guard's HTTP filter, built once the resource URI is known. With {@code mcp.guard.resource} set that is at
 * once; otherwise the URI is {@code http://localhost:<port><endpoint>} and the port is known only when the web
 * server listens ({@code server.port=0} included), so the filter is built on {@link WebServerInitializedEvent}.
 * Until then every request is refused with 503 (fail closed), never passed on unauthenticated.
 *
 * <p>Thread-safe: the delegate is published once through an {@link AtomicReference}.
 */
final class DeferredMcpGuardHttpFilter implements Filter, ApplicationListener<WebServerInitializedEvent> {

    private final AtomicReference<McpGuardHttpFilter> delegate = new AtomicReference<>();
    private final Function<URI, McpGuardHttpFilter> factory;
    private final String mcpEndpoint;

    DeferredMcpGuardHttpFilter(Function<URI, McpGuardHttpFilter> factory, String mcpEndpoint, URI resource) {
        this.factory = Objects.requireNonNull(factory, "factory");
        this.mcpEndpoint = Objects.requireNonNull(mcpEndpoint, "mcpEndpoint");
        if (resource != null) {
            delegate.set(factory.apply(resource));
        }
    }

    @Override
    public void onApplicationEvent(WebServerInitializedEvent event) {
        if (delegate.get() == null && !"management".equals(event.getApplicationContext().getServerNamespace())) {
            URI resource = URI.create("http://localhost:" + event.getWebServer().getPort() + mcpEndpoint);
            delegate.compareAndSet(null, factory.apply(resource));
        }
    }

    /** The resource URI the filter advertises and requires as token audience; empty before the server listens. */
    java.util.Optional<McpGuardHttpFilter> filter() {
        return java.util.Optional.ofNullable(delegate.get());
    }

    @Override
    public void doFilter(ServletRequest request, ServletResponse response, FilterChain chain)
            throws IOException, ServletException {
        McpGuardHttpFilter filter = delegate.get();
        if (filter == null) {
            ((HttpServletResponse) response).sendError(HttpServletResponse.SC_SERVICE_UNAVAILABLE,
                    "mcp-guard is starting");
            return;
        }
        filter.doFilter(request, response, chain);
    }

    @Override
    public void destroy() {
        McpGuardHttpFilter filter = delegate.get();
        if (filter != null) {
            filter.destroy();
        }
    }
}
