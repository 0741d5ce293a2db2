package dev.mcpguard.core.policy.opa;

/**
 * The part of Go's {@code net/netip.ParseAddr} that Go's {@code url.Parse} needs to accept a bracketed host: an
 * IPv6 address (hex groups of at most four digits, one {@code ::} standing for at least one zero group, an
 * optional dotted IPv4 tail in the last 32 bits with no leading zeroes, an optional non-empty {@code %zone}).
 * Thread-safe (stateless).
 */
final class GoNetip {

    private GoNetip() {
    }

    /** Whether {@code ParseAddr(s)} succeeds with an address that is not plain IPv4 (IPv4-mapped IPv6 is fine). */
    static boolean isIpv6Literal(byte[] s) {
        for (byte b : s) {
            if (b == '.' || b == '%') {
                return false; // ParseAddr reads IPv4 (which brackets may not hold) or fails on a missing address
            }
            if (b == ':') {
                return parseIpv6(s);
            }
        }
        return false;
    }

    /** Go's {@code parseIPv6}, as a yes or no. */
    private static boolean parseIpv6(byte[] in) {
        int end = in.length;
        int percent = GoUrl.indexOf(in, '%', 0);
        if (percent >= 0) {
            if (percent == in.length - 1) {
                return false; // zone must be a non-empty string
            }
            end = percent;
        }
        int pos = 0;
        int fields = 0; // bytes of the 16 filled so far
        int ellipsis = -1;
        if (end - pos >= 2 && in[pos] == ':' && in[pos + 1] == ':') {
            ellipsis = 0;
            pos += 2;
            if (pos == end) {
                return true;
            }
        }
        while (fields < 16) {
            int off = 0;
            while (pos + off < end && isHex(in[pos + off])) {
                off++;
                if (off > 4) {
                    return false; // each group must have 4 or less digits
                }
            }
            if (off == 0) {
                return false; // each colon-separated field must have at least one digit
            }
            if (pos + off < end && in[pos + off] == '.') {
                if (ellipsis < 0 && fields != 12 || fields + 4 > 16) {
                    return false;
                }
                if (!ipv4Fields(in, pos, end)) {
                    return false;
                }
                pos = end;
                fields += 4;
                break;
            }
            fields += 2;
            pos += off;
            if (pos == end) {
                break;
            }
            if (in[pos] != ':' || pos + 1 == end) {
                return false; // want a colon followed by more
            }
            pos++;
            if (in[pos] == ':') {
                if (ellipsis >= 0) {
                    return false; // multiple ::
                }
                ellipsis = fields;
                pos++;
                if (pos == end) {
                    break;
                }
            }
        }
        if (pos != end) {
            return false; // trailing garbage
        }
        if (fields < 16) {
            return ellipsis >= 0;
        }
        return ellipsis < 0; // the :: must expand to at least one zero field
    }

    /** Go's {@code parseIPv4Fields}: four decimal octets, no leading zeroes, none empty. */
    private static boolean ipv4Fields(byte[] in, int from, int end) {
        int val = 0;
        int dots = 0;
        int digits = 0;
        for (int i = from; i < end; i++) {
            byte c = in[i];
            if (c >= '0' && c <= '9') {
                if (digits == 1 && val == 0) {
                    return false;
                }
                val = val * 10 + (c - '0');
                digits++;
                if (val > 255) {
                    return false;
                }
            } else if (c == '.') {
                if (i == from || i == end - 1 || in[i - 1] == '.' || dots == 3) {
                    return false;
                }
                dots++;
                val = 0;
                digits = 0;
            } else {
                return false;
            }
        }
        return dots == 3;
    }

    private static boolean isHex(byte c) {
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F';
    }
}
