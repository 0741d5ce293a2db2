package dev.mcpguard.core.obligations;

import dev.mcpguard.core.chain.ToolResultAccess;
import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.io.JsonStringEncoder;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import dev.mcpguard.core.chain.ToolResultAccess.UnredactableResultException;
import java.math.BigDecimal;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeSet;

/**
 * The redactor as it was before it learned copy-on-write (it copied all of {@code structuredContent} through JSON
 * first), kept as the oracle {@code ResultRedactorTest} checks the current one against. Applies the paths of a
 * {@code redact_fields} obligation to a tool result, read and rewritten through a
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
 * unredactable: {@link UnredactableResultException}; the caller withholds it. Thread-safe and stateless.
 */
final class CopyingResultRedactor {

    /** What a redacted value becomes. */
    static final String MARKER = "[redacted]";
    /** Shorter values are redacted by path only: scrubbing "12" from every text would destroy it and protect little. */
    static final int MIN_SCRUBBED_LENGTH = 3; // the scrubber indexes values by their first 3 characters

    // Decimals stay BigDecimal, so a redacted result does not lose digits of the numbers it keeps.
    private static final ObjectMapper JSON = new ObjectMapper()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);

    private CopyingResultRedactor() {
    }

    /** The redacted result, and which of the paths matched at least one value. */
    record Redaction(Object result, Set<String> matchedPaths, int redactedValues) {
    }

    static Redaction redact(Object result, List<RedactionPath> paths, ToolResultAccess access)
            throws UnredactableResultException {
        ToolResultAccess.Parts parts = access.read(result);
        State state = new State(paths);
        Object structured = parts.structuredContent();
        if (structured != null) {
            Object tree;
            try {
                tree = JSON.convertValue(structured, Object.class); // a fresh copy: the handler's object stays
            } catch (IllegalArgumentException e) {
                throw new UnredactableResultException("structuredContent cannot be read as JSON");
            }
            structured = state.redactTree(tree);
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

    /** Per-result state: the paths, which matched, and the values removed (for scrubbing texts). */
    private static final class State {
        private final List<RedactionPath> paths;
        private final Set<String> matched = new LinkedHashSet<>();
        private final Set<String> removedValues = new LinkedHashSet<>();
        private int redactedValues;
        private Map<Long, int[]> lengthsByPrefix;
        private Set<String> foldedValues;
        private java.util.BitSet firstChars;

        State(List<RedactionPath> paths) {
            this.paths = paths;
        }

        /** Redacts {@code tree} (a fresh, mutable copy) in place and returns it (or the marker, never for a root). */
        Object redactTree(Object tree) {
            for (RedactionPath path : paths) {
                if (redact(tree, path.segments(), 0) > 0) {
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
            redactTree(tree);
            if (redactedValues == before) {
                return text;
            }
            try {
                return JSON.writeValueAsString(tree);
            } catch (JsonProcessingException e) {
                throw new IllegalStateException("a parsed JSON tree could not be written back", e);
            }
        }

        private int redact(Object node, List<String> segments, int index) {
            String segment = segments.get(index);
            boolean last = index == segments.size() - 1;
            int count = 0;
            if (node instanceof List<?> raw) {
                @SuppressWarnings("unchecked")
                List<Object> list = (List<Object>) raw;
                for (int i = 0; i < list.size(); i++) {
                    Object element = list.get(i);
                    if (!RedactionPath.WILDCARD.equals(segment)) {
                        count += redact(element, segments, index); // arrays are transparent to names
                    } else if (last) {
                        count += replace(element);
                        if (element != null) {
                            list.set(i, MARKER);
                        }
                    } else {
                        count += redact(element, segments, index + 1);
                    }
                }
            } else if (node instanceof Map<?, ?> raw) {
                @SuppressWarnings("unchecked")
                Map<String, Object> map = (Map<String, Object>) raw;
                List<String> names = RedactionPath.WILDCARD.equals(segment) ? List.copyOf(map.keySet())
                        : map.containsKey(segment) ? List.of(segment) : List.of();
                for (String name : names) {
                    Object value = map.get(name);
                    if (last) {
                        count += replace(value);
                        if (value != null) {
                            map.put(name, MARKER);
                        }
                    } else {
                        count += redact(value, segments, index + 1);
                    }
                }
            }
            return count;
        }

        /** Counts and remembers a value about to be replaced; a null holds nothing and is left alone. */
        private int replace(Object value) {
            if (value == null) {
                return 0;
            }
            collect(value);
            redactedValues++;
            return 1;
        }

        private void collect(Object value) {
            if (value instanceof String s) {
                addScrubbed(s);
            } else if (value instanceof BigDecimal d) {
                addScrubbed(d.toPlainString());
                addScrubbed(d.stripTrailingZeros().toPlainString());
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
                String escaped = new String(JsonStringEncoder.getInstance().quoteAsString(value));
                if (!escaped.equals(value)) {
                    removedValues.add(escaped);
                }
            }
        }

        /** Scrubs every string inside {@code node} (a mutable tree), in place; returns the node. */
        Object scrubTree(Object node) {
            if (node instanceof Map<?, ?> raw) {
                @SuppressWarnings("unchecked")
                Map<String, Object> map = (Map<String, Object>) raw;
                map.replaceAll((name, value) -> scrubTree(value));
            } else if (node instanceof List<?> raw) {
                @SuppressWarnings("unchecked")
                List<Object> list = (List<Object>) raw;
                list.replaceAll(this::scrubTree);
            } else if (node instanceof String text) {
                return scrub(text);
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
            Map<Long, java.util.TreeSet<Integer>> lengths = new HashMap<>();
            foldedValues = new java.util.HashSet<>();
            List<String> foldedAll = new ArrayList<>(removedValues.size());
            int highest = 0;
            for (String value : removedValues) {
                String folded = fold(value);
                foldedAll.add(folded);
                highest = Math.max(highest, folded.charAt(0));
            }
            // Sized to the highest first character, not to all of UTF-16 (8 KB a call); get() past it is false.
            firstChars = new java.util.BitSet(highest + 1);
            for (String folded : foldedAll) {
                foldedValues.add(folded);
                firstChars.set(folded.charAt(0));
                lengths.computeIfAbsent(prefix(folded, 0), p -> new java.util.TreeSet<>(Comparator.reverseOrder()))
                        .add(folded.length());
            }
            lengthsByPrefix = new HashMap<>();
            lengths.forEach((prefix, set) -> lengthsByPrefix.put(prefix,
                    set.stream().mapToInt(Integer::intValue).toArray()));
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
