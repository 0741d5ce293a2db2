package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.node.TextNode;
import com.styra.opa.wasm.OpaBuiltin;
import java.util.HexFormat;
import java.util.List;

/**
 * OPA's {@code hex.encode} and {@code hex.decode} (topdown/encoding.go, Go's {@code encoding/hex}): lower-case
 * hex of the UTF-8 bytes; decoding takes an even number of hex digits of either case, anything else is
 * undefined. Decoded bytes that are not UTF-8 become U+FFFD per invalid byte ({@code utf8.DecodeRune}), which is
 * what {@code opa eval} prints; OPA keeps the raw bytes inside the policy (see docs/policy-embedded-builtins.md).
 * Thread-safe (stateless).
 */
final class HexBuiltins {

    private HexBuiltins() {
    }

    static List<OpaBuiltin.Builtin> all() {
        return List.of(
                HostBuiltin.of1("hex.encode",
                        x -> TextNode.valueOf(HexFormat.of().formatHex(CryptoBuiltins.utf8(HostBuiltin.text(x))))),
                HostBuiltin.of1("hex.decode", x -> TextNode.valueOf(goString(decode(HostBuiltin.text(x))))));
    }

    private static byte[] decode(String s) throws HostBuiltin.Undefined {
        if (s.length() % 2 != 0 || !s.chars().allMatch(c -> Character.digit(c, 16) >= 0 && c < 0x80)) {
            throw new HostBuiltin.Undefined("invalid hex");
        }
        return HexFormat.of().parseHex(s);
    }

    /**
     * Bytes as Go's range over a string reads them (and OPA's JSON encoder writes them): each invalid byte is one
     * U+FFFD. Shared by the host builtins whose Go result may hold bytes that are not UTF-8.
     */
    static String goString(byte[] bytes) {
        StringBuilder out = new StringBuilder(bytes.length);
        for (int i = 0; i < bytes.length; ) {
            int[] rune = GoFormat.decodeRune(bytes, i);
            out.appendCodePoint(rune[0]);
            i += rune[1];
        }
        return out.toString();
    }
}
