package dev.mcpguard.core.policy.opa;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;

/**
 * Go's number conversions where gojsonschema relies on them: {@code strconv.Atoi}/{@code ParseInt},
 * {@code encoding/json}'s float64 encoding, and {@code fmt}'s {@code %v} of a {@code big.Float} (its shortest
 * {@code %g} at the float's precision, ported from math/big's {@code roundShortest}). Thread-safe (stateless).
 */
final class GoNumbers {

    private GoNumbers() {
    }

    /** {@code strconv.ParseInt(s, 10, 64)}: optional sign, decimal digits only. */
    static long parseInt64(String s) {
        if (!s.matches("[+-]?[0-9]+")) {
            throw new NumberFormatException(s);
        }
        BigInteger value = new BigInteger(s.startsWith("+") ? s.substring(1) : s);
        if (value.bitLength() > 63) {
            throw new NumberFormatException("out of range: " + s);
        }
        return value.longValue();
    }

    /** {@code strconv.Atoi}. */
    static long atoi(String s) {
        return parseInt64(s);
    }

    /** {@code encoding/json}'s float64 text: shortest, {@code 'e'} below 1e-6 or from 1e21, {@code e-09} as e-9. */
    static String formatJsonFloat(double f) {
        if (f == 0) {
            return (1 / f < 0) ? "-0" : "0";
        }
        double abs = Math.abs(f);
        String digits = shortestDigits(f);
        BigDecimal d = new BigDecimal(digits);
        if (abs < 1e-6 || abs >= 1e21) {
            // strconv 'e' with the shortest digits, then json's exponent clean-up.
            BigDecimal unscaled = d.abs();
            String mant = unscaled.unscaledValue().toString();
            int exp = mant.length() - 1 - unscaled.scale();
            StringBuilder out = new StringBuilder(f < 0 ? "-" : "");
            out.append(mant.charAt(0));
            String rest = mant.substring(1).replaceAll("0+$", "");
            if (!rest.isEmpty()) {
                out.append('.').append(rest);
            }
            out.append('e').append(exp < 0 ? '-' : '+');
            int e = Math.abs(exp);
            out.append(e < 10 ? "0" + e : Integer.toString(e));
            String text = out.toString();
            int n = text.length();
            if (n >= 4 && text.charAt(n - 4) == 'e' && text.charAt(n - 3) == '-' && text.charAt(n - 2) == '0') {
                text = text.substring(0, n - 2) + text.charAt(n - 1);
            }
            return text;
        }
        return d.stripTrailingZeros().toPlainString();
    }

    /** The shortest decimal that reads back as {@code f} (the closest among those of that length). */
    private static String shortestDigits(double f) {
        BigDecimal exact = new BigDecimal(f);
        for (int n = 1; n <= 17; n++) {
            BigDecimal candidate = exact.round(new MathContext(n, RoundingMode.HALF_EVEN));
            if (Double.parseDouble(candidate.toString()) == f) {
                return candidate.toString();
            }
        }
        return exact.round(new MathContext(17, RoundingMode.HALF_EVEN)).toString();
    }

    // ------------------------------------------------------------------ big.Float %v

    /** A decimal digit string and exponent: value = 0.mant × 10^exp (math/big's {@code decimal}). */
    private static final class Decimal {
        StringBuilder mant;
        int exp;

        /** The exact decimal of {@code m × 2^e} (m > 0). */
        Decimal(BigInteger m, int e) {
            BigDecimal value = e >= 0 ? new BigDecimal(m.shiftLeft(e))
                    : new BigDecimal(m).divide(new BigDecimal(BigInteger.ONE.shiftLeft(-e)));
            value = value.stripTrailingZeros();
            String digits = value.unscaledValue().toString();
            mant = new StringBuilder(digits);
            exp = digits.length() - value.scale();
            trim();
        }

        private void trim() {
            int i = mant.length();
            while (i > 0 && mant.charAt(i - 1) == '0') {
                i--;
            }
            mant.setLength(i);
            if (i == 0) {
                exp = 0;
            }
        }

        char at(int i) {
            return 0 <= i && i < mant.length() ? mant.charAt(i) : '0';
        }

        void round(int n) {
            if (n < 0 || n >= mant.length()) {
                return;
            }
            if (shouldRoundUp(n)) {
                roundUp(n);
            } else {
                roundDown(n);
            }
        }

        private boolean shouldRoundUp(int n) {
            if (mant.charAt(n) == '5' && n + 1 == mant.length()) {
                return n > 0 && (mant.charAt(n - 1) - '0') % 2 != 0;
            }
            return mant.charAt(n) >= '5';
        }

        void roundUp(int n) {
            if (n < 0 || n >= mant.length()) {
                return;
            }
            while (n > 0 && mant.charAt(n - 1) >= '9') {
                n--;
            }
            if (n == 0) {
                mant.setLength(0);
                mant.append('1');
                exp++;
                return;
            }
            mant.setCharAt(n - 1, (char) (mant.charAt(n - 1) + 1));
            mant.setLength(n);
        }

        void roundDown(int n) {
            if (n < 0 || n >= mant.length()) {
                return;
            }
            mant.setLength(n);
            trim();
        }
    }

    /** {@code fmt.Sprint(x)} for the {@code big.Float} x = num/den rounded to {@code prec} bits (nearest even). */
    static String shortestG(BigInteger num, BigInteger den, int prec) {
        if (num.signum() == 0) {
            return "0";
        }
        boolean negative = num.signum() < 0;
        BigInteger n = num.abs();
        // m × 2^e with m of exactly prec bits, rounded to nearest even.
        int e = n.bitLength() - den.bitLength() - prec;
        BigInteger m;
        while (true) {
            BigInteger scaledNum = e >= 0 ? n : n.shiftLeft(-e);
            BigInteger scaledDen = e >= 0 ? den.shiftLeft(e) : den;
            BigInteger[] qr = scaledNum.divideAndRemainder(scaledDen);
            m = qr[0];
            if (m.bitLength() > prec) {
                e++;
                continue;
            }
            if (m.bitLength() < prec) {
                e--;
                continue;
            }
            int cmp = qr[1].shiftLeft(1).compareTo(scaledDen);
            if (cmp > 0 || cmp == 0 && m.testBit(0)) {
                m = m.add(BigInteger.ONE);
                if (m.bitLength() > prec) {
                    m = m.shiftRight(1);
                    e++;
                }
            }
            break;
        }
        Decimal d = new Decimal(m, e);
        // roundShortest: the bounds are half an ulp away; with prec+1 bits, mant±1.
        BigInteger mant = m.shiftLeft(1);
        int exp = e - 1;
        Decimal lower = new Decimal(mant.subtract(BigInteger.ONE), exp);
        Decimal upper = new Decimal(mant.add(BigInteger.ONE), exp);
        boolean inclusive = !m.testBit(0);
        for (int i = 0; i < d.mant.length(); i++) {
            char l = lower.at(i);
            char c = d.mant.charAt(i);
            char u = upper.at(i);
            boolean okdown = l != c || inclusive && i + 1 == lower.mant.length();
            boolean okup = c != u && (inclusive || c + 1 < u || i + 1 < upper.mant.length());
            if (okdown && okup) {
                d.round(i + 1);
                break;
            } else if (okdown) {
                d.roundDown(i + 1);
                break;
            } else if (okup) {
                d.roundUp(i + 1);
                break;
            }
        }
        // %g, shortest: %e when the exponent is < -4 or >= 6.
        int precision = d.mant.length();
        int x = d.exp - 1;
        StringBuilder out = new StringBuilder(negative ? "-" : "");
        if (x < -4 || x >= 6) {
            out.append(d.at(0));
            if (precision > 1) {
                out.append('.').append(d.mant, 1, d.mant.length());
            }
            out.append('e').append(x < 0 ? '-' : '+');
            int abs = Math.abs(x);
            out.append(abs < 10 ? "0" + abs : Integer.toString(abs));
        } else {
            int fraction = Math.max(precision - d.exp, 0);
            if (d.exp > 0) {
                for (int i = 0; i < d.exp; i++) {
                    out.append(d.at(i));
                }
            } else {
                out.append('0');
            }
            if (fraction > 0) {
                out.append('.');
                for (int i = 0; i < fraction; i++) {
                    out.append(d.at(d.exp + i));
                }
            }
        }
        return out.toString();
    }
}
