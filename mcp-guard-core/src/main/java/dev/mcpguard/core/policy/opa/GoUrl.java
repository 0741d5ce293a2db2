package dev.mcpguard.core.policy.opa;

import java.io.ByteArrayOutputStream;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The parts of Go's {@code net/url} that OPA's builtins call, ported to work as Go does on the UTF-8 bytes of a
 * string: {@code QueryEscape}, {@code QueryUnescape} and {@code unescape} in its other modes, {@code ParseQuery}
 * (a {@code ;} in a pair is an error since Go 1.17; more than 10,000 parameters is an error since Go 1.24.12 /
 * 1.25.6). Errors are {@link HostBuiltin.Undefined}, since OPA turns each into a builtin error. Thread-safe
 * (stateless).
 */
final class GoUrl {

    /** Go's {@code encoding} modes of {@code shouldEscape} / {@code unescape}. */
    enum Mode { PATH, PATH_SEGMENT, HOST, ZONE, USER_PASSWORD, QUERY_COMPONENT, FRAGMENT }

    /** Go's default {@code urlmaxqueryparams}. */
    static final int MAX_QUERY_PARAMS = 10_000;

    private static final byte[] UPPER_HEX = "0123456789ABCDEF".getBytes(StandardCharsets.US_ASCII);

    private GoUrl() {
    }

    static boolean isHex(int c) {
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
    }

    static int unhex(int c) {
        if (c >= '0' && c <= '9') {
            return c - '0';
        }
        if (c >= 'a' && c <= 'f') {
            return c - 'a' + 10;
        }
        if (c >= 'A' && c <= 'F') {
            return c - 'A' + 10;
        }
        return 0;
    }

    /** Go's {@code shouldEscape}: whether byte {@code c} must be %-escaped in {@code mode}. */
    static boolean shouldEscape(int c, Mode mode) {
        if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z' || c >= '0' && c <= '9') {
            return false;
        }
        if (mode == Mode.HOST || mode == Mode.ZONE) {
            switch (c) {
                case '!', '$', '&', '\'', '(', ')', '*', '+', ',', ';', '=', ':', '[', ']', '<', '>', '"':
                    return false;
                default:
                    break;
            }
        }
        switch (c) {
            case '-', '_', '.', '~':
                return false;
            case '$', '&', '+', ',', '/', ':', ';', '=', '?', '@':
                switch (mode) {
                    case PATH:
                        return c == '?';
                    case PATH_SEGMENT:
                        return c == '/' || c == ';' || c == ',' || c == '?';
                    case USER_PASSWORD:
                        return c == '@' || c == '/' || c == '?' || c == ':';
                    case QUERY_COMPONENT:
                        return true;
                    case FRAGMENT:
                        return false;
                    default:
                        break;
                }
                break;
            default:
                break;
        }
        if (mode == Mode.FRAGMENT) {
            switch (c) {
                case '!', '(', ')', '*':
                    return false;
                default:
                    break;
            }
        }
        return true;
    }

    /** Go's {@code QueryEscape}. */
    static byte[] queryEscape(byte[] s) {
        return escape(s, Mode.QUERY_COMPONENT);
    }

    /** Go's {@code escape}: %XX (upper case) for each byte to escape, a space as {@code +} in a query component. */
    static byte[] escape(byte[] s, Mode mode) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length + 16);
        for (byte b : s) {
            int c = b & 0xFF;
            if (c == ' ' && mode == Mode.QUERY_COMPONENT) {
                out.write('+');
            } else if (shouldEscape(c, mode)) {
                out.write('%');
                out.write(UPPER_HEX[c >> 4]);
                out.write(UPPER_HEX[c & 15]);
            } else {
                out.write(c);
            }
        }
        return out.toByteArray();
    }

    /** Go's {@code QueryUnescape}. */
    static byte[] queryUnescape(byte[] s) throws HostBuiltin.Undefined {
        return unescape(s, Mode.QUERY_COMPONENT);
    }

    /** Go's {@code unescape}: every {@code %} needs two hex digits; hosts and zones have their own rules. */
    static byte[] unescape(byte[] s, Mode mode) throws HostBuiltin.Undefined {
        for (int i = 0; i < s.length; ) {
            int c = s[i] & 0xFF;
            if (c == '%') {
                if (i + 2 >= s.length || !isHex(s[i + 1]) || !isHex(s[i + 2])) {
                    throw new HostBuiltin.Undefined("invalid URL escape");
                }
                boolean pct25 = s[i + 1] == '2' && s[i + 2] == '5';
                if (mode == Mode.HOST && unhex(s[i + 1]) < 8 && !pct25) {
                    throw new HostBuiltin.Undefined("invalid URL escape in host");
                }
                if (mode == Mode.ZONE) {
                    int v = unhex(s[i + 1]) << 4 | unhex(s[i + 2]);
                    if (!pct25 && v != ' ' && shouldEscape(v, Mode.HOST)) {
                        throw new HostBuiltin.Undefined("invalid URL escape in zone");
                    }
                }
                i += 3;
            } else {
                if ((mode == Mode.HOST || mode == Mode.ZONE) && c < 0x80 && shouldEscape(c, mode)) {
                    throw new HostBuiltin.Undefined("invalid character in host name");
                }
                i++;
            }
        }
        ByteArrayOutputStream out = new ByteArrayOutputStream(s.length);
        for (int i = 0; i < s.length; i++) {
            int c = s[i] & 0xFF;
            if (c == '%') {
                out.write(unhex(s[i + 1]) << 4 | unhex(s[i + 2]));
                i += 2;
            } else if (c == '+' && mode == Mode.QUERY_COMPONENT) {
                out.write(' ');
            } else {
                out.write(c);
            }
        }
        return out.toByteArray();
    }

    /**
     * Go's {@code ParseQuery}: {@code &}-separated pairs, each {@code key[=value]} query-unescaped, values in
     * order per key (keys in first-seen order). Any bad pair (a {@code ;}, a bad escape) makes the whole call an
     * error, as OPA reports Go's error even though Go returns the other pairs too.
     */
    static Map<Bytes, List<byte[]>> parseQuery(byte[] query) throws HostBuiltin.Undefined {
        if (count(query, '&') + 1 > MAX_QUERY_PARAMS) {
            throw new HostBuiltin.Undefined("number of URL query parameters exceeded limit");
        }
        Map<Bytes, List<byte[]>> values = new LinkedHashMap<>();
        boolean failed = false;
        int start = 0;
        while (start < query.length) {
            int amp = indexOf(query, '&', start);
            int end = amp < 0 ? query.length : amp;
            byte[] pair = Arrays.copyOfRange(query, start, end);
            start = amp < 0 ? query.length : amp + 1;
            if (indexOf(pair, ';', 0) >= 0) {
                failed = true;
                continue;
            }
            if (pair.length == 0) {
                continue;
            }
            int eq = indexOf(pair, '=', 0);
            byte[] key = eq < 0 ? pair : Arrays.copyOfRange(pair, 0, eq);
            byte[] value = eq < 0 ? new byte[0] : Arrays.copyOfRange(pair, eq + 1, pair.length);
            try {
                byte[] k = queryUnescape(key);
                byte[] v = queryUnescape(value);
                values.computeIfAbsent(new Bytes(k), x -> new ArrayList<>()).add(v);
            } catch (HostBuiltin.Undefined e) {
                failed = true;
            }
        }
        if (failed) {
            throw new HostBuiltin.Undefined("invalid query");
        }
        return values;
    }

    /** A byte string usable as a map key, ordered as Go orders strings (unsigned bytes). */
    record Bytes(byte[] value) implements Comparable<Bytes> {
        @Override
        public boolean equals(Object o) {
            return o instanceof Bytes other && Arrays.equals(value, other.value);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(value);
        }

        @Override
        public int compareTo(Bytes other) {
            return Arrays.compareUnsigned(value, other.value);
        }

        @Override
        public String toString() {
            return new String(value, StandardCharsets.UTF_8);
        }
    }

    static int indexOf(byte[] s, int c, int from) {
        for (int i = from; i < s.length; i++) {
            if ((s[i] & 0xFF) == c) {
                return i;
            }
        }
        return -1;
    }

    static int lastIndexOf(byte[] s, int c) {
        for (int i = s.length - 1; i >= 0; i--) {
            if ((s[i] & 0xFF) == c) {
                return i;
            }
        }
        return -1;
    }

    static int count(byte[] s, int c) {
        int n = 0;
        for (byte b : s) {
            if ((b & 0xFF) == c) {
                n++;
            }
        }
        return n;
    }
}
