package dev.mcpguard.core.policy.opa;

import java.math.BigInteger;

/**
 * Go's {@code big.Float.Text('g', -1)} and {@code Text('f', -1)} (math/big's ftoa.go: {@code roundShortest},
 * {@code fmtE}, {@code fmtF}): the shortest decimal that reads back as the float at its precision. Go expands
 * the float, and its half-ulp neighbours, into exact decimals; a float of 2^-100000 has 100,000 of them, so this
 * port computes only the leading digits of each (enough to tell them apart, with a flag for the nonzero digits
 * after) by one scaling with a power of five, and then decides digit by digit as Go does, on the same digits.
 * {@link GoNumbers#shortestG} is the exact, unbounded version. Thread-safe (stateless).
 */
final class ArithmeticDecimal {

    private static final BigInteger FIVE = BigInteger.valueOf(5);

    private ArithmeticDecimal() {
    }

    /** Leading decimal digits of a positive value, as Go's {@code decimal}: value = 0.digits... × 10^exp. */
    private static final class Digits {
        final StringBuilder mant;
        int exp;
        /** Nonzero digits follow {@link #mant} (Go's exact mantissa is longer than what is held). */
        final boolean more;

        Digits(String digits, int exp, boolean more) {
            this.mant = new StringBuilder(digits);
            this.exp = exp;
            this.more = more;
            if (!more) {
                trim();
            }
        }

        /** Go's {@code len(d.mant)}: the exact number of significant digits. */
        int length() {
            return more ? Integer.MAX_VALUE : mant.length();
        }

        char at(int i) {
            if (i >= mant.length() && more) {
                throw new IndexOutOfBoundsException("digit " + i + " not computed");
            }
            return 0 <= i && i < mant.length() ? mant.charAt(i) : '0';
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

        /** Go's {@code decimal.round(n)}: to nearest, an exact half to even. */
        void round(int n) {
            if (n < 0 || n >= length()) {
                return;
            }
            boolean up = mant.charAt(n) == '5' && n + 1 == length()
                    ? n > 0 && (mant.charAt(n - 1) - '0') % 2 != 0 : mant.charAt(n) >= '5';
            if (up) {
                roundUp(n);
            } else {
                roundDown(n);
            }
        }

        void roundUp(int n) {
            if (n < 0 || n >= length()) {
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
            if (n < 0 || n >= length()) {
                return;
            }
            mant.setLength(n);
            trim();
        }
    }

    /**
     * The text of {@code ± mant × 2^exp} ({@code mant > 0}) at {@code prec} bits: Go's {@code Text('f', -1)} when
     * {@code fixed}, else {@code Text('g', -1)}.
     */
    static String shortest(boolean negative, BigInteger mant, long exp, int prec, boolean fixed) {
        // Go: the mantissa of prec + 1 bits whose lowest bit is half an ulp, and the two neighbours half an ulp
        // away, all three m × 2^e.
        int normalize = prec - mant.bitLength();
        BigInteger twice = mant.shiftLeft(normalize + 1);
        long e = exp - normalize - 1;
        boolean inclusive = !twice.testBit(1);
        int wanted = (int) (prec * 0.30103) + 25;
        while (true) {
            Digits d;
            Digits lower;
            Digits upper;
            int s = scale(twice, e, wanted);
            BigInteger power = FIVE.pow(Math.abs(s));
            d = digits(twice, e, s, power);
            lower = digits(twice.subtract(BigInteger.ONE), e, s, power);
            upper = digits(twice.add(BigInteger.ONE), e, s, power);
            try {
                roundShortest(d, lower, upper, inclusive);
            } catch (IndexOutOfBoundsException notEnough) {
                wanted *= 2;
                continue;
            }
            return (negative ? "-" : "") + (fixed ? fixed(d) : general(d));
        }
    }

    /** The power of ten that brings {@code m × 2^e} to about {@code wanted} integer digits. */
    private static int scale(BigInteger m, long e, int wanted) {
        long k = (long) Math.floor((m.bitLength() + e - 1) * 0.30102999566398120);
        return Math.toIntExact(wanted - 1 - k);
    }

    /** The leading digits of {@code m × 2^e}: the integer part of {@code m × 2^e × 10^s}, and whether more follow. */
    private static Digits digits(BigInteger m, long e, int s, BigInteger fiveToS) {
        BigInteger q;
        boolean more;
        long shift = e + s;
        if (s >= 0) {
            BigInteger t = m.multiply(fiveToS);
            if (shift >= 0) {
                q = t.shiftLeft(Math.toIntExact(shift));
                more = false;
            } else {
                int right = Math.toIntExact(-shift);
                q = t.shiftRight(right);
                more = t.getLowestSetBit() < right;
            }
        } else {
            BigInteger[] qr = shift >= 0 ? m.shiftLeft(Math.toIntExact(shift)).divideAndRemainder(fiveToS)
                    : m.divideAndRemainder(fiveToS.shiftLeft(Math.toIntExact(-shift)));
            q = qr[0];
            more = qr[1].signum() != 0;
        }
        String text = q.toString();
        return new Digits(text, Math.toIntExact(text.length() - (long) s), more);
    }

    /** Go's {@code roundShortest}, digit index by digit index (the three mantissas unaligned, as in Go). */
    private static void roundShortest(Digits d, Digits lower, Digits upper, boolean inclusive) {
        for (int i = 0; i < d.length(); i++) {
            char l = lower.at(i);
            char m = d.at(i);
            char u = upper.at(i);
            boolean okdown = l != m || inclusive && i + 1 == lower.length();
            boolean okup = m != u && (inclusive || m + 1 < u || i + 1 < upper.length());
            if (okdown && okup) {
                d.round(i + 1);
                return;
            } else if (okdown) {
                d.roundDown(i + 1);
                return;
            } else if (okup) {
                d.roundUp(i + 1);
                return;
            }
        }
    }

    /** {@code %g} at the shortest precision: {@code %e} when the exponent is below -4 or 6 and more. */
    private static String general(Digits d) {
        int exp = d.exp - 1;
        if (exp < -4 || exp >= 6) {
            StringBuilder out = new StringBuilder().append(d.at(0));
            if (d.mant.length() > 1) {
                out.append('.').append(d.mant, 1, d.mant.length());
            }
            out.append('e').append(exp < 0 ? '-' : '+');
            int abs = Math.abs(exp);
            return out.append(abs < 10 ? "0" : "").append(abs).toString();
        }
        return fixed(d);
    }

    /** {@code %f} at the shortest precision: the digits, zeros up to the point, and a fraction if any. */
    private static String fixed(Digits d) {
        StringBuilder out = new StringBuilder();
        if (d.exp > 0) {
            int m = Math.min(d.mant.length(), d.exp);
            out.append(d.mant, 0, m);
            out.append("0".repeat(d.exp - m));
        } else {
            out.append('0');
        }
        int fraction = Math.max(d.mant.length() - d.exp, 0);
        if (fraction > 0) {
            out.append('.');
            for (int i = 0; i < fraction; i++) {
                out.append(d.exp + i < 0 ? '0' : d.mant.charAt(d.exp + i));
            }
        }
        return out.toString();
    }
}
