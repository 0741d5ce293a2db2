package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Map;

/**
 * Decodes strings as OPA's JSON decoding (Go's {@code encoding/json}) does: a lone UTF-16 surrogate (a
 * {@code \ud800} escape not part of a pair, which is not Unicode) becomes U+FFFD, the replacement character, and
 * evaluation proceeds. The embedded module's own parser would abort on it; a remote OPA replaces it itself, so
 * both engines see the same string. When two object keys become equal the later one wins, as in Go.
 *
 * <p>The walk is iterative (no stack overflow on deep documents). Stateless and thread-safe.
 */
final class LoneSurrogates {

    private static final char REPLACEMENT = '\ufffd';

    private LoneSurrogates() {
    }

    /** {@code text} with every lone surrogate replaced by U+FFFD; the same instance when it has none. */
    static String replace(String text) {
        if (!hasLoneSurrogate(text)) {
            return text;
        }
        StringBuilder out = new StringBuilder(text.length());
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c) && i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                out.append(c).append(text.charAt(++i));
            } else if (Character.isSurrogate(c)) {
                out.append(REPLACEMENT);
            } else {
                out.append(c);
            }
        }
        return out.toString();
    }

    /** Replaces, in place, lone surrogates in every string and key of {@code root} (an object or array). */
    static void replaceIn(JsonNode root) {
        Deque<JsonNode> pending = new ArrayDeque<>();
        pending.push(root);
        while (!pending.isEmpty()) {
            JsonNode node = pending.pop();
            if (node instanceof ObjectNode object) {
                replaceKeys(object);
                List<String> fixedKeys = new ArrayList<>();
                for (Map.Entry<String, JsonNode> field : object.properties()) {
                    JsonNode value = field.getValue();
                    if (value.isTextual() && hasLoneSurrogate(value.textValue())) {
                        fixedKeys.add(field.getKey());
                    } else if (value.isContainerNode()) {
                        pending.push(value);
                    }
                }
                for (String key : fixedKeys) {
                    object.set(key, TextNode.valueOf(replace(object.get(key).textValue())));
                }
            } else if (node instanceof ArrayNode array) {
                for (int i = 0; i < array.size(); i++) {
                    JsonNode value = array.get(i);
                    if (value.isTextual()) {
                        String fixed = replace(value.textValue());
                        if (!fixed.equals(value.textValue())) {
                            array.set(i, TextNode.valueOf(fixed));
                        }
                    } else if (value.isContainerNode()) {
                        pending.push(value);
                    }
                }
            }
        }
    }

    private static void replaceKeys(ObjectNode object) {
        boolean any = false;
        for (Map.Entry<String, JsonNode> field : object.properties()) {
            if (hasLoneSurrogate(field.getKey())) {
                any = true;
                break;
            }
        }
        if (!any) {
            return;
        }
        List<Map.Entry<String, JsonNode>> fields = new ArrayList<>(object.properties());
        object.removeAll();
        for (Map.Entry<String, JsonNode> field : fields) {
            String key = replace(field.getKey());
            object.set(key, field.getValue()); // a later duplicate wins, as in Go's decoder
        }
    }

    /** True when {@code text} has a high surrogate not followed by a low one, or a low one not preceded by a high. */
    static boolean hasLoneSurrogate(String text) {
        for (int i = 0; i < text.length(); i++) {
            char c = text.charAt(i);
            if (Character.isHighSurrogate(c)) {
                if (i + 1 < text.length() && Character.isLowSurrogate(text.charAt(i + 1))) {
                    i++;
                } else {
                    return true;
                }
            } else if (Character.isLowSurrogate(c)) {
                return true;
            }
        }
        return false;
    }
}
