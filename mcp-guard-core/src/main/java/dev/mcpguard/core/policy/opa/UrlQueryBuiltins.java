package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.styra.opa.wasm.OpaBuiltin;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;

/**
 * OPA's {@code urlquery.encode}, {@code urlquery.decode}, {@code urlquery.encode_object} and
 * {@code urlquery.decode_object} (topdown/encoding.go over Go's {@code net/url}, see {@link GoUrl}): escaping keeps
 * {@code A-Za-z0-9-_.~}, writes a space as {@code +} and every other UTF-8 byte as {@code %XX}; decoding needs two
 * hex digits after each {@code %}; an object is encoded with its keys sorted by bytes, a string value as one pair,
 * an array's strings in order and a set's strings sorted, an empty array as nothing; a query with a {@code ;}, a
 * bad escape or more than 10,000 parameters does not decode. Undefined where OPA errors. Decoded bytes that are
 * not UTF-8 become U+FFFD per byte, as {@link GoUrl#goString} does. Thread-safe (stateless).
 */
final class UrlQueryBuiltins {

    private UrlQueryBuiltins() {
    }

    static List<OpaBuiltin.Builtin> all() {
        return List.of(
                HostBuiltin.of1("urlquery.encode", x -> TextNode.valueOf(
                        GoUrl.queryEscape(GoTime.bytes(HostBuiltin.text(x))))),
                HostBuiltin.of1("urlquery.decode", x -> TextNode.valueOf(
                        GoUrl.goString(GoUrl.queryUnescape(GoTime.bytes(HostBuiltin.text(x)))))),
                HostBuiltin.of1("urlquery.encode_object", UrlQueryBuiltins::encodeObject),
                HostBuiltin.of1("urlquery.decode_object", UrlQueryBuiltins::decodeObject));
    }

    private static JsonNode encodeObject(JsonNode object) throws HostBuiltin.Undefined {
        if (!object.isObject()) {
            throw new HostBuiltin.Undefined("operand must be an object");
        }
        // url.Values.Encode: keys sorted as Go sorts strings (a Go string's chars are its bytes), values in order.
        Map<String, List<String>> values = new TreeMap<>();
        for (Iterator<Map.Entry<String, JsonNode>> it = object.fields(); it.hasNext(); ) {
            Map.Entry<String, JsonNode> field = it.next();
            JsonNode value = field.getValue();
            List<String> strings = new ArrayList<>();
            if (value.isTextual()) {
                strings.add(GoTime.bytes(value.textValue()));
            } else if (value.isArray()) {
                for (JsonNode element : value) {
                    if (!element.isTextual()) {
                        throw new HostBuiltin.Undefined("values must be string, array[string], or set[string]");
                    }
                    strings.add(GoTime.bytes(element.textValue()));
                }
                if (HostBuiltin.isSet(value)) {
                    strings.sort(Comparator.naturalOrder()); // a set converts to JSON in Rego order
                }
            } else {
                throw new HostBuiltin.Undefined("values must be string, array[string], or set[string]");
            }
            values.put(GoTime.bytes(field.getKey()), strings);
        }
        StringBuilder out = new StringBuilder();
        for (Map.Entry<String, List<String>> entry : values.entrySet()) {
            String key = GoUrl.queryEscape(entry.getKey());
            for (String value : entry.getValue()) {
                if (!out.isEmpty()) {
                    out.append('&');
                }
                out.append(key).append('=').append(GoUrl.queryEscape(value));
            }
        }
        return TextNode.valueOf(out.toString());
    }

    private static JsonNode decodeObject(JsonNode query) throws HostBuiltin.Undefined {
        ObjectNode object = RegoValues.NODES.objectNode();
        Map<String, List<String>> values = GoUrl.parseQuery(GoTime.bytes(HostBuiltin.text(query)));
        for (Map.Entry<String, List<String>> entry : values.entrySet()) {
            String key = GoUrl.goString(entry.getKey());
            ArrayNode array = object.has(key) ? (ArrayNode) object.get(key) : object.putArray(key);
            for (String value : entry.getValue()) {
                array.add(GoUrl.goString(value));
            }
        }
        return object;
    }
}
