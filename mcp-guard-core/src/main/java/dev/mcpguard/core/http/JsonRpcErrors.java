package dev.mcpguard.core.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.ObjectMapper;
import jakarta.servlet.http.HttpServletResponse;
import java.io.IOException;
import java.util.LinkedHashMap;
import java.util.Map;

/**
 * JSON-RPC error bodies the HTTP edge answers with itself: fixed messages, no client text, no internals, and
 * {@code Connection: close} so that a refused client's connection (and any body it is still sending) is not kept.
 * Stateless and thread-safe.
 */
final class JsonRpcErrors {

    static final int PARSE_ERROR = -32700;
    static final int INVALID_REQUEST = -32600;
    static final int INTERNAL_ERROR = -32603;
    /** Server-defined: the request was refused by a limit (rate, in-flight, size, time). */
    static final int LIMIT_EXCEEDED = -32000;

    private static final ObjectMapper JSON = new ObjectMapper();

    private JsonRpcErrors() {
    }

    static byte[] body(int code, String message) {
        Map<String, Object> error = new LinkedHashMap<>();
        error.put("code", code);
        error.put("message", message);
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("jsonrpc", "2.0");
        body.put("id", null);
        body.put("error", error);
        try {
            return JSON.writeValueAsBytes(body);
        } catch (JsonProcessingException e) {
            throw new IllegalStateException("cannot serialise a JSON-RPC error", e);
        }
    }

    /** Writes status and error body, closing the connection afterwards; quietly does nothing once committed. */
    static void refuse(HttpServletResponse response, int status, int code, String message) throws IOException {
        if (response.isCommitted()) {
            return;
        }
        byte[] body = body(code, message);
        response.resetBuffer();
        response.setStatus(status);
        response.setHeader("Connection", "close");
        response.setHeader("Cache-Control", "no-store");
        response.setContentType("application/json");
        response.setCharacterEncoding("UTF-8");
        response.setContentLength(body.length);
        response.getOutputStream().write(body);
        response.flushBuffer();
    }
}
