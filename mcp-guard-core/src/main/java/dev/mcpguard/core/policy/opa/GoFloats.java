package dev.mcpguard.core.policy.opa;

import java.math.BigDecimal;

/** Go's {@code strconv} float conversions where OPA's builtins rely on them. Thread-safe (stateless). */
final class GoFloats {

    private GoFloats() {
    }

    /** {@code strconv.ParseFloat(s, 64)} for plain decimal text ({@code [0-9.]+}); out of range fails as in Go. */
    static double parseFloat(String s) {
        if (!s.matches("[0-9]*\\.?[0-9]*") || s.equals(".") || s.isEmpty()) {
            throw new NumberFormatException(s);
        }
        double value = Double.parseDouble(s);
        if (Double.isInfinite(value)) {
            throw new NumberFormatException("out of range: " + s);
        }
        return value;
    }

    /** {@code strconv.FormatFloat(v, 'f', -1, 64)}: the shortest decimal that reads back as {@code v}, no exponent. */
    static String formatShortest(double v) {
        if (Double.isNaN(v) || Double.isInfinite(v)) {
            return v > 0 ? "+Inf" : v < 0 ? "-Inf" : "NaN";
        }
        if (v == 0) {
            return "0";
        }
        return new BigDecimal(Double.toString(v)).stripTrailingZeros().toPlainString();
    }
}
