package dev.mcpguard.core.policy.opa;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;

/**
 * Go's {@code unicode.ToLower} and {@code unicode.ToUpper} (Unicode 15.0.0 in Go 1.26, the toolchain of OPA
 * 1.22.2), which {@code strings.ToLower} and {@code strings.ToUpper} apply rune by rune: the simple (one code point
 * to one code point) case mappings. The JDK's {@link Character#toLowerCase(int)} would follow the JDK's Unicode
 * version instead (13.0 in Java 17, without U+A7C0 and the other letters cased since). They come from
 * {@code go-case-mappings.txt}, written by {@code scripts/go-regexp-unicode-tables.go -case}. Loaded on first use;
 * thread-safe (immutable).
 */
final class TextCaseTables {

    private TextCaseTables() {
    }

    /** {@code unicode.ToLower(r)}. */
    static int toLower(int r) {
        if (r < 0x80) {
            return r >= 'A' && r <= 'Z' ? r + ('a' - 'A') : r;
        }
        return map(Tables.LOWER, r);
    }

    /** {@code unicode.ToUpper(r)}. */
    static int toUpper(int r) {
        if (r < 0x80) {
            return r >= 'a' && r <= 'z' ? r - ('a' - 'A') : r;
        }
        return map(Tables.UPPER, r);
    }

    /** {@code runs} is sorted {@code [lo, hi, stride, delta, ...]}, disjoint by lo..hi. */
    private static int map(int[] runs, int r) {
        int lo = 0;
        int hi = runs.length / 4 - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            int at = 4 * mid;
            if (r < runs[at]) {
                hi = mid - 1;
            } else if (r > runs[at + 1]) {
                lo = mid + 1;
            } else {
                return (r - runs[at]) % runs[at + 2] == 0 ? r + runs[at + 3] : r;
            }
        }
        return r;
    }

    /** Lazy holder: the resource is read the first time a non-ASCII string is lowered or uppered. */
    private static final class Tables {
        static final int[] LOWER;
        static final int[] UPPER;

        static {
            List<int[]> lower = new ArrayList<>();
            List<int[]> upper = new ArrayList<>();
            try (InputStream in = TextCaseTables.class.getResourceAsStream("go-case-mappings.txt")) {
                if (in == null) {
                    throw new IllegalStateException("go-case-mappings.txt is missing from the classpath");
                }
                BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
                for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                    if (line.isBlank() || line.startsWith("#")) {
                        continue;
                    }
                    String[] parts = line.split(" ");
                    int[] run = {Integer.parseInt(parts[1], 16), Integer.parseInt(parts[2], 16),
                            Integer.parseInt(parts[3]), Integer.parseInt(parts[4])};
                    switch (parts[0]) {
                        case "lower" -> lower.add(run);
                        case "upper" -> upper.add(run);
                        default -> throw new IllegalStateException("go-case-mappings.txt: unknown line " + parts[0]);
                    }
                }
            } catch (IOException e) {
                throw new UncheckedIOException(e);
            }
            LOWER = flatten(lower);
            UPPER = flatten(upper);
        }

        private static int[] flatten(List<int[]> runs) {
            int[] out = new int[4 * runs.size()];
            for (int i = 0; i < runs.size(); i++) {
                int[] run = runs.get(i);
                if (i > 0 && run[0] <= out[4 * i - 3]) {
                    throw new IllegalStateException("go-case-mappings.txt: runs out of order at " + run[0]);
                }
                System.arraycopy(run, 0, out, 4 * i, 4);
            }
            return out;
        }
    }
}
