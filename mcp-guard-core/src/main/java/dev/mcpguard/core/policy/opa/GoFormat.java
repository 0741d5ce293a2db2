package dev.mcpguard.core.policy.opa;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStream;
import java.io.InputStreamReader;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.math.MathContext;
import java.math.RoundingMode;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Go's {@code fmt.Sprintf}, for the argument types OPA's {@code sprintf} passes it: {@code int64} ({@link Long}),
 * {@code *big.Int} ({@link BigInteger}), {@code float64} ({@link Double}) and {@code string} ({@link String}).
 * A port of the Go standard library's {@code fmt} printing rules (flags {@code # 0 + - space}, width, precision,
 * {@code *}, argument indexes {@code %[n]d}, every verb) including its in-band errors: {@code %!d(string=x)},
 * {@code %!d(MISSING)}, {@code %!(EXTRA int64=1)}, {@code %!(NOVERB)}, {@code %!(BADWIDTH)},
 * {@code %!(BADPREC)}, {@code %!d(BADINDEX)}. Floats are formatted from their exact binary value (shortest
 * round-trip digits for {@code %v}/{@code %g}, correctly rounded half-even for a precision), as Go's
 * {@code strconv} does. Like Go it works on the UTF-8 bytes of the format; widths count runes.
 *
 * <p>Stateless and thread-safe.
 */
final class GoFormat {

    private static final int TOO_LARGE = 1_000_000;
    private static final String LOWER = "0123456789abcdefx";
    private static final String UPPER = "0123456789ABCDEFX";
    private static final int[] PRINTABLE = loadPrintable();

    private GoFormat() {
    }

    /** {@code fmt.Sprintf(format, args...)}; args are Long, BigInteger, Double or String. */
    static String sprintf(String format, List<Object> args) {
        return new Printer(args).print(format.getBytes(StandardCharsets.UTF_8));
    }

    /** Go's {@code strconv.Quote} (or {@code QuoteToASCII} when {@code asciiOnly}). */
    static String quote(String s, boolean asciiOnly) {
        Bytes out = new Bytes();
        appendQuoted(out, s.getBytes(StandardCharsets.UTF_8), (byte) '"', asciiOnly);
        return out.string();
    }

    // ------------------------------------------------------------------ printer

    private static final class Printer {
        private final List<Object> args;
        private final Bytes buf = new Bytes();
        private boolean widPresent;
        private boolean precPresent;
        private boolean minus;
        private boolean plus;
        private boolean sharp;
        private boolean space;
        private boolean zero;
        private boolean plusV;
        private boolean sharpV;
        private int wid;
        private int prec;
        private boolean reordered;
        private boolean goodArgNum;
        private boolean erroring;
        private Object arg;

        Printer(List<Object> args) {
            this.args = args;
        }

        private void clearFlags() {
            widPresent = precPresent = minus = plus = sharp = space = zero = plusV = sharpV = false;
            wid = 0;
            prec = 0;
        }

        String print(byte[] format) {
            int end = format.length;
            int argNum = 0;
            boolean afterIndex;
            reordered = false;
            formatLoop:
            for (int i = 0; i < end; ) {
                goodArgNum = true;
                int lasti = i;
                while (i < end && format[i] != '%') {
                    i++;
                }
                if (i > lasti) {
                    buf.write(format, lasti, i - lasti);
                }
                if (i >= end) {
                    break;
                }
                i++;
                clearFlags();
                simpleFormat:
                for (; i < end; i++) {
                    byte c = format[i];
                    switch (c) {
                        case '#' -> sharp = true;
                        case '0' -> zero = true;
                        case '+' -> plus = true;
                        case '-' -> minus = true;
                        case ' ' -> space = true;
                        default -> {
                            if ('a' <= c && c <= 'z' && argNum < args.size()) {
                                if (c == 'v' || c == 'w') {
                                    sharpV = sharp;
                                    sharp = false;
                                    plusV = plus;
                                    plus = false;
                                }
                                printArg(args.get(argNum), c);
                                argNum++;
                                i++;
                                continue formatLoop;
                            }
                            break simpleFormat;
                        }
                    }
                }

                int[] an = argNumber(argNum, format, i, args.size());
                argNum = an[0];
                i = an[1];
                afterIndex = an[2] == 1;

                if (i < end && format[i] == '*') {
                    i++;
                    int[] w = intFromArg(argNum);
                    wid = w[0];
                    widPresent = w[1] == 1;
                    argNum = w[2];
                    if (!widPresent) {
                        buf.write("%!(BADWIDTH)");
                    }
                    if (wid < 0) {
                        wid = -wid;
                        minus = true;
                        zero = false;
                    }
                    afterIndex = false;
                } else {
                    int[] n = parseNum(format, i, end);
                    wid = n[0];
                    widPresent = n[1] == 1;
                    i = n[2];
                    if (afterIndex && widPresent) {
                        goodArgNum = false;
                    }
                }

                if (i + 1 < end && format[i] == '.') {
                    i++;
                    if (afterIndex) {
                        goodArgNum = false;
                    }
                    an = argNumber(argNum, format, i, args.size());
                    argNum = an[0];
                    i = an[1];
                    afterIndex = an[2] == 1;
                    if (i < end && format[i] == '*') {
                        i++;
                        int[] p = intFromArg(argNum);
                        prec = p[0];
                        precPresent = p[1] == 1;
                        argNum = p[2];
                        if (prec < 0) {
                            prec = 0;
                            precPresent = false;
                        }
                        if (!precPresent) {
                            buf.write("%!(BADPREC)");
                        }
                        afterIndex = false;
                    } else {
                        int[] n = parseNum(format, i, end);
                        prec = n[0];
                        precPresent = n[1] == 1;
                        i = n[2];
                        if (!precPresent) {
                            prec = 0;
                            precPresent = true;
                        }
                    }
                }

                if (!afterIndex) {
                    an = argNumber(argNum, format, i, args.size());
                    argNum = an[0];
                    i = an[1];
                    afterIndex = an[2] == 1;
                }

                if (i >= end) {
                    buf.write("%!(NOVERB)");
                    break;
                }

                int[] decoded = decodeRune(format, i);
                int verb = decoded[0];
                i += decoded[1];

                if (verb == '%') {
                    buf.write('%');
                } else if (!goodArgNum) {
                    buf.write("%!");
                    buf.writeRune(verb);
                    buf.write("(BADINDEX)");
                } else if (argNum >= args.size()) {
                    buf.write("%!");
                    buf.writeRune(verb);
                    buf.write("(MISSING)");
                } else {
                    if (verb == 'v' || verb == 'w') {
                        sharpV = sharp;
                        sharp = false;
                        plusV = plus;
                        plus = false;
                    }
                    printArg(args.get(argNum), verb);
                    argNum++;
                }
            }

            if (!reordered && argNum < args.size()) {
                clearFlags();
                buf.write("%!(EXTRA ");
                for (int k = argNum; k < args.size(); k++) {
                    if (k > argNum) {
                        buf.write(", ");
                    }
                    Object extra = args.get(k);
                    buf.write(typeName(extra));
                    buf.write('=');
                    printArg(extra, 'v');
                }
                buf.write(')');
            }
            return buf.string();
        }

        /** {@code [index, newI, found]}. */
        private int[] argNumber(int argNum, byte[] format, int i, int numArgs) {
            if (format.length <= i || format[i] != '[') {
                return new int[] {argNum, i, 0};
            }
            reordered = true;
            // parseArgNumber
            int index = 0;
            int width = 1;
            boolean ok = false;
            if (format.length - i >= 3) {
                for (int j = i + 1; j < format.length; j++) {
                    if (format[j] == ']') {
                        int[] n = parseNum(format, i + 1, j);
                        if (n[1] == 0 || n[2] != j) {
                            width = j - i + 1;
                        } else {
                            index = n[0] - 1;
                            width = j - i + 1;
                            ok = true;
                        }
                        break;
                    }
                }
            }
            if (ok && 0 <= index && index < numArgs) {
                return new int[] {index, i + width, 1};
            }
            goodArgNum = false;
            return new int[] {argNum, i + width, ok ? 1 : 0};
        }

        /** {@code [num, isInt, newArgNum]}. */
        private int[] intFromArg(int argNum) {
            int num = 0;
            boolean isInt = false;
            int newArgNum = argNum;
            if (argNum < args.size()) {
                Object a = args.get(argNum);
                if (a instanceof Long l && l == (int) (long) l) {
                    num = (int) (long) l;
                    isInt = true;
                }
                newArgNum = argNum + 1;
                if (num > TOO_LARGE || num < -TOO_LARGE) {
                    num = 0;
                    isInt = false;
                }
            }
            return new int[] {num, isInt ? 1 : 0, newArgNum};
        }

        // -------------------------------------------------------------- dispatch

        private void printArg(Object value, int verb) {
            arg = value;
            if (verb == 'T') {
                fmtS(utf8(typeName(value)));
                return;
            }
            if (verb == 'p') {
                badVerb(verb);
                return;
            }
            if (value instanceof Long l) {
                fmtIntegerVerb(l, verb);
            } else if (value instanceof Double d) {
                fmtFloatVerb(d, verb);
            } else if (value instanceof String s) {
                fmtStringVerb(utf8(s), verb);
            } else if (value instanceof BigInteger b) {
                if (erroring) {
                    bigStruct(b);
                } else if (verb == 'w') {
                    badVerb(verb); // %w outside Errorf; Go then prints the struct behind the pointer
                } else {
                    bigFormat(b, verb);
                }
            } else {
                throw new IllegalArgumentException("unsupported argument type " + value.getClass());
            }
        }

        private void badVerb(int verb) {
            erroring = true;
            buf.write("%!");
            buf.writeRune(verb);
            buf.write('(');
            buf.write(typeName(arg));
            buf.write('=');
            printArg(arg, 'v');
            buf.write(')');
            erroring = false;
        }

        private void fmtIntegerVerb(long v, int verb) {
            switch (verb) {
                case 'v', 'd' -> fmtInteger(v, 10, verb, LOWER);
                case 'b' -> fmtInteger(v, 2, verb, LOWER);
                case 'o', 'O' -> fmtInteger(v, 8, verb, LOWER);
                case 'x' -> fmtInteger(v, 16, verb, LOWER);
                case 'X' -> fmtInteger(v, 16, verb, UPPER);
                case 'c' -> fmtC(v);
                case 'q' -> fmtQc(v);
                case 'U' -> fmtUnicode(v);
                default -> badVerb(verb);
            }
        }

        private void fmtFloatVerb(double v, int verb) {
            switch (verb) {
                case 'v' -> fmtFloat(v, 'g', -1);
                case 'b', 'g', 'G', 'x', 'X' -> fmtFloat(v, verb, -1);
                case 'f', 'e', 'E' -> fmtFloat(v, verb, 6);
                case 'F' -> fmtFloat(v, 'f', 6);
                default -> badVerb(verb);
            }
        }

        private void fmtStringVerb(byte[] s, int verb) {
            switch (verb) {
                case 'v' -> {
                    if (sharpV) {
                        fmtQ(s);
                    } else {
                        fmtS(s);
                    }
                }
                case 's' -> fmtS(s);
                case 'x' -> fmtSx(s, LOWER);
                case 'X' -> fmtSx(s, UPPER);
                case 'q' -> fmtQ(s);
                default -> badVerb(verb);
            }
        }

        // -------------------------------------------------------------- padding

        private void writePadding(int n) {
            if (n <= 0) {
                return;
            }
            byte pad = zero && !minus ? (byte) '0' : (byte) ' ';
            for (int k = 0; k < n; k++) {
                buf.write(pad);
            }
        }

        private void pad(byte[] b) {
            if (!widPresent || wid == 0) {
                buf.write(b, 0, b.length);
                return;
            }
            int width = wid - runeCount(b);
            if (!minus) {
                writePadding(width);
                buf.write(b, 0, b.length);
            } else {
                buf.write(b, 0, b.length);
                writePadding(width);
            }
        }

        // -------------------------------------------------------------- integers

        private void fmtInteger(long value, int base, int verb, String digits) {
            boolean negative = value < 0;
            long u = negative ? -value : value; // unsigned from here; -MIN_VALUE stays 2^63
            int size = 68;
            if (widPresent || precPresent) {
                size = Math.max(size, 3 + wid + prec);
            }
            byte[] b = new byte[size];
            int precision = 0;
            if (precPresent) {
                precision = prec;
                if (precision == 0 && u == 0) {
                    boolean oldZero = zero;
                    zero = false;
                    writePadding(wid);
                    zero = oldZero;
                    return;
                }
            } else if (zero && !minus && widPresent) {
                precision = wid;
                if (negative || plus || space) {
                    precision--;
                }
            }
            int i = b.length;
            if (base == 10) {
                while (Long.compareUnsigned(u, 10) >= 0) {
                    i--;
                    long next = Long.divideUnsigned(u, 10);
                    b[i] = (byte) ('0' + (u - next * 10));
                    u = next;
                }
            } else {
                int shift = base == 16 ? 4 : base == 8 ? 3 : 1;
                long mask = base - 1;
                while (Long.compareUnsigned(u, base) >= 0) {
                    i--;
                    b[i] = (byte) digits.charAt((int) (u & mask));
                    u >>>= shift;
                }
            }
            i--;
            b[i] = (byte) digits.charAt((int) u);
            while (i > 0 && precision > b.length - i) {
                i--;
                b[i] = '0';
            }
            if (sharp) {
                switch (base) {
                    case 2 -> {
                        b[--i] = 'b';
                        b[--i] = '0';
                    }
                    case 8 -> {
                        if (b[i] != '0') {
                            b[--i] = '0';
                        }
                    }
                    case 16 -> {
                        b[--i] = (byte) digits.charAt(16);
                        b[--i] = '0';
                    }
                    default -> {
                    }
                }
            }
            if (verb == 'O') {
                b[--i] = 'o';
                b[--i] = '0';
            }
            if (negative) {
                b[--i] = '-';
            } else if (plus) {
                b[--i] = '+';
            } else if (space) {
                b[--i] = ' ';
            }
            boolean oldZero = zero;
            zero = false;
            pad(Arrays.copyOfRange(b, i, b.length));
            zero = oldZero;
        }

        private void fmtC(long c) {
            int r = runeOf(c);
            Bytes out = new Bytes();
            out.writeRune(r);
            pad(out.bytes());
        }

        private void fmtQc(long c) {
            int r = runeOf(c);
            Bytes out = new Bytes();
            out.write('\'');
            appendEscapedRune(out, r, (byte) '\'', plus);
            out.write('\'');
            pad(out.bytes());
        }

        private static int runeOf(long c) {
            // utf8.MaxRune, then EncodeRune/ValidRune turn surrogates into RuneError too
            if (c < 0 || c > 0x10FFFF || (c >= 0xD800 && c <= 0xDFFF)) {
                return 0xFFFD;
            }
            return (int) c;
        }

        private void fmtUnicode(long u) {
            int precision = 4;
            if (precPresent && prec > 4) {
                precision = prec;
            }
            StringBuilder hex = new StringBuilder(Long.toHexString(u).toUpperCase(java.util.Locale.ROOT));
            while (hex.length() < precision) {
                hex.insert(0, '0');
            }
            Bytes out = new Bytes();
            out.write("U+");
            out.write(hex.toString());
            if (sharp && u >= 0 && u <= 0x10FFFF && isPrint((int) u)) {
                out.write(" '");
                out.writeRune((int) u);
                out.write('\'');
            }
            boolean oldZero = zero;
            zero = false;
            pad(out.bytes());
            zero = oldZero;
        }

        /**
         * What Go's reflection prints for a {@code *big.Int} (only reached from a bad verb): {@code &{neg [words]}},
         * the magnitude as little-endian 64-bit words, each with the current flags.
         */
        private void bigStruct(BigInteger x) {
            buf.write("&{");
            pad(utf8(Boolean.toString(x.signum() < 0))); // fmtBoolean: padded, never truncated
            buf.write(" [");
            BigInteger magnitude = x.abs();
            boolean first = true;
            while (magnitude.signum() > 0) {
                if (!first) {
                    buf.write(' ');
                }
                first = false;
                long word = magnitude.longValue();
                magnitude = magnitude.shiftRight(64);
                fmtUnsigned(word);
            }
            buf.write("]}");
        }

        private void fmtUnsigned(long word) {
            // fmtInteger treats its argument as unsigned when not negative: route through the same digits.
            if (word >= 0) {
                fmtInteger(word, 10, 'v', LOWER);
            } else {
                // A word >= 2^63 has no sign: pad its digits as fmtInteger does for an unsigned value.
                String digits = Long.toUnsignedString(word);
                int precision = 0;
                if (precPresent) {
                    precision = prec;
                } else if (zero && !minus && widPresent) {
                    precision = plus || space ? wid - 1 : wid;
                }
                StringBuilder padded = new StringBuilder(digits);
                while (padded.length() < precision) {
                    padded.insert(0, '0');
                }
                if (plus) {
                    padded.insert(0, '+');
                } else if (space) {
                    padded.insert(0, ' ');
                }
                boolean oldZero = zero;
                zero = false;
                pad(utf8(padded.toString()));
                zero = oldZero;
            }
        }

        /** math/big's {@code (*Int).Format}. */
        private void bigFormat(BigInteger x, int ch) {
            int base;
            switch (ch) {
                case 'b' -> base = 2;
                case 'o', 'O' -> base = 8;
                case 'd', 's', 'v' -> base = 10;
                case 'x', 'X' -> base = 16;
                default -> {
                    buf.write("%!");
                    buf.writeRune(ch);
                    buf.write("(big.Int=" + x + ")");
                    return;
                }
            }
            String sign = "";
            if (x.signum() < 0) {
                sign = "-";
            } else if (plus || plusV) {
                sign = "+";
            } else if (space) {
                sign = " ";
            }
            String prefix = "";
            if (sharp || sharpV) {
                switch (ch) {
                    case 'b' -> prefix = "0b";
                    case 'o' -> prefix = "0";
                    case 'x' -> prefix = "0x";
                    case 'X' -> prefix = "0X";
                    default -> {
                    }
                }
            }
            if (ch == 'O') {
                prefix = "0o";
            }
            String digits = x.abs().toString(base);
            if (ch == 'X') {
                digits = digits.toUpperCase(java.util.Locale.ROOT);
            }
            int left = 0;
            int zeros = 0;
            int right = 0;
            if (precPresent) {
                if (digits.length() < prec) {
                    zeros = prec - digits.length();
                } else if (digits.equals("0") && prec == 0) {
                    return;
                }
            }
            int length = sign.length() + prefix.length() + zeros + digits.length();
            if (widPresent && length < wid) {
                int d = wid - length;
                if (minus) {
                    right = d;
                } else if (zero && !precPresent) {
                    zeros = d;
                } else {
                    left = d;
                }
            }
            StringBuilder out = new StringBuilder();
            out.append(" ".repeat(left)).append(sign).append(prefix).append("0".repeat(zeros)).append(digits)
                    .append(" ".repeat(right));
            buf.write(out.toString());
        }

        // -------------------------------------------------------------- strings

        private byte[] truncate(byte[] s) {
            if (precPresent) {
                int n = prec;
                for (int i = 0; i < s.length; ) {
                    n--;
                    if (n < 0) {
                        return Arrays.copyOf(s, i);
                    }
                    i += decodeRune(s, i)[1];
                }
            }
            return s;
        }

        private void fmtS(byte[] s) {
            pad(truncate(s));
        }

        private void fmtSx(byte[] s, String digits) {
            int length = s.length;
            if (precPresent && prec < length) {
                length = prec;
            }
            int width = 2 * length;
            if (width > 0) {
                if (space) {
                    if (sharp) {
                        width *= 2;
                    }
                    width += length - 1;
                } else if (sharp) {
                    width += 2;
                }
            } else {
                if (widPresent) {
                    writePadding(wid);
                }
                return;
            }
            if (widPresent && wid > width && !minus) {
                writePadding(wid - width);
            }
            if (sharp) {
                buf.write('0');
                buf.write(digits.charAt(16));
            }
            for (int i = 0; i < length; i++) {
                if (space && i > 0) {
                    buf.write(' ');
                    if (sharp) {
                        buf.write('0');
                        buf.write(digits.charAt(16));
                    }
                }
                int c = s[i] & 0xFF;
                buf.write(digits.charAt(c >> 4));
                buf.write(digits.charAt(c & 0xF));
            }
            if (widPresent && wid > width && minus) {
                writePadding(wid - width);
            }
        }

        private void fmtQ(byte[] s) {
            s = truncate(s);
            if (sharp && canBackquote(s)) {
                Bytes out = new Bytes();
                out.write('`');
                out.write(s, 0, s.length);
                out.write('`');
                pad(out.bytes());
                return;
            }
            Bytes out = new Bytes();
            appendQuoted(out, s, (byte) '"', plus);
            pad(out.bytes());
        }

        // -------------------------------------------------------------- floats

        private void fmtFloat(double v, int verb, int precision) {
            if (precPresent) {
                precision = prec;
            }
            byte[] formatted = utf8(formatFloat(v, verb, precision));
            byte[] num = new byte[formatted.length + 1];
            System.arraycopy(formatted, 0, num, 1, formatted.length);
            if (num[1] == '-' || num[1] == '+') {
                num = Arrays.copyOfRange(num, 1, num.length);
            } else {
                num[0] = '+';
            }
            if (space && num[0] == '+' && !plus) {
                num[0] = ' ';
            }
            if (num[1] == 'I' || num[1] == 'N') {
                boolean oldZero = zero;
                zero = false;
                if (num[1] == 'N' && !space && !plus) {
                    num = Arrays.copyOfRange(num, 1, num.length);
                }
                pad(num);
                zero = oldZero;
                return;
            }
            if (sharp && verb != 'b') {
                int digits = 0;
                if (verb == 'v' || verb == 'g' || verb == 'G' || verb == 'x') {
                    digits = precision;
                    if (digits == -1) {
                        digits = 6;
                    }
                }
                Bytes tail = new Bytes();
                Bytes head = new Bytes();
                head.write(num[0]);
                boolean hasDecimalPoint = false;
                boolean sawNonzeroDigit = false;
                int n = num.length;
                for (int i = 1; i < n; i++) {
                    byte c = num[i];
                    if (c == '.') {
                        hasDecimalPoint = true;
                    } else if (c == 'p' || c == 'P' || ((c == 'e' || c == 'E') && verb != 'x' && verb != 'X')) {
                        tail.write(num, i, n - i);
                        n = i;
                        break;
                    } else {
                        if (c != '0') {
                            sawNonzeroDigit = true;
                        }
                        if (sawNonzeroDigit) {
                            digits--;
                        }
                    }
                    head.write(c);
                }
                if (!hasDecimalPoint) {
                    if (n == 2 && num[1] == '0') {
                        digits--;
                    }
                    head.write('.');
                }
                while (digits > 0) {
                    head.write('0');
                    digits--;
                }
                byte[] t = tail.bytes();
                head.write(t, 0, t.length);
                num = head.bytes();
            }
            if (plus || num[0] != '+') {
                if (zero && !minus && widPresent && wid > num.length) {
                    buf.write(num[0]);
                    writePadding(wid - num.length);
                    buf.write(num, 1, num.length - 1);
                    return;
                }
                pad(num);
                return;
            }
            pad(Arrays.copyOfRange(num, 1, num.length));
        }
    }

    // ------------------------------------------------------------------ strconv.FormatFloat

    /** Decimal digits (no leading or trailing zeros) and the decimal point position: value = 0.digits × 10^dp. */
    private record Digits(String d, int dp) {
        int nd() {
            return d.length();
        }

        char at(int i) {
            return d.charAt(i);
        }

        static Digits of(BigDecimal value) {
            if (value.signum() == 0) {
                return new Digits("", 0);
            }
            BigDecimal stripped = value.stripTrailingZeros();
            String unscaled = stripped.unscaledValue().toString();
            return new Digits(unscaled, unscaled.length() - stripped.scale());
        }
    }

    /** Go's {@code strconv.FormatFloat(v, fmt, prec, 64)}. */
    static String formatFloat(double v, int fmt, int prec) {
        long bits = Double.doubleToRawLongBits(v);
        boolean neg = bits < 0;
        int exp = (int) (bits >>> 52) & 0x7FF;
        long mant = bits & ((1L << 52) - 1);
        if (exp == 0x7FF) {
            return mant != 0 ? "NaN" : neg ? "-Inf" : "+Inf";
        } else if (exp == 0) {
            exp++;
        } else {
            mant |= 1L << 52;
        }
        exp += -1023;
        if (fmt == 'b') {
            int e = exp - 52;
            return (neg ? "-" : "") + Long.toUnsignedString(mant) + "p" + (e >= 0 ? "+" : "") + e;
        }
        if (fmt == 'x' || fmt == 'X') {
            return fmtX(prec, fmt, neg, mant, exp);
        }
        BigDecimal exact = new BigDecimal(Math.abs(v));
        boolean shortest = prec < 0;
        Digits digs;
        if (mant == 0) {
            digs = new Digits("", 0);
        } else if (shortest) {
            digs = shortestDigits(Math.abs(v), exact);
            switch (fmt) {
                case 'e', 'E' -> prec = Math.max(digs.nd() - 1, 0);
                case 'f' -> prec = Math.max(digs.nd() - digs.dp(), 0);
                case 'g', 'G' -> prec = digs.nd();
                default -> {
                }
            }
        } else {
            switch (fmt) {
                case 'f' -> digs = Digits.of(exact.setScale(prec, RoundingMode.HALF_EVEN));
                case 'e', 'E' -> digs = Digits.of(exact.round(new MathContext(prec + 1, RoundingMode.HALF_EVEN)));
                case 'g', 'G' -> {
                    if (prec == 0) {
                        prec = 1;
                    }
                    digs = Digits.of(exact.round(new MathContext(prec, RoundingMode.HALF_EVEN)));
                }
                default -> digs = Digits.of(exact.round(new MathContext(1, RoundingMode.HALF_EVEN)));
            }
        }
        return formatDigits(shortest, neg, digs, prec, fmt);
    }

    private static Digits shortestDigits(double abs, BigDecimal exact) {
        for (int n = 1; n <= 17; n++) {
            BigDecimal rounded = exact.round(new MathContext(n, RoundingMode.HALF_EVEN));
            if (rounded.doubleValue() == abs) {
                return Digits.of(rounded);
            }
        }
        return Digits.of(exact.round(new MathContext(17, RoundingMode.HALF_EVEN)));
    }

    private static String formatDigits(boolean shortest, boolean neg, Digits digs, int prec, int fmt) {
        switch (fmt) {
            case 'e', 'E':
                return fmtE(neg, digs, prec, fmt);
            case 'f':
                return fmtF(neg, digs, prec);
            case 'g', 'G':
                int eprec = prec;
                if (eprec > digs.nd() && digs.nd() >= digs.dp()) {
                    eprec = digs.nd();
                }
                if (shortest) {
                    eprec = 6;
                }
                int exp = digs.dp() - 1;
                if (exp < -4 || exp >= eprec) {
                    if (prec > digs.nd()) {
                        prec = digs.nd();
                    }
                    return fmtE(neg, digs, prec - 1, fmt + 'e' - 'g');
                }
                if (prec > digs.dp()) {
                    prec = digs.nd();
                }
                return fmtF(neg, digs, Math.max(prec - digs.dp(), 0));
            default:
                return "%" + (char) fmt;
        }
    }

    private static String fmtE(boolean neg, Digits d, int prec, int fmt) {
        StringBuilder out = new StringBuilder();
        if (neg) {
            out.append('-');
        }
        out.append(d.nd() != 0 ? d.at(0) : '0');
        if (prec > 0) {
            out.append('.');
            int i = 1;
            int m = Math.min(d.nd(), prec + 1);
            if (i < m) {
                out.append(d.d(), i, m);
                i = m;
            }
            for (; i <= prec; i++) {
                out.append('0');
            }
        }
        out.append((char) fmt);
        int exp = d.nd() == 0 ? 0 : d.dp() - 1;
        out.append(exp < 0 ? '-' : '+');
        exp = Math.abs(exp);
        if (exp < 10) {
            out.append('0');
        }
        out.append(exp);
        return out.toString();
    }

    private static String fmtF(boolean neg, Digits d, int prec) {
        StringBuilder out = new StringBuilder();
        if (neg) {
            out.append('-');
        }
        if (d.dp() > 0) {
            int m = Math.min(d.nd(), d.dp());
            out.append(d.d(), 0, m);
            for (; m < d.dp(); m++) {
                out.append('0');
            }
        } else {
            out.append('0');
        }
        if (prec > 0) {
            out.append('.');
            for (int i = 0; i < prec; i++) {
                int j = d.dp() + i;
                out.append(0 <= j && j < d.nd() ? d.at(j) : '0');
            }
        }
        return out.toString();
    }

    private static String fmtX(int prec, int fmt, boolean neg, long mant, int exp) {
        if (mant == 0) {
            exp = 0;
        }
        mant <<= 60 - 52;
        while (mant != 0 && (mant & (1L << 60)) == 0) {
            mant <<= 1;
            exp--;
        }
        if (prec >= 0 && prec < 15) {
            int shift = prec * 4;
            long extra = (mant << shift) & ((1L << 60) - 1);
            mant >>>= 60 - shift;
            if (Long.compareUnsigned(extra | (mant & 1), 1L << 59) > 0) {
                mant++;
            }
            mant <<= 60 - shift;
            if ((mant & (1L << 61)) != 0) {
                mant >>>= 1;
                exp++;
            }
        }
        String hex = fmt == 'X' ? UPPER : LOWER;
        StringBuilder out = new StringBuilder();
        if (neg) {
            out.append('-');
        }
        out.append('0').append((char) fmt).append((char) ('0' + ((mant >>> 60) & 1)));
        mant <<= 4;
        if (prec < 0 && mant != 0) {
            out.append('.');
            while (mant != 0) {
                out.append(hex.charAt((int) ((mant >>> 60) & 15)));
                mant <<= 4;
            }
        } else if (prec > 0) {
            out.append('.');
            for (int i = 0; i < prec; i++) {
                out.append(hex.charAt((int) ((mant >>> 60) & 15)));
                mant <<= 4;
            }
        }
        out.append(fmt == 'X' ? 'P' : 'p');
        out.append(exp < 0 ? '-' : '+');
        exp = Math.abs(exp);
        if (exp < 10) {
            out.append('0');
        }
        out.append(exp);
        return out.toString();
    }

    // ------------------------------------------------------------------ quoting (strconv)

    private static void appendQuoted(Bytes out, byte[] s, byte quote, boolean asciiOnly) {
        out.write(quote);
        for (int i = 0; i < s.length; ) {
            int[] decoded = decodeRune(s, i);
            if (decoded[1] == 1 && decoded[0] == 0xFFFD) {
                out.write("\\x");
                out.write(LOWER.charAt((s[i] & 0xFF) >> 4));
                out.write(LOWER.charAt(s[i] & 0xF));
                i++;
                continue;
            }
            appendEscapedRune(out, decoded[0], quote, asciiOnly);
            i += decoded[1];
        }
        out.write(quote);
    }

    private static void appendEscapedRune(Bytes out, int r, byte quote, boolean asciiOnly) {
        if (r == quote || r == '\\') {
            out.write('\\');
            out.write(r);
            return;
        }
        if (asciiOnly) {
            if (r < 0x80 && isPrint(r)) {
                out.write(r);
                return;
            }
        } else if (isPrint(r)) {
            out.writeRune(r);
            return;
        }
        switch (r) {
            case 0x07 -> out.write("\\a");
            case '\b' -> out.write("\\b");
            case '\f' -> out.write("\\f");
            case '\n' -> out.write("\\n");
            case '\r' -> out.write("\\r");
            case '\t' -> out.write("\\t");
            case 0x0B -> out.write("\\v");
            default -> {
                if (r < ' ' || r == 0x7f) {
                    out.write("\\x");
                    out.write(LOWER.charAt((r >> 4) & 0xF));
                    out.write(LOWER.charAt(r & 0xF));
                } else {
                    if (r > 0x10FFFF || (r >= 0xD800 && r <= 0xDFFF)) {
                        r = 0xFFFD;
                    }
                    if (r < 0x10000) {
                        out.write("\\u");
                        for (int s = 12; s >= 0; s -= 4) {
                            out.write(LOWER.charAt((r >> s) & 0xF));
                        }
                    } else {
                        out.write("\\U");
                        for (int s = 28; s >= 0; s -= 4) {
                            out.write(LOWER.charAt((r >> s) & 0xF));
                        }
                    }
                }
            }
        }
    }

    private static boolean canBackquote(byte[] s) {
        for (int i = 0; i < s.length; ) {
            int[] decoded = decodeRune(s, i);
            int r = decoded[0];
            int width = decoded[1];
            i += width;
            if (width > 1) {
                if (r == 0xFEFF) {
                    return false;
                }
                continue;
            }
            if (r == 0xFFFD) {
                return false;
            }
            if ((r < ' ' && r != '\t') || r == '`' || r == 0x7F) {
                return false;
            }
        }
        return true;
    }

    /** Go's {@code strconv.IsPrint}, from the table generated out of Go itself. */
    static boolean isPrint(int r) {
        int lo = 0;
        int hi = PRINTABLE.length / 2 - 1;
        while (lo <= hi) {
            int mid = (lo + hi) >>> 1;
            if (r < PRINTABLE[2 * mid]) {
                hi = mid - 1;
            } else if (r > PRINTABLE[2 * mid + 1]) {
                lo = mid + 1;
            } else {
                return true;
            }
        }
        return false;
    }

    private static int[] loadPrintable() {
        try (InputStream in = GoFormat.class.getResourceAsStream("go-isprint-ranges.txt")) {
            if (in == null) {
                throw new IllegalStateException("go-isprint-ranges.txt is missing from the classpath");
            }
            BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.US_ASCII));
            List<Integer> bounds = new ArrayList<>();
            for (String line = reader.readLine(); line != null; line = reader.readLine()) {
                if (line.isBlank() || line.startsWith("#")) {
                    continue;
                }
                String[] parts = line.trim().split(" ");
                bounds.add(Integer.parseInt(parts[0], 16));
                bounds.add(Integer.parseInt(parts[1], 16));
            }
            return bounds.stream().mapToInt(Integer::intValue).toArray();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    // ------------------------------------------------------------------ helpers

    private static String typeName(Object value) {
        if (value instanceof Long) {
            return "int64";
        } else if (value instanceof Double) {
            return "float64";
        } else if (value instanceof BigInteger) {
            return "*big.Int";
        }
        return "string";
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static int runeCount(byte[] b) {
        int n = 0;
        for (int i = 0; i < b.length; n++) {
            i += decodeRune(b, i)[1];
        }
        return n;
    }

    /** Go's {@code utf8.DecodeRune}: {@code [rune, width]}; invalid input is {@code [0xFFFD, 1]}. */
    static int[] decodeRune(byte[] b, int i) {
        int b0 = b[i] & 0xFF;
        if (b0 < 0x80) {
            return new int[] {b0, 1};
        }
        int need;
        int cp;
        int min;
        if (b0 >= 0xC2 && b0 <= 0xDF) {
            need = 1;
            cp = b0 & 0x1F;
            min = 0x80;
        } else if (b0 >= 0xE0 && b0 <= 0xEF) {
            need = 2;
            cp = b0 & 0x0F;
            min = 0x800;
        } else if (b0 >= 0xF0 && b0 <= 0xF4) {
            need = 3;
            cp = b0 & 0x07;
            min = 0x10000;
        } else {
            return new int[] {0xFFFD, 1};
        }
        for (int k = 1; k <= need; k++) {
            if (i + k >= b.length) {
                return new int[] {0xFFFD, 1};
            }
            int c = b[i + k] & 0xFF;
            if ((c & 0xC0) != 0x80) {
                return new int[] {0xFFFD, 1};
            }
            cp = (cp << 6) | (c & 0x3F);
        }
        if (cp < min || cp > 0x10FFFF || (cp >= 0xD800 && cp <= 0xDFFF)) {
            return new int[] {0xFFFD, 1};
        }
        return new int[] {cp, need + 1};
    }

    private static int[] parseNum(byte[] s, int start, int end) {
        if (start >= end) {
            return new int[] {0, 0, end};
        }
        int num = 0;
        boolean isNum = false;
        int i = start;
        for (; i < end && '0' <= s[i] && s[i] <= '9'; i++) {
            if (num > TOO_LARGE || num < -TOO_LARGE) {
                return new int[] {0, 0, end};
            }
            num = num * 10 + (s[i] - '0');
            isNum = true;
        }
        return new int[] {num, isNum ? 1 : 0, i};
    }

    /** A growable byte buffer. */
    private static final class Bytes {
        private byte[] data = new byte[64];
        private int size;

        void write(int b) {
            ensure(1);
            data[size++] = (byte) b;
        }

        void write(byte[] b, int off, int len) {
            ensure(len);
            System.arraycopy(b, off, data, size, len);
            size += len;
        }

        void write(String ascii) {
            byte[] b = utf8(ascii);
            write(b, 0, b.length);
        }

        void writeRune(int r) {
            write(new String(Character.toChars(r)));
        }

        byte[] bytes() {
            return Arrays.copyOf(data, size);
        }

        String string() {
            return new String(data, 0, size, StandardCharsets.UTF_8);
        }

        private void ensure(int n) {
            if (size + n > data.length) {
                data = Arrays.copyOf(data, Math.max(data.length * 2, size + n));
            }
        }
    }
}
