package dev.mcpguard.core.policy.opa;

/**
 * Go's {@code net/url} as gojsonschema (inside OPA) uses it: {@code Parse}, {@code String}, {@code ResolveReference}
 * and the escaping rules; {@code Parse} checks a bracketed host with {@link GoNetip}. Strings are handled as Go handles them, byte by byte: every {@code String} here holds one char per UTF-8
 * byte ({@link GoTime#bytes}). Errors carry Go's messages. A URL is not changed once {@link #parse} returns it
 * (resolution works on copies), so instances may be shared; the class is otherwise stateless and thread-safe.
 */
final class GoSchemaUrl {

    /** A parse failure with Go's error text. */
    static final class UrlException extends Exception {
        private static final long serialVersionUID = 1L;

        UrlException(String message) {
            super(message, null, false, false);
        }
    }

    static final int PATH = 1;
    static final int PATH_SEGMENT = 2;
    static final int HOST = 3;
    static final int ZONE = 4;
    static final int USER_PASSWORD = 5;
    static final int QUERY_COMPONENT = 6;
    static final int FRAGMENT = 7;

    String scheme = "";
    String opaque = "";
    String username;
    String password;
    boolean hasUser;
    boolean hasPassword;
    String host = "";
    String path = "";
    String rawPath = "";
    boolean omitHost;
    boolean forceQuery;
    String rawQuery = "";
    String fragment = "";
    String rawFragment = "";

    private GoSchemaUrl() {
    }

    private GoSchemaUrl copy() {
        GoSchemaUrl u = new GoSchemaUrl();
        u.scheme = scheme;
        u.opaque = opaque;
        u.username = username;
        u.password = password;
        u.hasUser = hasUser;
        u.hasPassword = hasPassword;
        u.host = host;
        u.path = path;
        u.rawPath = rawPath;
        u.omitHost = omitHost;
        u.forceQuery = forceQuery;
        u.rawQuery = rawQuery;
        u.fragment = fragment;
        u.rawFragment = rawFragment;
        return u;
    }

    // ------------------------------------------------------------------ escaping

    static boolean shouldEscape(char c, int mode) {
        if ('a' <= c && c <= 'z' || 'A' <= c && c <= 'Z' || '0' <= c && c <= '9') {
            return false;
        }
        if (mode == HOST || mode == ZONE) {
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
        if (mode == FRAGMENT) {
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

    static String unescape(String s, int mode) throws UrlException {
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
                    throw new UrlException("invalid URL escape " + GoFormat.quote(utf8(bad), false));
                }
                if (mode == HOST && unhex(s.charAt(i + 1)) < 8 && !s.startsWith("%25", i)) {
                    throw new UrlException("invalid URL escape " + GoFormat.quote(utf8(s.substring(i, i + 3)), false));
                }
                if (mode == ZONE) {
                    char v = (char) (unhex(s.charAt(i + 1)) << 4 | unhex(s.charAt(i + 2)));
                    if (!s.startsWith("%25", i) && v != ' ' && shouldEscape(v, HOST)) {
                        throw new UrlException("invalid URL escape "
                                + GoFormat.quote(utf8(s.substring(i, i + 3)), false));
                    }
                }
                i += 3;
            } else if (c == '+') {
                hasPlus = mode == QUERY_COMPONENT;
                i++;
            } else {
                if ((mode == HOST || mode == ZONE) && c < 0x80 && shouldEscape(c, mode)) {
                    throw new UrlException("invalid character " + GoFormat.quote(String.valueOf(c), false)
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
                t.append(mode == QUERY_COMPONENT ? ' ' : '+');
            } else {
                t.append(c);
            }
        }
        return t.toString();
    }

    static String escape(String s, int mode) {
        StringBuilder t = new StringBuilder(s.length());
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == ' ' && mode == QUERY_COMPONENT) {
                t.append('+');
            } else if (shouldEscape(c, mode)) {
                t.append('%').append("0123456789ABCDEF".charAt(c >> 4 & 0xF)).append("0123456789ABCDEF".charAt(c & 15));
            } else {
                t.append(c);
            }
        }
        return t.toString();
    }

    /** Go bytes (one char each) back to a Java string, invalid UTF-8 as U+FFFD. */
    static String utf8(String bytes) {
        return new String(bytes.getBytes(java.nio.charset.StandardCharsets.ISO_8859_1),
                java.nio.charset.StandardCharsets.UTF_8);
    }

    // ------------------------------------------------------------------ parse

    /** {@code url.Parse(rawURL)}; {@code rawURL} as Go bytes. */
    static GoSchemaUrl parse(String rawUrl) throws UrlException {
        int hash = rawUrl.indexOf('#');
        String u = hash < 0 ? rawUrl : rawUrl.substring(0, hash);
        String frag = hash < 0 ? "" : rawUrl.substring(hash + 1);
        GoSchemaUrl url;
        try {
            url = parseWithoutFragment(u);
        } catch (UrlException e) {
            throw new UrlException("parse " + GoFormat.quote(utf8(u), false) + ": " + e.getMessage());
        }
        if (frag.isEmpty()) {
            return url;
        }
        try {
            url.setFragment(frag);
        } catch (UrlException e) {
            throw new UrlException("parse " + GoFormat.quote(utf8(rawUrl), false) + ": " + e.getMessage());
        }
        return url;
    }

    private static GoSchemaUrl parseWithoutFragment(String rawUrl) throws UrlException {
        for (int i = 0; i < rawUrl.length(); i++) {
            char b = rawUrl.charAt(i);
            if (b < ' ' || b == 0x7f) {
                throw new UrlException("net/url: invalid control character in URL");
            }
        }
        GoSchemaUrl url = new GoSchemaUrl();
        if (rawUrl.equals("*")) {
            url.path = "*";
            return url;
        }
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
                    throw new UrlException("missing protocol scheme");
                }
                url.scheme = rawUrl.substring(0, i).toLowerCase(java.util.Locale.ROOT);
                rest = rawUrl.substring(i + 1);
            }
            break;
        }
        if (rest.endsWith("?") && rest.indexOf('?') == rest.length() - 1) {
            url.forceQuery = true;
            rest = rest.substring(0, rest.length() - 1);
        } else {
            int q = rest.indexOf('?');
            if (q >= 0) {
                url.rawQuery = rest.substring(q + 1);
                rest = rest.substring(0, q);
            }
        }
        if (!rest.startsWith("/")) {
            if (!url.scheme.isEmpty()) {
                url.opaque = rest;
                return url;
            }
            int slash = rest.indexOf('/');
            String segment = slash < 0 ? rest : rest.substring(0, slash);
            if (segment.contains(":")) {
                throw new UrlException("first path segment in URL cannot contain colon");
            }
        }
        if ((!url.scheme.isEmpty() || !rest.startsWith("///")) && rest.startsWith("//")) {
            String authority = rest.substring(2);
            rest = "";
            int slash = authority.indexOf('/');
            if (slash >= 0) {
                rest = authority.substring(slash);
                authority = authority.substring(0, slash);
            }
            url.parseAuthority(authority);
        } else if (!url.scheme.isEmpty() && rest.startsWith("/")) {
            url.omitHost = true;
        }
        url.setPath(rest);
        return url;
    }

    private void parseAuthority(String authority) throws UrlException {
        int at = authority.lastIndexOf('@');
        host = parseHost(at < 0 ? authority : authority.substring(at + 1));
        if (at < 0) {
            return;
        }
        String userinfo = authority.substring(0, at);
        for (int i = 0; i < userinfo.length(); i++) {
            char r = userinfo.charAt(i);
            boolean ok = 'A' <= r && r <= 'Z' || 'a' <= r && r <= 'z' || '0' <= r && r <= '9'
                    || "-._:~!$&'()*+,;=%@".indexOf(r) >= 0;
            if (!ok) {
                throw new UrlException("net/url: invalid userinfo");
            }
        }
        hasUser = true;
        int colon = userinfo.indexOf(':');
        if (colon < 0) {
            username = unescape(userinfo, USER_PASSWORD);
        } else {
            username = unescape(userinfo.substring(0, colon), USER_PASSWORD);
            password = unescape(userinfo.substring(colon + 1), USER_PASSWORD);
            hasPassword = true;
        }
    }

    private String parseHost(String host) throws UrlException {
        int open = host.lastIndexOf('[');
        if (open > 0) {
            throw new UrlException("invalid IP-literal");
        } else if (open == 0) {
            int close = host.lastIndexOf(']');
            if (close < 0) {
                throw new UrlException("missing ']' in host");
            }
            String colonPort = host.substring(close + 1);
            if (!validOptionalPort(colonPort)) {
                throw new UrlException("invalid port " + GoFormat.quote(utf8(colonPort), false) + " after host");
            }
            String unescapedColonPort = unescape(colonPort, HOST);
            String hostname = host.substring(1, close);
            String unescapedHostname;
            int zone = hostname.indexOf("%25");
            if (zone >= 0) {
                unescapedHostname = unescape(hostname.substring(0, zone), HOST)
                        + unescape(hostname.substring(zone), ZONE);
            } else {
                unescapedHostname = unescape(hostname, HOST);
            }
            byte[] addr;
            try {
                addr = GoNetip.parseAddr(unescapedHostname);
            } catch (HostBuiltin.Undefined e) {
                throw new UrlException("invalid host: " + e.getMessage());
            }
            if (addr.length == 4) {
                throw new UrlException("invalid IP-literal");
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
                    throw new UrlException("invalid port " + GoFormat.quote(utf8(colonPort), false) + " after host");
                }
            }
        }
        return unescape(host, HOST);
    }

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

    private void setPath(String p) throws UrlException {
        path = unescape(p, PATH);
        rawPath = p.equals(escape(path, PATH)) ? "" : p;
    }

    private void setFragment(String f) throws UrlException {
        fragment = unescape(f, FRAGMENT);
        rawFragment = f.equals(escape(fragment, FRAGMENT)) ? "" : f;
    }

    private static boolean validEncoded(String s, int mode) {
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

    String escapedPath() {
        if (!rawPath.isEmpty() && validEncoded(rawPath, PATH)) {
            try {
                if (unescape(rawPath, PATH).equals(path)) {
                    return rawPath;
                }
            } catch (UrlException e) {
                // fall through to escaping
            }
        }
        if (path.equals("*")) {
            return "*";
        }
        return escape(path, PATH);
    }

    String escapedFragment() {
        if (!rawFragment.isEmpty() && validEncoded(rawFragment, FRAGMENT)) {
            try {
                if (unescape(rawFragment, FRAGMENT).equals(fragment)) {
                    return rawFragment;
                }
            } catch (UrlException e) {
                // fall through to escaping
            }
        }
        return escape(fragment, FRAGMENT);
    }

    /** {@code URL.String()}, as Go bytes. */
    @Override
    public String toString() {
        StringBuilder buf = new StringBuilder();
        if (!scheme.isEmpty()) {
            buf.append(scheme).append(':');
        }
        if (!opaque.isEmpty()) {
            buf.append(opaque);
        } else {
            if (!scheme.isEmpty() || !host.isEmpty() || hasUser) {
                if (!(omitHost && host.isEmpty() && !hasUser)) {
                    if (!host.isEmpty() || !path.isEmpty() || hasUser) {
                        buf.append("//");
                    }
                    if (hasUser) {
                        buf.append(escape(username, USER_PASSWORD));
                        if (hasPassword) {
                            buf.append(':').append(escape(password, USER_PASSWORD));
                        }
                        buf.append('@');
                    }
                    if (!host.isEmpty()) {
                        buf.append(escape(host, HOST));
                    }
                }
            }
            String p = escapedPath();
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
            buf.append('#').append(escapedFragment());
        }
        return buf.toString();
    }

    /** A copy without its fragment ({@code u.Fragment = ""}; Go leaves {@code RawFragment}, which String ignores). */
    GoSchemaUrl withoutFragment() {
        GoSchemaUrl u = copy();
        u.fragment = "";
        return u;
    }

    /** {@code u.ResolveReference(ref)}. */
    GoSchemaUrl resolveReference(GoSchemaUrl ref) {
        GoSchemaUrl url = ref.copy();
        if (ref.scheme.isEmpty()) {
            url.scheme = scheme;
        }
        try {
            if (!ref.scheme.isEmpty() || !ref.host.isEmpty() || ref.hasUser) {
                url.setPath(resolvePath(ref.escapedPath(), ""));
                return url;
            }
            if (!ref.opaque.isEmpty()) {
                url.hasUser = false;
                url.host = "";
                url.path = "";
                return url;
            }
            if (ref.path.isEmpty() && !ref.forceQuery && ref.rawQuery.isEmpty()) {
                url.rawQuery = rawQuery;
                if (ref.fragment.isEmpty()) {
                    url.fragment = fragment;
                    url.rawFragment = rawFragment;
                }
            }
            if (ref.path.isEmpty() && !opaque.isEmpty()) {
                url.opaque = opaque;
                url.hasUser = false;
                url.host = "";
                url.path = "";
                return url;
            }
            url.host = host;
            url.hasUser = hasUser;
            url.username = username;
            url.password = password;
            url.hasPassword = hasPassword;
            url.setPath(resolvePath(escapedPath(), ref.escapedPath()));
        } catch (UrlException e) {
            // Go ignores setPath's error here; the path then keeps its previous value.
        }
        return url;
    }

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

    /** {@code u.Hostname()}. */
    String hostname() {
        String h = host;
        if (h.startsWith("[")) {
            int close = h.indexOf(']');
            return close < 0 ? h.substring(1) : h.substring(1, close);
        }
        int colon = h.lastIndexOf(':');
        return colon >= 0 && validOptionalPort(h.substring(colon)) ? h.substring(0, colon) : h;
    }
}
