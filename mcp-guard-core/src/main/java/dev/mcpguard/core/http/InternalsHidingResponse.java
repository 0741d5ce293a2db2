package dev.mcpguard.core.http;

import jakarta.servlet.ServletOutputStream;
import jakarta.servlet.WriteListener;
import jakarta.servlet.http.HttpServletResponse;
import jakarta.servlet.http.HttpServletResponseWrapper;
import java.io.IOException;
import java.io.OutputStream;
import java.io.PrintWriter;
import java.io.Writer;
import java.nio.charset.StandardCharsets;

/**
 * Replaces whatever the MCP SDK writes with an error status (4xx or 5xx) by a JSON-RPC error that holds no
 * internals. The SDK 2.1.0 serializes its {@code McpError}, a Java exception, into such bodies: stack frames,
 * JDK module versions and the client's own text. Its {@code sendError} calls would also reach the container's
 * error page. From the moment an error status is set, this response writes the clean body and drops what the
 * SDK writes after it; success responses (including SSE streams) pass through untouched. Not thread-safe, like
 * the response it wraps.
 */
final class InternalsHidingResponse extends HttpServletResponseWrapper {

    private boolean replaced;

    InternalsHidingResponse(HttpServletResponse response) {
        super(response);
    }

    @Override
    public void setStatus(int sc) {
        if (sc >= 400) {
            replace(sc);
        } else if (!replaced) {
            super.setStatus(sc);
        }
    }

    @Override
    public void sendError(int sc, String msg) throws IOException {
        replace(sc);
    }

    @Override
    public void sendError(int sc) throws IOException {
        replace(sc);
    }

    @Override
    public void setContentType(String type) {
        if (!replaced) {
            super.setContentType(type);
        }
    }

    @Override
    public void setCharacterEncoding(String charset) {
        if (!replaced) {
            super.setCharacterEncoding(charset);
        }
    }

    @Override
    public void setContentLength(int len) {
        if (!replaced) {
            super.setContentLength(len);
        }
    }

    @Override
    public void setContentLengthLong(long len) {
        if (!replaced) {
            super.setContentLengthLong(len);
        }
    }

    @Override
    public ServletOutputStream getOutputStream() throws IOException {
        return replaced ? DiscardingOutputStream.INSTANCE : super.getOutputStream();
    }

    @Override
    public PrintWriter getWriter() throws IOException {
        return replaced ? new PrintWriter(Writer.nullWriter()) : super.getWriter();
    }

    /** True once an error body was replaced. */
    boolean replaced() {
        return replaced;
    }

    private void replace(int status) {
        if (replaced) {
            return;
        }
        replaced = true;
        HttpServletResponse target = (HttpServletResponse) getResponse();
        if (target.isCommitted()) {
            return;
        }
        target.resetBuffer();
        byte[] body = JsonRpcErrors.body(status >= 500 ? JsonRpcErrors.INTERNAL_ERROR : JsonRpcErrors.INVALID_REQUEST,
                messageFor(status));
        target.setStatus(status);
        target.setContentType("application/json");
        target.setCharacterEncoding(StandardCharsets.UTF_8.name());
        target.setHeader("Cache-Control", "no-store");
        target.setContentLength(body.length);
        try {
            OutputStream out = target.getOutputStream();
            out.write(body);
        } catch (IOException | IllegalStateException e) {
            // The client went away, or the SDK already took the writer: nothing more can be sent safely.
            target.setContentLength(-1);
        }
    }

    private static String messageFor(int status) {
        return switch (status) {
            case 400 -> "invalid request";
            case 404 -> "not found (for an MCP session: initialize a new session)";
            case 405 -> "method not allowed";
            case 406 -> "not acceptable";
            case 413 -> "request body too large";
            case 415 -> "unsupported media type";
            case 503 -> "service unavailable";
            default -> status >= 500 ? "internal error" : "request refused";
        };
    }

    /** Swallows what the SDK writes after an error body was replaced. */
    private static final class DiscardingOutputStream extends ServletOutputStream {
        static final DiscardingOutputStream INSTANCE = new DiscardingOutputStream();

        @Override
        public boolean isReady() {
            return true;
        }

        @Override
        public void setWriteListener(WriteListener listener) {
            throw new IllegalStateException("no asynchronous writes after an error");
        }

        @Override
        public void write(int b) {
        }

        @Override
        public void write(byte[] b, int off, int len) {
        }
    }
}
