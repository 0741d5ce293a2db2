package dev.mcpguard.core.policy.opa;

import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.KeyPairGenerator;
import java.security.SecureRandom;
import java.security.spec.NamedParameterSpec;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HexFormat;
import java.util.List;
import java.util.Set;

/**
 * The key operand of OPA's JWT builtins ({@code parseKeysFromCertOrJWK} in topdown/tokens.go): a PEM certificate
 * or public key ({@link GoX509}), else a JWK or a JWK set as lestrrat-go/jwx v3 parses it (the rules are listed
 * on {@link #parseJwks}). Keys whose {@code alg} is not one of OPA's thirteen JWS algorithms are dropped, as OPA
 * drops them. Thread-safe (stateless; keys are immutable).
 */
final class JwtKeys {

    /** OPA's {@code tokenAlgorithms}. */
    static final Set<String> TOKEN_ALGORITHMS = Set.of("RS256", "RS384", "RS512", "PS256", "PS384", "PS512",
            "ES256", "ES384", "ES512", "HS256", "HS384", "HS512", "EdDSA");

    /** Every algorithm jwx's {@code jwa.KeyAlgorithmFrom} knows (a JWK {@code alg} outside it fails to parse). */
    private static final Set<String> JWA_ALGORITHMS = Set.of("ES256", "ES256K", "ES384", "ES512", "EdDSA", "Ed25519",
            "HS256", "HS384", "HS512", "none", "PS256", "PS384", "PS512", "RS256", "RS384", "RS512",
            "A128CBC-HS256", "A128GCM", "A192CBC-HS384", "A192GCM", "A256CBC-HS512", "A256GCM", "A128GCMKW", "A128KW",
            "A192GCMKW", "A192KW", "A256GCMKW", "A256KW", "dir", "ECDH-ES", "ECDH-ES+A128KW", "ECDH-ES+A192KW",
            "ECDH-ES+A256KW", "PBES2-HS256+A128KW", "PBES2-HS384+A192KW", "PBES2-HS512+A256KW", "RSA1_5", "RSA-OAEP",
            "RSA-OAEP-256", "RSA-OAEP-384", "RSA-OAEP-512");

    /** jwx's {@code jwa.EllipticCurveAlgorithm} names. */
    private static final Set<String> JWA_CURVES = Set.of("Ed25519", "Ed448", "P-256", "P-384", "P-521", "X25519",
            "X448");

    /** jwx's default cap on the keys of one {@code keys} array. */
    private static final int MAX_KEYS = 1000;
    /** jwx's default caps on an {@code x5c} chain. */
    private static final int MAX_CHAIN = 10;
    private static final int MAX_CERTIFICATE_SIZE = 256 * 1024;

    private JwtKeys() {
    }

    /** A key as Go holds it after parsing; only its public part is ever used. */
    sealed interface Key permits RsaKey, EcKey, EdKey, SecretKey, OtherKey {
    }

    /** {@code *rsa.PublicKey}, or {@code *rsa.PrivateKey} when {@code isPrivate}. */
    record RsaKey(BigInteger n, BigInteger e, boolean isPrivate) implements Key {
    }

    /** {@code *ecdsa.PublicKey} (validated point), or the private key holding it. */
    record EcKey(Curve curve, BigInteger x, BigInteger y, boolean isPrivate) implements Key {
    }

    /** {@code ed25519.PublicKey} (32 bytes), or the private key it was derived from. */
    record EdKey(byte[] publicKey, boolean isPrivate) implements Key {
        @Override
        public boolean equals(Object o) {
            return o instanceof EdKey other && other.isPrivate == isPrivate && Arrays.equals(other.publicKey, publicKey);
        }

        @Override
        public int hashCode() {
            return Arrays.hashCode(publicKey) * 31 + (isPrivate ? 1 : 0);
        }

        @Override
        public String toString() {
            return "EdKey[" + HexFormat.of().formatHex(publicKey) + (isPrivate ? ", private" : "") + "]";
        }
    }

    /** A {@code []byte} HMAC key (a JWK {@code oct} key or the {@code secret} constraint). */
    record SecretKey(byte[] bytes) implements Key {
        @Override
        public boolean equals(Object o) {
            return o instanceof SecretKey other && java.security.MessageDigest.isEqual(other.bytes, bytes);
        }

        @Override
        public int hashCode() {
            return bytes.length;
        }

        @Override
        public String toString() {
            return "SecretKey[redacted]";
        }
    }

    /** A key that parses but verifies nothing (DSA, X25519, a certificate key Go does not know). */
    record OtherKey(String kind) implements Key {
    }

    /** One key with the {@code alg} and {@code kid} of its JWK ({@code ""} when absent, or for PEM). */
    record VerificationKey(String alg, String kid, Key key) {
    }

    /** The NIST curves Go's {@code crypto/ecdsa} verifies on. */
    enum Curve {
        P224("secp224r1", null, 224, "2b81040021",
                "ffffffffffffffffffffffffffffffff000000000000000000000001",
                "b4050a850c04b3abf54132565044b0b7d7bfd8ba270b39432355ffb4",
                "ffffffffffffffffffffffffffff16a2e0b8f03e13dd29455c5c2a3d"),
        P256("secp256r1", "P-256", 256, "2a8648ce3d030107",
                "ffffffff00000001000000000000000000000000ffffffffffffffffffffffff",
                "5ac635d8aa3a93e7b3ebbd55769886bc651d06b0cc53b0f63bce3c3e27d2604b",
                "ffffffff00000000ffffffffffffffffbce6faada7179e84f3b9cac2fc632551"),
        P384("secp384r1", "P-384", 384, "2b81040022",
                "fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffeffffffff0000000000000000ffffffff",
                "b3312fa7e23ee7e4988e056be3f82d19181d9c6efe8141120314088f5013875ac656398d8a2ed19d2a85c8edd3ec2aef",
                "ffffffffffffffffffffffffffffffffffffffffffffffffc7634d81f4372ddf581a0db248b0a77aecec196accc52973"),
        P521("secp521r1", "P-521", 521, "2b81040023",
                "01ffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffff"
                        + "ffffffffffffffffffffffffffffffff",
                "0051953eb9618e1c9a1f929a21a0b68540eea2da725b99b315f3b8b489918ef109e156193951ec7e937b1652c0bd3bb1bf"
                        + "073573df883d2c34f1ef451fd46b503f00",
                "01fffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffffa51868783bf2f966b7fcc0148f709a5d"
                        + "03bb5c9b8899c47aebb6fb71e91386409");

        final String jdkName;
        final String jwkName;
        final int bits;
        final byte[] oid;
        final BigInteger p;
        final BigInteger b;
        final BigInteger order;

        Curve(String jdkName, String jwkName, int bits, String oid, String p, String b, String order) {
            this.jdkName = jdkName;
            this.jwkName = jwkName;
            this.bits = bits;
            this.oid = HexFormat.of().parseHex(oid);
            this.p = new BigInteger(p, 16);
            this.b = new BigInteger(b, 16);
            this.order = new BigInteger(order, 16);
        }

        /** Bytes of a coordinate (and of r and s in a JWS signature). */
        int byteLength() {
            return (bits + 7) / 8;
        }

        static Curve byOid(byte[] oid) {
            for (Curve curve : values()) {
                if (Arrays.equals(curve.oid, oid)) {
                    return curve;
                }
            }
            return null;
        }

        static Curve byJwkName(String name) {
            for (Curve curve : values()) {
                if (name.equals(curve.jwkName)) {
                    return curve;
                }
            }
            return null;
        }

        /** Both coordinates below p and y^2 = x^3 - 3x + b (mod p); the point at infinity has no encoding. */
        boolean onCurve(BigInteger x, BigInteger y) {
            if (x.signum() < 0 || y.signum() < 0 || x.compareTo(p) >= 0 || y.compareTo(p) >= 0) {
                return false;
            }
            BigInteger right = x.pow(3).subtract(x.multiply(BigInteger.valueOf(3))).add(b).mod(p);
            return y.multiply(y).mod(p).equals(right);
        }

        /** Go's {@code ecdsa.ParseUncompressedPublicKey}: {@code 04 || X || Y}, a point on the curve. */
        EcKey uncompressedPoint(byte[] data) throws HostBuiltin.Undefined {
            int size = byteLength();
            if (data.length != 1 + 2 * size || data[0] != 4) {
                throw new HostBuiltin.Undefined("ecdsa: invalid public key encoding");
            }
            BigInteger x = new BigInteger(1, Arrays.copyOfRange(data, 1, 1 + size));
            BigInteger y = new BigInteger(1, Arrays.copyOfRange(data, 1 + size, data.length));
            if (!onCurve(x, y)) {
                throw new HostBuiltin.Undefined("ecdsa: invalid public key");
            }
            return new EcKey(this, x, y, false);
        }
    }

    /**
     * OPA's {@code parseKeysFromCertOrJWK}: a PEM block (a certificate or a public key, nothing after it) or else a
     * JWK or JWK set.
     *
     * @throws HostBuiltin.Undefined where OPA's builtin errors
     */
    static List<VerificationKey> parse(String certificate) throws HostBuiltin.Undefined {
        byte[] bytes = certificate.getBytes(StandardCharsets.UTF_8);
        GoPem.Block block = GoPem.decode(bytes);
        if (block != null) {
            if (block.rest().length > 0) {
                throw new HostBuiltin.Undefined("extra data after a PEM certificate block");
            }
            if (block.type().equals("CERTIFICATE")) {
                return List.of(new VerificationKey("", "", GoX509.parseCertificateKey(block.bytes())));
            }
            if (block.type().equals("PUBLIC KEY")) {
                return List.of(new VerificationKey("", "", GoX509.parsePkixPublicKey(block.bytes())));
            }
            throw new HostBuiltin.Undefined("failed to extract a Key from the PEM certificate");
        }
        List<VerificationKey> keys = new ArrayList<>();
        for (ParsedJwk jwk : parseJwks(bytes)) {
            if (!jwk.alg.isEmpty() && !TOKEN_ALGORITHMS.contains(jwk.alg)) {
                continue;
            }
            keys.add(new VerificationKey(jwk.alg, jwk.kid, jwk.key));
        }
        return keys;
    }

    /** A JWK after jwx's parse, validation and {@code jwk.Export}. */
    private record ParsedJwk(String alg, String kid, Key key) {
    }

    /**
     * jwx's {@code jwk.Parse}: a JWK set when the whole text is a JSON object with a {@code keys} member (then every
     * element of every {@code keys} array, at most 1,000 each, must parse), else one JWK from the first JSON value
     * (what follows it is ignored); "whole" as valyala/fastjson reads it, at most 300 levels deep. A JWK: {@code kty} (found case-insensitively, as Go's struct decoding does) is
     * {@code RSA}, {@code EC}, {@code OKP} or {@code oct}; a {@code d} member makes it private; members are read
     * in order with their types checked ({@code kid}, {@code use}, {@code x5t}, {@code x5t#S256}, {@code x5u}
     * strings or null, {@code alg} a name jwa knows, {@code key_ops} an array, {@code x5c} up to 10 parseable
     * certificates, key material base64 or base64url with or without padding); then jwx's {@code Validate} and
     * {@code Export} rules (an RSA exponent odd and below 2^64, an EC point of exact length on its curve, an
     * Ed25519 {@code x} of 32 bytes matching its {@code d}, a private RSA key with {@code p} and {@code q}).
     */
    private static List<ParsedJwk> parseJwks(byte[] bytes) throws HostBuiltin.Undefined {
        // jwx asks fastjson whether the whole text is one JSON object with "keys"; fastjson is laxer than Go's
        // decoder (anything it accepts that Go refuses fails later either way) but allows only 300 levels.
        boolean isSet;
        try {
            isSet = GoJson.parse(bytes) instanceof GoJson.Obj whole && whole.has("keys")
                    && GoJson.fastjsonDepth(whole) <= 300;
        } catch (HostBuiltin.Undefined notOneDocument) {
            isSet = false;
        }
        GoJson.Value first = GoJson.parseFirst(bytes);
        List<ParsedJwk> out = new ArrayList<>();
        if (!isSet) {
            out.add(parseKey(first));
            return out;
        }
        GoJson.Obj set = (GoJson.Obj) first;
        for (int i = 0; i < set.keys().size(); i++) {
            if (!set.keys().get(i).equals("keys")) {
                continue;
            }
            if (!(set.values().get(i) instanceof GoJson.Arr array)) {
                throw new HostBuiltin.Undefined("failed to decode \"keys\": expected '['");
            }
            if (array.elements().size() > MAX_KEYS) {
                throw new HostBuiltin.Undefined("too many keys in \"keys\" array");
            }
            for (GoJson.Value element : array.elements()) {
                out.add(parseKey(element));
            }
        }
        return out;
    }

    /** jwx's {@code ParseKey} on one JSON value, then {@code jwk.Export}. */
    private static ParsedJwk parseKey(GoJson.Value value) throws HostBuiltin.Undefined {
        // The probe: {"kty": string, "d": raw} decoded as a Go struct (names matched case-insensitively).
        String kty = "";
        boolean isPrivate = false;
        if (value instanceof GoJson.Obj obj) {
            for (int i = 0; i < obj.keys().size(); i++) {
                String name = fold(obj.keys().get(i));
                GoJson.Value member = obj.values().get(i);
                if (name.equals("KTY")) {
                    if (member instanceof GoJson.Str s) {
                        kty = s.value();
                    } else if (!(member instanceof GoJson.Null)) {
                        throw new HostBuiltin.Undefined("jwk: kty must be a string");
                    }
                } else if (name.equals("D")) {
                    isPrivate = true;
                }
            }
        } else if (!(value instanceof GoJson.Null)) {
            throw new HostBuiltin.Undefined("jwk: cannot unmarshal into a key probe");
        }
        return switch (kty) {
            case "RSA" -> rsa((GoJson.Obj) value, isPrivate);
            case "EC" -> ec((GoJson.Obj) value, isPrivate);
            case "OKP" -> okp((GoJson.Obj) value, isPrivate);
            case "oct" -> oct((GoJson.Obj) value);
            default -> throw new HostBuiltin.Undefined("invalid key type from JSON");
        };
    }

    /** The members every key type reads, and its own ones (byte strings); anything else may hold any value. */
    private static final class Members {
        final String kty;
        final Set<String> byteMembers;
        String alg = "";
        String kid = "";
        final java.util.Map<String, byte[]> bytes = new java.util.HashMap<>();
        String crv;

        Members(String kty, Set<String> byteMembers) {
            this.kty = kty;
            this.byteMembers = byteMembers;
        }

        Members read(GoJson.Obj obj, boolean hasCrv) throws HostBuiltin.Undefined {
            for (int i = 0; i < obj.keys().size(); i++) {
                String name = obj.keys().get(i);
                GoJson.Value v = obj.values().get(i);
                switch (name) {
                    case "kty" -> {
                        if (!string(v).equals(kty)) {
                            throw new HostBuiltin.Undefined("jwk: invalid kty value");
                        }
                    }
                    case "alg" -> {
                        String a = string(v);
                        if (!JWA_ALGORITHMS.contains(a)) {
                            throw new HostBuiltin.Undefined("jwk: invalid key algorithm");
                        }
                        alg = a;
                    }
                    case "kid" -> kid = string(v);
                    case "use", "x5t", "x5t#S256", "x5u" -> string(v);
                    case "key_ops" -> keyOps(v);
                    case "x5c" -> certificateChain(v);
                    default -> {
                        if (hasCrv && name.equals("crv")) {
                            if (!(v instanceof GoJson.Str s) || !JWA_CURVES.contains(s.value())) {
                                throw new HostBuiltin.Undefined("jwk: unknown EllipticCurveAlgorithm");
                            }
                            crv = s.value();
                        } else if (byteMembers.contains(name)) {
                            bytes.put(name, GoBase64.jwxDecode(string(v).getBytes(StandardCharsets.UTF_8)));
                        }
                    }
                }
            }
            return this;
        }

        byte[] required(String name) throws HostBuiltin.Undefined {
            byte[] b = bytes.get(name);
            if (b == null) {
                throw new HostBuiltin.Undefined("jwk: required field " + name + " is missing");
            }
            return b;
        }

        /** Go decoding into a string: a string, or null (which leaves ""). */
        private static String string(GoJson.Value v) throws HostBuiltin.Undefined {
            if (v instanceof GoJson.Str s) {
                return s.value();
            }
            if (v instanceof GoJson.Null) {
                return "";
            }
            throw new HostBuiltin.Undefined("jwk: expected a string");
        }

        private static void keyOps(GoJson.Value v) throws HostBuiltin.Undefined {
            if (v instanceof GoJson.Null) {
                return;
            }
            if (!(v instanceof GoJson.Arr array)) {
                throw new HostBuiltin.Undefined("jwk: key_ops must be an array");
            }
            for (GoJson.Value op : array.elements()) {
                string(op);
            }
        }

        /** jwx's {@code cert.Chain}: an array of at most 10 base64 DER certificates that Go can parse. */
        private static void certificateChain(GoJson.Value v) throws HostBuiltin.Undefined {
            if (!(v instanceof GoJson.Arr array)) {
                throw new HostBuiltin.Undefined("jwk: x5c must be an array");
            }
            int n = 0;
            for (GoJson.Value element : array.elements()) {
                if (++n > MAX_CHAIN) {
                    throw new HostBuiltin.Undefined("jwk: certificate chain too long");
                }
                byte[] text = string(element).getBytes(StandardCharsets.UTF_8);
                java.io.ByteArrayOutputStream normalized = new java.io.ByteArrayOutputStream(text.length);
                for (byte b : text) {
                    if (b != ' ' && b != '\t' && b != '\r' && b != '\n' && b != 0x0B && b != '\f') {
                        normalized.write(b);
                    }
                }
                byte[] encoded = normalized.toByteArray();
                if (decodedSize(encoded.length) > MAX_CERTIFICATE_SIZE) {
                    throw new HostBuiltin.Undefined("jwk: certificate too large");
                }
                byte[] der = GoBase64.stdDecode(encoded);
                if (der.length > MAX_CERTIFICATE_SIZE) {
                    throw new HostBuiltin.Undefined("jwk: certificate too large");
                }
                GoX509.parseCertificateKey(der);
            }
        }

        private static int decodedSize(int n) {
            int size = n / 4 * 3;
            switch (n % 4) {
                case 2 -> size += 1;
                case 3 -> size += 2;
                default -> { }
            }
            return size;
        }
    }

    private static ParsedJwk rsa(GoJson.Obj obj, boolean isPrivate) throws HostBuiltin.Undefined {
        Members m = new Members("RSA", isPrivate ? Set.of("n", "e", "d", "p", "q", "dp", "dq", "qi")
                : Set.of("n", "e")).read(obj, false);
        if (isPrivate) {
            m.required("d");
        }
        byte[] e = m.required("e");
        byte[] n = m.required("n");
        // Validate, then Export (which validates again and, for a private key, needs p and q).
        BigInteger modulus = new BigInteger(1, n);
        BigInteger exponent = new BigInteger(1, e);
        if (modulus.signum() == 0) {
            throw new HostBuiltin.Undefined("jwk: missing \"n\" value");
        }
        if (exponent.signum() == 0) {
            throw new HostBuiltin.Undefined("jwk: missing \"e\" value");
        }
        if (!exponent.testBit(0)) {
            throw new HostBuiltin.Undefined("jwk: invalid rsa public exponent: must be a positive odd integer");
        }
        if (exponent.bitLength() >= 64) {
            throw new HostBuiltin.Undefined("jwk: rsa public exponent too large for this platform");
        }
        if (isPrivate) {
            if (m.required("d").length == 0) {
                throw new HostBuiltin.Undefined("jwk: missing \"d\" value");
            }
            m.required("q");
            m.required("p");
        }
        return new ParsedJwk(m.alg, m.kid, new RsaKey(modulus, exponent, isPrivate));
    }

    private static ParsedJwk ec(GoJson.Obj obj, boolean isPrivate) throws HostBuiltin.Undefined {
        Members m = new Members("EC", isPrivate ? Set.of("x", "y", "d") : Set.of("x", "y")).read(obj, true);
        if (m.crv == null) {
            throw new HostBuiltin.Undefined("jwk: required field crv is missing");
        }
        if (isPrivate) {
            m.required("d");
        }
        byte[] x = m.required("x");
        byte[] y = m.required("y");
        Curve curve = Curve.byJwkName(m.crv);
        if (curve == null) {
            throw new HostBuiltin.Undefined("jwk: invalid curve algorithm");
        }
        int size = curve.byteLength();
        if (x.length != size || y.length != size) {
            throw new HostBuiltin.Undefined("jwk: invalid coordinate length");
        }
        BigInteger bx = new BigInteger(1, x);
        BigInteger by = new BigInteger(1, y);
        if ((bx.signum() == 0 && by.signum() == 0) || !curve.onCurve(bx, by)) {
            throw new HostBuiltin.Undefined("jwk: invalid ECDSA public key");
        }
        if (isPrivate && m.required("d").length != size) {
            throw new HostBuiltin.Undefined("jwk: invalid \"d\" length");
        }
        return new ParsedJwk(m.alg, m.kid, new EcKey(curve, bx, by, isPrivate));
    }

    private static ParsedJwk okp(GoJson.Obj obj, boolean isPrivate) throws HostBuiltin.Undefined {
        Members m = new Members("OKP", isPrivate ? Set.of("x", "d") : Set.of("x")).read(obj, true);
        if (m.crv == null) {
            throw new HostBuiltin.Undefined("jwk: required field crv is missing");
        }
        if (isPrivate) {
            m.required("d");
        }
        byte[] x = m.required("x");
        boolean sized = m.crv.equals("Ed25519") || m.crv.equals("X25519");
        if (x.length == 0 || (sized && x.length != 32)) {
            throw new HostBuiltin.Undefined("jwk: wrong OKP public key size");
        }
        if (isPrivate) {
            byte[] d = m.required("d");
            if (d.length == 0 || (sized && d.length != 32)) {
                throw new HostBuiltin.Undefined("jwk: wrong OKP private key size");
            }
        }
        // Export: only Ed25519 and X25519 build keys.
        switch (m.crv) {
            case "Ed25519" -> {
                if (isPrivate && !Arrays.equals(x, ed25519PublicFromSeed(m.required("d")))) {
                    throw new HostBuiltin.Undefined("ed25519: invalid x value given d value");
                }
                return new ParsedJwk(m.alg, m.kid, new EdKey(x, isPrivate));
            }
            case "X25519" -> {
                return new ParsedJwk(m.alg, m.kid, new OtherKey("X25519"));
            }
            default -> throw new HostBuiltin.Undefined("jwk: invalid curve algorithm");
        }
    }

    private static ParsedJwk oct(GoJson.Obj obj) throws HostBuiltin.Undefined {
        Members m = new Members("oct", Set.of("k")).read(obj, false);
        byte[] k = m.required("k");
        if (k.length == 0) {
            throw new HostBuiltin.Undefined("jwk.SymmetricKey: missing \"k\" field");
        }
        return new ParsedJwk(m.alg, m.kid, new SecretKey(k));
    }

    /** Go's {@code foldName}: ASCII upper-cased, other runes {@code ToUpper(ToLower(r))}. */
    private static String fold(String name) {
        StringBuilder out = new StringBuilder(name.length());
        name.codePoints().forEach(cp -> out.appendCodePoint(cp < 0x80
                ? (cp >= 'a' && cp <= 'z' ? cp - 32 : cp)
                : Character.toUpperCase(Character.toLowerCase(cp))));
        return out.toString();
    }

    /** The Ed25519 public key of a 32-byte seed ({@code ed25519.NewKeyFromSeed}), with the JDK's key generator. */
    private static byte[] ed25519PublicFromSeed(byte[] seed) throws HostBuiltin.Undefined {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance("Ed25519");
            generator.initialize(NamedParameterSpec.ED25519, new SecureRandom() {
                private static final long serialVersionUID = 1L;

                @Override
                public void nextBytes(byte[] out) {
                    System.arraycopy(seed, 0, out, 0, Math.min(seed.length, out.length));
                }
            });
            byte[] spki = generator.generateKeyPair().getPublic().getEncoded();
            return Arrays.copyOfRange(spki, spki.length - 32, spki.length);
        } catch (java.security.GeneralSecurityException e) {
            throw new HostBuiltin.Undefined("ed25519: cannot derive the public key");
        }
    }
}
