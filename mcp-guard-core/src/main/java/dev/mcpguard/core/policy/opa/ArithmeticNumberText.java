package dev.mcpguard.core.policy.opa;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * What Go makes of a string {@code to_number} is given (topdown/casts.go): whether {@code strconv.ParseFloat(s, 64)}
 * reads it as a finite float64 (Go's syntax: a sign, decimal digits or a {@code 0x} mantissa with a {@code p}
 * exponent, underscores between digits, a point anywhere in the digits), and whether {@code ast.NumberChecked}'s
 * {@code validateNumber} accepts it (a binary exponent within OPA's ±100000). Thread-safe (stateless).
 */
final class ArithmeticNumberText {

    /** OPA's {@code maxNumberExp}. */
    private static final int MAX_NUMBER_EXP = 100_000;

    /** The smallest magnitude a float64 rounds to infinity from: 2^1024 - 2^970 (halfway past MaxFloat64). */
    private static final BigDecimal OVERFLOW = new BigDecimal(
            BigInteger.ONE.shiftLeft(1024).subtract(BigInteger.ONE.shiftLeft(970)));

    private ArithmeticNumberText() {
    }

    /** A string Go's {@code readFloat} takes whole: its exact value (up to Go's exponent cap), or null. */
    private record Reading(boolean hex, BigInteger mantissa, long exponent) {
    }

    /** {@code strconv.ParseFloat(s, 64)} succeeds (infinity and NaN aside, which the caller refuses first). */
    static boolean isFinite(String s) {
        Reading r = read(s, true);
        if (r == null) {
            return false;
        }
        if (r.mantissa().signum() == 0) {
            return true;
        }
        if (r.hex()) {
            long top = r.exponent() + r.mantissa().bitLength(); // the value is in [2^(top-1), 2^top)
            if (top != 1024) {
                return top < 1024;
            }
            return magnitude(r).compareTo(OVERFLOW) < 0;
        }
        long adjusted = r.mantissa().toString().length() - 1 + r.exponent();
        if (adjusted != 308) {
            return adjusted < 308;
        }
        return magnitude(r).compareTo(OVERFLOW) < 0;
    }

    private static BigDecimal magnitude(Reading r) {
        if (r.hex()) {
            return new BigDecimal(r.exponent() >= 0 ? r.mantissa().shiftLeft((int) r.exponent())
                    : r.mantissa()).divide(r.exponent() >= 0 ? BigDecimal.ONE
                    : new BigDecimal(BigInteger.ONE.shiftLeft((int) -r.exponent())));
        }
        return new BigDecimal(r.mantissa(), (int) -r.exponent());
    }

    /**
     * Go's {@code readFloat} over the whole of {@code s}: the value {@code mantissa × 10^exponent} (or
     * {@code × 2^exponent} for hex); null when Go refuses the syntax or leaves characters over. With
     * {@code capped}, the exponent's digits are read until it reaches 10000, as {@code readFloat} does; without,
     * exactly (as {@code big.Float} reads it), saturating far beyond any range.
     */
    private static Reading read(String s, boolean capped) {
        int i = 0;
        boolean underscores = false;
        if (i < s.length() && (s.charAt(i) == '+' || s.charAt(i) == '-')) {
            i++;
        }
        boolean hex = false;
        if (i + 2 < s.length() && s.charAt(i) == '0' && (s.charAt(i + 1) | 0x20) == 'x') {
            hex = true;
            i += 2;
        }
        StringBuilder digits = new StringBuilder();
        boolean sawDot = false;
        boolean sawDigits = false;
        long fraction = 0;
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '_') {
                underscores = true;
            } else if (c == '.') {
                if (sawDot) {
                    break;
                }
                sawDot = true;
            } else if (c >= '0' && c <= '9' || hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
                sawDigits = true;
                digits.append(c);
                if (sawDot) {
                    fraction++;
                }
            } else {
                break;
            }
        }
        if (!sawDigits) {
            return null;
        }
        long exponent = 0;
        char expChar = hex ? 'p' : 'e';
        if (i < s.length() && (s.charAt(i) | 0x20) == expChar) {
            i++;
            if (i >= s.length()) {
                return null;
            }
            int sign = 1;
            if (s.charAt(i) == '+' || s.charAt(i) == '-') {
                sign = s.charAt(i) == '-' ? -1 : 1;
                i++;
            }
            if (i >= s.length() || s.charAt(i) < '0' || s.charAt(i) > '9') {
                return null;
            }
            long e = 0;
            for (; i < s.length() && (s.charAt(i) >= '0' && s.charAt(i) <= '9' || s.charAt(i) == '_'); i++) {
                if (s.charAt(i) == '_') {
                    underscores = true;
                    continue;
                }
                if (capped ? e < 10_000 : e < 1_000_000_000_000_000L) {
                    e = e * 10 + s.charAt(i) - '0';
                }
            }
            exponent = sign * e;
        } else if (hex) {
            return null; // a hex mantissa needs its p exponent
        }
        if (i != s.length() || underscores && !underscoreOk(s.substring(0, i))) {
            return null;
        }
        BigInteger mantissa = new BigInteger(digits.toString(), hex ? 16 : 10);
        return new Reading(hex, mantissa, exponent - (hex ? 4 : 1) * fraction);
    }

    /** Go's {@code underscoreOK}: each underscore between two digits (a base prefix counting as one). */
    private static boolean underscoreOk(String s) {
        char saw = '^';
        int i = 0;
        if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
            s = s.substring(1);
        }
        boolean hex = false;
        if (s.length() >= 2 && s.charAt(0) == '0' && "box".indexOf(s.charAt(1) | 0x20) >= 0) {
            i = 2;
            saw = '0';
            hex = (s.charAt(1) | 0x20) == 'x';
        }
        for (; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9' || hex && (c | 0x20) >= 'a' && (c | 0x20) <= 'f') {
                saw = '0';
                continue;
            }
            if (c == '_') {
                if (saw != '0') {
                    return false;
                }
                saw = '_';
                continue;
            }
            if (saw == '_') {
                return false;
            }
            saw = '!';
        }
        return saw != '_';
    }

    /**
     * {@code ast.validateNumber} of a string {@link #isFinite} took: Go's {@code big.Float.SetString} reads it and
     * its binary exponent is within ±{@value #MAX_NUMBER_EXP}.
     */
    static boolean withinOpaExponent(String s) {
        Reading r = read(s, false);
        if (r == null) {
            return false;
        }
        if (r.mantissa().signum() == 0) {
            return true;
        }
        long top;
        if (r.hex()) {
            if (Math.abs(r.exponent()) > 10L * MAX_NUMBER_EXP) {
                return false;
            }
            top = ArithmeticFloat.binary(r.mantissa(), r.exponent()).exponent();
        } else {
            long adjusted = r.mantissa().toString().length() + r.exponent();
            if (Math.abs(adjusted) < 30_000) {
                return true;
            }
            if (Math.abs(adjusted) > 30_200) {
                return false;
            }
            ArithmeticFloat f = ArithmeticFloat.parse(new BigDecimal(r.mantissa(), (int) -r.exponent()), false);
            top = f.exponent();
        }
        return -MAX_NUMBER_EXP <= top && top <= MAX_NUMBER_EXP;
    }
}
