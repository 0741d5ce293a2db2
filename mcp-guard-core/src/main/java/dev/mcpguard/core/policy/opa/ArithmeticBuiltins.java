package dev.mcpguard.core.policy.opa;

import com.dylibso.chicory.runtime.Memory;
import com.styra.opa.wasm.OpaBuiltin;
import com.styra.opa.wasm.OpaWasm;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Pattern;

/**
 * OPA's arithmetic, aggregates, bits and number conversions (topdown/arithmetic.go, aggregates.go, bits.go,
 * numbers.go, casts.go, strings.go's {@code format_int}). Supplied by the host in place of the module's own runtime
 * functions ({@link CompiledBuiltinOverrides}), with OPA 1.22.2's three representations: integers in the int32
 * window as machine integers, then integers of any size exactly, then Go's {@code big.Float} of 64 bits
 * ({@link ArithmeticFloat}); results print as OPA prints them ({@code 0.33333333333333333334}, {@code 1.5e-07},
 * {@code -0}), and OPA 1.22.2's quirks are kept ({@code ceil(-0.1)} is 1, {@code floor(-0.5)} 0, {@code product}
 * rounds to 53 bits, {@code abs}, {@code round}, {@code ceil}, {@code floor} of a big integer go through a 64-bit
 * float).
 *
 * <p>Operands are read as the module holds them, numbers by their exact text ({@link WasmValues}), not through
 * {@link HostBuiltin}'s JSON nodes: OPA looks at that text ({@code util.Atoi64} takes {@code 1.0} as an int,
 * {@code format_int}'s base must be written {@code 10}, {@code -0} keeps its sign through a float, {@code to_number}
 * of a number returns it as written). Undefined where OPA errors. The evaluation halts (the engine denies) where a
 * number would exceed 2^{@value #MAX_BITS} or fall below its inverse (OPA itself refuses input numbers beyond
 * 2^100000; only chains of products get there), where {@code numbers.range} would build more than
 * {@link NumbersBuiltins#MAX_NUMBERS} numbers, and where {@code to_number} would give a number written with a
 * plus sign, underscores or in hex ({@code "+1"}, {@code "1_000"}, {@code "0x1p4"}), which the module cannot
 * read. Thread-safe (stateless).
 */
final class ArithmeticBuiltins {

    /** Numbers of more bits than this (about 315,000 decimal digits) halt the evaluation. */
    static final int MAX_BITS = 1 << 20;

    /** Decimal digits, or a decimal exponent, beyond which a number has more than {@link #MAX_BITS} bits. */
    private static final int MAX_DIGITS = (int) (MAX_BITS * Math.log10(2)) - 1;

    private static final long MIN_SMALL = -(1L << 31);
    private static final long MAX_SMALL = (1L << 31) - 1;

    /** A number's text as OPA's parsers take it (Go's big.Float and big.Rat read more; the module holds no more). */
    private static final Pattern NUMBER = Pattern.compile("[+-]?(?:[0-9]+\\.?[0-9]*|\\.[0-9]+)(?:[eE][+-]?[0-9]+)?");

    /** JSON's number grammar, which the module's parser takes. */
    private static final Pattern JSON_NUMBER = Pattern.compile("-?(?:0|[1-9][0-9]*)(?:\\.[0-9]+)?(?:[eE][+-]?[0-9]+)?");

    private static final Pattern DECIMAL_INTEGER = Pattern.compile("[+-]?[0-9]+");

    private static final RegoValue.Num ZERO = new RegoValue.Num("0");
    private static final RegoValue.Num ONE = new RegoValue.Num("1");

    private enum Op { PLUS, MINUS, MUL, DIV, REM }

    private ArithmeticBuiltins() {
    }

    static List<OpaBuiltin.Builtin> all() {
        return List.of(
                new TextBuiltin("plus", args -> arith(Op.PLUS, args[0], args[1])),
                new TextBuiltin("minus", args -> minus(args[0], args[1])),
                new TextBuiltin("mul", args -> arith(Op.MUL, args[0], args[1])),
                new TextBuiltin("div", args -> arith(Op.DIV, args[0], args[1])),
                new TextBuiltin("rem", args -> arith(Op.REM, args[0], args[1])),
                new TextBuiltin("abs", args -> abs(args[0])),
                new TextBuiltin("round", args -> round(args[0])),
                new TextBuiltin("ceil", args -> ceil(args[0])),
                new TextBuiltin("floor", args -> floor(args[0])),
                new TextBuiltin("sum", args -> sum(args[0])),
                new TextBuiltin("product", args -> product(args[0])),
                new TextBuiltin("to_number", args -> toNumber(args[0])),
                new TextBuiltin("numbers.range", args -> range(args[0], args[1])),
                new TextBuiltin("format_int", args -> formatInt(args[0], args[1])),
                new TextBuiltin("bits.and", args -> integer(bigInt(args[0]).and(bigInt(args[1])))),
                new TextBuiltin("bits.or", args -> integer(bigInt(args[0]).or(bigInt(args[1])))),
                new TextBuiltin("bits.xor", args -> integer(bigInt(args[0]).xor(bigInt(args[1])))),
                new TextBuiltin("bits.negate", args -> integer(bigInt(args[0]).not())),
                new TextBuiltin("bits.lsh", args -> shiftLeft(bigInt(args[0]), shift(args[1]))),
                new TextBuiltin("bits.rsh", args -> shiftRight(bigInt(args[0]), shift(args[1]))));
    }

    // ------------------------------------------------------------------ plus, minus, mul, div, rem

    /** OPA's {@code arithOp.eval}: the int32 window, then exact integers, then 64-bit floats. */
    private static RegoValue arith(Op op, RegoValue a, RegoValue b) throws HostBuiltin.Undefined {
        String x = numberText(a);
        String y = numberText(b);
        Long xi = atoi64(x);
        Long yi = xi == null ? null : atoi64(y);
        if (yi != null) {
            RegoValue fast = int64(op, xi, yi);
            if (fast != null) {
                return fast;
            }
        }
        if (op != Op.DIV) {
            BigInteger bx = toInt(x);
            BigInteger by = bx == null ? null : toInt(y);
            if (by != null) {
                return switch (op) {
                    case PLUS -> integer(bx.add(by));
                    case MINUS -> integer(bx.subtract(by));
                    case MUL -> integer(checked(bx.multiply(by)));
                    default -> {
                        if (by.signum() == 0) {
                            throw new HostBuiltin.Undefined("modulo by zero");
                        }
                        yield integer(bx.remainder(by));
                    }
                };
            }
            if (op == Op.REM) {
                throw new HostBuiltin.Undefined("modulo on floating-point number");
            }
        }
        ArithmeticFloat fx = toFloat(x);
        ArithmeticFloat fy = toFloat(y);
        int prec = Math.max(fx.prec(), fy.prec());
        ArithmeticFloat r = switch (op) {
            case PLUS -> fx.add(fy, prec);
            case MINUS -> fx.sub(fy, prec);
            case MUL -> fx.mul(fy, prec);
            default -> {
                if (fy.isZero()) {
                    throw new HostBuiltin.Undefined("divide by zero");
                }
                yield fx.quo(fy, prec);
            }
        };
        return new RegoValue.Num(r.text());
    }

    /**
     * Two operands {@code util.Atoi64} reads: what OPA computes in the int32 window and, beyond it, exactly (so
     * long arithmetic, with overflow checks, gives the same integers); null to go on with the general path.
     */
    private static RegoValue int64(Op op, long x, long y) throws HostBuiltin.Undefined {
        boolean small = MIN_SMALL <= x && x <= MAX_SMALL && MIN_SMALL <= y && y <= MAX_SMALL;
        try {
            return switch (op) {
                case PLUS -> integer(Math.addExact(x, y));
                case MINUS -> integer(Math.subtractExact(x, y));
                case MUL -> integer(Math.multiplyExact(x, y));
                case REM -> {
                    if (y == 0) {
                        throw new HostBuiltin.Undefined("modulo by zero");
                    }
                    yield integer(x % y);
                }
                case DIV -> {
                    if (y == 0 && small) {
                        throw new HostBuiltin.Undefined("divide by zero");
                    }
                    // OPA's int path only when the divisor divides a nonzero dividend; a zero quotient is a
                    // float's, signed (0 / -5 is -0). Beyond int32 the float quotient of such a pair is exact.
                    if (y == 0 || x == 0 || x % y != 0 || x == Long.MIN_VALUE && y == -1) {
                        yield null;
                    }
                    yield integer(x / y);
                }
            };
        } catch (ArithmeticException overflow) {
            return null;
        }
    }

    /** OPA's {@code builtinMinus}: numbers, or the difference of two sets. */
    private static RegoValue minus(RegoValue a, RegoValue b) throws HostBuiltin.Undefined {
        if (a instanceof RegoValue.Num && b instanceof RegoValue.Num) {
            return arith(Op.MINUS, a, b);
        }
        if (a instanceof RegoValue.RSet x && b instanceof RegoValue.RSet y) {
            return ArithmeticSets.difference(x, y);
        }
        throw new HostBuiltin.Undefined("minus: operands must be two numbers or two sets");
    }

    // ------------------------------------------------------------------ abs, round, ceil, floor

    private static RegoValue abs(RegoValue a) throws HostBuiltin.Undefined {
        String x = numberText(a);
        Long small = atoi64(x);
        if (small != null) {
            // Beyond int32 OPA's 64-bit float holds any int64 exactly and prints it in full.
            return small == Long.MIN_VALUE ? integer(BigInteger.valueOf(small).negate()) : integer(Math.abs(small));
        }
        return new RegoValue.Num(toFloat(x).abs().text());
    }

    private static RegoValue round(RegoValue a) throws HostBuiltin.Undefined {
        String x = numberText(a);
        if (atoi64(x) != null) {
            return integer(atoi64(x));
        }
        ArithmeticFloat f = toFloat(x);
        // arithRound: half away from zero, the half added at 64 bits, then truncated.
        ArithmeticFloat shifted = f.signbit() ? f.sub(ArithmeticFloat.HALF, f.prec())
                : f.add(ArithmeticFloat.HALF, f.prec());
        return integer(shifted.truncate());
    }

    private static RegoValue ceil(RegoValue a) throws HostBuiltin.Undefined {
        String x = numberText(a);
        if (atoi64(x) != null) {
            return integer(atoi64(x));
        }
        ArithmeticFloat f = toFloat(x);
        BigInteger i = f.truncate();
        // arithCeil steps up from the truncation unless it is negative: so ceil(-0.1) is 1 in OPA 1.22.2.
        return integer(i.signum() < 0 || f.isInt() ? i : i.add(BigInteger.ONE));
    }

    private static RegoValue floor(RegoValue a) throws HostBuiltin.Undefined {
        String x = numberText(a);
        if (atoi64(x) != null) {
            return integer(atoi64(x));
        }
        ArithmeticFloat f = toFloat(x);
        BigInteger i = f.truncate();
        // arithFloor steps down only from a negative truncation: so floor(-0.5) is 0 in OPA 1.22.2.
        return integer(i.signum() >= 0 || f.isInt() ? i : i.subtract(BigInteger.ONE));
    }

    // ------------------------------------------------------------------ sum, product

    /** OPA's {@code builtinSum}: machine ints while they fit, then exact integers, then a 64-bit float. */
    private static RegoValue sum(RegoValue a) throws HostBuiltin.Undefined {
        List<String> numbers = aggregateOperand(a);
        long fast = 0;
        boolean bailed = false;
        for (String n : numbers) {
            Long i = atoi64(n);
            if (i == null) {
                bailed = true;
                break;
            }
            try {
                fast = Math.addExact(fast, i);
            } catch (ArithmeticException overflow) {
                bailed = true;
                break;
            }
        }
        if (!bailed) {
            return integer(fast);
        }
        BigInteger exact = BigInteger.ZERO;
        for (String n : numbers) {
            BigInteger i = toInt(n);
            if (i == null) {
                exact = null;
                break;
            }
            exact = exact.add(i);
        }
        if (exact != null) {
            return integer(exact);
        }
        ArithmeticFloat total = ArithmeticFloat.zero(false, 0);
        for (String n : numbers) {
            ArithmeticFloat f = toFloat(n);
            total = total.add(f, Math.max(total.prec(), f.prec()));
        }
        return new RegoValue.Num(total.text());
    }

    /** OPA's {@code builtinProduct}: exact integers, else a float of 53 bits ({@code big.NewFloat(1)}). */
    private static RegoValue product(RegoValue a) throws HostBuiltin.Undefined {
        List<String> numbers = aggregateOperand(a);
        long fast = 1;
        boolean bailed = false;
        for (String n : numbers) {
            Long i = atoi64(n);
            if (i == null) {
                bailed = true;
                break;
            }
            try {
                fast = Math.multiplyExact(fast, i);
            } catch (ArithmeticException overflow) {
                bailed = true;
                break;
            }
        }
        if (!bailed) {
            return integer(fast);
        }
        BigInteger exact = BigInteger.ONE;
        for (String n : numbers) {
            BigInteger i = toInt(n);
            if (i == null) {
                exact = null;
                break;
            }
            exact = checked(exact.multiply(i));
        }
        if (exact != null) {
            return integer(exact);
        }
        ArithmeticFloat total = ArithmeticFloat.ONE;
        for (String n : numbers) {
            total = total.mul(toFloat(n), ArithmeticFloat.FLOAT64_PREC);
        }
        return new RegoValue.Num(total.text());
    }

    /**
     * The numbers of an array, or of a set in OPA's order (sorted, which a float sum's rounding depends on);
     * undefined for any other operand or any element that is not a number (OPA errors on each path).
     */
    private static List<String> aggregateOperand(RegoValue a) throws HostBuiltin.Undefined {
        List<RegoValue> elements;
        if (a instanceof RegoValue.Arr array) {
            elements = array.elements();
        } else if (a instanceof RegoValue.RSet set) {
            elements = set.elements();
        } else {
            throw new HostBuiltin.Undefined("operand 1 must be one of {set, array}");
        }
        List<String> numbers = new ArrayList<>(elements.size());
        for (RegoValue element : elements) {
            numbers.add(numberText(element));
            decimal(numbers.get(numbers.size() - 1)); // in range, before any comparison reads it
        }
        if (a instanceof RegoValue.RSet) {
            numbers.sort(JwtBuiltins::numberCompare);
        }
        return numbers;
    }

    // ------------------------------------------------------------------ to_number, numbers.range, format_int

    /** OPA's {@code builtinToNumber}. */
    private static RegoValue toNumber(RegoValue a) throws HostBuiltin.Undefined {
        if (a instanceof RegoValue.Null) {
            return ZERO;
        } else if (a instanceof RegoValue.Bool b) {
            return b.value() ? ONE : ZERO;
        } else if (a instanceof RegoValue.Num) {
            return a;
        } else if (!(a instanceof RegoValue.Str)) {
            throw new HostBuiltin.Undefined("operand 1 must be one of {null, boolean, number, string}");
        }
        String text = ((RegoValue.Str) a).value();
        String trimmed = text.replaceFirst("^[+-]+", "").toLowerCase(java.util.Locale.ROOT);
        if (trimmed.equals("inf") || trimmed.equals("infinity") || trimmed.equals("nan")) {
            throw new HostBuiltin.Undefined("operand 1 must be valid number string");
        }
        if (!ArithmeticNumberText.isFinite(text) || !numberChecked(text)) {
            throw new HostBuiltin.Undefined("invalid number: " + text);
        }
        if (text.startsWith("+") || !NUMBER.matcher(text).matches()) {
            // A plus sign, underscores, hex ("+1", "1_000", "0x1p4"): OPA keeps that text too, but the module's
            // own number readers (its float conversion, which hashing a set uses, aborts on "+1") cannot read it.
            throw new HostBuiltin.Halt("to_number: a number written " + GoFormat.quote(text, false)
                    + " (a plus sign, underscores or hex), which the embedded engine cannot hold");
        }
        return new RegoValue.Num(text); // "0010", ".5", "5." stay so, as in OPA (see TextBuiltin)
    }

    /**
     * {@code ast.NumberChecked}: a number whose exponent is written small enough, or whose binary exponent is
     * within OPA's ±100000 ({@code maxNumberExp}).
     */
    private static boolean numberChecked(String text) {
        int e = -1;
        for (int i = 0; i < text.length(); i++) {
            if ((text.charAt(i) | 0x20) == 'e') {
                e = i;
                break;
            }
        }
        if (e < 0) {
            return true;
        }
        String exponent = text.substring(e + 1);
        if (exponent.matches("[+-]?[0-9]{1,18}")) {
            long value = Long.parseLong(exponent.startsWith("+") ? exponent.substring(1) : exponent);
            if (e + Math.abs(value) <= 100_000 / 4) {
                return true;
            }
        }
        return ArithmeticNumberText.withinOpaExponent(text);
    }

    /** OPA's {@code builtinNumbersRange}: from {@code a} to {@code b} inclusive, descending when {@code a > b}. */
    private static RegoValue range(RegoValue a, RegoValue b) throws HostBuiltin.Undefined {
        BigInteger from = bigInt(a);
        BigInteger to = bigInt(b);
        BigInteger count = from.subtract(to).abs().add(BigInteger.ONE);
        if (count.compareTo(BigInteger.valueOf(NumbersBuiltins.MAX_NUMBERS)) > 0) {
            throw new HostBuiltin.Halt("numbers.range: more than " + NumbersBuiltins.MAX_NUMBERS + " numbers");
        }
        BigInteger step = from.compareTo(to) > 0 ? BigInteger.ONE.negate() : BigInteger.ONE;
        List<RegoValue> out = new ArrayList<>(count.intValueExact());
        BigInteger i = from;
        for (int k = count.intValueExact(); k > 0; k--) {
            out.add(integer(i));
            i = i.add(step);
        }
        return new RegoValue.Arr(out);
    }

    /** OPA's {@code builtinFormatInt}: the base written exactly 2, 8, 10 or 16; a fraction truncated. */
    private static RegoValue formatInt(RegoValue a, RegoValue b) throws HostBuiltin.Undefined {
        String input = numberText(a);
        int radix = switch (numberText(b)) {
            case "2" -> 2;
            case "8" -> 8;
            case "10" -> 10;
            case "16" -> 16;
            default -> throw new HostBuiltin.Undefined("operand 2 must be one of {2, 8, 10, 16}");
        };
        Long small = atoi64(input);
        if (small != null) {
            return new RegoValue.Str(Long.toString(small, radix));
        }
        // big.Int.SetString(input, 10), else the float path: exact digits for integer text, truncation otherwise.
        BigInteger i = DECIMAL_INTEGER.matcher(input).matches() ? toInt(input) : toFloat(input).truncate();
        return new RegoValue.Str(i.toString(radix));
    }

    // ------------------------------------------------------------------ bits

    /** Go's {@code uint(b.Uint64())} of a shift that must not be negative: the low 64 bits, unsigned. */
    private static BigInteger shift(RegoValue b) throws HostBuiltin.Undefined {
        BigInteger n = bigInt(b);
        if (n.signum() < 0) {
            throw new HostBuiltin.Undefined("operand 2 must be an unsigned integer number but got a negative integer");
        }
        return n.bitLength() > 64 ? n.and(BigInteger.ONE.shiftLeft(64).subtract(BigInteger.ONE)) : n;
    }

    private static RegoValue shiftLeft(BigInteger a, BigInteger n) {
        if (a.signum() == 0) {
            return ZERO;
        }
        if (n.add(BigInteger.valueOf(a.bitLength())).compareTo(BigInteger.valueOf(MAX_BITS)) > 0) {
            throw new HostBuiltin.Halt("bits.lsh: a result of more than " + MAX_BITS + " bits");
        }
        return integer(a.shiftLeft(n.intValueExact()));
    }

    private static RegoValue shiftRight(BigInteger a, BigInteger n) {
        if (n.compareTo(BigInteger.valueOf(a.bitLength())) >= 0) {
            return a.signum() < 0 ? integer(-1) : ZERO;
        }
        return integer(a.shiftRight(n.intValueExact()));
    }

    // ------------------------------------------------------------------ operands and results

    /** OPA's {@code NumberOperand}: the number's exact text. */
    private static String numberText(RegoValue value) throws HostBuiltin.Undefined {
        if (value instanceof RegoValue.Num n) {
            return n.text();
        }
        throw new HostBuiltin.Undefined("operand must be a number");
    }

    /** OPA's {@code BigIntOperand}: a number whose exact value is an integer ({@code 1.0} and {@code 1e3} too). */
    private static BigInteger bigInt(RegoValue value) throws HostBuiltin.Undefined {
        BigInteger i = toInt(numberText(value));
        if (i == null) {
            throw new HostBuiltin.Undefined("must be integer number but got floating-point number");
        }
        return i;
    }

    /**
     * {@code util.Atoi64}: an optional sign, then at most 19 characters of digits, optionally a point and zeros
     * ({@code 1.0}, {@code 7.}), within int64; null when it does not read {@code s}. Go's wrapping arithmetic
     * included, so {@code -9223372036854775808} reads and {@code 9223372036854775808} does not.
     */
    static Long atoi64(String s) {
        int start = 0;
        boolean negative = false;
        if (!s.isEmpty() && (s.charAt(0) == '-' || s.charAt(0) == '+')) {
            negative = s.charAt(0) == '-';
            start = 1;
        }
        int length = s.length() - start;
        if (length == 0 || length > 19) {
            return null;
        }
        boolean pastDecimal = false;
        long n = 0;
        for (int i = start; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '.') {
                if (pastDecimal) {
                    return null;
                }
                pastDecimal = true;
                continue;
            }
            if (pastDecimal) {
                if (c == '0') {
                    continue;
                }
                return null;
            }
            if (c < '0' || c > '9') {
                return null;
            }
            n = n * 10 + (c - '0');
        }
        if (!negative && n < 0) {
            return null;
        }
        if (negative) {
            n = -n;
            if (n > 0) {
                return null;
            }
        }
        return n;
    }

    /**
     * {@code builtins.NumberToInt}: the integer a number's text denotes exactly ({@code 1.0}, {@code 1e3},
     * {@code 12345678901234567890123}), or null for a fraction.
     */
    static BigInteger toInt(String text) {
        BigDecimal value = decimal(text);
        if (value.signum() == 0) {
            return BigInteger.ZERO;
        }
        BigDecimal stripped = value.stripTrailingZeros();
        return stripped.scale() > 0 ? null : checked(stripped.toBigIntegerExact());
    }

    /** {@code builtins.NumberToFloat}: Go's {@code big.Float.SetString} of the text, at 64 bits. */
    static ArithmeticFloat toFloat(String text) {
        return ArithmeticFloat.parse(decimal(text), text.startsWith("-"));
    }

    /**
     * The exact decimal a number's text denotes, digits and exponent as written; halts for a number of more than
     * {@link #MAX_BITS} bits (or text the module should never hold).
     */
    static BigDecimal decimal(String text) {
        if (text.length() > MAX_DIGITS || !NUMBER.matcher(text).matches()) {
            throw new HostBuiltin.Halt("arithmetic: a number of more than " + MAX_DIGITS + " digits, or not one");
        }
        int e = Math.max(text.indexOf('e'), text.indexOf('E'));
        String mantissa = e < 0 ? text : text.substring(0, e);
        if (e >= 0 && text.length() - e > 12) {
            // An exponent of more than ten digits: only zero is in range.
            if (mantissa.chars().allMatch(c -> c == '0' || c == '.' || c == '-' || c == '+')) {
                return BigDecimal.ZERO;
            }
            throw new HostBuiltin.Halt("arithmetic: a number beyond 2^" + MAX_BITS);
        }
        BigDecimal value = new BigDecimal(text.startsWith("+") ? text.substring(1) : text);
        if (value.signum() != 0) {
            long magnitude = (long) value.precision() - value.scale();
            if (magnitude > MAX_DIGITS || magnitude < -MAX_DIGITS) {
                throw new HostBuiltin.Halt("arithmetic: a number beyond 2^" + MAX_BITS + " or below 2^-" + MAX_BITS);
            }
        }
        return value;
    }

    private static BigInteger checked(BigInteger value) {
        if (value.bitLength() > MAX_BITS) {
            throw new HostBuiltin.Halt("arithmetic: a result of more than " + MAX_BITS + " bits");
        }
        return value;
    }

    private static RegoValue.Num integer(long value) {
        return value == 0 ? ZERO : value == 1 ? ONE : new RegoValue.Num(Long.toString(value));
    }

    private static RegoValue.Num integer(BigInteger value) {
        return new RegoValue.Num(checked(value).toString());
    }

    // ------------------------------------------------------------------ the host function

    /**
     * A builtin of this family as the module calls it: operands read with {@code opa_value_dump} as
     * {@link RegoValue}s (numbers by their exact text), the result written back with {@code opa_value_parse}.
     * OPA's wasm error rule as {@link HostBuiltin}'s: any failure is undefined, except {@link HostBuiltin.Halt}.
     */
    private static final class TextBuiltin implements OpaBuiltin.Builtin {

        /** value.h's {@code OPA_NUMBER} and {@code OPA_NUMBER_REPR_REF}. */
        private static final byte OPA_NUMBER = 3;
        private static final byte OPA_NUMBER_REPR_REF = 2;

        @FunctionalInterface
        interface Fn {
            RegoValue apply(RegoValue[] args) throws Exception;
        }

        private final String name;
        private final Fn fn;

        TextBuiltin(String name, Fn fn) {
            this.name = name;
            this.fn = fn;
        }

        @Override
        public String name() {
            return name;
        }

        @Override
        public int asBuiltin1(OpaWasm wasm, int a) {
            return call(wasm, a);
        }

        @Override
        public int asBuiltin2(OpaWasm wasm, int a, int b) {
            return call(wasm, a, b);
        }

        private int call(OpaWasm wasm, int... addresses) {
            RegoValue result;
            try {
                RegoValue[] args = new RegoValue[addresses.length];
                for (int i = 0; i < addresses.length; i++) {
                    args[i] = WasmValues.read(wasm, addresses[i]);
                }
                result = fn.apply(args);
            } catch (HostBuiltin.Halt e) {
                throw e;
            } catch (Exception | StackOverflowError e) {
                return 0; // undefined, as OPA's wasm runtime does for a builtin error
            }
            if (result instanceof RegoValue.Num n && !JSON_NUMBER.matcher(n.text()).matches()) {
                return writeNumberText(wasm, n.text());
            }
            return result == null ? 0 : WasmValues.writeValue(wasm, result);
        }

        /**
         * A number holding {@code text} that the module's parser does not take ({@code 0010}, {@code .5},
         * {@code 5.}: {@code to_number} keeps a string's text as the number's, in OPA and in the module's own
         * {@code opa_to_number}, and the module's number readers read such text as OPA does).
         * A number of as many digits is parsed, and the bytes of its text, which that number owns, replaced.
         * The layout is checked first ({@code opa_number_t} of value.h: type {@code OPA_NUMBER}, representation
         * {@code OPA_NUMBER_REPR_REF}, the text's address and length at offsets 8 and 12) and the value read back;
         * a module laid out otherwise halts the evaluation.
         */
        private static int writeNumberText(OpaWasm wasm, String text) {
            byte[] placeholder = "1".repeat(text.length()).getBytes(StandardCharsets.US_ASCII);
            int address = WasmValues.writeValue(wasm, new RegoValue.Num(new String(placeholder,
                    StandardCharsets.US_ASCII)));
            Memory memory = wasm.memory();
            if (memory.read(address) == OPA_NUMBER && memory.read(address + 1) == OPA_NUMBER_REPR_REF
                    && memory.readInt(address + 12) == text.length()) {
                int chars = memory.readInt(address + 8);
                if (Arrays.equals(memory.readBytes(chars, placeholder.length), placeholder)) {
                    memory.write(chars, text.getBytes(StandardCharsets.US_ASCII));
                    if (WasmValues.read(wasm, address) instanceof RegoValue.Num n && n.text().equals(text)) {
                        return address;
                    }
                }
            }
            throw new HostBuiltin.Halt("to_number: the module does not hold numbers as value.h lays them out, so "
                    + "it cannot hold one written " + GoFormat.quote(text, false));
        }
    }
}
