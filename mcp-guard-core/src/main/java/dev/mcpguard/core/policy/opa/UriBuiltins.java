package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.styra.opa.wasm.OpaBuiltin;
import java.util.List;

/**
 * OPA's {@code uri.parse} and {@code uri.is_valid} (topdown/uri.go, new in OPA 1.22, over Go 1.26's
 * {@code url.Parse}, see {@link GoUrl#parse}). {@code uri.parse} answers the non-empty parts among
 * {@code scheme} (lower case), {@code hostname} (brackets removed, zone kept), {@code port}, {@code path}
 * (decoded) with {@code raw_path} (as written, or the path when Go keeps no raw form), {@code raw_query} and
 * {@code fragment} (decoded); userinfo and an opaque part ({@code mailto:x}) are not returned. A string Go does
 * not parse is undefined for {@code uri.parse} and false for {@code uri.is_valid}, as are the empty string and
 * a non-string. Decoded bytes that are not UTF-8 become U+FFFD per byte ({@link GoUrl#goString}).
 * Thread-safe (stateless).
 */
final class UriBuiltins {

    private UriBuiltins() {
    }

    static List<OpaBuiltin.Builtin> all() {
        return List.of(
                HostBuiltin.of1("uri.parse", x -> parse(HostBuiltin.text(x))),
                HostBuiltin.of1("uri.is_valid", x -> {
                    if (!x.isTextual() || x.textValue().isEmpty()) {
                        return BooleanNode.FALSE;
                    }
                    try {
                        GoUrl.parse(GoTime.bytes(x.textValue()));
                        return BooleanNode.TRUE;
                    } catch (HostBuiltin.Undefined e) {
                        return BooleanNode.FALSE;
                    }
                }));
    }

    private static JsonNode parse(String uri) throws HostBuiltin.Undefined {
        GoUrl.Url url = GoUrl.parse(GoTime.bytes(uri));
        ObjectNode out = RegoValues.NODES.objectNode();
        put(out, "scheme", url.scheme());
        put(out, "hostname", url.hostname());
        put(out, "port", url.port());
        if (!url.path().isEmpty()) {
            put(out, "path", url.path());
            put(out, "raw_path", url.rawPath().isEmpty() ? url.path() : url.rawPath());
        }
        put(out, "raw_query", url.rawQuery());
        put(out, "fragment", url.fragment());
        return out;
    }

    private static void put(ObjectNode out, String key, String goBytes) {
        if (!goBytes.isEmpty()) {
            out.put(key, GoUrl.goString(goBytes));
        }
    }
}
