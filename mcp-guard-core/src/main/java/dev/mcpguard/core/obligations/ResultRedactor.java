package dev.mcpguard.core.obligations;

import dev.mcpguard.core.chain.ToolResultAccess;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.core.chain.ToolResultAccess.UnredactableResultException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.IdentityHashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * Applies the paths of a {@code redact_fields} obligation to a tool result, read and rewritten through a
 * {@link ToolResultAccess} (for the MCP SDK, a {@code CallToolResult}):
 * <ol>
 *   <li>in {@code structuredContent}, every value a path reaches is replaced by {@value #MARKER};</li>
 *   <li>every text content (and text resource) that holds serialized JSON gets the same treatment, and is written
 *       back as JSON;</li>
 *   <li>then every value removed in steps 1 and 2 (each string and number inside it, at least
 *       {@value #MIN_SCRUBBED_LENGTH} characters long) is replaced by {@value #MARKER} wherever it still occurs in
 *       any text or any other string of {@code structuredContent}, case-insensitively, so a handler that also
 *       mentions the e-mail in prose does not leak it.</li>
 * </ol>
 * Content the redactor cannot inspect (images, audio, blob resources, resource links) makes the result
 * unredactable: {@link UnredactableResultException}; the caller withholds it.
 *
 * <p>The result as the handler returned it is never modified (a handler may answer the same object every call):
 * plain structured content (maps, lists, strings, numbers) is walked as it is and copied only along the paths to
 * what changes, so a result with nothing to redact costs no copy; anything else in it is first read into a fresh
 * copy through JSON. Thread-safe and stateless.
 */
final class ResultRedactor {

    /** What a redacted value becomes. */
    static final String MARKER = "[redacted]";
    /** Shorter values are redacted by path only: scrubbing "12" from every text would destroy it and protect little. */
    static final int MIN_SCRUBBED_LENGTH = 3; // the scrubber indexes values by their first 3 characters
    /** Structured content nested deeper than this is copied through JSON before it is walked. */
    static final int MAX_PLAIN_DEPTH = 256;

    // Decimals stay BigDecimal, so a redacted result does not lose digits of the numbers it keeps.
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private ResultRedactor() {
    }

    /** The redacted result, and which of the paths matched at least one value. */
    record Redaction(Object result, Set<String> matchedPaths, int redactedValues) {
    }

    static Redaction redact(Object result, List<RedactionPath> paths, ToolResultAccess access)
            throws UnredactableResultException {
        ToolResultAccess.Parts parts = access.read(result);
        State state = new State(paths);
        Object structured = parts.structuredContent();
        if (structured != null && !isPlainJson(structured, 0)) {
            // A type the walk does not know (a record, a JsonNode, a Set...): a fresh copy read as JSON, as the SDK
            // would write it. Plain maps and lists are walked as they are and copied only where a value changes.
            try {
                structured = JSON.convertValue(structured, Object.class);
            } catch (IllegalArgumentException e) {
                throw new UnredactableResultException("structuredContent cannot be read as JSON");
            }
        }
        if (structured != null) {
            structured = state.redactTree(structured);
        }
        List<String> texts = parts.texts() == null ? null : new ArrayList<>(parts.texts().size());
        if (texts != null) {
            for (String text : parts.texts()) {
                texts.add(state.redactJsonText(text));
            }
            texts.replaceAll(state::scrub);
        }
        if (state.matched.isEmpty()) {
            return new Redaction(result, Set.of(), 0);
        }
        if (structured != null) {
            structured = state.scrubTree(structured);
        }
        Object redacted = access.rewrite(result, new ToolResultAccess.Parts(structured, texts));
        return new Redaction(redacted, new TreeSet<>(state.matched), state.redactedValues);
    }

    /**
     * Whether {@code node} is made only of what reading it as JSON would give back unchanged in value: maps with
     * string keys, lists, strings, booleans, nulls, integers, {@code BigDecimal}s and doubles (a {@code Float}
     * would come back widened, so it is not plain), nested at most {@value #MAX_PLAIN_DEPTH} deep (deeper, and
     * cycles, take the copying path, which behaves as it always did).
     */
    private static boolean isPlainJson(Object node, int depth) {
        if (node == null || node instanceof String || node instanceof Boolean || node instanceof Integer
                || node instanceof Long || node instanceof Double || node instanceof BigDecimal
                || node instanceof BigInteger || node instanceof Short || node instanceof Byte) {
            return true;
        }
        if (depth >= MAX_PLAIN_DEPTH) {
            return false;
        }
        if (node instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                if (!(entry.getKey() instanceof String) || !isPlainJson(entry.getValue(), depth + 1)) {
                    return false;
                }
            }
            return true;
        }
        if (node instanceof List<?> list) {
            for (Object element : list) {
                if (!isPlainJson(element, depth + 1)) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    /**
     * Per-result state: the paths, which matched, and the values removed (for scrubbing texts).
     *
     * <p>Trees are never modified in place unless this state made them: a map or list on the way to a value that
     * changes is copied (once; {@link #owned} remembers the copies), everything else is shared with the tree as
     * given. So the handler's own result object is never touched, and a result with nothing to redact is not
     * copied at all.
     */
    private static final class State {
        private final List<RedactionPath> paths;
        private final Set<String> matched = new LinkedHashSet<>();
        private final Set<String> removedValues = new LinkedHashSet<>();
        private int redactedValues;
        private int hits;
        private Set<Object> owned;
        private Map<Long, int[]> lengthsByPrefix;
        private Set<String> foldedValues;
        private java.util.BitSet firstChars;

        State(List<RedactionPath> paths) {
            this.paths = paths;
        }

        /** {@code tree} with every path redacted: the same object when nothing matched, else a partial copy. */
        Object redactTree(Object tree) {
            for (RedactionPath path : paths) {
                hits = 0;
                tree = redact(tree, path.segments(), 0);
                if (hits > 0) {
                    matched.add(path.text());
                }
            }
            return tree;
        }

        String redactJsonText(String text) {
            if (text == null) {
                return null;
            }
            String trimmed = text.strip();
            if (!(trimmed.startsWith("{") || trimmed.startsWith("["))) {
                return text;
            }
            Object tree;
            try {
                tree = JSON.readValue(trimmed, Object.class);
            } catch (JsonProcessingException e) {
                return text; // not JSON after all: only the value scrub applies
            }
            int before = redactedValues;
            tree = redactTree(tree);
            if (redactedValues == before) {
                return text;
            }
            try {
                return JSON.writeValueAsString(tree);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("a parsed JSON tree could not be written back", e);
            }
        }

        /** {@code node} with what the segments from {@code index} reach replaced; the same object if none was. */
        private Object redact(Object node, List<String> segments, int index) {
            String segment = segments.get(index);
            boolean last = index == segments.size() - 1;
            boolean wildcard = RedactionPath.WILDCARD.equals(segment);
            if (node instanceof List<?> list) {
                List<Object> out = null;
                int i = 0;
                for (Object element : list) {
                    Object replacement;
                    if (!wildcard) {
                        replacement = redact(element, segments, index); // arrays are transparent to names
                    } else if (last) {
                        replacement = replace(element) ? MARKER : element;
                    } else {
                        replacement = redact(element, segments, index + 1);
                    }
                    if (replacement != element) {
                        if (out == null) {
                            out = writable(list);
                        }
                        out.set(i, replacement);
                    }
                    i++;
                }
                return out == null ? node : out;
            }
            if (node instanceof Map<?, ?> map) {
                if (!wildcard && !map.containsKey(segment)) {
                    return node;
                }
                Map<String, Object> out = null;
                List<?> names = wildcard ? List.copyOf(map.keySet()) : List.of(segment);
                for (Object name : names) {
                    Object value = map.get(name);
                    Object replacement = last ? (replace(value) ? MARKER : value) : redact(value, segments, index + 1);
                    if (replacement != value) {
                        if (out == null) {
                            out = writable(map);
                        }
                        out.put((String) name, replacement);
                    }
                }
                return out == null ? node : out;
            }
            return node;
        }

        /** Counts and remembers a value about to be replaced; a null holds nothing and is left alone (false). */
        private boolean replace(Object value) {
            if (value == null) {
                return false;
            }
            collect(value);
            redactedValues++;
            hits++;
            return true;
        }

        /** {@code list} itself if this state made it, else a copy this state owns from now on. */
        @SuppressWarnings("unchecked")
        private List<Object> writable(List<?> list) {
            if (owned != null && owned.contains(list)) {
                return (List<Object>) list;
            }
            List<Object> copy = new ArrayList<>(list);
            own(copy);
            return copy;
        }

        /** {@code map} itself if this state made it, else a copy in the same order that this state owns. */
        @SuppressWarnings("unchecked")
        private Map<String, Object> writable(Map<?, ?> map) {
            if (owned != null && owned.contains(map)) {
                return (Map<String, Object>) map;
            }
            Map<String, Object> copy = new LinkedHashMap<>((Map<String, Object>) map);
            own(copy);
            return copy;
        }

        private void own(Object copy) {
            if (owned == null) {
                owned = Collections.newSetFromMap(new IdentityHashMap<>());
            }
            owned.add(copy);
        }

        private void collect(Object value) {
            if (value instanceof String s) {
                addScrubbed(s);
            } else if (value instanceof BigDecimal d) {
                addScrubbed(d.toPlainString());
                addScrubbed(d.stripTrailingZeros().toPlainString());
            } else if (value instanceof Double d && Double.isFinite(d)) {
                collect(BigDecimal.valueOf(d)); // the digits its JSON copy (a BigDecimal) was always scrubbed by
            } else if (value instanceof Number n) {
                addScrubbed(n.toString());
            } else if (value instanceof Map<?, ?> map) {
                map.values().forEach(this::collect);
            } else if (value instanceof List<?> list) {
                list.forEach(this::collect);
            }
        }

        private void addScrubbed(String value) {
            if (value.length() >= MIN_SCRUBBED_LENGTH && !value.equals(MARKER)) {
                removedValues.add(value);
                if (!mayNeedEscaping(value)) {
                    return;
                }
                String escaped = new String(JsonStringEncoder.getInstance().quoteAsString(value));
                if (!escaped.equals(value)) {
                    removedValues.add(escaped);
                }
            }
        }

        /**
         * Whether JSON could write {@code value} differently: it holds a control character, a quote or a backslash
         * (what Jackson escapes), or anything beyond ASCII (left to Jackson to decide).
         */
        private static boolean mayNeedEscaping(String value) {
            for (int k = 0; k < value.length(); k++) {
                char c = value.charAt(k);
                if (c < 0x20 || c == '"' || c == '\\' || c >= 0x7F) {
                    return true;
                }
            }
            return false;
        }

        /** {@code node} with every string inside it scrubbed: the same object when none changed, else a partial copy. */
        Object scrubTree(Object node) {
            if (node instanceof String text) {
                return scrub(text);
            }
            if (node instanceof Map<?, ?> map) {
                Map<String, Object> out = null;
                for (Map.Entry<?, ?> entry : map.entrySet()) {
                    Object value = entry.getValue();
                    Object scrubbed = scrubTree(value);
                    if (scrubbed != value) {
                        if (out == null) {
                            out = writable(map);
                        }
                        out.put((String) entry.getKey(), scrubbed); // an existing key: no structural change
                    }
                }
                return out == null ? node : out;
            }
            if (node instanceof List<?> list) {
                List<Object> out = null;
                int i = 0;
                for (Object element : list) {
                    Object scrubbed = scrubTree(element);
                    if (scrubbed != element) {
                        if (out == null) {
                            out = writable(list);
                        }
                        out.set(i, scrubbed);
                    }
                    i++;
                }
                return out == null ? node : out;
            }
            return node;
        }

        /**
         * {@code text} with every removed value replaced by the marker, case-insensitively, leftmost and longest
         * first. One pass over the text: values are indexed by their first three characters, case-folded, and
         * looked up by exact (folded) substring for each length those values have, so a result with thousands of
         * redacted values sharing a prefix stays linear in the text.
         */
        String scrub(String text) {
            if (text == null || removedValues.isEmpty() || text.length() < MIN_SCRUBBED_LENGTH) {
                return text;
            }
            if (lengthsByPrefix == null) {
                index();
            }
            String folded = fold(text);
            StringBuilder out = null;
            int copiedUpTo = 0;
            int i = 0;
            while (i <= text.length() - MIN_SCRUBBED_LENGTH) {
                if (text.charAt(i) == '[' && text.startsWith(MARKER, i)) { // never scrub inside a marker
                    i += MARKER.length();
                    continue;
                }
                int matched = firstChars.get(folded.charAt(i)) ? matchAt(folded, i) : 0;
                if (matched == 0) {
                    i++;
                    continue;
                }
                if (out == null) {
                    out = new StringBuilder(text.length());
                }
                out.append(text, copiedUpTo, i).append(MARKER);
                i += matched;
                copiedUpTo = i;
            }
            if (out == null) {
                return text;
            }
            redactedValues++;
            return out.append(text, copiedUpTo, text.length()).toString();
        }

        /** The length of the longest removed value at {@code i} of the folded text, or 0. */
        private int matchAt(String folded, int i) {
            int[] lengths = lengthsByPrefix.get(prefix(folded, i));
            if (lengths == null) {
                return 0;
            }
            for (int length : lengths) { // longest first
                if (i + length <= folded.length() && foldedValues.contains(folded.substring(i, i + length))) {
                    return length;
                }
            }
            return 0;
        }

        private void index() {
            foldedValues = new java.util.HashSet<>();
            List<String> foldedAll = new ArrayList<>(removedValues.size());
            int highest = 0;
            for (String value : removedValues) {
                String folded = fold(value);
                if (foldedValues.add(folded)) {
                    foldedAll.add(folded);
                    highest = Math.max(highest, folded.charAt(0));
                }
            }
            // Sized to the highest first character, not to all of UTF-16 (8 KB a call); get() past it is false.
            firstChars = new java.util.BitSet(highest + 1);
            lengthsByPrefix = new HashMap<>();
            for (String folded : foldedAll) {
                firstChars.set(folded.charAt(0));
                lengthsByPrefix.merge(prefix(folded, 0), new int[] {folded.length()}, State::withLength);
            }
        }

        /** {@code lengths} (distinct, longest first) with the one length of {@code added}, in its place. */
        private static int[] withLength(int[] lengths, int[] added) {
            int length = added[0];
            int at = 0;
            while (at < lengths.length && lengths[at] > length) {
                at++;
            }
            if (at < lengths.length && lengths[at] == length) {
                return lengths;
            }
            int[] merged = new int[lengths.length + 1];
            System.arraycopy(lengths, 0, merged, 0, at);
            merged[at] = length;
            System.arraycopy(lengths, at, merged, at + 1, lengths.length - at);
            return merged;
        }

        /** The first three characters from {@code from} of folded text, packed in a long. */
        private static long prefix(String folded, int from) {
            return ((long) folded.charAt(from) << 32) | ((long) folded.charAt(from + 1) << 16) | folded.charAt(from + 2);
        }

        /** Per-character case folding: same length as the input, so positions in both agree. */
        private static String fold(String text) {
            char[] chars = text.toCharArray();
            for (int k = 0; k < chars.length; k++) {
                chars[k] = Character.toLowerCase(Character.toUpperCase(chars[k]));
            }
            return new String(chars);
        }
    }
}
