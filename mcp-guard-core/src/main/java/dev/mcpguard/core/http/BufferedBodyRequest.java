package dev.mcpguard.core.http;

import jakarta.servlet.ReadListener;
import jakarta.servlet.ServletInputStream;
import jakarta.servlet.http.HttpServletRequest;
import jakarta.servlet.http.HttpServletRequestWrapper;
import java.io.BufferedReader;
import java.io.ByteArrayInputStream;
import java.io.InputStreamReader;
import java.nio.charset.StandardCharsets;

/**
 * A request whose body has already been read, bounded, by the filter: the SDK reads it from memory, so a slow
 * client never holds the worker that runs the SDK. Not thread-safe; {@link #body} is set once before the request
 * is handed on.
 */
final class BufferedBodyRequest extends HttpServletRequestWrapper {

    private volatile byte[] body = new byte[0];

    BufferedBodyRequest(HttpServletRequest request) {
        super(request);
    }

    void body(byte[] body) {
        this.body = body;
    }

    @Override
    public int getContentLength() {
        return body.length;
    }

    @Override
    public long getContentLengthLong() {
        return body.length;
    }

    @Override
    public ServletInputStream getInputStream() {
        ByteArrayInputStream in = new ByteArrayInputStream(body);
        return new ServletInputStream() {
            @Override
            public boolean isFinished() {
                return in.available() == 0;
            }

            @Override
            public boolean isReady() {
                return true;
            }

            @Override
            public void setReadListener(ReadListener listener) {
                throw new IllegalStateException("the body is already buffered; read it directly");
            }

            @Override
            public int read() {
                return in.read();
            }

            @Override
            public int read(byte[] b, int off, int len) {
                return in.read(b, off, len);
            }
        };
    }

    /**
     * Always UTF-8, the only encoding JSON allows (RFC 8259): the filter inspected the body as UTF-8, so the SDK
     * must not decode it differently because the client declared another charset.
     */
    @Override
    public BufferedReader getReader() {
        return new BufferedReader(new InputStreamReader(getInputStream(), StandardCharsets.UTF_8));
    }

    @Override
    public String getCharacterEncoding() {
        return StandardCharsets.UTF_8.name();
    }
}
