package dev.mcpguard.core.policy.opa;

import com.google.re2j.Pattern;
import com.google.re2j.PatternSyntaxException;
import java.util.ArrayList;
import java.util.List;

/**
 * Go's {@code regexp} (RE2 syntax, leftmost-first, linear time) through re2j, Google's port of it to Java:
 * {@code regexp.Compile} is {@link #compile}, {@code MatchString} is {@code matcher(s).find()}. re2j lacks two
 * checks of Go's parser, which {@link #compile} adds: nested repetition counts stay within 1000
 * ({@code (a{1000}){1000}} is "invalid repeat count" in Go) and the tree is at most 1000 levels deep (counted
 * here by capture groups). Thread-safe (compiled patterns are immutable).
 */
final class SchemaRegexp {

    private SchemaRegexp() {
    }

    /** {@code regexp.Compile(expr)}, or null where Go fails to compile it. */
    static Pattern compile(String expr) {
        Pattern pattern;
        try {
            pattern = Pattern.compile(expr);
        } catch (PatternSyntaxException | IllegalArgumentException e) {
            return null;
        }
        try {
            Node root = new Node(false, 0, 0);
            Scanner scanner = new Scanner(expr);
            scanner.sequence(root, false);
            // Go also refuses a tree more than 1000 levels deep ("expression nests too deeply"); capture groups
            // are the levels that matter in practice.
            return root.repeatsValid() && scanner.maxCaptureDepth < 1000 ? pattern : null;
        } catch (RuntimeException e) {
            return pattern; // re2j accepted it; the scan below is only for the repeat limit
        }
    }

    /** An atom, or a counted repeat ({@code {min,max}}, max -1 when open) of the atom it wraps. */
    private static final class Node {
        final boolean repeat;
        final int min;
        final int max;
        final List<Node> subs = new ArrayList<>();

        Node(boolean repeat, int min, int max) {
            this.repeat = repeat;
            this.min = min;
            this.max = max;
        }

        /** Go checks each repeat with min or max of 2 or more when it parses it. */
        boolean repeatsValid() {
            if (repeat && (min >= 2 || max >= 2) && !valid(1000)) {
                return false;
            }
            for (Node sub : subs) {
                if (!sub.repeatsValid()) {
                    return false;
                }
            }
            return true;
        }

        /** Go's {@code repeatIsValid}. */
        private boolean valid(int n) {
            int limit = n;
            if (repeat) {
                int m = max;
                if (m == 0) {
                    return true;
                }
                if (m < 0) {
                    m = min;
                }
                if (m > limit) {
                    return false;
                }
                if (m > 0) {
                    limit /= m;
                }
            }
            for (Node sub : subs) {
                if (!sub.valid(limit)) {
                    return false;
                }
            }
            return true;
        }
    }

    /** Just enough of Go's regexp syntax to find atoms, groups and {@code {n,m}} repeats. */
    private static final class Scanner {
        private final String s;
        private int pos;
        private int captureDepth;
        int maxCaptureDepth;

        Scanner(String s) {
            this.s = s;
        }

        void sequence(Node parent, boolean inGroup) {
            Node last = null;
            while (pos < s.length()) {
                char c = s.charAt(pos);
                if (c == ')') {
                    if (inGroup) {
                        pos++;
                        return;
                    }
                    pos++;
                    continue;
                }
                if (c == '|') {
                    pos++;
                    last = null;
                    continue;
                }
                if (c == '{' && last != null) {
                    int[] repeat = repeat();
                    if (repeat != null) {
                        Node wrapped = new Node(true, repeat[0], repeat[1]);
                        parent.subs.remove(last);
                        wrapped.subs.add(last);
                        parent.subs.add(wrapped);
                        last = wrapped;
                        continue;
                    }
                }
                Node atom = new Node(false, 0, 0);
                if (c == '(') {
                    boolean capture = !s.startsWith("(?", pos) || s.startsWith("(?P<", pos) || s.startsWith("(?<", pos);
                    pos++;
                    if (capture) {
                        maxCaptureDepth = Math.max(maxCaptureDepth, ++captureDepth);
                    }
                    sequence(atom, true);
                    if (capture) {
                        captureDepth--;
                    }
                } else if (c == '[') {
                    skipClass();
                } else if (c == '\\') {
                    skipEscape();
                } else {
                    pos += Character.charCount(s.codePointAt(pos));
                }
                parent.subs.add(atom);
                last = atom;
            }
        }

        /** {@code {n}}, {@code {n,}} or {@code {n,m}} at pos: {min, max (-1 open)}; null (pos kept) when literal. */
        private int[] repeat() {
            int end = s.indexOf('}', pos);
            if (end < 0) {
                return null;
            }
            String body = s.substring(pos + 1, end);
            if (!body.matches("[0-9]+(,[0-9]*)?")) {
                return null;
            }
            pos = end + 1;
            while (pos < s.length() && s.charAt(pos) == '?') {
                pos++;
            }
            int comma = body.indexOf(',');
            if (comma < 0) {
                int n = Integer.parseInt(body);
                return new int[] {n, n};
            }
            int min = Integer.parseInt(body.substring(0, comma));
            String max = body.substring(comma + 1);
            return new int[] {min, max.isEmpty() ? -1 : Integer.parseInt(max)};
        }

        private void skipEscape() {
            pos++;
            char c = s.charAt(pos);
            if (c == 'Q') {
                int end = s.indexOf("\\E", pos);
                pos = end < 0 ? s.length() : end + 2;
            } else if ((c == 'x' || c == 'p' || c == 'P') && pos + 1 < s.length() && s.charAt(pos + 1) == '{') {
                pos = s.indexOf('}', pos) + 1;
            } else if (c == 'x') {
                pos += 3;
            } else if (c == 'p' || c == 'P') {
                pos += 2;
            } else {
                pos += Character.charCount(s.codePointAt(pos));
            }
        }

        private void skipClass() {
            pos++;
            if (pos < s.length() && s.charAt(pos) == '^') {
                pos++;
            }
            if (pos < s.length() && s.charAt(pos) == ']') {
                pos++;
            }
            while (pos < s.length() && s.charAt(pos) != ']') {
                if (s.startsWith("[:", pos)) {
                    int end = s.indexOf(":]", pos + 2);
                    if (end >= 0) {
                        pos = end + 2;
                        continue;
                    }
                }
                if (s.charAt(pos) == '\\') {
                    skipEscape();
                } else {
                    pos++;
                }
            }
            pos++;
        }
    }
}
