package dev.mcpguard.core.policy.decisionlog;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Deque;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;

/**
 * Masks a decision-log event as OPA's {@code system.log.mask} rules do, and then redacts every credential-like
 * member:
 *
 * <ul>
 *   <li>an <em>erase</em> path ({@code "/input/arguments"}, OPA's plain string rule, op {@code remove}) removes the
 *       value there, when there is one, and adds the path to {@code erased};</li>
 *   <li>a <em>mask</em> path (OPA's {@code {"op": "upsert", "path": ..., "value": "**REDACTED**"}}) sets the value
 *       there to {@value #REDACTED}, creating the objects on the way as OPA does, and adds the path to
 *       {@code masked};</li>
 *   <li>then, always, every object member of {@code input} and {@code result} whose name looks like a credential
 *       ({@link #isCredentialName}) and whose value is not null is set to {@value #REDACTED} and its path added to
 *       {@code masked} (a name in the path is escaped as OPA escapes path segments: {@code %} and {@code /}).</li>
 * </ul>
 * A path is {@code /input} or {@code /result} followed by member names (or array indexes), each segment taken
 * literally. Immutable and thread-safe; {@link #apply} changes only the event it is given.
 */
final class DecisionLogMask {

    /** The value masked members get. */
    static final String REDACTED = "**REDACTED**";

    /** Name endings (lower case, without {@code _} and {@code -}) of members that carry credentials. */
    private static final List<String> CREDENTIAL_ENDINGS = List.of("password", "passwd", "passphrase", "secret",
            "token", "apikey", "authorization", "cookie", "credential", "credentials", "privatekey", "bearer");

    private final List<String> erase;
    private final List<String> mask;

    DecisionLogMask(List<String> erase, List<String> mask) {
        this.erase = List.copyOf(erase);
        this.mask = List.copyOf(mask);
        this.erase.forEach(DecisionLogMask::segments);
        this.mask.forEach(DecisionLogMask::segments);
    }

    /** The segments of {@code path}, the first {@code input} or {@code result}; rejects anything else, naming it. */
    static List<String> segments(String path) {
        Objects.requireNonNull(path, "path");
        if (!path.startsWith("/")) {
            throw new IllegalArgumentException("mask path must start with /input or /result, got '" + path + "'");
        }
        List<String> segments = List.of(path.substring(1).split("/", -1));
        if (!segments.get(0).equals("input") && !segments.get(0).equals("result")) {
            throw new IllegalArgumentException("mask path must start with /input or /result, got '" + path + "'");
        }
        if (segments.stream().anyMatch(String::isEmpty)) {
            throw new IllegalArgumentException("mask path has an empty segment: '" + path + "'");
        }
        return segments;
    }

    /** Masks {@code event}'s {@code input} and {@code result} in place, filling {@code erased} and {@code masked}. */
    void apply(ObjectNode event, List<String> erased, List<String> masked) {
        for (String path : erase) {
            if (remove(event, segments(path))) {
                erased.add(path);
            }
        }
        for (String path : mask) {
            if (upsert(event, segments(path))) {
                masked.add(path);
            }
        }
        redactCredentials(event, "input", masked);
        redactCredentials(event, "result", masked);
    }

    private static boolean remove(ObjectNode event, List<String> segments) {
        if (segments.size() == 1) {
            return event.remove(segments.get(0)) != null;
        }
        JsonNode parent = walk(event.get(segments.get(0)), segments.subList(1, segments.size() - 1));
        String last = segments.get(segments.size() - 1);
        if (parent instanceof ObjectNode object) {
            return object.remove(last) != null;
        }
        if (parent instanceof ArrayNode array) {
            int index = index(last, array.size());
            if (index >= 0) {
                array.remove(index);
                return true;
            }
        }
        return false;
    }

    private static boolean upsert(ObjectNode event, List<String> segments) {
        JsonNode root = event.get(segments.get(0));
        if (root == null) {
            return false; // as OPA: an absent input or result (undefined) is not created
        }
        if (segments.size() == 1) {
            event.put(segments.get(0), REDACTED);
            return true;
        }
        JsonNode node = root;
        for (String segment : segments.subList(1, segments.size() - 1)) {
            if (node instanceof ObjectNode object) {
                JsonNode child = object.get(segment);
                node = child == null ? object.putObject(segment) : child;
            } else if (node instanceof ArrayNode array && index(segment, array.size()) >= 0) {
                node = array.get(index(segment, array.size()));
            } else {
                return false;
            }
        }
        String last = segments.get(segments.size() - 1);
        if (node instanceof ObjectNode object) {
            object.put(last, REDACTED);
            return true;
        }
        if (node instanceof ArrayNode array && index(last, array.size()) >= 0) {
            array.set(index(last, array.size()), TextNode.valueOf(REDACTED));
            return true;
        }
        return false;
    }

    private static JsonNode walk(JsonNode node, List<String> segments) {
        for (String segment : segments) {
            if (node instanceof ObjectNode object) {
                node = object.get(segment);
            } else if (node instanceof ArrayNode array && index(segment, array.size()) >= 0) {
                node = array.get(index(segment, array.size()));
            } else {
                return null;
            }
        }
        return node;
    }

    /** {@code segment} as an index into an array of {@code size}, or -1. */
    private static int index(String segment, int size) {
        if (segment.isEmpty() || segment.length() > 9 || !segment.chars().allMatch(c -> c >= '0' && c <= '9')) {
            return -1;
        }
        int index = Integer.parseInt(segment);
        return index < size ? index : -1;
    }

    /** Depth-first without recursion (an input can nest deeply), members in document order. */
    private static void redactCredentials(ObjectNode event, String root, List<String> masked) {
        JsonNode top = event.get(root);
        if (top == null || !top.isContainerNode()) {
            return;
        }
        record Visit(JsonNode node, String path) {
        }
        Deque<Visit> pending = new ArrayDeque<>();
        pending.push(new Visit(top, "/" + root));
        while (!pending.isEmpty()) {
            Visit visit = pending.pop();
            List<Visit> children = new ArrayList<>();
            if (visit.node() instanceof ObjectNode object) {
                for (Map.Entry<String, JsonNode> member : object.properties()) {
                    String path = visit.path() + "/" + escaped(member.getKey());
                    if (isCredentialName(member.getKey()) && !member.getValue().isNull()) {
                        member.setValue(TextNode.valueOf(REDACTED));
                        masked.add(path);
                    } else if (member.getValue().isContainerNode()) {
                        children.add(new Visit(member.getValue(), path));
                    }
                }
            } else if (visit.node() instanceof ArrayNode array) {
                for (int i = 0; i < array.size(); i++) {
                    if (array.get(i).isContainerNode()) {
                        children.add(new Visit(array.get(i), visit.path() + "/" + i));
                    }
                }
            }
            for (int i = children.size() - 1; i >= 0; i--) {
                pending.push(children.get(i));
            }
        }
    }

    /**
     * Whether a member named {@code name} carries a credential: its name, in lower case without {@code _} and
     * {@code -}, ends with password, passwd, passphrase, secret, token, apikey, authorization, cookie, credential(s),
     * privatekey or bearer ({@code db_password}, {@code apiKey}, {@code csrf-token}; not {@code token_type}).
     */
    static boolean isCredentialName(String name) {
        String folded = name.toLowerCase(Locale.ROOT).replace("_", "").replace("-", "");
        for (String ending : CREDENTIAL_ENDINGS) {
            if (folded.endsWith(ending)) {
                return true;
            }
        }
        return false;
    }

    private static String escaped(String name) {
        return name.replace("%", "%25").replace("/", "%2F");
    }
}
