package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.DecimalNode;
import com.styra.opa.wasm.OpaBuiltin;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.RoundingMode;
import java.util.List;
import java.util.Map;

/**
 * OPA's {@code units.parse} and {@code units.parse_bytes} (topdown/parse_units.go, parse_bytes.go): the number
 * and unit split as OPA's {@code extractNumAndUnit} does, at most 6 exponent digits. {@code units.parse} is exact
 * (Go's {@code big.Rat}; the milli factor is the double {@code 0.001}, as in OPA) and prints a non-integer with
 * 10 decimals; {@code units.parse_bytes} rounds the amount and the product to a 64-bit mantissa, as Go's
 * {@code big.Float} does, then truncates to an integer. Undefined where OPA errors. Thread-safe (stateless).
 */
final class UnitsBuiltins {

    private static final int MAX_EXPONENT_DIGITS = 6;
    private static final int FLOAT_PRECISION = 64;

    private static final Map<String, BigInteger> SI = Map.ofEntries(
            Map.entry("", BigInteger.ONE),
            Map.entry("k", pow(1000, 1)), Map.entry("K", pow(1000, 1)),
            Map.entry("ki", pow(1024, 1)), Map.entry("Ki", pow(1024, 1)),
            Map.entry("M", pow(1000, 2)), Map.entry("mi", pow(1024, 2)), Map.entry("Mi", pow(1024, 2)),
            Map.entry("g", pow(1000, 3)), Map.entry("G", pow(1000, 3)),
            Map.entry("gi", pow(1024, 3)), Map.entry("Gi", pow(1024, 3)),
            Map.entry("t", pow(1000, 4)), Map.entry("T", pow(1000, 4)),
            Map.entry("ti", pow(1024, 4)), Map.entry("Ti", pow(1024, 4)),
            Map.entry("p", pow(1000, 5)), Map.entry("P", pow(1000, 5)),
            Map.entry("pi", pow(1024, 5)), Map.entry("Pi", pow(1024, 5)),
            Map.entry("e", pow(1000, 6)), Map.entry("E", pow(1000, 6)),
            Map.entry("ei", pow(1024, 6)), Map.entry("Ei", pow(1024, 6)));

    private static final Map<String, BigInteger> BYTES = Map.ofEntries(
            Map.entry("", BigInteger.ONE),
            Map.entry("kb", pow(1000, 1)), Map.entry("k", pow(1000, 1)),
            Map.entry("kib", pow(1024, 1)), Map.entry("ki", pow(1024, 1)),
            Map.entry("mb", pow(1000, 2)), Map.entry("m", pow(1000, 2)),
            Map.entry("mib", pow(1024, 2)), Map.entry("mi", pow(1024, 2)),
            Map.entry("gb", pow(1000, 3)), Map.entry("g", pow(1000, 3)),
            Map.entry("gib", pow(1024, 3)), Map.entry("gi", pow(1024, 3)),
            Map.entry("tb", pow(1000, 4)), Map.entry("t", pow(1000, 4)),
            Map.entry("tib", pow(1024, 4)), Map.entry("ti", pow(1024, 4)),
            Map.entry("pb", pow(1000, 5)), Map.entry("p", pow(1000, 5)),
            Map.entry("pib", pow(1024, 5)), Map.entry("pi", pow(1024, 5)),
            Map.entry("eb", pow(1000, 6)), Map.entry("e", pow(1000, 6)),
            Map.entry("eib", pow(1024, 6)), Map.entry("ei", pow(1024, 6)));

    /** Go's {@code SetFloat64(0.001)}: the exact value of the double nearest 0.001. */
    private static final BigDecimal MILLI = new BigDecimal(0.001);

    private UnitsBuiltins() {
    }

    static List<OpaBuiltin.Builtin> all() {
        return List.of(
                HostBuiltin.of1("units.parse", x -> parse(HostBuiltin.text(x).replace("\"", ""))),
                HostBuiltin.of1("units.parse_bytes", x -> parseBytes(goLower(HostBuiltin.text(x)).replace("\"", ""))));
    }

    private static JsonNode parse(String s) throws HostBuiltin.Undefined {
        String[] split = split(s);
        String unit = split[1];
        if (unit.length() > 1) {
            unit = unit.charAt(0) + goLower(unit.substring(1));
        }
        BigDecimal factor = unit.equals("m") ? MILLI : decimal(SI.get(unit));
        BigDecimal value = amount(split[0]).multiply(factor);
        if (value.signum() == 0 || value.stripTrailingZeros().scale() <= 0) {
            return RegoValues.integer(value.toBigIntegerExact());
        }
        // big.Rat.FloatString(10): rounded to nearest, halves away from zero.
        return DecimalNode.valueOf(value.setScale(10, RoundingMode.HALF_UP));
    }

    private static JsonNode parseBytes(String s) throws HostBuiltin.Undefined {
        String[] split = split(s);
        BigDecimal factor = decimal(BYTES.get(split[1]));
        BigDecimal amount = roundToMantissa(amount(split[0]));
        BigDecimal product = roundToMantissa(amount.multiply(factor));
        return RegoValues.integer(product.toBigInteger()); // big.Float.Int truncates toward zero
    }

    private static BigDecimal decimal(BigInteger factor) throws HostBuiltin.Undefined {
        if (factor == null) {
            throw new HostBuiltin.Undefined("unit not recognized");
        }
        return new BigDecimal(factor);
    }

    /** Number and unit, as {@code extractNumAndUnit}; undefined for spaces, no amount or a long exponent. */
    private static String[] split(String s) throws HostBuiltin.Undefined {
        if (s.contains(" ")) {
            throw new HostBuiltin.Undefined("spaces not allowed");
        }
        int boundary = -1;
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            boolean numeric = (c >= '0' && c <= '9') || c == '.';
            if (!numeric && c != 'e' && c != 'E' && c != '+' && c != '-') {
                boundary = i;
                break;
            }
            if (c == 'e' || c == 'E') {
                if (i == s.length() - 1 || !(digit(s.charAt(i + 1)) || s.charAt(i + 1) == '+' || s.charAt(i + 1) == '-')) {
                    boundary = i;
                    break;
                }
                if (s.charAt(i + 1) == '+' || s.charAt(i + 1) == '-') {
                    i++;
                }
                int end = i + 1;
                while (end < s.length() && digit(s.charAt(end))) {
                    end++;
                }
                if (end - (i + 1) > MAX_EXPONENT_DIGITS) {
                    throw new HostBuiltin.Undefined("exponent too large");
                }
            }
        }
        String num = boundary == -1 ? s : s.substring(0, boundary);
        String unit = boundary == -1 ? "" : s.substring(boundary);
        if (num.isEmpty()) {
            throw new HostBuiltin.Undefined("no amount provided");
        }
        return new String[] {num, unit};
    }

    private static boolean digit(char c) {
        return c >= '0' && c <= '9';
    }

    /** The amount as Go's decimal scanners read it (sign, digits with at most one point, exponent). */
    private static BigDecimal amount(String num) throws HostBuiltin.Undefined {
        if (!num.matches("[+-]?([0-9]+\\.?[0-9]*|\\.[0-9]+)([eE][+-]?[0-9]+)?")) {
            throw new HostBuiltin.Undefined("could not parse amount to a number");
        }
        return new BigDecimal(num.startsWith("+") ? num.substring(1) : num);
    }

    /** {@code x} rounded to a 64-bit binary mantissa, half to even, as a {@code big.Float} of precision 64. */
    static BigDecimal roundToMantissa(BigDecimal x) {
        if (x.signum() == 0) {
            return BigDecimal.ZERO;
        }
        BigDecimal abs = x.abs();
        BigInteger num;
        BigInteger den;
        if (abs.scale() <= 0) {
            num = abs.unscaledValue().multiply(BigInteger.TEN.pow(-abs.scale()));
            den = BigInteger.ONE;
        } else {
            num = abs.unscaledValue();
            den = BigInteger.TEN.pow(abs.scale());
        }
        // Scale by 2^shift so that the quotient has exactly 64 bits.
        int shift = FLOAT_PRECISION - (num.bitLength() - den.bitLength());
        BigInteger scaledNum = shift >= 0 ? num.shiftLeft(shift) : num;
        BigInteger scaledDen = shift >= 0 ? den : den.shiftLeft(-shift);
        BigInteger[] qr = scaledNum.divideAndRemainder(scaledDen);
        if (qr[0].bitLength() > FLOAT_PRECISION) {
            shift--;
            scaledNum = shift >= 0 ? num.shiftLeft(shift) : num;
            scaledDen = shift >= 0 ? den : den.shiftLeft(-shift);
            qr = scaledNum.divideAndRemainder(scaledDen);
        } else if (qr[0].bitLength() < FLOAT_PRECISION) {
            shift++;
            scaledNum = shift >= 0 ? num.shiftLeft(shift) : num;
            scaledDen = shift >= 0 ? den : den.shiftLeft(-shift);
            qr = scaledNum.divideAndRemainder(scaledDen);
        }
        BigInteger mantissa = qr[0];
        int half = qr[1].shiftLeft(1).compareTo(scaledDen);
        if (half > 0 || (half == 0 && mantissa.testBit(0))) {
            mantissa = mantissa.add(BigInteger.ONE);
        }
        BigDecimal m = new BigDecimal(mantissa);
        BigDecimal value = shift >= 0
                ? m.divide(new BigDecimal(BigInteger.ONE.shiftLeft(shift)))
                : m.multiply(new BigDecimal(BigInteger.ONE.shiftLeft(-shift)));
        return x.signum() < 0 ? value.negate() : value;
    }

    /** Go's {@code strings.ToLower}: per code point, without the JDK's special cases (İ becomes i). */
    static String goLower(String s) {
        StringBuilder out = new StringBuilder(s.length());
        s.codePoints().forEach(cp -> out.appendCodePoint(Character.toLowerCase(cp)));
        return out.toString();
    }

    private static BigInteger pow(int base, int exponent) {
        return BigInteger.valueOf(base).pow(exponent);
    }
}
