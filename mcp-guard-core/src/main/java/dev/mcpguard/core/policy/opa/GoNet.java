package dev.mcpguard.core.policy.opa;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.HexFormat;

/**
 * A port of what OPA's {@code net.cidr_*} builtins use from Go's {@code net} and {@code net/netip} (Go 1.26, the
 * toolchain of OPA 1.22.2): {@code net.ParseIP}, {@code net.ParseCIDR} (both through {@code netip.ParseAddr}) and
 * the methods of {@code net.IP}, {@code net.IPMask} and {@code net.IPNet}. Addresses are Go's byte slices, of
 * whatever length Go would give them (4, 16, or an odd length OPA's merge code produces), with {@code null} for
 * Go's {@code nil}; nothing is normalised that Go does not normalise. Parsing is over the string's UTF-8 bytes,
 * with no name resolution and no other syntax: dotted IPv4 with exactly four decimal fields and no leading
 * zeroes, IPv6 with at most one {@code ::} and an optional trailing dotted IPv4, and a zone ({@code %eth0})
 * rejected as both Go functions reject it. Thread-safe (stateless).
 */
final class GoNet {

    static final int IPV4_LEN = 4;
    static final int IPV6_LEN = 16;

    private static final byte[] V4_IN_V6_PREFIX = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff};
    /** {@code net.dtoi}'s bound: a longer decimal is out of range. */
    private static final int DTOI_BIG = 0xFFFFFF;

    private GoNet() {
    }

    /** A {@code net.IPNet}: network number and mask, each {@code null} or of any length, as Go's slices are. */
    record IpNet(byte[] ip, byte[] mask) {
    }

    /** What {@code net.ParseCIDR} returns: the address as written (16 bytes) and its network. */
    record Cidr(byte[] ip, IpNet net) {
    }

    /** {@code net.ParseIP}: the 16-byte form of {@code s}, or {@code null} when it is not an address. */
    static byte[] parseIp(String s) {
        Addr addr = parseAddr(s.getBytes(StandardCharsets.UTF_8));
        return addr == null || addr.zoned ? null : addr.bytes.clone();
    }

    /** {@code net.ParseCIDR}, or {@code null} where Go returns an error. */
    static Cidr parseCidr(String s) {
        byte[] text = s.getBytes(StandardCharsets.UTF_8);
        int slash = indexOf(text, (byte) '/', 0, text.length);
        if (slash < 0) {
            return null;
        }
        Addr addr = parseAddr(Arrays.copyOfRange(text, 0, slash));
        if (addr == null || addr.zoned) {
            return null;
        }
        int bits = addr.v4 ? 32 : 128;
        long ones = dtoi(text, slash + 1, text.length, bits);
        if (ones < 0) {
            return null;
        }
        byte[] mask = cidrMask((int) ones, bits);
        return new Cidr(addr.bytes.clone(), new IpNet(mask(addr.bytes, mask), mask));
    }

    /** {@code net.dtoi} over the whole of {@code s[from:to]}, or -1 unless it is all digits and at most {@code max}. */
    private static long dtoi(byte[] s, int from, int to, int max) {
        long n = 0;
        int i = from;
        for (; i < to && s[i] >= '0' && s[i] <= '9'; i++) {
            n = n * 10 + (s[i] - '0');
            if (n >= DTOI_BIG) {
                return -1;
            }
        }
        return i == from || i != to || n > max ? -1 : n;
    }

    // ------------------------------------------------------------------ netip.ParseAddr

    /** A parsed {@code netip.Addr}: its 16-byte form, whether it is IPv4 ({@code z4}), whether it had a zone. */
    private record Addr(byte[] bytes, boolean v4, boolean zoned) {
    }

    /** {@code netip.ParseAddr}: the first '.', ':' or '%' decides the syntax. */
    private static Addr parseAddr(byte[] s) {
        for (byte c : s) {
            if (c == '.') {
                byte[] fields = new byte[IPV4_LEN];
                if (!parseIpv4Fields(s, 0, s.length, fields, 0)) {
                    return null;
                }
                return new Addr(to16(fields), true, false);
            }
            if (c == ':') {
                return parseIpv6(s);
            }
            if (c == '%') {
                return null; // "missing IPv6 address"
            }
        }
        return null;
    }

    /** {@code netip.parseIPv4Fields}: four decimal fields of at most 255, no leading zero, written to {@code out}. */
    private static boolean parseIpv4Fields(byte[] in, int from, int to, byte[] out, int at) {
        int val = 0;
        int pos = 0;
        int digits = 0;
        for (int i = from; i < to; i++) {
            byte c = in[i];
            if (c >= '0' && c <= '9') {
                if (digits == 1 && val == 0) {
                    return false; // leading zero
                }
                val = val * 10 + (c - '0');
                digits++;
                if (val > 255) {
                    return false;
                }
            } else if (c == '.') {
                if (i == from || i == to - 1 || in[i - 1] == '.') {
                    return false; // an empty field
                }
                if (pos == 3) {
                    return false; // too long
                }
                out[at + pos] = (byte) val;
                pos++;
                val = 0;
                digits = 0;
            } else {
                return false;
            }
        }
        if (pos < 3) {
            return false;
        }
        out[at + 3] = (byte) val;
        return true;
    }

    /** {@code netip.parseIPv6}, zone included (a zone must be non-empty; the callers then reject it). */
    private static Addr parseIpv6(byte[] in) {
        int end = in.length;
        boolean zoned = false;
        int percent = indexOf(in, (byte) '%', 0, in.length);
        if (percent >= 0) {
            if (percent == in.length - 1) {
                return null; // empty zone
            }
            end = percent;
            zoned = true;
        }
        byte[] ip = new byte[IPV6_LEN];
        int ellipsis = -1;
        int s = 0; // start of the unparsed rest, in[s:end]
        if (end - s >= 2 && in[s] == ':' && in[s + 1] == ':') {
            ellipsis = 0;
            s += 2;
            if (s == end) {
                return new Addr(ip, false, zoned);
            }
        }
        int i = 0;
        while (i < IPV6_LEN) {
            int off = 0;
            int acc = 0;
            for (; s + off < end; off++) {
                int c = in[s + off];
                if (c >= '0' && c <= '9') {
                    acc = (acc << 4) + (c - '0');
                } else if (c >= 'a' && c <= 'f') {
                    acc = (acc << 4) + (c - 'a' + 10);
                } else if (c >= 'A' && c <= 'F') {
                    acc = (acc << 4) + (c - 'A' + 10);
                } else {
                    break;
                }
                if (off > 3) {
                    return null; // more than 4 digits in a group
                }
                if (acc > 0xffff) {
                    return null;
                }
            }
            if (off == 0) {
                return null; // a field without digits
            }
            if (s + off < end && in[s + off] == '.') {
                if (ellipsis < 0 && i != 12) {
                    return null; // embedded IPv4 not in the last 32 bits
                }
                if (i + 4 > IPV6_LEN) {
                    return null;
                }
                if (!parseIpv4Fields(in, s, end, ip, i)) {
                    return null;
                }
                s = end;
                i += 4;
                break;
            }
            ip[i] = (byte) (acc >> 8);
            ip[i + 1] = (byte) acc;
            i += 2;
            s += off;
            if (s == end) {
                break;
            }
            if (in[s] != ':') {
                return null; // want a colon
            } else if (end - s == 1) {
                return null; // a colon must be followed by more
            }
            s++;
            if (in[s] == ':') {
                if (ellipsis >= 0) {
                    return null; // a second ::
                }
                ellipsis = i;
                s++;
                if (s == end) {
                    break;
                }
            }
        }
        if (s != end) {
            return null; // trailing garbage
        }
        if (i < IPV6_LEN) {
            if (ellipsis < 0) {
                return null; // too short
            }
            int n = IPV6_LEN - i;
            for (int j = i - 1; j >= ellipsis; j--) {
                ip[j + n] = ip[j];
            }
            Arrays.fill(ip, ellipsis, ellipsis + n, (byte) 0);
        } else if (ellipsis >= 0) {
            return null; // :: must stand for at least one group
        }
        return new Addr(ip, false, zoned);
    }

    private static int indexOf(byte[] s, byte b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (s[i] == b) {
                return i;
            }
        }
        return -1;
    }

    // ------------------------------------------------------------------ net.IP, net.IPMask, net.IPNet

    static int len(byte[] b) {
        return b == null ? 0 : b.length;
    }

    /** {@code IP.To4}: the 4-byte form of an IPv4 or IPv4-mapped address, else {@code null}. */
    static byte[] to4(byte[] ip) {
        if (len(ip) == IPV4_LEN) {
            return ip;
        }
        if (len(ip) == IPV6_LEN && isZeros(ip, 0, 10) && ip[10] == (byte) 0xff && ip[11] == (byte) 0xff) {
            return Arrays.copyOfRange(ip, 12, 16);
        }
        return null;
    }

    /** {@code IP.To16}. */
    static byte[] to16(byte[] ip) {
        if (len(ip) == IPV4_LEN) {
            byte[] p = Arrays.copyOf(V4_IN_V6_PREFIX, IPV6_LEN);
            System.arraycopy(ip, 0, p, 12, 4);
            return p;
        }
        return len(ip) == IPV6_LEN ? ip : null;
    }

    private static boolean isZeros(byte[] p, int from, int to) {
        for (int i = from; i < to; i++) {
            if (p[i] != 0) {
                return false;
            }
        }
        return true;
    }

    /** {@code CIDRMask}: {@code null} unless bits is 32 or 128 and ones within it. */
    static byte[] cidrMask(int ones, int bits) {
        if (bits != 8 * IPV4_LEN && bits != 8 * IPV6_LEN || ones < 0 || ones > bits) {
            return null;
        }
        byte[] m = new byte[bits / 8];
        int n = ones;
        for (int i = 0; i < m.length; i++) {
            if (n >= 8) {
                m[i] = (byte) 0xff;
                n -= 8;
                continue;
            }
            m[i] = (byte) ~(0xff >> n);
            n = 0;
        }
        return m;
    }

    /** {@code IP.DefaultMask}: the classful mask of an IPv4 address (A below 128, B below 192, else C). */
    static byte[] defaultMask(byte[] ip) {
        byte[] v4 = to4(ip);
        if (v4 == null) {
            return null;
        }
        int first = v4[0] & 0xff;
        return first < 0x80 ? new byte[] {(byte) 0xff, 0, 0, 0}
                : first < 0xc0 ? new byte[] {(byte) 0xff, (byte) 0xff, 0, 0}
                : new byte[] {(byte) 0xff, (byte) 0xff, (byte) 0xff, 0};
    }

    /** {@code IP.Mask}: a 16-byte mask on a 4-byte address and a 4-byte mask on a mapped address are adapted. */
    static byte[] mask(byte[] ip, byte[] mask) {
        byte[] m = mask;
        byte[] a = ip;
        if (len(m) == IPV6_LEN && len(a) == IPV4_LEN && allFf(m, 0, 12)) {
            m = Arrays.copyOfRange(m, 12, 16);
        }
        if (len(m) == IPV4_LEN && len(a) == IPV6_LEN && Arrays.equals(a, 0, 12, V4_IN_V6_PREFIX, 0, 12)) {
            a = Arrays.copyOfRange(a, 12, 16);
        }
        if (len(a) != len(m)) {
            return null;
        }
        byte[] out = new byte[len(a)];
        for (int i = 0; i < out.length; i++) {
            out[i] = (byte) (a[i] & m[i]);
        }
        return out;
    }

    private static boolean allFf(byte[] b, int from, int to) {
        for (int i = from; i < to; i++) {
            if (b[i] != (byte) 0xff) {
                return false;
            }
        }
        return true;
    }

    /** {@code IP.Equal}: a 4-byte address equals its mapped 16-byte form. */
    static boolean equal(byte[] ip, byte[] x) {
        if (len(ip) == len(x)) {
            return Arrays.equals(ip == null ? new byte[0] : ip, x == null ? new byte[0] : x);
        }
        if (len(ip) == IPV4_LEN && len(x) == IPV6_LEN) {
            return Arrays.equals(x, 0, 12, V4_IN_V6_PREFIX, 0, 12) && Arrays.equals(ip, 0, 4, x, 12, 16);
        }
        if (len(ip) == IPV6_LEN && len(x) == IPV4_LEN) {
            return Arrays.equals(ip, 0, 12, V4_IN_V6_PREFIX, 0, 12) && Arrays.equals(ip, 12, 16, x, 0, 4);
        }
        return false;
    }

    /** {@code bytes.Compare}: unsigned lexicographic, a prefix first; {@code null} is empty. */
    static int compare(byte[] a, byte[] b) {
        return Integer.signum(Arrays.compareUnsigned(a == null ? new byte[0] : a, b == null ? new byte[0] : b));
    }

    /** {@code simpleMaskLength}: the number of leading ones, or -1 when the mask is not ones then zeros. */
    static int simpleMaskLength(byte[] mask) {
        int n = 0;
        for (int i = 0; i < len(mask); i++) {
            int v = mask[i] & 0xff;
            if (v == 0xff) {
                n += 8;
                continue;
            }
            while ((v & 0x80) != 0) {
                n++;
                v = (v << 1) & 0xff;
            }
            if (v != 0) {
                return -1;
            }
            for (i++; i < mask.length; i++) {
                if (mask[i] != 0) {
                    return -1;
                }
            }
            break;
        }
        return n;
    }

    /** {@code IPMask.Size}: {ones, bits}, or {0, 0} for a mask that is not canonical. */
    static int[] size(byte[] mask) {
        int ones = simpleMaskLength(mask);
        return ones == -1 ? new int[] {0, 0} : new int[] {ones, len(mask) * 8};
    }

    /** {@code networkNumberAndMask}: {ip, mask} of the network, or {null, null} when they do not fit together. */
    private static byte[][] networkNumberAndMask(IpNet n) {
        byte[] ip = to4(n.ip());
        if (ip == null) {
            ip = n.ip();
            if (len(ip) != IPV6_LEN) {
                return new byte[][] {null, null};
            }
        }
        byte[] m = n.mask();
        switch (len(m)) {
            case IPV4_LEN:
                if (len(ip) != IPV4_LEN) {
                    return new byte[][] {null, null};
                }
                break;
            case IPV6_LEN:
                if (len(ip) == IPV4_LEN) {
                    m = Arrays.copyOfRange(m, 12, 16);
                }
                break;
            default:
                return new byte[][] {null, null};
        }
        return new byte[][] {ip, m};
    }

    /** {@code IPNet.Contains}: an IPv4 or mapped address is compared in its 4-byte form. */
    static boolean contains(IpNet n, byte[] ip) {
        byte[][] nm = networkNumberAndMask(n);
        byte[] nn = nm[0];
        byte[] m = nm[1];
        byte[] x = to4(ip);
        byte[] a = x != null ? x : ip;
        int l = len(a);
        if (l != len(nn)) {
            return false;
        }
        for (int i = 0; i < l; i++) {
            if ((nn[i] & m[i]) != (a[i] & m[i])) {
                return false;
            }
        }
        return true;
    }

    /** {@code IP.String}: dotted for IPv4 and mapped addresses, RFC 5952 for IPv6, {@code ?hex} for other lengths. */
    static String ipString(byte[] ip) {
        if (len(ip) == 0) {
            return "<nil>";
        }
        if (ip.length != IPV4_LEN && ip.length != IPV6_LEN) {
            return "?" + HexFormat.of().formatHex(ip);
        }
        byte[] v4 = to4(ip);
        if (v4 != null) {
            return (v4[0] & 0xff) + "." + (v4[1] & 0xff) + "." + (v4[2] & 0xff) + "." + (v4[3] & 0xff);
        }
        int zeroStart = 255;
        int zeroEnd = 255;
        for (int i = 0; i < 8; i++) {
            int j = i;
            while (j < 8 && group(ip, j) == 0) {
                j++;
            }
            int l = j - i;
            if (l >= 2 && l > zeroEnd - zeroStart) {
                zeroStart = i;
                zeroEnd = j;
            }
        }
        StringBuilder out = new StringBuilder(39);
        for (int i = 0; i < 8; i++) {
            if (i == zeroStart) {
                out.append("::");
                i = zeroEnd;
                if (i >= 8) {
                    break;
                }
            } else if (i > 0) {
                out.append(':');
            }
            out.append(Integer.toHexString(group(ip, i)));
        }
        return out.toString();
    }

    private static int group(byte[] ip, int i) {
        return ((ip[2 * i] & 0xff) << 8) | (ip[2 * i + 1] & 0xff);
    }

    /** {@code IPNet.String}: {@code ip/ones}, {@code ip/hexmask} for a mask that is not canonical, or {@code <nil>}. */
    static String netString(IpNet n) {
        byte[][] nm = networkNumberAndMask(n);
        if (nm[0] == null || nm[1] == null) {
            return "<nil>";
        }
        int l = simpleMaskLength(nm[1]);
        if (l == -1) {
            return ipString(nm[0]) + "/" + HexFormat.of().formatHex(nm[1]);
        }
        return ipString(nm[0]) + "/" + l;
    }
}
