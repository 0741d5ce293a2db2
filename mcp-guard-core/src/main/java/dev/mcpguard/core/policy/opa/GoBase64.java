package dev.mcpguard.core.policy.opa;

import java.io.ByteArrayOutputStream;

/**
 * Base64 as Go's {@code encoding/base64} decodes it (non-strict: bits after the last full byte are ignored; CR and
 * LF anywhere are skipped), in the three ways the JWT builtins use it: OPA's {@code base64url.decode} (padding
 * added by length first, as RFC 7515 appendix C says), jwx's guessing decoder (JWK members), and the standard
 * padded alphabet (PEM bodies, {@code x5c}). Thread-safe (stateless).
 */
final class GoBase64 {

    private static final byte[] STD = decodeMap("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/");
    private static final byte[] URL = decodeMap("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_");

    private GoBase64() {
    }

    /** OPA's {@code builtinBase64UrlDecode}: unpadded input of length 2 or 3 mod 4 is padded, then decoded. */
    static byte[] opaUrlDecode(byte[] s) throws HostBuiltin.Undefined {
        byte[] padded = s;
        if (s.length == 0 || s[s.length - 1] != '=') {
            switch (s.length % 4) {
                case 0 -> { }
                case 2 -> padded = append(s, "==");
                case 3 -> padded = append(s, "=");
                default -> throw new HostBuiltin.Undefined("illegal base64url string");
            }
        }
        return decode(padded, URL, true);
    }

    /** jwx's {@code base64.Decode}: URL or standard alphabet by whether {@code +/} occur, padded when it ends in '='. */
    static byte[] jwxDecode(byte[] s) throws HostBuiltin.Undefined {
        boolean raw = s.length == 0 || s[s.length - 1] != '=';
        boolean url = true;
        for (byte b : s) {
            if (b == '+' || b == '/') {
                url = false;
                break;
            }
        }
        return decode(s, url ? URL : STD, !raw);
    }

    /** {@code base64.StdEncoding.DecodeString}. */
    static byte[] stdDecode(byte[] s) throws HostBuiltin.Undefined {
        return decode(s, STD, true);
    }

    private static byte[] append(byte[] s, String tail) {
        byte[] out = java.util.Arrays.copyOf(s, s.length + tail.length());
        for (int i = 0; i < tail.length(); i++) {
            out[s.length + i] = (byte) tail.charAt(i);
        }
        return out;
    }

    /** Go's {@code Encoding.Decode}, quantum by quantum ({@code decodeQuantum}). */
    private static byte[] decode(byte[] src, byte[] map, boolean padded) throws HostBuiltin.Undefined {
        ByteArrayOutputStream out = new ByteArrayOutputStream(src.length * 3 / 4 + 3);
        int si = 0;
        while (si < src.length) {
            int[] dbuf = new int[4];
            int dlen = 4;
            int j = 0;
            boolean end = false;
            for (; j < 4; j++) {
                if (si == src.length) {
                    if (j == 0) {
                        return out.toByteArray();
                    }
                    if (j == 1 || padded) {
                        throw corrupt();
                    }
                    dlen = j;
                    end = true;
                    break;
                }
                int in = src[si] & 0xFF;
                si++;
                int value = map[in];
                if (value >= 0) {
                    dbuf[j] = value;
                    continue;
                }
                if (in == '\n' || in == '\r') {
                    j--;
                    continue;
                }
                if (!padded || in != '=') {
                    throw corrupt();
                }
                // Padding: '=' at quantum positions 2 ("==") or 3 ("="), then only CR/LF to the end.
                if (j < 2) {
                    throw corrupt();
                }
                if (j == 2) {
                    while (si < src.length && (src[si] == '\n' || src[si] == '\r')) {
                        si++;
                    }
                    if (si == src.length || src[si] != '=') {
                        throw corrupt();
                    }
                    si++;
                }
                while (si < src.length && (src[si] == '\n' || src[si] == '\r')) {
                    si++;
                }
                if (si < src.length) {
                    throw corrupt();
                }
                dlen = j;
                end = true;
                break;
            }
            int val = dbuf[0] << 18 | dbuf[1] << 12 | dbuf[2] << 6 | dbuf[3];
            if (dlen >= 2) {
                out.write(val >> 16);
            }
            if (dlen >= 3) {
                out.write(val >> 8);
            }
            if (dlen >= 4) {
                out.write(val);
            }
            if (end) {
                break;
            }
        }
        return out.toByteArray();
    }

    private static HostBuiltin.Undefined corrupt() {
        return new HostBuiltin.Undefined("illegal base64 data");
    }

    private static byte[] decodeMap(String alphabet) {
        byte[] map = new byte[256];
        java.util.Arrays.fill(map, (byte) -1);
        for (int i = 0; i < alphabet.length(); i++) {
            map[alphabet.charAt(i)] = (byte) i;
        }
        return map;
    }
}
