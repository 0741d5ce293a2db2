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
 * string, as linked into OPA 1.22.2 (Go 1.26): {@code QueryEscape}, {@code QueryUnescape} and {@code unescape} in
 * its other modes, {@code ParseQuery} (a {@code ;} in a pair is an error since Go 1.17; more than 10,000
 * parameters is an error since Go 1.24.12 / 1.25.6) and {@code Parse} (bracketed hosts must be IPv6 addresses
 * since Go 1.25.2; an http(s) host's port starts at its first colon since Go 1.26). Errors are
 * {@link HostBuiltin.Undefined}, since OPA turns each into a builtin error. Thread-safe (stateless).
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

    /**
     * What Go's {@code url.Parse} gives, the parts OPA's {@code uri.parse} reads: {@code host} is the host field
     * ({@code host[:port]}, an IPv6 literal in brackets), {@code path} and {@code fragment} are decoded,
     * {@code rawPath} is Go's {@code RawPath} (empty when the default encoding of {@code path} is the original).
     */
    record Url(byte[] scheme, byte[] host, byte[] path, byte[] rawPath, byte[] rawQuery, byte[] fragment) {

        /** Go's {@code Hostname()}: the host without a valid port, brackets removed. */
        byte[] hostname() {
            return splitHostPort(host)[0];
        }

        /** Go's {@code Port()}: the digits after the last colon when they make a valid port, else empty. */
        byte[] port() {
            return splitHostPort(host)[1];
        }
    }

    /**
     * Go 1.26's {@code url.Parse}: the fragment after the first {@code #} (decoded, not checked for control
     * bytes), then no ASCII control byte, an optional scheme ({@code [A-Za-z][A-Za-z0-9+.-]*:}, lower-cased), the
     * query after the first {@code ?}, an opaque part when a scheme is not followed by {@code /}, a relative path
     * whose first segment has no {@code :}, an authority after {@code //} (userinfo of RFC 3986 characters up to
     * the last {@code @}; a host whose port is digits, see {@link #parseHost}; or an IPv6 literal
     * {@code [addr%25zone]:port} that must open the host and hold an IPv6 address, IPv4-mapped ones included), and
     * a path whose escapes are well formed.
     */
    static Url parse(byte[] raw) throws HostBuiltin.Undefined {
        int hash = indexOf(raw, '#', 0);
        byte[] u = hash < 0 ? raw : Arrays.copyOfRange(raw, 0, hash);
        byte[] fragment = hash < 0 ? new byte[0] : Arrays.copyOfRange(raw, hash + 1, raw.length);
        for (byte b : u) {
            if ((b & 0xFF) < 0x20 || b == 0x7f) {
                throw new HostBuiltin.Undefined("net/url: invalid control character in URL");
            }
        }
        byte[] empty = new byte[0];
        byte[] decodedFragment = fragment.length == 0 ? empty : unescape(fragment, Mode.FRAGMENT);
        if (Arrays.equals(u, new byte[] {'*'})) {
            return new Url(empty, empty, u, empty, empty, decodedFragment);
        }
        byte[] scheme = empty;
        byte[] rest = u;
        for (int i = 0; i < u.length; i++) {
            int c = u[i] & 0xFF;
            if (c >= 'a' && c <= 'z' || c >= 'A' && c <= 'Z') {
                continue;
            }
            if (c >= '0' && c <= '9' || c == '+' || c == '-' || c == '.') {
                if (i == 0) {
                    break;
                }
                continue;
            }
            if (c == ':') {
                if (i == 0) {
                    throw new HostBuiltin.Undefined("missing protocol scheme");
                }
                scheme = ascii(Arrays.copyOfRange(u, 0, i)).toLowerCase(java.util.Locale.ROOT)
                        .getBytes(StandardCharsets.US_ASCII);
                rest = Arrays.copyOfRange(u, i + 1, u.length);
            }
            break;
        }
        byte[] rawQuery = empty;
        if (rest.length > 0 && rest[rest.length - 1] == '?' && count(rest, '?') == 1) {
            rest = Arrays.copyOf(rest, rest.length - 1); // ForceQuery; RawQuery stays empty
        } else {
            int q = indexOf(rest, '?', 0);
            if (q >= 0) {
                rawQuery = Arrays.copyOfRange(rest, q + 1, rest.length);
                rest = Arrays.copyOf(rest, q);
            }
        }
        boolean slash = rest.length > 0 && rest[0] == '/';
        if (!slash) {
            if (scheme.length > 0) {
                return new Url(scheme, empty, empty, empty, rawQuery, decodedFragment); // opaque
            }
            int firstSlash = indexOf(rest, '/', 0);
            int segmentEnd = firstSlash < 0 ? rest.length : firstSlash;
            int colon = indexOf(rest, ':', 0);
            if (colon >= 0 && colon < segmentEnd) {
                throw new HostBuiltin.Undefined("first path segment in URL cannot contain colon");
            }
        }
        byte[] host = empty;
        boolean tripleSlash = rest.length >= 3 && rest[0] == '/' && rest[1] == '/' && rest[2] == '/';
        if ((scheme.length > 0 || !tripleSlash) && rest.length >= 2 && rest[0] == '/' && rest[1] == '/') {
            byte[] authority = Arrays.copyOfRange(rest, 2, rest.length);
            rest = empty;
            int pathStart = indexOf(authority, '/', 0);
            if (pathStart >= 0) {
                rest = Arrays.copyOfRange(authority, pathStart, authority.length);
                authority = Arrays.copyOf(authority, pathStart);
            }
            String lower = ascii(scheme);
            host = parseAuthority(authority, lower.equals("http") || lower.equals("https"));
        }
        byte[] path = unescape(rest, Mode.PATH);
        byte[] rawPath = Arrays.equals(escape(path, Mode.PATH), rest) ? empty : rest;
        return new Url(scheme, host, path, rawPath, rawQuery, decodedFragment);
    }

    /** Go's {@code parseAuthority}, returning the host; the userinfo is only validated (OPA does not return it). */
    private static byte[] parseAuthority(byte[] authority, boolean strictColons) throws HostBuiltin.Undefined {
        int at = lastIndexOf(authority, '@');
        byte[] host = parseHost(at < 0 ? authority : Arrays.copyOfRange(authority, at + 1, authority.length),
                strictColons);
        if (at < 0) {
            return host;
        }
        byte[] userinfo = Arrays.copyOf(authority, at);
        for (byte b : userinfo) {
            int c = b & 0xFF;
            boolean ok = c >= 'A' && c <= 'Z' || c >= 'a' && c <= 'z' || c >= '0' && c <= '9'
                    || "-._:~!$&'()*+,;=%@".indexOf(c) >= 0;
            if (!ok) {
                throw new HostBuiltin.Undefined("net/url: invalid userinfo");
            }
        }
        int colon = indexOf(userinfo, ':', 0);
        if (colon < 0) {
            unescape(userinfo, Mode.USER_PASSWORD);
        } else {
            unescape(Arrays.copyOf(userinfo, colon), Mode.USER_PASSWORD);
            unescape(Arrays.copyOfRange(userinfo, colon + 1, userinfo.length), Mode.USER_PASSWORD);
        }
        return host;
    }

    /**
     * Go 1.26's {@code parseHost}: {@code host[:port]} or {@code [ipv6]:port}, unescaped. For {@code http} and
     * {@code https} ({@code strictColons}) the port starts at the first colon, so a host with two colons is an
     * error; for other schemes at the last one, as before Go 1.26.
     */
    private static byte[] parseHost(byte[] host, boolean strictColons) throws HostBuiltin.Undefined {
        int open = lastIndexOf(host, '[');
        if (open >= 0) {
            if (open != 0) {
                throw new HostBuiltin.Undefined("unexpected '[' in host");
            }
            int close = lastIndexOf(host, ']');
            if (close < 0) {
                throw new HostBuiltin.Undefined("missing ']' in host");
            }
            byte[] colonPort = Arrays.copyOfRange(host, close + 1, host.length);
            if (!validOptionalPort(colonPort)) {
                throw new HostBuiltin.Undefined("invalid port after host");
            }
            byte[] hostname = Arrays.copyOfRange(host, 1, close);
            int zone = indexOf(hostname, new byte[] {'%', '2', '5'});
            byte[] unescaped;
            if (zone >= 0) {
                byte[] address = unescape(Arrays.copyOf(hostname, zone), Mode.HOST);
                byte[] zonePart = unescape(Arrays.copyOfRange(hostname, zone, hostname.length), Mode.ZONE);
                unescaped = concat(address, zonePart);
            } else {
                unescaped = unescape(hostname, Mode.HOST);
            }
            if (!isIpv6Literal(unescaped)) {
                throw new HostBuiltin.Undefined("invalid host: not an IPv6 address");
            }
            return concat(concat(new byte[] {'['}, unescaped), concat(new byte[] {']'}, colonPort));
        }
        int colon = strictColons ? indexOf(host, ':', 0) : lastIndexOf(host, ':');
        if (colon >= 0 && !validOptionalPort(Arrays.copyOfRange(host, colon, host.length))) {
            throw new HostBuiltin.Undefined("invalid port after host");
        }
        return unescape(host, Mode.HOST);
    }

    /** Whether {@code ParseAddr(s)} succeeds with an address that is not plain IPv4 (IPv4-mapped IPv6 is fine). */
    private static boolean isIpv6Literal(byte[] s) {
        try {
            return GoNetip.parseAddr(ascii(s)).length == 16;
        } catch (HostBuiltin.Undefined e) {
            return false;
        }
    }

    /** Empty, or {@code :} and digits. */
    private static boolean validOptionalPort(byte[] port) {
        if (port.length == 0) {
            return true;
        }
        if (port[0] != ':') {
            return false;
        }
        for (int i = 1; i < port.length; i++) {
            if (port[i] < '0' || port[i] > '9') {
                return false;
            }
        }
        return true;
    }

    /** Go's {@code splitHostPort}: {host, port}. */
    private static byte[][] splitHostPort(byte[] hostPort) {
        byte[] host = hostPort;
        byte[] port = new byte[0];
        int colon = lastIndexOf(host, ':');
        if (colon >= 0 && validOptionalPort(Arrays.copyOfRange(host, colon, host.length))) {
            port = Arrays.copyOfRange(host, colon + 1, host.length);
            host = Arrays.copyOf(host, colon);
        }
        if (host.length >= 2 && host[0] == '[' && host[host.length - 1] == ']') {
            host = Arrays.copyOfRange(host, 1, host.length - 1);
        }
        return new byte[][] {host, port};
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private static String ascii(byte[] b) {
        return new String(b, StandardCharsets.ISO_8859_1);
    }

    static int indexOf(byte[] s, byte[] sub) {
        outer:
        for (int i = 0; i + sub.length <= s.length; i++) {
            for (int k = 0; k < sub.length; k++) {
                if (s[i + k] != sub[k]) {
                    continue outer;
                }
            }
            return i;
        }
        return -1;
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
