package dev.mcpguard.core.policy.opa;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Map;

/**
 * The Unicode tables of Go's package {@code unicode} (Unicode 15.0.0 in Go 1.26, the toolchain of OPA 1.22.2) that
 * Go's {@code regexp/syntax} reads: categories, scripts, their case-folding supplements, the category aliases
 * ({@code \p{Letter}}) and {@code unicode.SimpleFold}. They come from {@code go-regexp-unicode.txt}, written by
 * {@code scripts/go-regexp-unicode-tables.go}, so the embedded engine's regexps do not depend on the JDK's
 * Unicode version nor on re2j's (6.0). A table is an array of sorted, disjoint, inclusive ranges
 * {@code [lo0, hi0, lo1, hi1, ...]}; callers must not modify it. Loaded on first use; thread-safe (immutable).
 */
final class GoUnicodeTables {

    private GoUnicodeTables() {
    }

    /** {@code unicode.Categories[name]}, or null. */
    static int[] category(String name) {
        return Tables.CATEGORIES.get(name);
    }

    /** {@code unicode.Scripts[name]}, or null. */
    static int[] script(String name) {
        return Tables.SCRIPTS.get(name);
    }

    /** {@code unicode.FoldCategory[name]}, or null. */
    static int[] foldCategory(String name) {
        return Tables.FOLD_CATEGORIES.get(name);
    }

    /** {@code unicode.FoldScript[name]}, or null. */
    static int[] foldScript(String name) {
        return Tables.FOLD_SCRIPTS.get(name);
    }

    /** {@code unicode.CategoryAliases}: alias (as Unicode spells it, {@code Cased_Letter}) to category. */
    static Map<String, String> categoryAliases() {
        return Tables.ALIASES;
    }

    /**
     * {@code unicode.SimpleFold(r)}: the next larger code point of r's case-folding orbit, or the smallest one
     * after the largest; r itself when it has no other case.
     */
    static int simpleFold(int r) {
        int at = Arrays.binarySearch(Tables.FOLD_FROM, r);
        return at >= 0 ? Tables.FOLD_TO[at] : r;
    }

    /** {@code unicode.IsLetter}: category L. */
    static boolean isLetter(int r) {
        return contains(Tables.LETTER, r);
    }

    /** {@code unicode.IsDigit}: category Nd. */
    static boolean isDigit(int r) {
        return contains(Tables.DIGIT, r);
    }

    static boolean contains(int[] ranges, int r) {
        int lo = 0;
        int hi = ranges.length / 2 - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (r < ranges[2 * mid]) {
                hi = mid - 1;
            } else if (r > ranges[2 * mid + 1]) {
                lo = mid + 1;
            } else {
                return true;
            }
        }
        return false;
    }

    /** Lazy holder: the resource is read the first time a regexp needs Unicode data. */
    private static final class Tables {
        static final Map<String, int[]> CATEGORIES = new HashMap<>();
        static final Map<String, int[]> SCRIPTS = new HashMap<>();
        static final Map<String, int[]> FOLD_CATEGORIES = new HashMap<>();
        static final Map<String, int[]> FOLD_SCRIPTS = new HashMap<>();
        static final Map<String, String> ALIASES = new HashMap<>();
        static final int[] FOLD_FROM;
        static final int[] FOLD_TO;
        static final int[] LETTER;
        static final int[] DIGIT;

        static {
            List<int[]> orbits = new ArrayList<>();
            try (InputStream in = GoUnicodeTables.class.getResourceAsStream("go-regexp-unicode.txt")) {
                if (in == null) {
                    throw new IllegalStateException("go-regexp-unicode.txt is missing from the classpath");
                }
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    if (line.isBlank() || line.startsWith("#")) {
                        continue;
                    }
                    String[] parts = line.split(" ");
                    switch (parts[0]) {
                        case "cat" -> CATEGORIES.put(parts[1], ranges(parts));
                        case "script" -> SCRIPTS.put(parts[1], ranges(parts));
                        case "foldcat" -> FOLD_CATEGORIES.put(parts[1], ranges(parts));
                        case "foldscript" -> FOLD_SCRIPTS.put(parts[1], ranges(parts));
                        case "alias" -> ALIASES.put(parts[1], parts[2]);
                        case "orbit" -> orbits.add(Arrays.stream(parts, 1, parts.length)
                                .mapToInt(hex -> Integer.parseInt(hex, 16)).toArray());
                        default -> throw new IllegalStateException("go-regexp-unicode.txt: unknown line " + parts[0]);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            int n = orbits.stream().mapToInt(orbit -> orbit.length).sum();
            long[] pairs = new long[n];
            int k = 0;
            for (int[] orbit : orbits) {
                for (int i = 0; i < orbit.length; i++) {
                    pairs[k++] = (long) orbit[i] << 32 | orbit[(i + 1) % orbit.length];
                }
            }
            Arrays.sort(pairs);
            FOLD_FROM = new int[n];
            FOLD_TO = new int[n];
            for (int i = 0; i < n; i++) {
                FOLD_FROM[i] = (int) (pairs[i] >>> 32);
                FOLD_TO[i] = (int) pairs[i];
            }
            LETTER = CATEGORIES.get("L");
            DIGIT = CATEGORIES.get("Nd");
        }

        private static int[] ranges(String[] parts) {
            int[] out = new int[2 * (parts.length - 2)];
            for (int i = 2; i < parts.length; i++) {
                String part = parts[i];
                int dash = part.indexOf('-');
                out[2 * (i - 2)] = Integer.parseInt(dash < 0 ? part : part.substring(0, dash), 16);
                out[2 * (i - 2) + 1] = Integer.parseInt(dash < 0 ? part : part.substring(dash + 1), 16);
            }
            return out;
        }
    }
}
