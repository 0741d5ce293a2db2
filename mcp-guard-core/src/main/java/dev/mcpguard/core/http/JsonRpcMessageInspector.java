package dev.mcpguard.core.http;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.util.Set;

/**
 * Looks at one buffered MCP POST body before the SDK does: is it a single well-formed JSON-RPC 2.0 message, and
 * if it is a notification, is it one a client may send? The SDK logs malformed bodies and unknown notifications
 * whole, so they stop here instead. Thread-safe and stateless.
 */
final class JsonRpcMessageInspector {

    /** The notifications an MCP client sends to a server (MCP 2025-06-18). */
    static final Set<String> CLIENT_NOTIFICATIONS = Set.of(
            "notifications/initialized",
            "notifications/cancelled",
            "notifications/progress",
            "notifications/roots/list_changed");
    static final int MAX_METHOD_CHARS = 128;
    static final String ROOTS_LIST_CHANGED = "notifications/roots/list_changed";

    private static final ObjectMapper JSON = new ObjectMapper(JsonFactory.builder()
            .streamReadConstraints(StreamReadConstraints.builder().maxNestingDepth(200).build())
            .build())
            .enable(DeserializationFeature.FAIL_ON_TRAILING_TOKENS);

    /** What kind of message a body holds. */
    enum Kind { REQUEST, NOTIFICATION, RESPONSE, MALFORMED, UNKNOWN_NOTIFICATION }

    /**
     * The inspection result: the kind, the JSON-RPC method when there is one (client text: escape before logging)
     * and, for a malformed body, a short reason that holds no client text.
     */
    record Inspection(Kind kind, String method, String problem) {
        boolean refused() {
            return kind == Kind.MALFORMED || kind == Kind.UNKNOWN_NOTIFICATION;
        }
    }

    Inspection inspect(byte[] body) {
        JsonNode root;
        try {
            root = JSON.readTree(body);
        } catch (JsonProcessingException e) {
            return malformed("not valid JSON");
        } catch (IOException e) {
            return malformed("unreadable body");
        }
        if (root == null || root.isMissingNode()) {
            return malformed("empty body");
        }
        if (root.isArray()) {
            return malformed("JSON-RPC batches are not supported");
        }
        if (!root.isObject()) {
            return malformed("not a JSON object");
        }
        if (!"2.0".equals(root.path("jsonrpc").textValue())) {
            return malformed("jsonrpc must be \"2.0\"");
        }
        JsonNode id = root.get("id");
        if (id != null && !(id.isTextual() || id.isIntegralNumber() || (id.isNull() && !root.has("method")))) {
            return malformed("id must be a string or an integer");
        }
        JsonNode method = root.get("method");
        if (method != null) {
            if (!method.isTextual() || method.textValue().isEmpty()) {
                return malformed("method must be a non-empty string");
            }
            JsonNode params = root.get("params");
            if (params != null && !params.isObject() && !params.isNull()) {
                return malformed("params must be an object");
            }
            String name = method.textValue();
            if (name.length() > MAX_METHOD_CHARS) {
                return malformed("method name longer than " + MAX_METHOD_CHARS + " characters");
            }
            if (id == null) {
                return CLIENT_NOTIFICATIONS.contains(name)
                        ? new Inspection(Kind.NOTIFICATION, name, null)
                        : new Inspection(Kind.UNKNOWN_NOTIFICATION, name, "unknown notification method");
            }
            return new Inspection(Kind.REQUEST, name, null);
        }
        if (id != null && (root.has("result") || root.has("error"))) {
            return new Inspection(Kind.RESPONSE, null, null);
        }
        return malformed("neither a request, a notification nor a response");
    }

    private static Inspection malformed(String problem) {
        return new Inspection(Kind.MALFORMED, null, problem);
    }
}
