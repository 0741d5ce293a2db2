package dev.mcpguard.core.policy.opa;

import java.util.Arrays;

/**
 * Go's {@code net/netip.ParseAddr} (Go 1.26), as {@code url.Parse} uses it to accept a bracketed host
 * ({@link GoUrl}) and gojsonschema's {@code ipv4} and {@code ipv6} formats use it through {@code net.ParseIP}:
 * dotted IPv4 with four decimal fields and no leading zeroes; IPv6 with hex groups of at most four digits, one
 * {@code ::} standing for at least one zero group, an optional dotted IPv4 tail in the last 32 bits and an optional
 * non-empty {@code %zone}. Strings are Go strings, one char per UTF-8 byte ({@link GoTime#bytes}); errors are
 * {@link HostBuiltin.Undefined} with Go's text ({@code ParseAddr("…"): …}). Thread-safe (stateless).
 */
final class GoNetip {

    private GoNetip() {
    }

    /** {@code netip.ParseAddr}: 4 bytes for IPv4, 16 for IPv6 (a zone is accepted and dropped). */
    static byte[] parseAddr(String s) throws HostBuiltin.Undefined {
        for (int i = 0; i < s.length(); i++) {
            switch (s.charAt(i)) {
                case '.':
                    byte[] four = new byte[4];
                    parseIPv4Fields(s, 0, s.length(), four, 0);
                    return four;
                case ':':
                    return parseIPv6(s);
                case '%':
                    throw addrError(s, "missing IPv6 address", "");
                default:
                    break;
            }
        }
        throw addrError(s, "unable to parse IP", "");
    }

    /** {@code net.ParseIP(s) != nil}: an address without a zone. */
    static boolean isIp(String s) {
        try {
            parseAddr(s);
            return s.indexOf('%') < 0;
        } catch (HostBuiltin.Undefined e) {
            return false;
        }
    }

    private static HostBuiltin.Undefined addrError(String in, String msg, String at) {
        String q = "ParseAddr(" + GoFormat.quote(GoUrl.utf8(in), false) + "): " + msg;
        return new HostBuiltin.Undefined(at.isEmpty() ? q : q + " (at " + GoFormat.quote(GoUrl.utf8(at), false) + ")");
    }

    private static void parseIPv4Fields(String in, int off, int end, byte[] fields, int at)
            throws HostBuiltin.Undefined {
        int val = 0;
        int pos = 0;
        int digLen = 0;
        String s = in.substring(off, end);
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c >= '0' && c <= '9') {
                if (digLen == 1 && val == 0) {
                    throw addrError(in, "IPv4 field has octet with leading zero", "");
                }
                val = val * 10 + c - '0';
                digLen++;
                if (val > 255) {
                    throw addrError(in, "IPv4 field has value >255", "");
                }
            } else if (c == '.') {
                if (i == 0 || i == s.length() - 1 || s.charAt(i - 1) == '.') {
                    throw addrError(in, "IPv4 field must have at least one digit", s.substring(i));
                }
                if (pos == 3) {
                    throw addrError(in, "IPv4 address too long", "");
                }
                fields[at + pos] = (byte) val;
                pos++;
                val = 0;
                digLen = 0;
            } else {
                throw addrError(in, "unexpected character", s.substring(i));
            }
        }
        if (pos < 3) {
            throw addrError(in, "IPv4 address too short", "");
        }
        fields[at + 3] = (byte) val;
    }

    private static byte[] parseIPv6(String in) throws HostBuiltin.Undefined {
        String s = in;
        String zone = "";
        int pct = s.indexOf('%');
        if (pct >= 0) {
            zone = s.substring(pct + 1);
            s = s.substring(0, pct);
            if (zone.isEmpty()) {
                throw addrError(in, "zone must be a non-empty string", "");
            }
        }
        byte[] ip = new byte[16];
        int ellipsis = -1;
        if (s.length() >= 2 && s.charAt(0) == ':' && s.charAt(1) == ':') {
            ellipsis = 0;
            s = s.substring(2);
            if (s.isEmpty()) {
                return ip;
            }
        }
        int i = 0;
        while (i < 16) {
            int off = 0;
            int acc = 0;
            for (; off < s.length(); off++) {
                int d = Character.digit(s.charAt(off), 16);
                if (d < 0 || s.charAt(off) > 'f') {
                    break;
                }
                acc = (acc << 4) + d;
                if (off > 3) {
                    throw addrError(in, "each group must have 4 or less digits", s);
                }
                if (acc > 0xFFFF) {
                    throw addrError(in, "IPv6 field has value >=2^16", s);
                }
            }
            if (off == 0) {
                throw addrError(in, "each colon-separated field must have at least one digit", s);
            }
            if (off < s.length() && s.charAt(off) == '.') {
                if (ellipsis < 0 && i != 12) {
                    throw addrError(in, "embedded IPv4 address must replace the final 2 fields of the address", s);
                }
                if (i + 4 > 16) {
                    throw addrError(in, "too many hex fields to fit an embedded IPv4 at the end of the address", s);
                }
                int end = in.length();
                if (!zone.isEmpty()) {
                    end -= zone.length() + 1;
                }
                parseIPv4Fields(in, end - s.length(), end, ip, i);
                s = "";
                i += 4;
                break;
            }
            ip[i] = (byte) (acc >> 8);
            ip[i + 1] = (byte) acc;
            i += 2;
            s = s.substring(off);
            if (s.isEmpty()) {
                break;
            }
            if (s.charAt(0) != ':') {
                throw addrError(in, "unexpected character, want colon", s);
            } else if (s.length() == 1) {
                throw addrError(in, "colon must be followed by more characters", s);
            }
            s = s.substring(1);
            if (s.charAt(0) == ':') {
                if (ellipsis >= 0) {
                    throw addrError(in, "multiple :: in address", s);
                }
                ellipsis = i;
                s = s.substring(1);
                if (s.isEmpty()) {
                    break;
                }
            }
        }
        if (!s.isEmpty()) {
            throw addrError(in, "trailing garbage after address", s);
        }
        if (i < 16) {
            if (ellipsis < 0) {
                throw addrError(in, "address string too short", "");
            }
            int n = 16 - i;
            for (int j = i - 1; j >= ellipsis; j--) {
                ip[j + n] = ip[j];
            }
            Arrays.fill(ip, ellipsis, ellipsis + n, (byte) 0);
        } else if (ellipsis >= 0) {
            throw addrError(in, "the :: must expand to at least one field of zeros", "");
        }
        return ip;
    }
}
