package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.nio.charset.StandardCharsets;
import java.security.GeneralSecurityException;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.PrivateKey;
import java.security.PublicKey;
import java.security.SecureRandom;
import java.security.Signature;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.EdECPublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.MGF1ParameterSpec;
import java.security.spec.PSSParameterSpec;
import java.util.Arrays;
import java.util.Base64;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Real keys and tokens for the JWT probes, made with the JDK only: RSA, EC (P-256/384/521), Ed25519, X25519 and
 * DSA key pairs from a seeded generator, compact JWS signing for every JWS algorithm (PS with any salt length),
 * PEM public keys, self-signed X.509 certificates built with a small DER writer (so a test can also build the odd
 * ones Go refuses), and JWK members. Not thread-safe (one generator); tests use one per thread.
 */
final class JwtFixtures {

    private final SecureRandom random;

    JwtFixtures(long seed) {
        try {
            random = SecureRandom.getInstance("SHA1PRNG");
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
        random.setSeed(seed);
    }

    SecureRandom random() {
        return random;
    }

    KeyPair rsa(int bits) {
        return generate("RSA", bits, null);
    }

    KeyPair ec(String curve) {
        return generate("EC", 0, new ECGenParameterSpec(curve));
    }

    KeyPair ed25519() {
        return generate("Ed25519", 0, null);
    }

    KeyPair x25519() {
        return generate("X25519", 0, null);
    }

    KeyPair dsa() {
        return generate("DSA", 2048, null);
    }

    private KeyPair generate(String algorithm, int bits, java.security.spec.AlgorithmParameterSpec spec) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(algorithm);
            if (spec != null) {
                generator.initialize(spec, random);
            } else if (bits > 0) {
                generator.initialize(bits, random);
            }
            return generator.generateKeyPair();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    byte[] bytes(int n) {
        byte[] out = new byte[n];
        random.nextBytes(out);
        return out;
    }

    // ------------------------------------------------------------------ encodings

    static String b64u(byte[] bytes) {
        return Base64.getUrlEncoder().withoutPadding().encodeToString(bytes);
    }

    static String b64u(String utf8) {
        return b64u(utf8.getBytes(StandardCharsets.UTF_8));
    }

    static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** {@code header.payload.signature} with the parts given raw (already JSON text). */
    static String token(String header, String payload, Signer signer) {
        String input = b64u(header) + "." + b64u(payload);
        return input + "." + b64u(signer.sign(utf8(input)));
    }

    /** {@code header.payload} for a signing input with pre-encoded parts. */
    static String signed(String encodedHeader, String encodedPayload, Signer signer) {
        String input = encodedHeader + "." + encodedPayload;
        return input + "." + b64u(signer.sign(utf8(input)));
    }

    @FunctionalInterface
    interface Signer {
        byte[] sign(byte[] input);
    }

    Signer rs(PrivateKey key, int bits) {
        return input -> jdkSign("SHA" + bits + "withRSA", key, null, input);
    }

    Signer ps(PrivateKey key, int bits, int saltLength) {
        String hash = "SHA-" + bits;
        MGF1ParameterSpec mgf = bits == 256 ? MGF1ParameterSpec.SHA256
                : bits == 384 ? MGF1ParameterSpec.SHA384 : MGF1ParameterSpec.SHA512;
        return input -> jdkSign("RSASSA-PSS", key, new PSSParameterSpec(hash, "MGF1", mgf, saltLength, 1), input);
    }

    /** ES: the JDK's DER signature re-encoded as {@code r || s}, each {@code size} bytes. */
    Signer es(PrivateKey key, int bits, int size) {
        return input -> rawEcdsa(jdkSign("SHA" + bits + "withECDSA", key, null, input), size);
    }

    Signer eddsa(PrivateKey key) {
        return input -> jdkSign("Ed25519", key, null, input);
    }

    static Signer hs(byte[] secret, int bits) {
        return input -> {
            try {
                Mac mac = Mac.getInstance("HmacSHA" + bits);
                mac.init(new SecretKeySpec(secret.length == 0 ? new byte[1] : secret, "HmacSHA" + bits));
                return mac.doFinal(input);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException(e);
            }
        };
    }

    static Signer fixed(byte[] signature) {
        return input -> signature;
    }

    private byte[] jdkSign(String algorithm, PrivateKey key, java.security.spec.AlgorithmParameterSpec params,
            byte[] input) {
        try {
            Signature signature = Signature.getInstance(algorithm);
            if (params != null) {
                signature.setParameter(params);
            }
            signature.initSign(key, random);
            signature.update(input);
            return signature.sign();
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException(e);
        }
    }

    static byte[] rawEcdsa(byte[] der, int size) {
        int at = 2;
        if ((der[1] & 0x80) != 0) {
            at += der[1] & 0x7F;
        }
        int rLen = der[at + 1];
        byte[] r = Arrays.copyOfRange(der, at + 2, at + 2 + rLen);
        at += 2 + rLen;
        int sLen = der[at + 1];
        byte[] s = Arrays.copyOfRange(der, at + 2, at + 2 + sLen);
        byte[] out = new byte[2 * size];
        put(out, 0, size, new BigInteger(1, r));
        put(out, size, size, new BigInteger(1, s));
        return out;
    }

    private static void put(byte[] out, int at, int size, BigInteger value) {
        byte[] v = value.toByteArray();
        int copy = Math.min(v.length, size);
        System.arraycopy(v, v.length - copy, out, at + size - copy, copy);
    }

    static String pem(String type, byte[] der) {
        String body = Base64.getMimeEncoder(64, new byte[] {'\n'}).encodeToString(der);
        return "-----BEGIN " + type + "-----\n" + body + "\n-----END " + type + "-----\n";
    }

    static String pemPublicKey(PublicKey key) {
        return pem("PUBLIC KEY", key.getEncoded());
    }

    // ------------------------------------------------------------------ JWK members

    static ObjectNode jwk(PublicKey key) {
        ObjectNode jwk = BuiltinProbes.NODES.objectNode();
        if (key instanceof RSAPublicKey rsa) {
            jwk.put("kty", "RSA").put("n", b64u(unsigned(rsa.getModulus()))).put("e",
                    b64u(unsigned(rsa.getPublicExponent())));
        } else if (key instanceof ECPublicKey ec) {
            int bits = ec.getParams().getCurve().getField().getFieldSize();
            int size = (bits + 7) / 8;
            jwk.put("kty", "EC").put("crv", bits == 521 ? "P-521" : "P-" + bits)
                    .put("x", b64u(fixedWidth(ec.getW().getAffineX(), size)))
                    .put("y", b64u(fixedWidth(ec.getW().getAffineY(), size)));
        } else if (key instanceof EdECPublicKey) {
            byte[] spki = key.getEncoded();
            jwk.put("kty", "OKP").put("crv", "Ed25519").put("x", b64u(Arrays.copyOfRange(spki, spki.length - 32,
                    spki.length)));
        } else {
            throw new IllegalArgumentException(key.getAlgorithm());
        }
        return jwk;
    }

    /** The JWK of a private RSA key (all CRT members). */
    static ObjectNode jwkPrivate(RSAPrivateCrtKey key) {
        return BuiltinProbes.NODES.objectNode().put("kty", "RSA").put("n", b64u(unsigned(key.getModulus())))
                .put("e", b64u(unsigned(key.getPublicExponent()))).put("d", b64u(unsigned(key.getPrivateExponent())))
                .put("p", b64u(unsigned(key.getPrimeP()))).put("q", b64u(unsigned(key.getPrimeQ())))
                .put("dp", b64u(unsigned(key.getPrimeExponentP()))).put("dq", b64u(unsigned(key.getPrimeExponentQ())))
                .put("qi", b64u(unsigned(key.getCrtCoefficient())));
    }

    static ObjectNode jwkOct(byte[] secret) {
        return BuiltinProbes.NODES.objectNode().put("kty", "oct").put("k", b64u(secret));
    }

    static byte[] unsigned(BigInteger v) {
        byte[] b = v.toByteArray();
        return b[0] == 0 && b.length > 1 ? Arrays.copyOfRange(b, 1, b.length) : b;
    }

    static byte[] fixedWidth(BigInteger v, int size) {
        byte[] out = new byte[size];
        put(out, 0, size, v);
        return out;
    }

    static String json(Object node) {
        try {
            return BuiltinProbes.MAPPER.writeValueAsString(node);
        } catch (com.fasterxml.jackson.core.JsonProcessingException e) {
            throw new IllegalStateException(e);
        }
    }

    // ------------------------------------------------------------------ X.509, by hand

    /** A certificate for {@code subject}, signed by {@code issuer} with {@code sigAlg}; the serial as given. */
    byte[] certificate(PublicKey subject, PrivateKey issuer, String sigAlg, BigInteger serial) {
        byte[] algorithm = switch (sigAlg) {
            case "SHA256withRSA" -> seq(oid("2a864886f70d01010b"), new byte[] {0x05, 0x00});
            case "SHA256withECDSA" -> seq(oid("2a8648ce3d040302"));
            case "Ed25519" -> seq(oid("2b6570"));
            default -> throw new IllegalArgumentException(sigAlg);
        };
        byte[] name = seq(tlv(0x31, seq(oid("550403"), tlv(0x0C, utf8("mcp-guard probe")))));
        byte[] validity = seq(tlv(0x17, utf8("250101000000Z")), tlv(0x17, utf8("350101000000Z")));
        byte[] tbs = seq(tlv(0xA0, tlv(0x02, new byte[] {2})), tlv(0x02, serial.toByteArray()), algorithm, name,
                validity, name, subject.getEncoded());
        byte[] signature = jdkSign(sigAlg, issuer, null, tbs);
        byte[] bits = new byte[signature.length + 1];
        System.arraycopy(signature, 0, bits, 1, signature.length);
        return seq(tbs, algorithm, tlv(0x03, bits));
    }

    static byte[] oid(String hex) {
        return tlv(0x06, java.util.HexFormat.of().parseHex(hex));
    }

    static byte[] seq(byte[]... parts) {
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        for (byte[] part : parts) {
            body.writeBytes(part);
        }
        return tlv(0x30, body.toByteArray());
    }

    static byte[] tlv(int tag, byte[] content) {
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        out.write(tag);
        int n = content.length;
        if (n < 0x80) {
            out.write(n);
        } else if (n < 0x100) {
            out.write(0x81);
            out.write(n);
        } else {
            out.write(0x82);
            out.write(n >> 8);
            out.write(n);
        }
        out.writeBytes(content);
        return out.toByteArray();
    }
}
