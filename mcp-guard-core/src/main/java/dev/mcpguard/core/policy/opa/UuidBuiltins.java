package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.styra.opa.wasm.OpaBuiltin;
import java.nio.charset.StandardCharsets;
import java.security.SecureRandom;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.List;
import java.util.Map;

/**
 * OPA's {@code uuid.parse} and {@code uuid.rfc4122} (topdown/uuid.go, OPA's {@code internal/uuid} over
 * {@code github.com/google/uuid}).
 *
 * <p>{@code uuid.parse} takes what google/uuid's {@code Parse} takes, counted in UTF-8 bytes: 36 bytes
 * {@code xxxxxxxx-xxxx-xxxx-xxxx-xxxxxxxxxxxx}, 45 with a {@code urn:uuid:} prefix of any case, 38 with any one
 * byte on each side (braces are not checked), or 32 hex digits; hex of either case. It answers {@code version}
 * and {@code variant} ({@code RFC4122}, {@code Microsoft}, {@code Future}, {@code Reserved}) for every version,
 * and for versions 1 and 2 also {@code time} (Unix ns, int64 wrap-around as in Go), {@code nodeid}
 * ({@code aa-bb-cc-dd-ee-ff}), {@code macvariables} and {@code clocksequence}; version 2 adds {@code id} and
 * {@code domain} ({@code Person}, {@code Group}, {@code Org}, {@code DomainN}). Anything else is undefined.
 *
 * <p>{@code uuid.rfc4122} returns a random version 4 UUID (SecureRandom), the same one for the same key within
 * one evaluation ({@link BuiltinCache}). OPA keys its cache by the operand's hash, so keys with equal hashes share
 * a UUID: that is reproduced ({@link #hashKey}), strings by value. Thread-safe: {@code parse} is stateless; each
 * policy instance has its own {@code rfc4122} over its own cache.
 */
final class UuidBuiltins {

    static final String RFC4122 = "uuid.rfc4122";

    private static final SecureRandom RANDOM = new SecureRandom();

    /** 100 ns intervals from 1582-10-15 (the UUID epoch) to 1970-01-01, as google/uuid's {@code g1582ns100}. */
    private static final long G1582_NS100 = (2_440_587L - 2_299_160L) * 86_400L * 10_000_000L;

    private UuidBuiltins() {
    }

    /** The stateless builtins of the family (shared by all instances). */
    static List<OpaBuiltin.Builtin> all() {
        return List.of(HostBuiltin.of1("uuid.parse", x -> parse(HostBuiltin.text(x))));
    }

    /** {@code uuid.rfc4122} for one policy instance, over that instance's per-evaluation cache. */
    static OpaBuiltin.Builtin rfc4122(BuiltinCache cache) {
        return HostBuiltin.of1(RFC4122, key -> cache.computeIfAbsent(new CacheKey(hashKey(key)), UuidBuiltins::newV4));
    }

    /** google/uuid's {@code Parse}, then OPA's {@code fillMap}; null (undefined) when it does not parse. */
    static JsonNode parse(String s) {
        byte[] b = s.getBytes(StandardCharsets.UTF_8);
        byte[] uuid = new byte[16];
        int off;
        switch (b.length) {
            case 36 -> off = 0;
            case 36 + 9 -> {
                // strings.EqualFold: no non-ASCII rune folds onto the letters of "urn:uuid:", so ASCII case suffices.
                for (int i = 0; i < 9; i++) {
                    int c = b[i] >= 'A' && b[i] <= 'Z' ? b[i] + ('a' - 'A') : b[i];
                    if (c != "urn:uuid:".charAt(i)) {
                        return null;
                    }
                }
                off = 9;
            }
            case 36 + 2 -> off = 1;
            case 32 -> {
                for (int i = 0; i < 16; i++) {
                    int v = xtob(b[i * 2], b[i * 2 + 1]);
                    if (v < 0) {
                        return null;
                    }
                    uuid[i] = (byte) v;
                }
                return fields(uuid);
            }
            default -> {
                return null;
            }
        }
        if (b[off + 8] != '-' || b[off + 13] != '-' || b[off + 18] != '-' || b[off + 23] != '-') {
            return null;
        }
        int[] positions = {0, 2, 4, 6, 9, 11, 14, 16, 19, 21, 24, 26, 28, 30, 32, 34};
        for (int i = 0; i < 16; i++) {
            int v = xtob(b[off + positions[i]], b[off + positions[i] + 1]);
            if (v < 0) {
                return null;
            }
            uuid[i] = (byte) v;
        }
        return fields(uuid);
    }

    /** The byte two hex digits spell, or -1. */
    private static int xtob(byte hi, byte lo) {
        int h = hexValue(hi);
        int l = hexValue(lo);
        return h < 0 || l < 0 ? -1 : h << 4 | l;
    }

    private static int hexValue(byte c) {
        return c >= '0' && c <= '9' || c >= 'a' && c <= 'f' || c >= 'A' && c <= 'F' ? Character.digit(c, 16) : -1;
    }

    private static JsonNode fields(byte[] u) {
        ObjectNode out = RegoValues.NODES.objectNode();
        int version = (u[6] & 0xFF) >> 4;
        out.put("version", version);
        out.put("variant", variant(u[8] & 0xFF));
        if (version == 1 || version == 2) {
            long time = (u32(u, 0) & 0xFFFFFFFFL) | (long) u16(u, 4) << 32 | (long) (u16(u, 6) & 0xFFF) << 48;
            long sec = time - G1582_NS100;
            long nsec = (sec % 10_000_000L) * 100;
            sec /= 10_000_000L;
            out.put("time", sec * 1_000_000_000L + nsec); // wraps past int64 as Go's arithmetic does
            out.put("nodeid", HexFormat.ofDelimiter("-").formatHex(u, 10, 16));
            out.put("macvariables", macVariables(u[10] & 0xFF));
            out.put("clocksequence", u16(u, 8) & 0x3FFF);
            if (version == 2) {
                out.put("id", u32(u, 0) & 0xFFFFFFFFL);
                out.put("domain", domain(u[9] & 0xFF));
            }
        }
        return out;
    }

    private static String variant(int b8) {
        if ((b8 & 0xC0) == 0x80) {
            return "RFC4122";
        } else if ((b8 & 0xE0) == 0xC0) {
            return "Microsoft";
        } else if ((b8 & 0xE0) == 0xE0) {
            return "Future";
        }
        return "Reserved";
    }

    private static String macVariables(int b) {
        if ((b & 0b11) == 0b11) {
            return "local:multicast";
        } else if ((b & 0b01) == 0b01) {
            return "global:multicast";
        } else if ((b & 0b10) == 0b10) {
            return "local:unicast";
        }
        return "global:unicast";
    }

    private static String domain(int d) {
        return switch (d) {
            case 0 -> "Person";
            case 1 -> "Group";
            case 2 -> "Org";
            default -> "Domain" + d;
        };
    }

    private static int u16(byte[] b, int at) {
        return (b[at] & 0xFF) << 8 | b[at + 1] & 0xFF;
    }

    private static int u32(byte[] b, int at) {
        return u16(b, at) << 16 | u16(b, at + 2);
    }

    /** OPA's {@code uuid.New}: 16 random bytes with the version 4 and RFC 4122 variant bits, lower-case hex. */
    private static JsonNode newV4() {
        byte[] b = new byte[16];
        RANDOM.nextBytes(b);
        b[8] = (byte) (b[8] & ~0xC0 | 0x80);
        b[6] = (byte) (b[6] & ~0xF0 | 0x40);
        HexFormat hex = HexFormat.of();
        return TextNode.valueOf(hex.formatHex(b, 0, 4) + "-" + hex.formatHex(b, 4, 6) + "-" + hex.formatHex(b, 6, 8)
                + "-" + hex.formatHex(b, 8, 10) + "-" + hex.formatHex(b, 10, 16));
    }

    /** The cache key: OPA's {@code Value.Hash()} of the operand, see {@link #hashKey}. */
    private record CacheKey(Hash hash) {
    }

    /**
     * OPA's {@code Value.Hash()}, exactly up to collisions between string hashes: a value's hash is the sum
     * (int64, wrapping) of its parts', so it is kept as the sum of its non-string parts plus how often each string
     * occurs. Null and false hash to 0, true to 1, a number to Go's {@code int(float64)} (on amd64, where OPA's
     * release binaries run: out of int64 range is -2^63), an array or set to the sum of its elements, an object
     * to the sum of its keys and values.
     */
    record Hash(long numeric, Map<String, Long> strings) {
    }

    static Hash hashKey(JsonNode value) {
        long[] numeric = {0};
        Map<String, Long> strings = new HashMap<>();
        hash(value, numeric, strings);
        return new Hash(numeric[0], Map.copyOf(strings));
    }

    private static void hash(JsonNode value, long[] numeric, Map<String, Long> strings) {
        if (value.isTextual()) {
            strings.merge(value.textValue(), 1L, Long::sum);
        } else if (value.isNumber()) {
            double f = Double.parseDouble(value.asText());
            if (Double.isInfinite(f)) {
                // json.Number.Float64 fails; OPA hashes the number's text instead.
                strings.merge("\u0000number:" + value.asText(), 1L, Long::sum);
            } else {
                numeric[0] += goInt(f);
            }
        } else if (value.isBoolean()) {
            numeric[0] += value.booleanValue() ? 1 : 0;
        } else if (value.isArray()) {
            for (JsonNode element : value) {
                hash(element, numeric, strings);
            }
        } else if (value.isObject()) {
            for (Iterator<Map.Entry<String, JsonNode>> it = value.fields(); it.hasNext(); ) {
                Map.Entry<String, JsonNode> field = it.next();
                strings.merge(field.getKey(), 1L, Long::sum);
                hash(field.getValue(), numeric, strings);
            }
        }
    }

    /** Go's {@code int(f)} on amd64 (CVTTSD2SI): truncation, and -2^63 for anything out of range. */
    private static long goInt(double f) {
        if (!(f > -9.223372036854775808E18 && f < 9.223372036854775808E18)) {
            return Long.MIN_VALUE;
        }
        return (long) f;
    }
}
