package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.node.TextNode;
import com.styra.opa.wasm.OpaBuiltin;
import java.util.Base64;
import java.util.List;

/**
 * OPA's {@code base64url.encode_no_pad} (topdown/encoding.go, Go's {@code base64.RawURLEncoding}): the URL-safe
 * alphabet ({@code -}, {@code _}) of the string's UTF-8 bytes, without {@code =} padding. OPA compiles
 * {@code base64url.encode} and {@code base64url.decode} into the module; only this one is the host's. Undefined
 * for a non-string. Thread-safe (stateless).
 */
final class Base64UrlBuiltins {

    private Base64UrlBuiltins() {
    }

    static List<OpaBuiltin.Builtin> all() {
        return List.of(HostBuiltin.of1("base64url.encode_no_pad", x -> TextNode.valueOf(
                Base64.getUrlEncoder().withoutPadding().encodeToString(CryptoBuiltins.utf8(HostBuiltin.text(x))))));
    }
}
