package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.node.BooleanNode;
import com.fasterxml.jackson.databind.node.TextNode;
import com.styra.opa.wasm.OpaBuiltin;
import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.util.HexFormat;
import java.util.List;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * OPA's {@code crypto.md5/sha1/sha256} and {@code crypto.hmac.*} (topdown/crypto.go): lower-case hex of the digest
 * of the string's UTF-8 bytes; {@code crypto.hmac.equal} compares in constant time
 * ({@link MessageDigest#isEqual}). Thread-safe (a new digest per call).
 */
final class CryptoBuiltins {

    private CryptoBuiltins() {
    }

    static List<OpaBuiltin.Builtin> all() {
        return List.of(
                digest("crypto.md5", "MD5"),
                digest("crypto.sha1", "SHA-1"),
                digest("crypto.sha256", "SHA-256"),
                hmac("crypto.hmac.md5", "HmacMD5"),
                hmac("crypto.hmac.sha1", "HmacSHA1"),
                hmac("crypto.hmac.sha256", "HmacSHA256"),
                hmac("crypto.hmac.sha512", "HmacSHA512"),
                HostBuiltin.of2("crypto.hmac.equal", (a, b) -> BooleanNode.valueOf(MessageDigest.isEqual(
                        utf8(HostBuiltin.text(a)), utf8(HostBuiltin.text(b))))));
    }

    private static OpaBuiltin.Builtin digest(String name, String algorithm) {
        return HostBuiltin.of1(name, x -> TextNode.valueOf(
                HexFormat.of().formatHex(MessageDigest.getInstance(algorithm).digest(utf8(HostBuiltin.text(x))))));
    }

    private static OpaBuiltin.Builtin hmac(String name, String algorithm) {
        return HostBuiltin.of2(name, (message, key) -> {
            Mac mac = Mac.getInstance(algorithm);
            byte[] keyBytes = utf8(HostBuiltin.text(key));
            // Go's hmac accepts an empty key; the JDK's SecretKeySpec does not, so the empty key is padded the
            // way HMAC pads any short key (zeros to the block size), which gives the same MAC.
            mac.init(new SecretKeySpec(keyBytes.length == 0 ? new byte[1] : keyBytes, algorithm));
            return TextNode.valueOf(HexFormat.of().formatHex(mac.doFinal(utf8(HostBuiltin.text(message)))));
        });
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
