package dev.mcpguard.core.guardrails;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * Writes a JSON-like value (maps with string keys, lists, strings, numbers, booleans, null) as the JSON
 * Canonicalization Scheme of RFC 8785 writes it: no whitespace, object members sorted by their names' UTF-16 code
 * units, strings with the minimal escaping of ECMAScript's {@code JSON.stringify} (a lone surrogate is written
 * {@code \\udxxx}, as ES2019 does), and numbers as IEEE 754 doubles in ECMAScript's shortest round-trip form
 * ({@code 1e+30}, {@code 0.002}, {@code 333333333.3333333}). Two values that differ only in key order, whitespace
 * or the spelling of a number ({@code 4.50} and {@code 4.5}) therefore give the same text.
 *
 * <p>Numbers are read as doubles, as RFC 8785 requires: integers beyond 2^53 lose their exact value. NaN and
 * infinities have no JSON form and are rejected, as are values of any other type and nesting deeper than
 * {@value #MAX_DEPTH}.
 *
 * <p>Stateless and thread-safe.
 */
final class CanonicalJson {

    /** Deepest nesting written; tool schemas are a few levels deep. */
    static final int MAX_DEPTH = 128;

    private static final long MAX_EXACT_LONG = 1L << 53;
    private static final char[] HEX = "0123456789abcdef".toCharArray();

    private CanonicalJson() {
    }

    /** The canonical JSON text of {@code value}; rejects what JSON cannot hold. */
    static String write(Object value) {
        StringBuilder out = new StringBuilder(256);
        write(value, out, 0);
        return out.toString();
    }

    private static void write(Object value, StringBuilder out, int depth) {
        if (depth > MAX_DEPTH) {
            throw new IllegalArgumentException("value is nested deeper than " + MAX_DEPTH + " levels");
        }
        if (value == null) {
            out.append("null");
        } else if (value instanceof Boolean b) {
            out.append(b ? "true" : "false");
        } else if (value instanceof CharSequence text) {
            string(text, out);
        } else if (value instanceof Number number) {
            out.append(number(number));
        } else if (value instanceof Map<?, ?> map) {
            List<String> names = new ArrayList<>(map.size());
            for (Object key : map.keySet()) {
                if (!(key instanceof String name)) {
                    throw new IllegalArgumentException("object keys must be strings, got "
                            + (key == null ? "null" : key.getClass().getSimpleName()));
                }
                names.add(name);
            }
            names.sort(null); // String.compareTo orders by UTF-16 code units, as RFC 8785 section 3.2.3 asks
            out.append('{');
            for (int i = 0; i < names.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                string(names.get(i), out);
                out.append(':');
                write(map.get(names.get(i)), out, depth + 1);
            }
            out.append('}');
        } else if (value instanceof List<?> list) {
            out.append('[');
            for (int i = 0; i < list.size(); i++) {
                if (i > 0) {
                    out.append(',');
                }
                write(list.get(i), out, depth + 1);
            }
            out.append(']');
        } else {
            throw new IllegalArgumentException("not a JSON value: " + value.getClass().getName());
        }
    }

    /** A string with the escaping of RFC 8785 section 3.2.2.2. */
    static void string(CharSequence text, StringBuilder out) {
        out.append('"');
        int length = text.length();
        for (int i = 0; i < length; i++) {
            char c = text.charAt(i);
            switch (c) {
                case '"' -> out.append("\\\"");
                case '\\' -> out.append("\\\\");
                case '\b' -> out.append("\\b");
                case '\f' -> out.append("\\f");
                case '\n' -> out.append("\\n");
                case '\r' -> out.append("\\r");
                case '\t' -> out.append("\\t");
                default -> {
                    if (c < 0x20) {
                        unicodeEscape(c, out);
                    } else if (Character.isHighSurrogate(c) && i + 1 < length
                            && Character.isLowSurrogate(text.charAt(i + 1))) {
                        out.append(c).append(text.charAt(++i));
                    } else if (Character.isSurrogate(c)) {
                        unicodeEscape(c, out); // a lone surrogate has no UTF-8 form
                    } else {
                        out.append(c);
                    }
                }
            }
        }
        out.append('"');
    }

    private static void unicodeEscape(char c, StringBuilder out) {
        out.append("\\u").append(HEX[(c >> 12) & 0xF]).append(HEX[(c >> 8) & 0xF]).append(HEX[(c >> 4) & 0xF])
                .append(HEX[c & 0xF]);
    }

    /** A number as ECMAScript's {@code Number.prototype.toString} writes the double it denotes. */
    static String number(Number number) {
        if (number instanceof Integer || number instanceof Long || number instanceof Short
                || number instanceof Byte) {
            long value = number.longValue();
            if (value > -MAX_EXACT_LONG && value < MAX_EXACT_LONG) {
                return Long.toString(value);
            }
            return number((double) value);
        }
        if (number instanceof BigInteger big && big.bitLength() < 53) {
            return big.toString();
        }
        return number(number.doubleValue());
    }

    /** A double as ECMAScript writes it (ECMA-262, Number::toString, radix 10). */
    static String number(double value) {
        if (Double.isNaN(value) || Double.isInfinite(value)) {
            throw new IllegalArgumentException("NaN and infinities have no JSON form");
        }
        if (value == 0) {
            return "0"; // and -0
        }
        if (value == Math.rint(value) && Math.abs(value) < MAX_EXACT_LONG) {
            return Long.toString((long) value);
        }
        BigDecimal shortest = shortestDigits(Math.abs(value));
        String digits = shortest.unscaledValue().toString();
        int k = digits.length();
        int n = k - shortest.scale(); // value = 0.digits x 10^n
        StringBuilder out = new StringBuilder(24);
        if (value < 0) {
            out.append('-');
        }
        if (k <= n && n <= 21) {
            out.append(digits);
            out.append("0".repeat(n - k));
        } else if (0 < n && n <= 21) {
            out.append(digits, 0, n).append('.').append(digits, n, k);
        } else if (-6 < n && n <= 0) {
            out.append("0.").append("0".repeat(-n)).append(digits);
        } else {
            out.append(digits.charAt(0));
            if (k > 1) {
                out.append('.').append(digits, 1, k);
            }
            int exponent = n - 1;
            out.append('e').append(exponent < 0 ? '-' : '+').append(Math.abs(exponent));
        }
        return out.toString();
    }

    /**
     * The fewest decimal digits that read back as {@code value} (positive, finite), and among those the closest to
     * it: rounded to nearest at each precision, or the other neighbour where the nearest does not read back (near
     * a power of two the doubles' spacing changes, so the interval that reads back is lopsided).
     */
    private static BigDecimal shortestDigits(double value) {
        BigDecimal exact = new BigDecimal(value);
        for (int precision = 1; precision <= 17; precision++) {
            BigDecimal nearest = exact.round(new MathContext(precision, RoundingMode.HALF_EVEN));
            if (nearest.doubleValue() == value) {
                return nearest.stripTrailingZeros();
            }
            RoundingMode other = nearest.compareTo(exact) > 0 ? RoundingMode.FLOOR : RoundingMode.CEILING;
            BigDecimal neighbour = exact.round(new MathContext(precision, other));
            if (neighbour.doubleValue() == value) {
                return neighbour.stripTrailingZeros();
            }
        }
        return exact.round(new MathContext(17, RoundingMode.HALF_EVEN)).stripTrailingZeros();
    }
}
