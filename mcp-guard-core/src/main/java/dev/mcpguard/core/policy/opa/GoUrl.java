package dev.mcpguard.core.policy.opa;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * Go's {@code net/url} as linked into OPA 1.22.2 (Go 1.26): the one port behind OPA's {@code urlquery.*} and
 * {@code uri.*} builtins and the {@code $ref} resolution and formats of its vendored gojsonschema. It has
 * {@code Parse} ({@link #parse}: bracketed hosts must be IPv6 addresses since Go 1.25.2, checked with
 * {@link GoNetip}; an http(s) host's port starts at its first colon since Go 1.26), {@code URL.String},
 * {@code ResolveReference}, {@code Hostname} and {@code Port} ({@link Url}), the escaping modes
 * ({@link #shouldEscape}, {@link #escape}, {@link #unescape}), {@code QueryEscape}, {@code QueryUnescape} and
 * {@code ParseQuery} ({@link #parseQuery}: a {@code ;} in a pair is an error since Go 1.17, more than 10,000
 * parameters since Go 1.24.12 / 1.25.6).
 *
 * <p>Strings are Go strings, handled byte by byte as Go handles them: each holds one char per UTF-8 byte
 * ({@link GoTime#bytes}), so indexes are Go's. Errors are {@link HostBuiltin.Undefined} with Go's text: OPA's
 * builtins turn each into a builtin error, gojsonschema reports the text. No argument may be {@code null}. For
 * example {@code GoUrl.parse(GoTime.bytes("http://[::1]:80/a%2Fb")).hostname()} is {@code "::1"}. Thread-safe:
 * stateless, and a parsed {@link Url} is an immutable record.
 */
final class GoUrl {

    /** Go's {@code encoding} modes of {@code shouldEscape} / {@code escape} / {@code unescape}. */
    enum Mode { PATH, PATH_SEGMENT, HOST, ZONE, USER_PASSWORD, QUERY_COMPONENT, FRAGMENT }

    /** Go's default {@code urlmaxqueryparams}. */
    static final int MAX_QUERY_PARAMS = 10_000;

    private static final String UPPER_HEX = "0123456789ABCDEF";

    private GoUrl() {
    }

    // ------------------------------------------------------------------ escaping

    /** Go's {@code shouldEscape}: whether byte {@code c} must be %-escaped in {@code mode}. */
    static boolean shouldEscape(char c, Mode mode) {
        if ('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
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

    private static boolean isHex(char c) {
        return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F';
    }

    private static int unhex(char c) {
        return Character.digit(c, 16);
    }

    /** Go's {@code QueryEscape}. */
    static String queryEscape(String s) {
        return escape(s, Mode.QUERY_COMPONENT);
    }

    /** Go's {@code QueryUnescape}. */
    static String queryUnescape(String s) throws HostBuiltin.Undefined {
        return unescape(s, Mode.QUERY_COMPONENT);
    }

    /** Go's {@code unescape}: every {@code %} needs two hex digits; hosts and zones have their own rules. */
    static String unescape(String s, Mode mode) throws HostBuiltin.Undefined {
        int n = 0;
        boolean hasPlus = false;
        for (int i = 0; i < s.length(); ) {
            char c = s.charAt(i);
            if (c == '%') {
                n++;
                if (i + 2 >= s.length() || !isHex(s.charAt(i + 1)) || !isHex(s.charAt(i + 2))) {
                    String bad = s.substring(i);
                    if (bad.length() > 3) {
                        bad = bad.substring(0, 3);
                    }
                    throw new HostBuiltin.Undefined("invalid URL escape " + GoFormat.quote(utf8(bad), false));
                }
                if (mode == Mode.HOST && unhex(s.charAt(i + 1)) < 8 && !s.startsWith("%25", i)) {
                    throw new HostBuiltin.Undefined("invalid URL escape "
                            + GoFormat.quote(utf8(s.substring(i, i + 3)), false));
                }
                if (mode == Mode.ZONE) {
                    char v = (char) (unhex(s.charAt(i + 1)) << 4 | unhex(s.charAt(i + 2)));
                    if (!s.startsWith("%25", i) && v != ' ' && shouldEscape(v, Mode.HOST)) {
                        throw new HostBuiltin.Undefined("invalid URL escape "
                                + GoFormat.quote(utf8(s.substring(i, i + 3)), false));
                    }
                }
                i += 3;
            } else if (c == '+') {
                hasPlus = mode == Mode.QUERY_COMPONENT;
                i++;
            } else {
                if ((mode == Mode.HOST || mode == Mode.ZONE) && c < 0x80 && shouldEscape(c, mode)) {
                    throw new HostBuiltin.Undefined("invalid character " + GoFormat.quote(String.valueOf(c), false)
                            + " in host name");
                }
                i++;
            }
        }
        if (n == 0 && !hasPlus) {
            return s;
        }
        StringBuilder t = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%') {
                t.append((char) (unhex(s.charAt(i + 1)) << 4 | unhex(s.charAt(i + 2))));
                i += 2;
            } else if (c == '+') {
                t.append(mode == Mode.QUERY_COMPONENT ? ' ' : '+');
            } else {
                t.append(c);
            }
        }
        return t.toString();
    }

    /** Go's {@code escape}: %XX (upper case) for each byte to escape, a space as {@code +} in a query component. */
    static String escape(String s, Mode mode) {
        StringBuilder t = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ' ' && mode == Mode.QUERY_COMPONENT) {
                t.append('+');
            } else if (shouldEscape(c, mode)) {
                t.append('%').append(UPPER_HEX.charAt(c >> 4 & 0xF)).append(UPPER_HEX.charAt(c & 15));
            } else {
                t.append(c);
            }
        }
        return t.toString();
    }

    /** A Go string back to Java text as Java decodes UTF-8 (gojsonschema's texts): invalid bytes as U+FFFD. */
    static String utf8(String bytes) {
        return new String(bytes.getBytes(StandardCharsets.ISO_8859_1), StandardCharsets.UTF_8);
    }

    /** A Go string back to Java text as Go's {@code range} reads it (OPA's builtins): each invalid byte a U+FFFD. */
    static String goString(String bytes) {
        return HexBuiltins.goString(bytes.getBytes(StandardCharsets.ISO_8859_1));
    }

    // ------------------------------------------------------------------ query

    /**
     * Go's {@code ParseQuery}: {@code &}-separated pairs, each {@code key[=value]} query-unescaped, values in
     * order per key (keys in first-seen order). Any bad pair (a {@code ;}, a bad escape) makes the whole call an
     * error, as OPA reports Go's error even though Go returns the other pairs too.
     */
    static Map<String, List<String>> parseQuery(String query) throws HostBuiltin.Undefined {
        if (query.chars().filter(c -> c == '&').count() + 1 > MAX_QUERY_PARAMS) {
            throw new HostBuiltin.Undefined("number of URL query parameters exceeded limit");
        }
        Map<String, List<String>> values = new LinkedHashMap<>();
        boolean failed = false;
        int start = 0;
        while (start < query.length()) {
            int amp = query.indexOf('&', start);
            int end = amp < 0 ? query.length() : amp;
            String pair = query.substring(start, end);
            start = end + 1;
            if (pair.indexOf(';') >= 0) {
                failed = true;
                continue;
            }
            if (pair.isEmpty()) {
                continue;
            }
            int eq = pair.indexOf('=');
            String key = eq < 0 ? pair : pair.substring(0, eq);
            String value = eq < 0 ? "" : pair.substring(eq + 1);
            try {
                String k = queryUnescape(key);
                String v = queryUnescape(value);
                values.computeIfAbsent(k, x -> new ArrayList<>()).add(v);
            } catch (HostBuiltin.Undefined e) {
                failed = true;
            }
        }
        if (failed) {
            throw new HostBuiltin.Undefined("invalid query");
        }
        return values;
    }

    // ------------------------------------------------------------------ parse

    /**
     * Go 1.26's {@code url.Parse(rawURL)}: the fragment after the first {@code #} (decoded, not checked for control
     * bytes), then no ASCII control byte, an optional scheme ({@code [A-Za-z][A-Za-z0-9+.-]*:}, lower-cased), the
     * query after the first {@code ?}, an opaque part when a scheme is not followed by {@code /}, a relative path
     * whose first segment has no {@code :}, an authority after {@code //} (userinfo of RFC 3986 characters up to
     * the last {@code @}; a host whose port is digits; or an IPv6 literal {@code [addr%25zone]:port} that must open
     * the host and hold an IPv6 address, IPv4-mapped ones included), and a path whose escapes are well formed.
     */
    static Url parse(String rawUrl) throws HostBuiltin.Undefined {
        int hash = rawUrl.indexOf('#');
        String u = hash < 0 ? rawUrl : rawUrl.substring(0, hash);
        String frag = hash < 0 ? "" : rawUrl.substring(hash + 1);
        Url url;
        try {
            url = parseWithoutFragment(u);
        } catch (HostBuiltin.Undefined e) {
            throw new HostBuiltin.Undefined("parse " + GoFormat.quote(utf8(u), false) + ": " + e.getMessage());
        }
        if (frag.isEmpty()) {
            return url;
        }
        try {
            String fragment = unescape(frag, Mode.FRAGMENT);
            return new Url(url.scheme, url.opaque, url.user, url.host, url.path, url.rawPath, url.omitHost,
                    url.forceQuery, url.rawQuery, fragment, rawForm(frag, fragment, Mode.FRAGMENT));
        } catch (HostBuiltin.Undefined e) {
            throw new HostBuiltin.Undefined("parse " + GoFormat.quote(utf8(rawUrl), false) + ": " + e.getMessage());
        }
    }

    private static Url parseWithoutFragment(String rawUrl) throws HostBuiltin.Undefined {
        for (int i = 0; i < rawUrl.length(); i++) {
            char b = rawUrl.charAt(i);
            if (b < ' ' || b == 0x7f) {
                throw new HostBuiltin.Undefined("net/url: invalid control character in URL");
            }
        }
        if (rawUrl.equals("*")) {
            return new Url("", "", null, "", "*", "", false, false, "", "", "");
        }
        String scheme = "";
        String rest = rawUrl;
        for (int i = 0; i < rawUrl.length(); i++) {
            char c = rawUrl.charAt(i);
            if ('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z') {
                continue;
            }
            if ('0' <= c && c <= '9' || c == '+' || c == '-' || c == '.') {
                if (i == 0) {
                    break;
                }
                continue;
            }
            if (c == ':') {
                if (i == 0) {
                    throw new HostBuiltin.Undefined("missing protocol scheme");
                }
                scheme = rawUrl.substring(0, i).toLowerCase(Locale.ROOT);
                rest = rawUrl.substring(i + 1);
            }
            break;
        }
        boolean forceQuery = false;
        String rawQuery = "";
        if (rest.endsWith("?") && rest.indexOf('?') == rest.length() - 1) {
            forceQuery = true;
            rest = rest.substring(0, rest.length() - 1);
        } else {
            int q = rest.indexOf('?');
            if (q >= 0) {
                rawQuery = rest.substring(q + 1);
                rest = rest.substring(0, q);
            }
        }
        if (!rest.startsWith("/")) {
            if (!scheme.isEmpty()) {
                return new Url(scheme, rest, null, "", "", "", false, forceQuery, rawQuery, "", "");
            }
            int slash = rest.indexOf('/');
            String segment = slash < 0 ? rest : rest.substring(0, slash);
            if (segment.contains(":")) {
                throw new HostBuiltin.Undefined("first path segment in URL cannot contain colon");
            }
        }
        Userinfo user = null;
        String host = "";
        boolean omitHost = false;
        if ((!scheme.isEmpty() || !rest.startsWith("///")) && rest.startsWith("//")) {
            String authority = rest.substring(2);
            rest = "";
            int slash = authority.indexOf('/');
            if (slash >= 0) {
                rest = authority.substring(slash);
                authority = authority.substring(0, slash);
            }
            // Go's parseAuthority: the host after the last '@' first, then the userinfo before it.
            int at = authority.lastIndexOf('@');
            host = parseHost(scheme, at < 0 ? authority : authority.substring(at + 1));
            user = at < 0 ? null : parseUserinfo(authority.substring(0, at));
        } else if (!scheme.isEmpty() && rest.startsWith("/")) {
            omitHost = true;
        }
        String path = unescape(rest, Mode.PATH);
        return new Url(scheme, "", user, host, path, rawForm(rest, path, Mode.PATH), omitHost, forceQuery, rawQuery,
                "", "");
    }

    private static Userinfo parseUserinfo(String userinfo) throws HostBuiltin.Undefined {
        for (int i = 0; i < userinfo.length(); i++) {
            char r = userinfo.charAt(i);
            boolean ok = 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9'
                    || "-._:~!$&'()*+,;=%@".indexOf(r) >= 0;
            if (!ok) {
                throw new HostBuiltin.Undefined("net/url: invalid userinfo");
            }
        }
        int colon = userinfo.indexOf(':');
        if (colon < 0) {
            return new Userinfo(unescape(userinfo, Mode.USER_PASSWORD), null);
        }
        return new Userinfo(unescape(userinfo.substring(0, colon), Mode.USER_PASSWORD),
                unescape(userinfo.substring(colon + 1), Mode.USER_PASSWORD));
    }

    /**
     * Go 1.26's {@code parseHost}: {@code host[:port]} or {@code [ipv6]:port}, unescaped. For {@code http} and
     * {@code https} the port starts at the first colon, so a host with two colons is an error; for other schemes at
     * the last one, as before Go 1.26.
     */
    private static String parseHost(String scheme, String host) throws HostBuiltin.Undefined {
        int open = host.lastIndexOf('[');
        if (open > 0) {
            throw new HostBuiltin.Undefined("invalid IP-literal");
        } else if (open == 0) {
            int close = host.lastIndexOf(']');
            if (close < 0) {
                throw new HostBuiltin.Undefined("missing ']' in host");
            }
            String colonPort = host.substring(close + 1);
            if (!validOptionalPort(colonPort)) {
                throw new HostBuiltin.Undefined("invalid port " + GoFormat.quote(utf8(colonPort), false)
                        + " after host");
            }
            String unescapedColonPort = unescape(colonPort, Mode.HOST);
            String hostname = host.substring(1, close);
            String unescapedHostname;
            int zone = hostname.indexOf("%25");
            if (zone >= 0) {
                unescapedHostname = unescape(hostname.substring(0, zone), Mode.HOST)
                        + unescape(hostname.substring(zone), Mode.ZONE);
            } else {
                unescapedHostname = unescape(hostname, Mode.HOST);
            }
            byte[] addr;
            try {
                addr = GoNetip.parseAddr(unescapedHostname);
            } catch (HostBuiltin.Undefined e) {
                throw new HostBuiltin.Undefined("invalid host: " + e.getMessage());
            }
            if (addr.length == 4) {
                throw new HostBuiltin.Undefined("invalid IP-literal");
            }
            return "[" + unescapedHostname + "]" + unescapedColonPort;
        } else {
            int i = host.indexOf(':');
            if (i >= 0) {
                int last = host.lastIndexOf(':');
                if (last != i && !(scheme.equals("http") || scheme.equals("https"))) {
                    i = last;
                }
                String colonPort = host.substring(i);
                if (!validOptionalPort(colonPort)) {
                    throw new HostBuiltin.Undefined("invalid port " + GoFormat.quote(utf8(colonPort), false)
                            + " after host");
                }
            }
        }
        return unescape(host, Mode.HOST);
    }

    /** Empty, or {@code :} and digits. */
    private static boolean validOptionalPort(String port) {
        if (port.isEmpty()) {
            return true;
        }
        if (port.charAt(0) != ':') {
            return false;
        }
        for (int i = 1; i < port.length(); i++) {
            if (port.charAt(i) < '0' || port.charAt(i) > '9') {
                return false;
            }
        }
        return true;
    }

    /** Go's {@code RawPath} / {@code RawFragment}: as written, or empty when the default encoding gives it back. */
    private static String rawForm(String written, String decoded, Mode mode) {
        return written.equals(escape(decoded, mode)) ? "" : written;
    }

    /** Go's {@code validEncoded}: whether {@code s} may stand as written, as a raw path or fragment. */
    private static boolean validEncoded(String s, Mode mode) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if ("!$&'()*+,;=:@[]%".indexOf(c) >= 0) {
                continue;
            }
            if (shouldEscape(c, mode)) {
                return false;
            }
        }
        return true;
    }

    /** Go's {@code EscapedPath} and {@code EscapedFragment}: the raw form where it is valid and means the same. */
    private static String escaped(String raw, String decoded, Mode mode) {
        if (!raw.isEmpty() && validEncoded(raw, mode)) {
            try {
                if (unescape(raw, mode).equals(decoded)) {
                    return raw;
                }
            } catch (HostBuiltin.Undefined e) {
                // fall through to escaping
            }
        }
        if (mode == Mode.PATH && decoded.equals("*")) {
            return "*";
        }
        return escape(decoded, mode);
    }

    /** Go's {@code resolvePath}: {@code ref} against {@code base}, dot segments removed (RFC 3986 5.2). */
    private static String resolvePath(String base, String ref) {
        String full;
        if (ref.isEmpty()) {
            full = base;
        } else if (ref.charAt(0) != '/') {
            int i = base.lastIndexOf('/');
            full = base.substring(0, i + 1) + ref;
        } else {
            full = ref;
        }
        if (full.isEmpty()) {
            return "";
        }
        StringBuilder dst = new StringBuilder("/");
        String elem = "";
        String remaining = full;
        boolean found = true;
        boolean first = true;
        while (found) {
            int slash = remaining.indexOf('/');
            found = slash >= 0;
            elem = found ? remaining.substring(0, slash) : remaining;
            remaining = found ? remaining.substring(slash + 1) : "";
            switch (elem) {
                case "." -> first = false;
                case ".." -> {
                    int i = dst.substring(1).lastIndexOf('/');
                    dst.setLength(i >= 0 ? i + 1 : 1);
                    first = dst.length() == 1;
                }
                default -> {
                    if (!first) {
                        dst.append('/');
                    }
                    dst.append(elem);
                    first = false;
                }
            }
        }
        if (elem.equals(".") || elem.equals("..")) {
            dst.append('/');
        }
        if (dst.length() > 1 && dst.charAt(1) == '/') {
            return dst.substring(1);
        }
        return dst.toString();
    }

    /** Go's {@code url.Userinfo}: a user name, and a password or {@code null} when none was given. */
    record Userinfo(String username, String password) {
    }

    /**
     * Go's {@code url.URL}, its fields as Go strings: {@code path} and {@code fragment} decoded, {@code rawPath} and
     * {@code rawFragment} as written or empty when the default encoding gives them back ({@code RawPath},
     * {@code RawFragment}), {@code host} as {@code host[:port]} with an IPv6 literal in brackets, {@code user}
     * {@code null} when there is none (Go's {@code nil}). {@link #toString} is Go's {@code String()}.
     */
    record Url(String scheme, String opaque, Userinfo user, String host, String path, String rawPath,
            boolean omitHost, boolean forceQuery, String rawQuery, String fragment, String rawFragment) {

        /** {@code Hostname()}: the host without a valid port, brackets removed. */
        String hostname() {
            return splitHostPort(host)[0];
        }

        /** {@code Port()}: the digits after the last colon when they make a valid port, else empty. */
        String port() {
            return splitHostPort(host)[1];
        }

        /** Go's {@code splitHostPort}: {host, port}. */
        private static String[] splitHostPort(String hostPort) {
            String h = hostPort;
            String p = "";
            int colon = h.lastIndexOf(':');
            if (colon >= 0 && validOptionalPort(h.substring(colon))) {
                p = h.substring(colon + 1);
                h = h.substring(0, colon);
            }
            if (h.length() >= 2 && h.charAt(0) == '[' && h.charAt(h.length() - 1) == ']') {
                h = h.substring(1, h.length() - 1);
            }
            return new String[] {h, p};
        }

        /** {@code URL.String()}, as a Go string. */
        @Override
        public String toString() {
            StringBuilder buf = new StringBuilder();
            if (!scheme.isEmpty()) {
                buf.append(scheme).append(':');
            }
            if (!opaque.isEmpty()) {
                buf.append(opaque);
            } else {
                if (!scheme.isEmpty() || !host.isEmpty() || user != null) {
                    if (!(omitHost && host.isEmpty() && user == null)) {
                        if (!host.isEmpty() || !path.isEmpty() || user != null) {
                            buf.append("//");
                        }
                        if (user != null) {
                            buf.append(escape(user.username(), Mode.USER_PASSWORD));
                            if (user.password() != null) {
                                buf.append(':').append(escape(user.password(), Mode.USER_PASSWORD));
                            }
                            buf.append('@');
                        }
                        if (!host.isEmpty()) {
                            buf.append(escape(host, Mode.HOST));
                        }
                    }
                }
                String p = escaped(rawPath, path, Mode.PATH);
                if (!p.isEmpty() && p.charAt(0) != '/' && !host.isEmpty()) {
                    buf.append('/');
                }
                if (buf.length() == 0) {
                    int slash = p.indexOf('/');
                    if ((slash < 0 ? p : p.substring(0, slash)).contains(":")) {
                        buf.append("./");
                    }
                }
                buf.append(p);
            }
            if (forceQuery || !rawQuery.isEmpty()) {
                buf.append('?').append(rawQuery);
            }
            if (!fragment.isEmpty()) {
                buf.append('#').append(escaped(rawFragment, fragment, Mode.FRAGMENT));
            }
            return buf.toString();
        }

        /** This URL without its fragment ({@code u.Fragment = ""}; Go keeps {@code RawFragment}, String ignores it). */
        Url withoutFragment() {
            return new Url(scheme, opaque, user, host, path, rawPath, omitHost, forceQuery, rawQuery, "", rawFragment);
        }

        /** {@code u.ResolveReference(ref)}: {@code ref} resolved against this URL (RFC 3986 5.2). */
        Url resolveReference(Url ref) {
            String s = ref.scheme.isEmpty() ? scheme : ref.scheme;
            if (!ref.scheme.isEmpty() || !ref.host.isEmpty() || ref.user != null) {
                return new Url(s, ref.opaque, ref.user, ref.host, ref.path, ref.rawPath, ref.omitHost, ref.forceQuery,
                        ref.rawQuery, ref.fragment, ref.rawFragment).withPath(resolvePath(ref.escapedPath(), ""));
            }
            if (!ref.opaque.isEmpty()) {
                return new Url(s, ref.opaque, null, "", "", ref.rawPath, ref.omitHost, ref.forceQuery, ref.rawQuery,
                        ref.fragment, ref.rawFragment);
            }
            String query = ref.rawQuery;
            String frag = ref.fragment;
            String rawFrag = ref.rawFragment;
            if (ref.path.isEmpty() && !ref.forceQuery && ref.rawQuery.isEmpty()) {
                query = rawQuery;
                if (ref.fragment.isEmpty()) {
                    frag = fragment;
                    rawFrag = rawFragment;
                }
            }
            if (ref.path.isEmpty() && !opaque.isEmpty()) {
                return new Url(s, opaque, null, "", "", ref.rawPath, ref.omitHost, ref.forceQuery, query, frag,
                        rawFrag);
            }
            return new Url(s, "", user, host, ref.path, ref.rawPath, ref.omitHost, ref.forceQuery, query, frag,
                    rawFrag).withPath(resolvePath(escapedPath(), ref.escapedPath()));
        }

        private String escapedPath() {
            return escaped(rawPath, path, Mode.PATH);
        }

        /** Go's {@code setPath} on a copy; an error (ResolveReference ignores it) leaves the path as it was. */
        private Url withPath(String p) {
            try {
                String decoded = unescape(p, Mode.PATH);
                return new Url(scheme, opaque, user, host, decoded, rawForm(p, decoded, Mode.PATH), omitHost,
                        forceQuery, rawQuery, fragment, rawFragment);
            } catch (HostBuiltin.Undefined e) {
                return this;
            }
        }
    }
}
