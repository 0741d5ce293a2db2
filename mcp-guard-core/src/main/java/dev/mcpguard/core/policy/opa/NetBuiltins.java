package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.styra.opa.wasm.OpaBuiltin;
import java.math.BigInteger;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.TreeSet;

/**
 * OPA's {@code net.cidr_is_valid}, {@code net.cidr_expand}, {@code net.cidr_contains_matches} and
 * {@code net.cidr_merge} (topdown/cidr.go and internal/cidr/merge, which is Cilium's), over Go's address parsing
 * ({@link GoNet}): an IPv4-mapped IPv6 address is the IPv4 address for containment, a host address given to
 * {@code net.cidr_merge} gets its classful mask ({@code 10.1.2.3} is {@code 10.1.2.3/8}), and the merge keeps
 * Cilium's arithmetic on addresses of any length. Where OPA's Go code errors the builtin is undefined; where it
 * panics (some merges of IPv6 ranges starting with a zero byte, {@code ::2/128} with {@code ::3/128}, or mixing
 * {@code ::ffff:0:0/96} with IPv4) {@code opa} gives no decision at all, and the builtin is undefined too.
 * {@code net.cidr_expand} is undefined beyond {@value #MAX_EXPANSION} addresses (OPA expands any network, in time
 * and memory in proportion). Results are sets, in Rego's order. Thread-safe (stateless).
 */
final class NetBuiltins {

    /** The most addresses {@code net.cidr_expand} gives: an IPv4 /16 or an IPv6 /112. */
    static final int MAX_EXPANSION = 1 << 16;
    private static final int MAX_EXPANSION_BITS = 16;

    private static final byte[] V4_MAPPED_PREFIX = {0, 0, 0, 0, 0, 0, 0, 0, 0, 0, (byte) 0xff, (byte) 0xff};
    private static final byte[] DEFAULT_IPV4 = concat(V4_MAPPED_PREFIX, new byte[4]);
    private static final byte[] DEFAULT_IPV6 = new byte[16];
    private static final byte[] UPPER_IPV4 = concat(V4_MAPPED_PREFIX, new byte[] {-1, -1, -1, -1});
    private static final byte[] UPPER_IPV6 = filled(16, (byte) 0xff);
    private static final byte[] IPV4_LEADING_ZEROES = new byte[10];
    private static final int IPV4_BITS = 32;
    private static final int IPV6_BITS = 128;

    private NetBuiltins() {
    }

    /**
     * Thrown where OPA's Go code panics, so that {@code opa} gives no decision (eval crashes, the server drops the
     * connection). Any exception out of these functions other than {@link HostBuiltin.Undefined} (this one, or an
     * index out of bounds where Go indexes out of bounds too) marks such an input; the host builtin is undefined.
     */
    static final class GoPanic extends RuntimeException {
        private static final long serialVersionUID = 1L;

        GoPanic(String why) {
            super(why, null, false, false);
        }
    }

    static List<OpaBuiltin.Builtin> all() {
        return List.of(
                HostBuiltin.of1("net.cidr_is_valid", NetBuiltins::isValid),
                HostBuiltin.of1("net.cidr_expand", NetBuiltins::expand),
                HostBuiltin.of2("net.cidr_contains_matches", NetBuiltins::containsMatches),
                HostBuiltin.of1("net.cidr_merge", NetBuiltins::merge));
    }

    /** Any operand: false unless a string that {@code net.ParseCIDR} takes. */
    static JsonNode isValid(JsonNode cidr) {
        return BooleanNode.valueOf(cidr.isTextual() && GoNet.parseCidr(cidr.textValue()) != null);
    }

    /** Every address of the network, from its network number on, as {@code IP.String} writes them. */
    static JsonNode expand(JsonNode operand) throws HostBuiltin.Undefined {
        GoNet.Cidr cidr = parseCidr(HostBuiltin.text(operand));
        int[] size = GoNet.size(cidr.net().mask());
        if (size[1] - size[0] > MAX_EXPANSION_BITS) {
            throw new HostBuiltin.Undefined("more than " + MAX_EXPANSION + " addresses");
        }
        TreeSet<String> addresses = new TreeSet<>();
        byte[] ip = GoNet.mask(cidr.ip(), cidr.net().mask());
        for (int n = 0; GoNet.contains(cidr.net(), ip) && n <= MAX_EXPANSION; n++) {
            addresses.add(GoNet.ipString(ip));
            increment(ip);
        }
        return strings(addresses);
    }

    private static void increment(byte[] ip) {
        for (int j = GoNet.len(ip) - 1; j >= 0; j--) {
            ip[j]++;
            if (ip[j] != 0) {
                break;
            }
        }
    }

    private static GoNet.Cidr parseCidr(String s) throws HostBuiltin.Undefined {
        GoNet.Cidr cidr = GoNet.parseCidr(s);
        if (cidr == null) {
            throw new HostBuiltin.Undefined("invalid CIDR address");
        }
        return cidr;
    }

    // ------------------------------------------------------------------ net.cidr_contains_matches

    /** One CIDR (or address) of an operand and the key it is reported under. */
    private record Candidate(JsonNode cidr, JsonNode key) {
    }

    /**
     * Every [key1, key2] whose CIDR of the second operand is in the CIDR of the first. An operand that is not a
     * string, array, set or object contributes nothing; a bad element is undefined only when OPA reaches it (an
     * empty first operand never reads the second).
     */
    static JsonNode containsMatches(JsonNode cidrs, JsonNode cidrsOrIps) throws HostBuiltin.Undefined {
        List<Candidate> first = candidates(cidrs);
        RegoValues.RegoSet result = RegoValues.set();
        if (first.isEmpty()) {
            return result;
        }
        List<Candidate> second = candidates(cidrsOrIps);
        List<JsonNode> matches = new ArrayList<>();
        for (Candidate a : first) {
            for (Candidate b : second) {
                if (cidrContains(a.cidr(), b.cidr())) {
                    ArrayNode pair = RegoValues.NODES.arrayNode();
                    pair.add(a.key());
                    pair.add(b.key());
                    matches.add(pair); // distinct: keys are distinct within an operand
                }
            }
        }
        matches.forEach(result::add);
        return result;
    }

    private static List<Candidate> candidates(JsonNode operand) throws HostBuiltin.Undefined {
        List<Candidate> out = new ArrayList<>();
        if (operand.isTextual()) {
            out.add(new Candidate(operand, operand));
        } else if (HostBuiltin.isArray(operand)) {
            for (int i = 0; i < operand.size(); i++) {
                out.add(new Candidate(matchTerm(operand.get(i)), RegoValues.integer(i)));
            }
        } else if (HostBuiltin.isSet(operand)) {
            for (JsonNode element : operand) {
                out.add(new Candidate(matchTerm(element), element));
            }
        } else if (operand.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = operand.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                out.add(new Candidate(matchTerm(field.getValue()), TextNode.valueOf(field.getKey())));
            }
        }
        return out;
    }

    /** {@code getCIDRMatchTerm}: a string, or the first element of a non-empty array. */
    private static JsonNode matchTerm(JsonNode element) throws HostBuiltin.Undefined {
        if (element.isTextual()) {
            return element;
        }
        if (HostBuiltin.isArray(element) && !element.isEmpty()) {
            return element.get(0);
        }
        throw new HostBuiltin.Undefined("element must be string or non-empty array");
    }

    /**
     * {@code net.cidr_contains} of OPA 1.22.2 (topdown), which the wasm runtime's own version is not: an address is
     * compared as {@code IPNet.Contains} does; a network of plain IPv6 (neither side IPv4 or IPv4-mapped) in another
     * by prefix, because the last address of such a network can be an IPv4-mapped one ({@code ::/80} ends in
     * {@code ::ffff:ffff:ffff}), which {@code IPNet.Contains} would compare as IPv4; any other network by its first
     * and last address. Shared by {@code net.cidr_contains} and {@code net.cidr_contains_matches}.
     */
    static boolean cidrContains(JsonNode cidr, JsonNode cidrOrIp) throws HostBuiltin.Undefined {
        GoNet.IpNet a = parseCidr(HostBuiltin.text(cidr)).net();
        String b = HostBuiltin.text(cidrOrIp);
        byte[] ip = GoNet.parseIp(b);
        if (ip != null) {
            return GoNet.contains(a, ip);
        }
        GoNet.IpNet other = parseCidr(b).net();
        if (plainIpv6(a) && plainIpv6(other)) {
            return GoNet.size(a.mask())[0] <= GoNet.size(other.mask())[0]
                    && GoNet.equal(a.ip(), GoNet.mask(other.ip(), a.mask()));
        }
        return GoNet.contains(a, other.ip()) && GoNet.contains(a, lastIp(other));
    }

    /** {@code isPlainIPv6Net}: 16 bytes of address and of mask, and not IPv4-mapped. */
    private static boolean plainIpv6(GoNet.IpNet net) {
        return GoNet.len(net.ip()) == GoNet.IPV6_LEN && GoNet.len(net.mask()) == GoNet.IPV6_LEN
                && GoNet.to4(net.ip()) == null;
    }

    /** {@code getLastIP}: the network number with every host bit set. */
    private static byte[] lastIp(GoNet.IpNet cidr) throws HostBuiltin.Undefined {
        int[] size = GoNet.size(cidr.mask());
        if (size[0] == 0 && size[1] == 0) {
            throw new HostBuiltin.Undefined("CIDR mask is in non-standard format");
        }
        if (size[0] == size[1]) {
            return cidr.ip();
        }
        BigInteger last = BigInteger.ONE.shiftLeft(size[1] - size[0]).subtract(BigInteger.ONE)
                .or(setBytes(cidr.ip()));
        byte[] bytes = bytes(last);
        byte[] out = new byte[size[1] / 8];
        for (int i = 1; i <= bytes.length; i++) {
            out[out.length - i] = bytes[bytes.length - i]; // Go panics where the value is longer
        }
        return out;
    }

    // ------------------------------------------------------------------ net.cidr_merge

    /** A range of addresses, and the network it came from while it is not merged with another. */
    private record Range(byte[] first, byte[] last, GoNet.IpNet network) {
    }

    /** Merges an array or set of addresses and CIDRs into the fewest CIDRs, as OPA's port of netaddr does. */
    static JsonNode merge(JsonNode operand) throws HostBuiltin.Undefined {
        if (!HostBuiltin.isArray(operand) && !HostBuiltin.isSet(operand)) {
            throw new HostBuiltin.Undefined("operand must be an array");
        }
        List<GoNet.IpNet> networks = new ArrayList<>();
        for (JsonNode element : operand) {
            networks.add(network(element));
        }
        TreeSet<String> merged = new TreeSet<>();
        for (GoNet.IpNet network : mergeNetworks(networks)) {
            merged.add(GoNet.netString(network));
        }
        return strings(merged);
    }

    /** {@code generateIPNet}: an IPv4 address with its classful mask (unmasked), or a CIDR. */
    private static GoNet.IpNet network(JsonNode element) throws HostBuiltin.Undefined {
        if (!element.isTextual()) {
            throw new HostBuiltin.Undefined("element must be string");
        }
        byte[] ip = GoNet.parseIp(element.textValue());
        if (ip == null) {
            return parseCidr(element.textValue()).net();
        }
        if (GoNet.to4(ip) != null) {
            return new GoNet.IpNet(ip, GoNet.defaultMask(ip));
        }
        throw new HostBuiltin.Undefined("IPv6 invalid: needs prefix length");
    }

    private static List<GoNet.IpNet> mergeNetworks(List<GoNet.IpNet> networks) {
        List<Range> ranges = new ArrayList<>();
        for (GoNet.IpNet network : networks) {
            byte[][] range = addressRange(network);
            ranges.add(new Range(range[0], range[1], network));
        }
        // Sorted by last address, then first; equal ranges are always merged, so the order among them is moot.
        ranges.sort((x, y) -> {
            int c = GoNet.compare(x.last(), y.last());
            return c != 0 ? c : GoNet.compare(x.first(), y.first());
        });
        for (int i = ranges.size() - 1; i > 0; i--) {
            byte[] previous = previousIp(ranges.get(i).first());
            if (GoNet.compare(previous, ranges.get(i - 1).last()) <= 0) {
                byte[] first = GoNet.compare(ranges.get(i - 1).first(), ranges.get(i).first()) < 0
                        ? ranges.get(i - 1).first() : ranges.get(i).first();
                ranges.set(i - 1, new Range(first.clone(), ranges.get(i).last().clone(), null));
                ranges.remove(i);
            }
        }
        List<GoNet.IpNet> result = new ArrayList<>();
        for (Range r : ranges) {
            if (r.network() != null) {
                result.add(r.network());
            } else {
                result.addAll(rangeToCidrs(r.first(), r.last()));
            }
        }
        return result;
    }

    /**
     * {@code GetAddressRange}: first and last address; an IPv4 one gets the mapped prefix, so a mapped network
     * number gets it twice (28 bytes), as in Go. Go panics where the masked address is shorter than 16 bytes.
     */
    private static byte[][] addressRange(GoNet.IpNet net) {
        byte[] first = GoNet.mask(copy(net.ip()), net.mask());
        byte[] last = GoNet.mask(copy(net.ip()), net.mask());
        if (GoNet.to4(first) != null) {
            first = concat(V4_MAPPED_PREFIX, first);
            last = concat(V4_MAPPED_PREFIX, last);
        }
        byte[] hostMask = copy(net.mask());
        int n = GoNet.len(hostMask);
        for (int i = 0; i < n; i++) {
            hostMask[n - i - 1] = (byte) ~hostMask[n - i - 1];
            int at = GoNet.IPV6_LEN - i - 1;
            if (last == null || at >= last.length) {
                throw new GoPanic("index out of range");
            }
            last[at] |= hostMask[n - i - 1];
        }
        return new byte[][] {first, last};
    }

    /** {@code GetPreviousIP}: one less, within the last 4 bytes for IPv4; the zero address stays. */
    private static byte[] previousIp(byte[] ip) {
        if (GoNet.equal(ip, DEFAULT_IPV4) || GoNet.equal(ip, DEFAULT_IPV6)) {
            return ip;
        }
        byte[] previous = copy(ip);
        int n = GoNet.len(ip);
        int lower = GoNet.to4(ip) != null ? GoNet.IPV6_LEN - GoNet.IPV4_LEN : 0;
        boolean overflow = false;
        for (int i = n - 1; i >= lower; i--) {
            if (overflow || i == n - 1) {
                previous[i]--;
            }
            overflow = ip[i] == 0 && previous[i] == (byte) 0xff;
        }
        return previous;
    }

    /** {@code getNextIP}: one more, carrying across the 64-bit halves of an IPv6 address. */
    private static byte[] nextIp(byte[] ip) {
        if (GoNet.equal(ip, UPPER_IPV4) || GoNet.equal(ip, UPPER_IPV6)) {
            return ip;
        }
        int n = GoNet.len(ip);
        if (n == GoNet.IPV4_LEN) {
            return toBytes(BigInteger.valueOf(readUint(ip, 0, 4) + 1 & 0xffffffffL), 4);
        }
        if (n == GoNet.IPV6_LEN) {
            byte[] next = new byte[16];
            BigInteger low = new BigInteger(1, Arrays.copyOfRange(ip, 8, 16)).add(BigInteger.ONE);
            boolean carry = low.bitLength() > 64;
            System.arraycopy(toBytes(low, 8), 0, next, 8, 8);
            if (carry) {
                BigInteger high = new BigInteger(1, Arrays.copyOfRange(ip, 0, 8)).add(BigInteger.ONE);
                System.arraycopy(toBytes(high, 8), 0, next, 0, 8);
            } else {
                System.arraycopy(ip, 0, next, 0, 8);
            }
            return next;
        }
        return ip;
    }

    private static long readUint(byte[] b, int from, int n) {
        long v = 0;
        for (int i = from; i < from + n; i++) {
            v = (v << 8) | (b[i] & 0xff);
        }
        return v;
    }

    /** {@code RangeToCIDRs}: the CIDRs covering first..last, by splitting their spanning CIDR. */
    private static List<GoNet.IpNet> rangeToCidrs(byte[] firstIp, byte[] lastIp) {
        GoNet.IpNet spanning = spanningCidr(firstIp, lastIp);
        byte[][] spanningRange = addressRange(spanning);
        List<GoNet.IpNet> cidrs = new ArrayList<>();
        if (GoNet.compare(spanningRange[0], firstIp) < 0) {
            byte[] previous = previousIp(firstIp);
            int bits = GoNet.to4(previous) != null ? IPV4_BITS : IPV6_BITS;
            List<GoNet.IpNet> right = partition(spanning, new GoNet.IpNet(previous, GoNet.cidrMask(bits, bits)))[1];
            if (right.isEmpty()) {
                throw new GoPanic("index out of range");
            }
            cidrs.addAll(right);
            spanning = right.get(0);
            cidrs.remove(0);
        }
        if (GoNet.compare(spanningRange[1], lastIp) > 0) {
            byte[] next = nextIp(lastIp);
            int bits = GoNet.to4(next) != null ? IPV4_BITS : IPV6_BITS;
            cidrs.addAll(partition(spanning, new GoNet.IpNet(next, GoNet.cidrMask(bits, bits)))[0]);
        } else {
            cidrs.add(spanning);
        }
        return cidrs;
    }

    /** {@code createSpanningCIDR}: the smallest CIDR holding both, by masking the upper bound until it is not above. */
    private static GoNet.IpNet spanningCidr(byte[] lowest, byte[] highest) {
        boolean v4 = GoNet.to4(lowest) != null;
        int bitLen = v4 ? IPV4_BITS : IPV6_BITS;
        int byteLen = v4 ? GoNet.IPV4_LEN : GoNet.IPV6_LEN;
        int maskSize = bitLen;
        BigInteger low = setBytes(lowest);
        BigInteger high = setBytes(highest);
        while (maskSize > 0 && low.compareTo(high) < 0) {
            maskSize--;
            high = high.and(BigInteger.ONE.shiftLeft(bitLen - maskSize).negate());
        }
        byte[] ip = v4 ? concat(IPV4_LEADING_ZEROES, bytes(high)) : bytes(high);
        if (ip.length == 0) {
            ip = new byte[byteLen];
        }
        return new GoNet.IpNet(ip, GoNet.cidrMask(maskSize, bitLen));
    }

    /**
     * {@code partitionCIDR}: the CIDRs of {@code target} left and right of {@code exclude}, as [left, right]; empty
     * lists where Go returns nil.
     */
    @SuppressWarnings("unchecked")
    private static List<GoNet.IpNet>[] partition(GoNet.IpNet target, GoNet.IpNet exclude) {
        boolean targetV4 = GoNet.to4(target.ip()) != null;
        byte[][] t = addressRange(target);
        byte[][] e = addressRange(exclude);
        int targetMaskSize = GoNet.size(target.mask())[0];
        int excludeMaskSize = GoNet.size(exclude.mask())[0];
        List<GoNet.IpNet> left = new ArrayList<>();
        List<GoNet.IpNet> right = new ArrayList<>();
        if (GoNet.compare(e[1], t[0]) < 0) {
            right.add(target);
            return new List[] {left, right};
        } else if (GoNet.compare(t[1], e[0]) < 0) {
            left.add(target);
            return new List[] {left, right};
        }
        if (targetMaskSize >= excludeMaskSize) {
            return new List[] {left, right};
        }
        int prefix = targetMaskSize + 1;
        int bitLen = targetV4 ? IPV4_BITS : IPV6_BITS;
        if (prefix > bitLen) {
            // Go shifts by uint(bitLen - prefix), a wrapped negative: it runs out of memory.
            throw new GoPanic("shift out of range");
        }
        BigInteger lower = setBytes(t[0]);
        BigInteger upper = setBytes(GoNet.to16(t[0])).add(BigInteger.ONE.shiftLeft(bitLen - prefix));
        BigInteger matched = BigInteger.ZERO;
        while (excludeMaskSize >= prefix) {
            byte[] upperBytes;
            byte[] lowerBytes;
            if (targetV4) {
                upperBytes = concat(IPV4_LEADING_ZEROES, bytes(upper));
                lowerBytes = concat(IPV4_LEADING_ZEROES, bytes(lower));
            } else {
                upperBytes = padTo16(bytes(upper));
                lowerBytes = padTo16(bytes(lower));
            }
            if (GoNet.compare(e[0], upperBytes) >= 0) {
                left.add(new GoNet.IpNet(lowerBytes, GoNet.cidrMask(prefix, bitLen)));
                matched = upper;
            } else {
                right.add(new GoNet.IpNet(upperBytes, GoNet.cidrMask(prefix, bitLen)));
                matched = lower;
            }
            prefix++;
            if (prefix > bitLen) {
                break;
            }
            lower = matched;
            upper = matched.add(BigInteger.ONE.shiftLeft(bitLen - prefix));
        }
        return new List[] {left, right};
    }

    private static byte[] padTo16(byte[] b) {
        if (b.length > GoNet.IPV6_LEN) {
            throw new GoPanic("makeslice: len out of range");
        }
        byte[] out = new byte[GoNet.IPV6_LEN];
        System.arraycopy(b, 0, out, GoNet.IPV6_LEN - b.length, b.length);
        return out;
    }

    // ------------------------------------------------------------------ big.Int and slices as Go has them

    /** {@code big.Int.SetBytes}: unsigned big-endian, {@code nil} is zero. */
    private static BigInteger setBytes(byte[] b) {
        return b == null || b.length == 0 ? BigInteger.ZERO : new BigInteger(1, b);
    }

    /** {@code big.Int.Bytes}: the absolute value, big-endian, without leading zeroes (zero is empty). */
    private static byte[] bytes(BigInteger x) {
        byte[] b = x.abs().toByteArray();
        int skip = 0;
        while (skip < b.length && b[skip] == 0) {
            skip++;
        }
        return Arrays.copyOfRange(b, skip, b.length);
    }

    private static byte[] toBytes(BigInteger x, int n) {
        byte[] b = bytes(x.mod(BigInteger.ONE.shiftLeft(8 * n)));
        byte[] out = new byte[n];
        System.arraycopy(b, 0, out, n - b.length, b.length);
        return out;
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + GoNet.len(b));
        if (b != null) {
            System.arraycopy(b, 0, out, a.length, b.length);
        }
        return out;
    }

    private static byte[] copy(byte[] b) {
        return b == null ? null : b.clone();
    }

    private static byte[] filled(int n, byte value) {
        byte[] b = new byte[n];
        Arrays.fill(b, value);
        return b;
    }

    /** A set of strings, in Rego's order (by UTF-8 bytes; the strings here are ASCII). */
    private static JsonNode strings(TreeSet<String> values) {
        RegoValues.RegoSet set = RegoValues.set();
        values.forEach(v -> set.add(TextNode.valueOf(v)));
        return set;
    }
}
