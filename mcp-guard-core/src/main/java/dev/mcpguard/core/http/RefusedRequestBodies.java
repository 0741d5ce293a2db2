package dev.mcpguard.core.http;

import jakarta.servlet.AsyncContext;
import jakarta.servlet.AsyncEvent;
import jakarta.servlet.AsyncListener;
import jakarta.servlet.ReadListener;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.time.Duration;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Ends a refused request whose body the client is still sending without reading (draining) that body.
 *
 * <p>Once a servlet returns, a container reads what is left of the body so that it can reuse the connection:
 * Tomcat does this on a worker thread, blocking, up to {@code maxSwallowSize} (2 MiB) and as slowly as the
 * client sends, even when the response says {@code Connection: close}. 210 clients trickling bodies held all of a
 * server's workers that way without a token. Instead, the refused request goes asynchronous (no worker waits)
 * with a read listener that fails on the first body byte: the container then calls its {@code onError} and closes
 * the connection (Tomcat: {@code CLOSE_NOW}) without reading further. A client that sends nothing more is closed
 * by the container's read timeout, again without a worker. Stateless and thread-safe.
 */
final class RefusedRequestBodies {

    /** Last resort when the container has no read timeout: end the exchange after this long. */
    static final Duration BACKSTOP = Duration.ofMinutes(2);

    private static final Logger log = LoggerFactory.getLogger(RefusedRequestBodies.class);

    private RefusedRequestBodies() {
    }

    /** True when the request announced a body (Content-Length above zero, or chunked). */
    static boolean hasBody(HttpServletRequest request) {
        String transferEncoding = request.getHeader("Transfer-Encoding");
        return request.getContentLengthLong() > 0 || (transferEncoding != null && !transferEncoding.isBlank());
    }

    /**
     * After the refusal has been written: when the request has a body not yet read, stops the container from
     * draining it. Does nothing for requests without a body or already asynchronous, or without async support.
     */
    static void closeWithoutDraining(HttpServletRequest request, HttpServletResponse response) {
        if (!hasBody(request) || request.isAsyncStarted() || !request.isAsyncSupported()) {
            return;
        }
        try {
            response.flushBuffer();
            AsyncContext async = request.startAsync();
            async.setTimeout(BACKSTOP.toMillis());
            async.addListener(new CompleteOnTimeout());
            request.getInputStream().setReadListener(new FailOnFirstByte(async));
        } catch (IOException | IllegalStateException e) {
            // The client went away, or the body was already read: the container closes the connection anyway.
            log.trace("Could not stop the container from draining a refused body: {}", e.getClass().getName());
        }
    }

    /** Fails on the first body byte: the container aborts the connection instead of reading on. */
    static final class FailOnFirstByte implements ReadListener {
        private final AsyncContext async;

        FailOnFirstByte(AsyncContext async) {
            this.async = async;
        }

        @Override
        public void onDataAvailable() throws IOException {
            throw new IOException("refused request: its body is not read");
        }

        @Override
        public void onAllDataRead() {
            async.complete();
        }

        @Override
        public void onError(Throwable failure) {
            // The container closes the connection.
        }
    }

    private static final class CompleteOnTimeout implements AsyncListener {
        @Override
        public void onTimeout(AsyncEvent event) {
            event.getAsyncContext().complete();
        }

        @Override
        public void onComplete(AsyncEvent event) {
        }

        @Override
        public void onError(AsyncEvent event) {
        }

        @Override
        public void onStartAsync(AsyncEvent event) {
        }
    }
}
