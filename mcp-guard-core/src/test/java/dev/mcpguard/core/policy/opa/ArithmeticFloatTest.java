package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.math.BigDecimal;
import java.math.BigInteger;
import java.util.Random;
import org.junit.jupiter.api.Test;

/**
 * Go's {@code big.Float} as OPA's arithmetic uses it, on values {@code opa eval} 1.22.2 printed (the probe suites
 * compare everything else against the real binary).
 */
class ArithmeticFloatTest {

    private static ArithmeticFloat f(String text) {
        return ArithmeticBuiltins.toFloat(text);
    }

    @Test
    void quotientsPrintAsTheShortestDecimalAt64Bits() {
        assertThat(f("1").quo(f("3"), 64).text()).isEqualTo("0.33333333333333333334");
        assertThat(f("2469135").quo(f("2"), 64).text()).isEqualTo("1.2345675e+06");
        assertThat(f("1e-5").quo(f("3"), 64).text()).isEqualTo("3.3333333333333333334e-06");
        assertThat(f("-0.5").quo(f("1e400"), 64).text()).isEqualTo("-5e-401");
        assertThat(f("1").quo(f("1e-7"), 64).text()).isEqualTo("10000000");
    }

    @Test
    void sumsAndProductsRoundAtTheirPrecision() {
        assertThat(f("0.1").add(f("0.2"), 64).text()).isEqualTo("0.3");
        assertThat(f("1.1").add(f("1e-30"), 64).text()).isEqualTo("1.1");
        assertThat(f("1.5").mul(f("1e-7"), 64).text()).isEqualTo("1.5e-07");
        assertThat(ArithmeticFloat.ONE.mul(f("-18.9"), 53).mul(f("5362"), 53).text())
                .isEqualTo("-101341.79999999999");
    }

    @Test
    void bigIntegersGoThroughA64BitMantissa() {
        assertThat(f("12345678901234567890123456789").abs().text()).isEqualTo("12345678901234567890000000000");
        assertThat(f("1e400").truncate().toString()).startsWith("10000000000000000000281880683947586514586453433629");
        assertThat(f("1e400").text()).isEqualTo("1" + "0".repeat(400));
        assertThat(f("1e-400").text()).isEqualTo("1e-400");
    }

    @Test
    void zeroKeepsItsSignWhereGoKeepsIt() {
        assertThat(f("0").quo(f("-5"), 64).text()).isEqualTo("-0");
        assertThat(f("-0").mul(f("0.5"), 64).text()).isEqualTo("-0");
        assertThat(f("-0.0").add(f("-0"), 64).text()).isEqualTo("-0");
        assertThat(f("-0.0").add(f("0"), 64).text()).isEqualTo("0");
        assertThat(f("0.5").sub(f("0.5"), 64).text()).isEqualTo("0");
        assertThat(f("-0").abs().text()).isEqualTo("0");
    }

    @Test
    void anIntegerIsExactAtItsOwnPrecision() {
        BigInteger big = BigInteger.TEN.pow(40).add(BigInteger.ONE);
        assertThat(ArithmeticFloat.ofInt(big).text()).isEqualTo(big.toString());
        assertThat(ArithmeticFloat.ofInt(big).prec()).isEqualTo(big.bitLength());
    }

    @Test
    void atoi64ReadsWhatOpasUtilAtoi64Reads() {
        assertThat(ArithmeticBuiltins.atoi64("1.000")).isEqualTo(1L);
        assertThat(ArithmeticBuiltins.atoi64("-0")).isEqualTo(0L);
        assertThat(ArithmeticBuiltins.atoi64("-9223372036854775808")).isEqualTo(Long.MIN_VALUE);
        assertThat(ArithmeticBuiltins.atoi64("9223372036854775808")).isNull();
        assertThat(ArithmeticBuiltins.atoi64("1.000000000000000000")).isNull(); // 20 characters
        assertThat(ArithmeticBuiltins.atoi64("1e0")).isNull();
        assertThat(ArithmeticBuiltins.atoi64("1.5")).isNull();
    }

    @Test
    void numbersBeyondTheLimitHalt() {
        assertThatThrownBy(() -> f("1e400000")).isInstanceOf(HostBuiltin.Halt.class);
        assertThatThrownBy(() -> f("1e300000").mul(f("1e300000"), 64).text())
                .isInstanceOf(HostBuiltin.Halt.class);
        assertThat(f("0e99999999999999").text()).isEqualTo("0");
    }

    @Test
    void leadingDigitsDecideAsGosExactExpansionDoes() {
        Random random = new Random(11_2045L);
        for (int i = 0; i < 4000; i++) {
            int prec = random.nextBoolean() ? 64 : 53;
            BigInteger mant = new BigInteger(1 + random.nextInt(prec), random).setBit(0);
            long exp = random.nextInt(2400) - 1200 - (random.nextInt(4) == 0 ? 0 : mant.bitLength() / 2);
            boolean negative = random.nextBoolean();
            BigInteger signed = negative ? mant.negate() : mant;
            String exact = exp >= 0 ? GoNumbers.shortestG(signed.shiftLeft((int) exp), BigInteger.ONE, prec)
                    : GoNumbers.shortestG(signed, BigInteger.ONE.shiftLeft((int) -exp), prec);
            boolean integer = exp >= 0;
            assertThat(ArithmeticDecimal.shortest(negative, mant, exp, prec, integer))
                    .as("%s × 2^%d at %d bits", signed, exp, prec)
                    .isEqualTo(integer ? new BigDecimal(exact).toPlainString() : exact);
        }
    }
}
