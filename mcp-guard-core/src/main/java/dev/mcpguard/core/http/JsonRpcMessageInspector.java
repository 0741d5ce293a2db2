package dev.mcpguard.core.http;

import com.fasterxml.jackson.core.JsonFactory;
import com.fasterxml.jackson.core.JsonParseException;
import com.fasterxml.jackson.core.JsonParser;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.JsonToken;
import com.fasterxml.jackson.core.StreamReadConstraints;
import com.fasterxml.jackson.core.io.JsonEOFException;
import java.io.IOException;
import java.util.Set;

/**
 * Looks at one buffered MCP POST body before the SDK does: is it a single well-formed JSON-RPC 2.0 message, and
 * if it is a notification, is it one a client may send? The SDK logs malformed bodies and unknown notifications
 * whole, so they stop here instead.
 *
 * <p>One streaming pass over the tokens, without building a tree: every value is tokenized (so malformed JSON,
 * trailing tokens, nesting deeper than {@value #MAX_NESTING_DEPTH} and numbers longer than the parser's limit
 * are refused as before), but only the top-level members it judges are kept; for a repeated member the last one
 * counts, as in the tree the SDK builds. Thread-safe and stateless.
 */
final class JsonRpcMessageInspector {

    /** The notifications an MCP client sends to a server (MCP 2025-06-18). */
    static final Set<String> CLIENT_NOTIFICATIONS = Set.of(
            "notifications/initialized",
            "notifications/cancelled",
            "notifications/progress",
            "notifications/roots/list_changed");
    static final int MAX_METHOD_CHARS = 128;
    /** The longest JSON-RPC id kept for telemetry, in characters. */
    static final int MAX_ID_CHARS = 128;
    static final int MAX_NESTING_DEPTH = 200;
    static final String ROOTS_LIST_CHANGED = "notifications/roots/list_changed";

    private static final StreamReadConstraints CONSTRAINTS =
            StreamReadConstraints.builder().maxNestingDepth(MAX_NESTING_DEPTH).build();
    private static final JsonFactory JSON = JsonFactory.builder().streamReadConstraints(CONSTRAINTS).build();

    /** What kind of message a body holds. */
    enum Kind { REQUEST, NOTIFICATION, RESPONSE, MALFORMED, UNKNOWN_NOTIFICATION }

    /**
     * The inspection result: the kind, the JSON-RPC method when there is one (client text: escape before logging)
     * and, for a malformed body, a short reason that holds no client text; {@code id} is a request's JSON-RPC id as
     * text when it has at most {@link #MAX_ID_CHARS} characters (client text, for telemetry only), else null.
     */
    record Inspection(Kind kind, String method, String problem, String id) {
        Inspection(Kind kind, String method, String problem) {
            this(kind, method, problem, null);
        }

        boolean refused() {
            return kind == Kind.MALFORMED || kind == Kind.UNKNOWN_NOTIFICATION;
        }
    }

    Inspection inspect(byte[] body) {
        return inspect(body, body.length);
    }

    /** Inspects the first {@code length} bytes of {@code body}. */
    Inspection inspect(byte[] body, int length) {
        // The top-level members judged below; for each, the token of its (last) value, null when absent.
        JsonToken jsonrpcToken = null;
        String jsonrpc = null;
        JsonToken idToken = null;
        String id = null;
        JsonToken methodToken = null;
        String method = null;
        JsonToken paramsToken = null;
        boolean hasResult = false;
        JsonToken root;
        try (JsonParser parser = JSON.createParser(body, 0, length)) {
            root = parser.nextToken();
            if (root == null) {
                return malformed("empty body");
            }
            if (root == JsonToken.START_OBJECT) {
                JsonToken field;
                while ((field = parser.nextToken()) == JsonToken.FIELD_NAME) {
                    String name = parser.currentName();
                    JsonToken value = parser.nextToken();
                    switch (name) {
                        case "jsonrpc" -> {
                            jsonrpcToken = value;
                            jsonrpc = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                        }
                        case "id" -> {
                            idToken = value;
                            id = (value == JsonToken.VALUE_STRING || value == JsonToken.VALUE_NUMBER_INT)
                                    && parser.getTextLength() <= MAX_ID_CHARS ? parser.getText() : null;
                        }
                        case "method" -> {
                            methodToken = value;
                            method = value == JsonToken.VALUE_STRING ? parser.getText() : null;
                        }
                        case "params" -> paramsToken = value;
                        case "result", "error" -> hasResult = true;
                        default -> {
                            // not judged; tokenized below like every value
                        }
                    }
                    skipValue(parser, value);
                }
                if (field != JsonToken.END_OBJECT) {
                    return malformed("not valid JSON");
                }
            } else {
                skipValue(parser, root);
            }
            if (parser.nextToken() != null) {
                return malformed("not valid JSON");
            }
        } catch (JsonProcessingException e) {
            return malformed("not valid JSON");
        } catch (IOException e) {
            return malformed("unreadable body");
        }
        if (root == JsonToken.START_ARRAY) {
            return malformed("JSON-RPC batches are not supported");
        }
        if (root != JsonToken.START_OBJECT) {
            return malformed("not a JSON object");
        }
        if (jsonrpcToken != JsonToken.VALUE_STRING || !"2.0".equals(jsonrpc)) {
            return malformed("jsonrpc must be \"2.0\"");
        }
        if (idToken != null && idToken != JsonToken.VALUE_STRING && idToken != JsonToken.VALUE_NUMBER_INT
                && !(idToken == JsonToken.VALUE_NULL && methodToken == null)) {
            return malformed("id must be a string or an integer");
        }
        if (methodToken != null) {
            if (methodToken != JsonToken.VALUE_STRING || method.isEmpty()) {
                return malformed("method must be a non-empty string");
            }
            if (paramsToken != null && paramsToken != JsonToken.START_OBJECT && paramsToken != JsonToken.VALUE_NULL) {
                return malformed("params must be an object");
            }
            if (method.length() > MAX_METHOD_CHARS) {
                return malformed("method name longer than " + MAX_METHOD_CHARS + " characters");
            }
            if (idToken == null) {
                return CLIENT_NOTIFICATIONS.contains(method)
                        ? new Inspection(Kind.NOTIFICATION, method, null)
                        : new Inspection(Kind.UNKNOWN_NOTIFICATION, method, "unknown notification method");
            }
            return new Inspection(Kind.REQUEST, method, null, id);
        }
        if (idToken != null && hasResult) {
            return new Inspection(Kind.RESPONSE, null, null);
        }
        return malformed("neither a request, a notification nor a response");
    }

    /**
     * Reads past the value that starts with {@code first}, token by token, so that all of it is checked for
     * syntax and depth; numbers longer than the parser's limit are refused, as a tree would refuse them.
     */
    private static void skipValue(JsonParser parser, JsonToken first) throws IOException {
        if (first == null) {
            throw new JsonEOFException(parser, null, "unexpected end of input");
        }
        if (first.isNumeric()) {
            checkNumber(parser);
            return;
        }
        if (!first.isStructStart()) {
            return;
        }
        int depth = 1;
        while (depth > 0) {
            JsonToken token = parser.nextToken();
            if (token == null) {
                throw new JsonEOFException(parser, null, "unexpected end of input");
            }
            if (token.isStructStart()) {
                depth++;
            } else if (token.isStructEnd()) {
                depth--;
            } else if (token.isNumeric()) {
                checkNumber(parser);
            }
        }
    }

    private static void checkNumber(JsonParser parser) throws IOException {
        if (parser.getTextLength() > CONSTRAINTS.getMaxNumberLength()) {
            throw new JsonParseException(parser, "number too long");
        }
    }

    private static Inspection malformed(String problem) {
        return new Inspection(Kind.MALFORMED, null, problem);
    }
}
