package dev.mcpguard.core.guardrails;

import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Visits every string in a JSON-like value (maps with string keys, lists, strings, numbers, booleans, null; the
 * shape of tool arguments and of structured results as the chain holds them), with its JSON path, within bounds:
 * a value deeper, longer or with more strings than {@link Limits} allow is visited up to the bound and the walk
 * reports that it stopped, so the caller can fail closed (a guardrail that silently skipped the rest of a huge
 * result would be a bypass). Object keys are visited too, at the path of their entry: a key can carry text a
 * model reads as well as a value can.
 *
 * <pre>{@code
 * boolean complete = ContentWalker.walk(arguments, "$.arguments", Limits.DEFAULTS,
 *         (path, text) -> findings.addAll(detector.scan(text).stream().map(m -> m.toFinding(path)).toList()));
 * }</pre>
 *
 * <p>Paths: {@code $.name} for keys that are identifiers, {@code $['any key']} otherwise (quote and backslash
 * escaped), {@code [i]} for list items. Stateless and thread-safe; the visitor runs on the calling thread.
 */
final class ContentWalker {

    /**
     * How much of a value is visited.
     *
     * @param maxDepth   nesting below the root that is still visited
     * @param maxStrings strings (values and keys) visited
     * @param maxChars   characters visited, summed over all strings; a string that crosses the bound is
     *                   visited up to it
     */
    record Limits(int maxDepth, int maxStrings, long maxChars) {

        /** 64 levels, 10,000 strings, 1 Mi characters. */
        static final Limits DEFAULTS = new Limits(64, 10_000, 1L << 20);

        Limits {
            if (maxDepth < 1 || maxStrings < 1 || maxChars < 1) {
                throw new IllegalArgumentException("limits must be positive, got depth " + maxDepth + ", strings "
                        + maxStrings + ", chars " + maxChars);
            }
        }
    }

    /** Receives each string with its path. */
    @FunctionalInterface
    interface Visitor {
        void visit(String path, String text);
    }

    private static final Pattern IDENTIFIER = Pattern.compile("[A-Za-z_][A-Za-z0-9_]{0,127}");

    private ContentWalker() {
    }

    /**
     * Visits the strings of {@code value} under {@code rootPath} ({@code "$"} or a path such as
     * {@code "$.arguments"}).
     *
     * @return true when every string was visited whole; false when a limit stopped the walk (or a value of a type
     *         that is not JSON-like was met: it cannot be scanned, so the walk is not complete)
     */
    static boolean walk(Object value, String rootPath, Limits limits, Visitor visitor) {
        Objects.requireNonNull(rootPath, "rootPath");
        Objects.requireNonNull(limits, "limits");
        Objects.requireNonNull(visitor, "visitor");
        Budget budget = new Budget(limits);
        return walk(value, rootPath, 0, budget, visitor) && !budget.exhausted;
    }

    private static boolean walk(Object value, String path, int depth, Budget budget, Visitor visitor) {
        if (value == null || value instanceof Number || value instanceof Boolean) {
            return true;
        }
        if (value instanceof CharSequence text) {
            return budget.visit(path, text.toString(), visitor);
        }
        if (depth >= budget.limits.maxDepth()) {
            return false;
        }
        if (value instanceof Map<?, ?> map) {
            for (Map.Entry<?, ?> entry : map.entrySet()) {
                if (!(entry.getKey() instanceof String key)) {
                    return false;
                }
                String child = child(path, key);
                if (!budget.visit(child, key, visitor) || !walk(entry.getValue(), child, depth + 1, budget, visitor)) {
                    return false;
                }
            }
            return true;
        }
        if (value instanceof List<?> list) {
            for (int i = 0; i < list.size(); i++) {
                if (!walk(list.get(i), index(path, i), depth + 1, budget, visitor)) {
                    return false;
                }
            }
            return true;
        }
        return false;
    }

    /** The path of {@code key} under {@code path}. */
    static String child(String path, String key) {
        if (IDENTIFIER.matcher(key).matches()) {
            return path + "." + key;
        }
        StringBuilder quoted = new StringBuilder(path.length() + key.length() + 4).append(path).append("['");
        int shown = Math.min(key.length(), 128);
        for (int i = 0; i < shown; i++) {
            char c = key.charAt(i);
            if (c == '\'' || c == '\\') {
                quoted.append('\\').append(c);
            } else if (c < 0x20 || c == 0x7f) {
                quoted.append(String.format("\\u%04x", (int) c));
            } else {
                quoted.append(c);
            }
        }
        return quoted.append(shown < key.length() ? "...']" : "']").toString();
    }

    /** The path of item {@code i} of the list at {@code path}. */
    static String index(String path, int i) {
        return path + "[" + i + "]";
    }

    /** What is left of the limits during one walk. */
    private static final class Budget {
        private final Limits limits;
        private int strings;
        private long chars;
        private boolean exhausted;

        Budget(Limits limits) {
            this.limits = limits;
        }

        boolean visit(String path, String text, Visitor visitor) {
            if (strings >= limits.maxStrings()) {
                exhausted = true;
                return false;
            }
            strings++;
            long left = limits.maxChars() - chars;
            if (text.length() > left) {
                visitor.visit(path, text.substring(0, (int) left));
                chars = limits.maxChars();
                exhausted = true;
                return false;
            }
            chars += text.length();
            visitor.visit(path, text);
            return true;
        }
    }
}
