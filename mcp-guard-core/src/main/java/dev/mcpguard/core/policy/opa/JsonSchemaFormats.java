package dev.mcpguard.core.policy.opa;

import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import java.util.Locale;
import java.util.regex.Pattern;

/**
 * gojsonschema's {@code format} checkers as OPA runs them: Go's {@code net/mail.ParseAddress} (email, idn-email),
 * {@code net.ParseIP} (ipv4 and ipv6: an IPv4-mapped IPv6 address with a dot is both), {@code time.Parse} with
 * gojsonschema's layouts (date, time, date-time), {@code net/url.Parse} (uri, uri-reference, iri,
 * iri-reference, uri-template), {@code regexp.Compile} (regex), and its regular expressions for hostname, uuid,
 * json-pointer and relative-json-pointer. A value that is not a string, or an unknown format, passes.
 * Thread-safe (stateless).
 */
final class JsonSchemaFormats {

    private static final Pattern HOSTNAME = Pattern.compile("([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\\-]{0,61}[a-zA-Z0-9])"
            + "(\\.([a-zA-Z0-9]|[a-zA-Z0-9][a-zA-Z0-9\\-]{0,61}[a-zA-Z0-9]))*");
    private static final Pattern UUID = Pattern.compile("[a-fA-F0-9]{8}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}-[a-fA-F0-9]{4}"
            + "-[a-fA-F0-9]{12}");
    private static final Pattern JSON_POINTER = Pattern.compile("(?:/(?:[^~/]|~0|~1)*)*", Pattern.DOTALL);
    private static final Pattern RELATIVE_JSON_POINTER = Pattern.compile("(?:0|[1-9][0-9]*)(?:#|(?:/(?:[^~/]|~0|~1)*)*)",
            Pattern.DOTALL);

    private JsonSchemaFormats() {
    }

    static boolean isFormat(String format, Object value) {
        if (!(value instanceof String s)) {
            return true;
        }
        return switch (format) {
            case "date" -> GoTime.parses("2006-01-02", s);
            case "time" -> GoTime.parses("15:04:05Z07:00", s) || GoTime.parses("15:04:05", s);
            case "date-time" -> GoTime.parses("15:04:05", s) || GoTime.parses("15:04:05Z07:00", s)
                    || GoTime.parses("2006-01-02", s) || GoTime.parses("2006-01-02T15:04:05Z07:00", s)
                    || GoTime.parses("2006-01-02T15:04:05.999999999Z07:00", s);
            case "hostname" -> HOSTNAME.matcher(s).matches() && s.length() < 256;
            case "email", "idn-email" -> isAddress(s);
            case "ipv4" -> GoNetip.isIp(GoTime.bytes(s)) && s.contains(".");
            case "ipv6" -> GoNetip.isIp(GoTime.bytes(s)) && s.contains(":");
            case "uri", "iri" -> {
                GoUrl.Url u = url(s);
                yield u != null && !u.scheme().isEmpty() && !s.contains("\\");
            }
            case "uri-reference", "iri-reference" -> url(s) != null && !s.contains("\\");
            case "uri-template" -> {
                GoUrl.Url u = url(s);
                yield u != null && !s.contains("\\") && template(GoUrl.utf8(u.path()));
            }
            case "uuid" -> UUID.matcher(s).matches();
            case "regex" -> s.isEmpty() || SchemaRegexp.compile(s) != null;
            case "json-pointer" -> JSON_POINTER.matcher(s).matches();
            case "relative-json-pointer" -> RELATIVE_JSON_POINTER.matcher(s).matches();
            default -> true;
        };
    }

    private static GoUrl.Url url(String s) {
        try {
            return GoUrl.parse(GoTime.bytes(s));
        } catch (HostBuiltin.Undefined e) {
            return null;
        }
    }

    /** {@code ^([^{]*({[^}]*})?)*$}: every {@code {} closed by a later {@code }}. */
    private static boolean template(String path) {
        boolean open = false;
        for (int i = 0; i < path.length(); i++) {
            char c = path.charAt(i);
            if (!open && c == '{') {
                open = true;
            } else if (open && c == '}') {
                open = false;
            }
        }
        return !open;
    }

    // ------------------------------------------------------------------ net/mail.ParseAddress

    /** Whether Go's {@code mail.ParseAddress(s)} succeeds. */
    static boolean isAddress(String s) {
        try {
            new AddressParser(s).parseSingleAddress();
            return true;
        } catch (IllegalArgumentException | IndexOutOfBoundsException e) {
            return false;
        }
    }

    private static final class AddressParser {
        private String s;

        AddressParser(String s) {
            this.s = s;
        }

        private static IllegalArgumentException fail(String why) {
            return new IllegalArgumentException(why);
        }

        void parseSingleAddress() {
            int addresses = parseAddress(true);
            if (!skipCfws()) {
                throw fail("misformatted parenthetical comment");
            }
            if (!s.isEmpty()) {
                throw fail("expected single address");
            }
            if (addresses == 0) {
                throw fail("empty group");
            }
            if (addresses > 1) {
                throw fail("group with multiple addresses");
            }
        }

        /** The number of addresses parsed. */
        private int parseAddress(boolean handleGroup) {
            skipSpace();
            if (s.isEmpty()) {
                throw fail("no address");
            }
            String saved = s;
            try {
                consumeAddrSpec();
                skipSpace();
                if (!s.isEmpty() && s.charAt(0) == '(') {
                    consumeDisplayNameComment();
                }
                return 1;
            } catch (IllegalArgumentException e) {
                s = saved;
            }
            if (s.charAt(0) != '<') {
                consumePhrase();
            }
            skipSpace();
            if (handleGroup && consume(':')) {
                return consumeGroupList();
            }
            if (!consume('<')) {
                throw fail("no angle-addr");
            }
            consumeAddrSpec();
            if (!consume('>')) {
                throw fail("unclosed angle-addr");
            }
            return 1;
        }

        private int consumeGroupList() {
            int count = 0;
            skipSpace();
            if (consume(';')) {
                if (!skipCfws()) {
                    throw fail("misformatted parenthetical comment");
                }
                return 0;
            }
            while (true) {
                skipSpace();
                count += parseAddress(false);
                if (!skipCfws()) {
                    throw fail("misformatted parenthetical comment");
                }
                if (consume(';')) {
                    if (!skipCfws()) {
                        throw fail("misformatted parenthetical comment");
                    }
                    return count;
                }
                if (!consume(',')) {
                    throw fail("expected comma");
                }
            }
        }

        private void consumeAddrSpec() {
            String orig = s;
            try {
                skipSpace();
                if (s.isEmpty()) {
                    throw fail("no addr-spec");
                }
                if (s.charAt(0) == '"') {
                    if (consumeQuotedString().isEmpty()) {
                        throw fail("empty quoted string in addr-spec");
                    }
                } else {
                    consumeAtom(true, false);
                }
                if (!consume('@')) {
                    throw fail("missing @ in addr-spec");
                }
                skipSpace();
                if (s.isEmpty()) {
                    throw fail("no domain in addr-spec");
                }
                if (s.charAt(0) == '[') {
                    consumeDomainLiteral();
                } else {
                    consumeAtom(true, false);
                }
            } catch (IllegalArgumentException e) {
                s = orig;
                throw e;
            }
        }

        private String consumePhrase() {
            List<String> words = new ArrayList<>();
            StringBuilder sb = new StringBuilder();
            boolean failed = false;
            String failure = null;
            while (true) {
                if (!words.isEmpty() && !skipCfws()) {
                    throw fail("misformatted parenthetical comment");
                }
                skipSpace();
                if (s.isEmpty()) {
                    break;
                }
                String word;
                boolean encoded = false;
                try {
                    if (s.charAt(0) == '"') {
                        word = consumeQuotedString();
                    } else {
                        word = consumeAtom(true, true);
                        int decoded = decodeRfc2047(word);
                        if (decoded < 0) {
                            throw fail("charset not supported");
                        }
                        encoded = decoded > 0;
                    }
                } catch (IllegalArgumentException e) {
                    failed = true;
                    failure = e.getMessage();
                    break;
                }
                if (encoded) {
                    sb.append(word);
                } else if (sb.length() > 0) {
                    words.add(sb.toString());
                    sb.setLength(0);
                    words.add(word);
                } else {
                    words.add(word);
                }
            }
            if (sb.length() > 0) {
                words.add(sb.toString());
            }
            if (failed && words.isEmpty()) {
                throw fail("missing word in phrase: " + failure);
            }
            return String.join(" ", words);
        }

        private String consumeQuotedString() {
            int i = 1;
            StringBuilder qs = new StringBuilder();
            boolean escaped = false;
            while (true) {
                if (i >= s.length()) {
                    throw fail("unclosed quoted-string");
                }
                int r = s.codePointAt(i);
                int size = Character.charCount(r);
                if (escaped) {
                    if (!isVchar(r) && !isWsp(r)) {
                        throw fail("bad character in quoted-string");
                    }
                    qs.appendCodePoint(r);
                    escaped = false;
                } else if (isQtext(r) || isWsp(r)) {
                    qs.appendCodePoint(r);
                } else if (r == '"') {
                    break;
                } else if (r == '\\') {
                    escaped = true;
                } else {
                    throw fail("bad character in quoted-string");
                }
                i += size;
            }
            s = s.substring(i + 1);
            return qs.toString();
        }

        private String consumeAtom(boolean dot, boolean permissive) {
            int i = 0;
            while (i < s.length()) {
                int r = s.codePointAt(i);
                if (!isAtext(r, dot)) {
                    break;
                }
                i += Character.charCount(r);
            }
            if (i == 0) {
                throw fail("invalid string");
            }
            String atom = s.substring(0, i);
            s = s.substring(i);
            if (!permissive) {
                if (atom.startsWith(".")) {
                    throw fail("leading dot in atom");
                }
                if (atom.contains("..")) {
                    throw fail("double dot in atom");
                }
                if (atom.endsWith(".")) {
                    throw fail("trailing dot in atom");
                }
            }
            return atom;
        }

        private void consumeDomainLiteral() {
            if (!consume('[')) {
                throw fail("missing [ in domain-literal");
            }
            StringBuilder dtext = new StringBuilder();
            while (true) {
                if (s.isEmpty()) {
                    throw fail("unclosed domain-literal");
                }
                if (s.charAt(0) == ']') {
                    break;
                }
                int r = s.codePointAt(0);
                if (!isDtext(r)) {
                    throw fail("bad character in domain-literal");
                }
                dtext.appendCodePoint(r);
                s = s.substring(Character.charCount(r));
            }
            if (!consume(']')) {
                throw fail("unclosed domain-literal");
            }
            if (!GoNetip.isIp(GoTime.bytes(dtext.toString()))) {
                throw fail("invalid IP address in domain-literal");
            }
        }

        private void consumeDisplayNameComment() {
            if (!consume('(')) {
                throw fail("comment does not start with (");
            }
            String comment = consumeComment();
            if (comment == null) {
                throw fail("misformatted parenthetical comment");
            }
            for (String word : comment.split("[ \t]+")) {
                if (!word.isEmpty() && decodeRfc2047(word) < 0) {
                    throw fail("charset not supported");
                }
            }
        }

        private boolean consume(char c) {
            if (s.isEmpty() || s.charAt(0) != c) {
                return false;
            }
            s = s.substring(1);
            return true;
        }

        private void skipSpace() {
            int i = 0;
            while (i < s.length() && (s.charAt(i) == ' ' || s.charAt(i) == '\t')) {
                i++;
            }
            s = s.substring(i);
        }

        private boolean skipCfws() {
            skipSpace();
            while (consume('(')) {
                if (consumeComment() == null) {
                    return false;
                }
                skipSpace();
            }
            return true;
        }

        /** The comment's text, or null when it is not closed. */
        private String consumeComment() {
            int depth = 1;
            StringBuilder comment = new StringBuilder();
            while (!s.isEmpty() && depth != 0) {
                if (s.charAt(0) == '\\' && s.length() > 1) {
                    s = s.substring(1);
                } else if (s.charAt(0) == '(') {
                    depth++;
                } else if (s.charAt(0) == ')') {
                    depth--;
                }
                if (depth > 0) {
                    comment.append(s.charAt(0));
                }
                s = s.substring(1);
            }
            return depth == 0 ? comment.toString() : null;
        }
    }

    /**
     * {@code decodeRFC2047Word} with {@code mime.WordDecoder}: 1 for an encoded word OPA decodes (UTF-8, ISO-8859-1,
     * US-ASCII), -1 for an encoded word in another charset (an error), 0 for a plain word.
     */
    private static int decodeRfc2047(String word) {
        if (word.length() < 8 || !word.startsWith("=?") || !word.endsWith("?=")
                || word.chars().filter(c -> c == '?').count() != 4) {
            return 0;
        }
        String inner = word.substring(2, word.length() - 2);
        int q1 = inner.indexOf('?');
        String charset = inner.substring(0, q1);
        if (charset.isEmpty()) {
            return 0;
        }
        String rest = inner.substring(q1 + 1);
        int q2 = rest.indexOf('?');
        String encoding = rest.substring(0, q2);
        String text = rest.substring(q2 + 1);
        if (encoding.length() != 1) {
            return 0;
        }
        char e = encoding.charAt(0);
        if (e == 'B' || e == 'b') {
            try {
                Base64.getDecoder().decode(text);
                if (text.length() % 4 != 0) {
                    return 0;
                }
            } catch (IllegalArgumentException ex) {
                return 0;
            }
        } else if (e == 'Q' || e == 'q') {
            for (int i = 0; i < text.length(); i++) {
                char c = text.charAt(i);
                if (c == '=') {
                    if (i + 2 >= text.length() || !isHex(text.charAt(i + 1)) || !isHex(text.charAt(i + 2))) {
                        return 0;
                    }
                    i += 2;
                } else if (!(c >= ' ' && c <= '~' || c == '\n' || c == '\r' || c == '\t')) {
                    return 0;
                }
            }
        } else {
            return 0;
        }
        String lower = charset.toLowerCase(Locale.ROOT);
        return lower.equals("utf-8") || lower.equals("iso-8859-1") || lower.equals("us-ascii") ? 1 : -1;
    }

    private static boolean isHex(char c) {
        return '0' <= c && c <= '9' || 'a' <= c && c <= 'f' || 'A' <= c && c <= 'F';
    }

    private static boolean isAtext(int r, boolean dot) {
        if (r == '.') {
            return dot;
        }
        if ("()<>[]:;@\\,\"".indexOf(r) >= 0) {
            return false;
        }
        return isVchar(r);
    }

    private static boolean isQtext(int r) {
        return r != '\\' && r != '"' && isVchar(r);
    }

    private static boolean isVchar(int r) {
        return '!' <= r && r <= '~' || r >= 0x80;
    }

    private static boolean isWsp(int r) {
        return r == ' ' || r == '\t';
    }

    private static boolean isDtext(int r) {
        return r != '[' && r != ']' && r != '\\' && isVchar(r);
    }
}
