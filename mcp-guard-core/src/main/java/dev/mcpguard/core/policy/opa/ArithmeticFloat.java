package dev.mcpguard.core.policy.opa;

import java.math.BigDecimal;
import java.math.BigInteger;

/**
 * The part of Go's {@code math/big.Float} that OPA's arithmetic runs on (topdown/builtins' {@code NumberToFloat}
 * and {@code FloatToNumber}): a binary float of {@code prec} mantissa bits, rounded to nearest even after every
 * operation, with a signed zero and no exponent limit that a policy's numbers come near. Each operation is
 * correctly rounded, as Go's are (they compute the exact result, or a quotient with a sticky bit, then round), so
 * the same inputs give the same bits. Parsing is Go's {@code SetString} at 64 bits, double rounding included: the
 * decimal digits are exact, but a power of five beyond 5^27 is itself computed in 128-bit steps
 * ({@code Float.pow5}), so {@code 1e400} is not always the float nearest 10^400, exactly as in OPA.
 *
 * <p>Immutable and thread-safe.
 */
final class ArithmeticFloat {

    /** {@code SetString}'s precision, so that of every operand, and of every result computed from operands. */
    static final int PREC = 64;

    /** {@code big.NewFloat(x)}'s precision (a float64's mantissa). */
    static final int FLOAT64_PREC = 53;

    /** {@code big.NewFloat(0.5)}, as {@code arithRound} adds it. */
    static final ArithmeticFloat HALF = new ArithmeticFloat(false, BigInteger.ONE, -1, FLOAT64_PREC);

    /** {@code big.NewFloat(1)}. */
    static final ArithmeticFloat ONE = new ArithmeticFloat(false, BigInteger.ONE, 0, FLOAT64_PREC);

    /** A number has at most this many bits above (or below) the binary point; beyond it the evaluation halts. */
    static final long MAX_EXPONENT = ArithmeticBuiltins.MAX_BITS;

    /** pow5tab's last entry: 5^27 is the largest power of five in a uint64. */
    private static final int POW5_TABLE = 27;

    private static final BigInteger FIVE = BigInteger.valueOf(5);

    private final boolean neg;
    /** Zero for a zero; otherwise odd once rounded (trailing zero bits go into {@link #exp}). */
    private final BigInteger mant;
    /** The value is {@code mant × 2^exp}. */
    private final long exp;
    private final int prec;

    private ArithmeticFloat(boolean neg, BigInteger mant, long exp, int prec) {
        this.neg = neg;
        this.mant = mant;
        this.exp = exp;
        this.prec = prec;
    }

    static ArithmeticFloat zero(boolean neg, int prec) {
        return new ArithmeticFloat(neg, BigInteger.ZERO, 0, prec);
    }

    /**
     * Go's {@code new(big.Float).SetString(text)} for the decimal {@code value} its text denotes (the digits and
     * the exponent exactly as written: {@code 1.50} is 150 × 10^-2), negative zero when {@code negative}.
     */
    static ArithmeticFloat parse(BigDecimal value, boolean negative) {
        BigInteger digits = value.unscaledValue().abs();
        if (digits.signum() == 0) {
            return zero(negative, PREC);
        }
        long exp5 = -(long) value.scale();
        if (exp5 == 0) {
            return rounded(negative, digits, 0, false, PREC);
        }
        // 10^e = 5^e × 2^e: the power of two is exact, the power of five rounded as Go computes it.
        ArithmeticFloat exact = new ArithmeticFloat(negative, digits, exp5, PREC);
        ArithmeticFloat five = pow5(Math.abs(exp5), PREC + 64);
        return exp5 < 0 ? exact.quo(five, PREC) : exact.mul(five, PREC);
    }

    /** Go's {@code Float.pow5}: 5^n at {@code prec} bits, multiplying by squares held at {@code prec + 64} bits. */
    private static ArithmeticFloat pow5(long n, int prec) {
        if (n <= POW5_TABLE) {
            return exact(FIVE.pow((int) n), prec);
        }
        ArithmeticFloat z = exact(FIVE.pow(POW5_TABLE), prec);
        n -= POW5_TABLE;
        ArithmeticFloat f = exact(FIVE, prec + 64);
        while (n > 0) {
            if ((n & 1) != 0) {
                z = z.mul(f, prec);
            }
            f = f.mul(f, prec + 64);
            n >>= 1;
        }
        return z;
    }

    private static ArithmeticFloat exact(BigInteger value, int prec) {
        return rounded(value.signum() < 0, value.abs(), 0, false, prec);
    }

    /** {@code mant × 2^exp} rounded to 64 bits, as {@code SetString} reads a hex mantissa with a p exponent. */
    static ArithmeticFloat binary(BigInteger mant, long exp) {
        return mant.signum() == 0 ? zero(false, PREC) : rounded(false, mant, exp, false, PREC);
    }

    /** Go's {@code new(big.Float).SetInt(i)}: exact, at {@code max(bits, 64)} bits. */
    static ArithmeticFloat ofInt(BigInteger i) {
        int prec = Math.max(i.bitLength(), PREC);
        return i.signum() == 0 ? zero(false, prec) : rounded(i.signum() < 0, i.abs(), 0, false, prec);
    }

    /** {@code mant × 2^exp} rounded to {@code prec} bits, to nearest even; {@code sticky}: nonzero bits below. */
    private static ArithmeticFloat rounded(boolean neg, BigInteger mant, long exp, boolean sticky, int prec) {
        int bits = mant.bitLength();
        if (bits > prec) {
            int drop = bits - prec;
            boolean half = mant.testBit(drop - 1);
            boolean below = sticky || mant.getLowestSetBit() < drop - 1;
            mant = mant.shiftRight(drop);
            exp += drop;
            if (half && (below || mant.testBit(0))) {
                mant = mant.add(BigInteger.ONE); // may carry to 2^prec: the trailing zeros go below
            }
        } else if (sticky) {
            throw new IllegalStateException("a rounded result needs more than " + prec + " bits");
        }
        int zeros = mant.getLowestSetBit();
        return new ArithmeticFloat(neg, mant.shiftRight(zeros), exp + zeros, prec);
    }

    boolean isZero() {
        return mant.signum() == 0;
    }

    /** Go's {@code Signbit}: true for negative numbers and -0. */
    boolean signbit() {
        return neg;
    }

    /** Go's {@code IsInt}. */
    boolean isInt() {
        return isZero() || exp >= 0;
    }

    int prec() {
        return prec;
    }

    /** Go's {@code MantExp}: the exponent e with the value in [2^(e-1), 2^e), 0 for zero. */
    long exponent() {
        return isZero() ? 0 : exp + mant.bitLength();
    }

    /** Go's {@code x.Abs(x)}. */
    ArithmeticFloat abs() {
        return new ArithmeticFloat(false, mant, exp, prec);
    }

    /** Go's {@code z.Add(x, y)} with {@code z} of precision {@code prec}. */
    ArithmeticFloat add(ArithmeticFloat y, int prec) {
        return sum(y, y.neg, prec);
    }

    /** Go's {@code z.Sub(x, y)} with {@code z} of precision {@code prec}. */
    ArithmeticFloat sub(ArithmeticFloat y, int prec) {
        return sum(y, !y.neg, prec);
    }

    private ArithmeticFloat sum(ArithmeticFloat y, boolean yneg, int prec) {
        if (isZero() && y.isZero()) {
            return zero(neg && yneg, prec); // -0 + -0 == -0, any other pair of zeros +0
        }
        if (y.isZero()) {
            return new ArithmeticFloat(neg, mant, exp, prec);
        }
        if (isZero()) {
            return new ArithmeticFloat(yneg, y.mant, y.exp, prec);
        }
        long e = Math.min(exp, y.exp);
        BigInteger a = mant.shiftLeft(toShift(exp - e));
        BigInteger b = y.mant.shiftLeft(toShift(y.exp - e));
        if (neg == yneg) {
            return rounded(neg, a.add(b), e, false, prec);
        }
        int c = a.compareTo(b);
        if (c == 0) {
            return zero(false, prec); // x - x == +0
        }
        return c > 0 ? rounded(neg, a.subtract(b), e, false, prec) : rounded(yneg, b.subtract(a), e, false, prec);
    }

    /** Go's {@code z.Mul(x, y)} with {@code z} of precision {@code prec}. */
    ArithmeticFloat mul(ArithmeticFloat y, int prec) {
        boolean rneg = neg != y.neg;
        if (isZero() || y.isZero()) {
            return zero(rneg, prec);
        }
        return rounded(rneg, mant.multiply(y.mant), exp + y.exp, false, prec);
    }

    /** Go's {@code z.Quo(x, y)} with {@code z} of precision {@code prec}; {@code y} is not zero. */
    ArithmeticFloat quo(ArithmeticFloat y, int prec) {
        boolean rneg = neg != y.neg;
        if (isZero()) {
            return zero(rneg, prec);
        }
        if (y.isZero()) {
            throw new ArithmeticException("division by zero");
        }
        // A quotient of at least prec + 2 bits, and the remainder as the sticky bit, rounds correctly.
        int shift = Math.max(0, prec + 2 + y.mant.bitLength() - mant.bitLength());
        BigInteger[] qr = mant.shiftLeft(shift).divideAndRemainder(y.mant);
        return rounded(rneg, qr[0], exp - y.exp - shift, qr[1].signum() != 0, prec);
    }

    /** Go's {@code x.Int(nil)}: truncated toward zero. */
    BigInteger truncate() {
        checkRange();
        if (isZero()) {
            return BigInteger.ZERO;
        }
        BigInteger magnitude = exp >= 0 ? mant.shiftLeft(toShift(exp)) : mant.shiftRight(toShift(-exp));
        return neg ? magnitude.negate() : magnitude;
    }

    /**
     * OPA's {@code FloatToNumber}: an integer as Go's {@code Text('f', -1)}, anything else as {@code Text('g', -1)},
     * both the shortest decimal that reads back as this float at its precision ({@code 0.33333333333333333334},
     * {@code 1.2345675e+06}, {@code 12345678901234567890000000000}, {@code -0}).
     */
    String text() {
        if (isZero()) {
            return neg ? "-0" : "0";
        }
        checkRange();
        return ArithmeticDecimal.shortest(neg, mant, exp, prec, isInt());
    }

    /** Halts beyond {@link #MAX_EXPONENT}: OPA would print the number's hundreds of thousands of digits. */
    private void checkRange() {
        long top = exp + mant.bitLength();
        if (!isZero() && (top > MAX_EXPONENT || top < -MAX_EXPONENT)) {
            throw new HostBuiltin.Halt("arithmetic: a number beyond 2^" + MAX_EXPONENT + " or below 2^-"
                    + MAX_EXPONENT);
        }
    }

    private static int toShift(long bits) {
        if (bits > 4 * MAX_EXPONENT) {
            throw new HostBuiltin.Halt("arithmetic: numbers more than 2^" + (4 * MAX_EXPONENT) + " apart");
        }
        return (int) bits;
    }

    @Override
    public String toString() {
        return (neg ? "-" : "") + mant + "p" + exp + "/" + prec;
    }
}
