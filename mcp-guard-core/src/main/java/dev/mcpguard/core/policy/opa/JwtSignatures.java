package dev.mcpguard.core.policy.opa;

import java.io.ByteArrayOutputStream;
import java.math.BigInteger;
import java.security.AlgorithmParameters;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.MessageDigest;
import java.security.PublicKey;
import java.security.Signature;
import java.security.spec.ECGenParameterSpec;
import java.security.spec.ECParameterSpec;
import java.security.spec.ECPoint;
import java.security.spec.ECPublicKeySpec;
import java.security.spec.RSAPublicKeySpec;
import java.security.spec.X509EncodedKeySpec;
import java.util.Arrays;
import java.util.HexFormat;
import javax.crypto.Cipher;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Signature checks as Go's {@code crypto} packages make them, on the JDK's primitives only: RSA through the raw
 * public operation ({@code RSA/ECB/NoPadding}) with Go's key checks (at least 1,024 bits, odd modulus, odd
 * exponent from 3 to 2^31-1) and Go's exact PKCS #1 v1.5 encoding or EMSA-PSS check (salt length recovered, or
 * equal to the hash); ECDSA with {@code r} and {@code s} in [1, n-1], verified by the JDK's
 * {@code SHAxxxwithECDSA}; Ed25519 by the JDK's {@code Ed25519} after Go's length checks; HMAC compared in constant
 * time ({@link MessageDigest#isEqual}). Every failure is {@code false}, as in Go; a check the JDK cannot make
 * (P-224, an RSA modulus over 16,384 bits) is {@link HostBuiltin.Undefined}, never a guess. Thread-safe (a new JDK
 * object per call).
 */
final class JwtSignatures {

    /** A hash of a JWS algorithm: JDK digest name, HMAC name, output size, DigestInfo prefix. */
    enum Hash {
        SHA256("SHA-256", "HmacSHA256", "SHA256withECDSA", "3031300d060960864801650304020105000420"),
        SHA384("SHA-384", "HmacSHA384", "SHA384withECDSA", "3041300d060960864801650304020205000430"),
        SHA512("SHA-512", "HmacSHA512", "SHA512withECDSA", "3051300d060960864801650304020305000440");

        final String digest;
        final String hmac;
        final String ecdsa;
        final byte[] digestInfo;

        Hash(String digest, String hmac, String ecdsa, String digestInfo) {
            this.digest = digest;
            this.hmac = hmac;
            this.ecdsa = ecdsa;
            this.digestInfo = HexFormat.of().parseHex(digestInfo);
        }

        byte[] of(byte[] message) {
            return newDigest().digest(message);
        }

        MessageDigest newDigest() {
            try {
                return MessageDigest.getInstance(digest);
            } catch (GeneralSecurityException e) {
                throw new IllegalStateException("the JDK has no " + digest, e);
            }
        }

        int size() {
            return newDigest().getDigestLength();
        }
    }

    private static final byte[] ED25519_SPKI_PREFIX = HexFormat.of().parseHex("302a300506032b6570032100");
    private static final BigInteger ED25519_P = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));
    /** d = -121665/121666 mod p. */
    private static final BigInteger ED25519_D = BigInteger.valueOf(-121665)
            .multiply(BigInteger.valueOf(121666).modInverse(ED25519_P)).mod(ED25519_P);

    private JwtSignatures() {
    }

    /** Go's {@code rsa.VerifyPKCS1v15}. */
    static boolean rsaPkcs1(JwtKeys.RsaKey key, Hash hash, byte[] message, byte[] signature)
            throws HostBuiltin.Undefined {
        byte[] em = rsaPublicOperation(key, signature);
        if (em == null) {
            return false;
        }
        byte[] digest = hash.of(message);
        int tLen = hash.digestInfo.length + digest.length;
        int k = em.length;
        if (k < tLen + 11) {
            return false;
        }
        byte[] expected = new byte[k];
        expected[1] = 1;
        Arrays.fill(expected, 2, k - tLen - 1, (byte) 0xFF);
        System.arraycopy(hash.digestInfo, 0, expected, k - tLen, hash.digestInfo.length);
        System.arraycopy(digest, 0, expected, k - digest.length, digest.length);
        return MessageDigest.isEqual(em, expected);
    }

    /** Go's {@code rsa.VerifyPSS}: the salt length found in the encoding, or exactly the hash length. */
    static boolean rsaPss(JwtKeys.RsaKey key, Hash hash, byte[] message, byte[] signature, boolean saltEqualsHash)
            throws HostBuiltin.Undefined {
        byte[] em = rsaPublicOperation(key, signature);
        if (em == null) {
            return false;
        }
        int emBits = key.n().bitLength() - 1;
        int emLen = (emBits + 7) / 8;
        int start = 0;
        while (em.length - start > emLen) {
            if (em[start] != 0) {
                return false;
            }
            start++;
        }
        em = Arrays.copyOfRange(em, start, em.length);
        byte[] mHash = hash.of(message);
        int hLen = mHash.length;
        int sLen = saltEqualsHash ? hLen : -1;
        if (emLen < hLen + sLen + 2) { // sLen is -1 when it is to be found, as in Go
            return false;
        }
        if ((em[emLen - 1] & 0xFF) != 0xBC) {
            return false;
        }
        byte[] db = Arrays.copyOfRange(em, 0, emLen - hLen - 1);
        byte[] h = Arrays.copyOfRange(em, emLen - hLen - 1, emLen - 1);
        int bitMask = 0xFF >> (8 * emLen - emBits);
        if ((em[0] & ~bitMask & 0xFF) != 0) {
            return false;
        }
        byte[] mask = mgf1(hash, h, db.length);
        for (int i = 0; i < db.length; i++) {
            db[i] ^= mask[i];
        }
        db[0] &= (byte) bitMask;
        if (sLen < 0) {
            int psLen = -1;
            for (int i = 0; i < db.length; i++) {
                if (db[i] == 1) {
                    psLen = i;
                    break;
                }
            }
            if (psLen < 0) {
                return false;
            }
            sLen = db.length - psLen - 1;
        }
        int psLen = emLen - hLen - sLen - 2;
        for (int i = 0; i < psLen; i++) {
            if (db[i] != 0) {
                return false;
            }
        }
        if (db[psLen] != 1) {
            return false;
        }
        MessageDigest digest = hash.newDigest();
        digest.update(new byte[8]);
        digest.update(mHash);
        digest.update(db, db.length - sLen, sLen);
        return MessageDigest.isEqual(digest.digest(), h);
    }

    private static byte[] mgf1(Hash hash, byte[] seed, int length) {
        ByteArrayOutputStream out = new ByteArrayOutputStream(length + 64);
        for (int counter = 0; out.size() < length; counter++) {
            MessageDigest digest = hash.newDigest();
            digest.update(seed);
            digest.update(new byte[] {(byte) (counter >>> 24), (byte) (counter >>> 16), (byte) (counter >>> 8),
                    (byte) counter});
            out.writeBytes(digest.digest());
        }
        return Arrays.copyOf(out.toByteArray(), length);
    }

    /**
     * {@code s^e mod n} after Go's checks ({@code checkPublicKeySize}, {@code checkPublicKey}, the signature as long
     * as the modulus and below it); null where Go fails the verification.
     */
    private static byte[] rsaPublicOperation(JwtKeys.RsaKey key, byte[] signature) throws HostBuiltin.Undefined {
        BigInteger n = key.n();
        BigInteger e = key.e();
        if (n.bitLength() < 1024 || !n.testBit(0) || e.compareTo(BigInteger.TWO) < 0 || !e.testBit(0)
                || e.bitLength() > 31) {
            return null;
        }
        int k = (n.bitLength() + 7) / 8;
        if (signature.length != k || new BigInteger(1, signature).compareTo(n) >= 0) {
            return null;
        }
        if (n.bitLength() > 16384) {
            throw new HostBuiltin.Undefined("RSA moduli over 16384 bits are beyond the JDK's RSA");
        }
        try {
            PublicKey publicKey = KeyFactory.getInstance("RSA").generatePublic(new RSAPublicKeySpec(n, e));
            Cipher rsa = Cipher.getInstance("RSA/ECB/NoPadding");
            rsa.init(Cipher.ENCRYPT_MODE, publicKey);
            byte[] out = rsa.doFinal(signature);
            if (out.length == k) {
                return out;
            }
            byte[] padded = new byte[k];
            System.arraycopy(out, 0, padded, k - out.length, out.length);
            return padded;
        } catch (GeneralSecurityException ex) {
            throw new HostBuiltin.Undefined("the JDK's RSA refused the key");
        }
    }

    /** Go's {@code ecdsa.Verify(pub, hash(message), r, s)}. */
    static boolean ecdsa(JwtKeys.EcKey key, Hash hash, byte[] message, BigInteger r, BigInteger s)
            throws HostBuiltin.Undefined {
        BigInteger order = key.curve().order;
        if (r.signum() <= 0 || s.signum() <= 0 || r.compareTo(order) >= 0 || s.compareTo(order) >= 0) {
            return false;
        }
        if (key.curve() == JwtKeys.Curve.P224) {
            throw new HostBuiltin.Undefined("P-224 signatures are beyond the JDK's ECDSA");
        }
        try {
            AlgorithmParameters parameters = AlgorithmParameters.getInstance("EC");
            parameters.init(new ECGenParameterSpec(key.curve().jdkName));
            ECParameterSpec spec = parameters.getParameterSpec(ECParameterSpec.class);
            PublicKey publicKey = KeyFactory.getInstance("EC")
                    .generatePublic(new ECPublicKeySpec(new ECPoint(key.x(), key.y()), spec));
            Signature verifier = Signature.getInstance(hash.ecdsa);
            verifier.initVerify(publicKey);
            verifier.update(message);
            return verifier.verify(derSignature(r, s));
        } catch (GeneralSecurityException ex) {
            return false;
        }
    }

    private static byte[] derSignature(BigInteger r, BigInteger s) {
        byte[] rb = r.toByteArray();
        byte[] sb = s.toByteArray();
        ByteArrayOutputStream body = new ByteArrayOutputStream();
        derElement(body, 0x02, rb);
        derElement(body, 0x02, sb);
        ByteArrayOutputStream out = new ByteArrayOutputStream();
        derElement(out, 0x30, body.toByteArray());
        return out.toByteArray();
    }

    private static void derElement(ByteArrayOutputStream out, int tag, byte[] content) {
        out.write(tag);
        if (content.length < 0x80) {
            out.write(content.length);
        } else if (content.length < 0x100) {
            out.write(0x81);
            out.write(content.length);
        } else {
            out.write(0x82);
            out.write(content.length >> 8);
            out.write(content.length);
        }
        out.writeBytes(content);
    }

    /**
     * Go's {@code ed25519.Verify}: a 64-byte signature whose top three bits are clear, a key that decodes to a
     * point, then the JDK's check. Go also accepts two non-canonical key encodings (y not reduced below p; x = 0
     * with the sign bit set); the JDK refuses them and hashes the encoding it is given, so it cannot decide for
     * such a key: undefined.
     */
    static boolean ed25519(JwtKeys.EdKey key, byte[] message, byte[] signature) throws HostBuiltin.Undefined {
        if (key.publicKey().length != 32 || signature.length != 64 || (signature[63] & 0xE0) != 0) {
            return false;
        }
        byte[] a = key.publicKey();
        boolean sign = (a[31] & 0x80) != 0;
        byte[] littleEndian = a.clone();
        littleEndian[31] &= 0x7F;
        BigInteger y = new BigInteger(1, reverse(littleEndian));
        BigInteger yr = y.mod(ED25519_P);
        BigInteger y2 = yr.multiply(yr).mod(ED25519_P);
        BigInteger u = y2.subtract(BigInteger.ONE).mod(ED25519_P);
        BigInteger v = ED25519_D.multiply(y2).add(BigInteger.ONE).mod(ED25519_P);
        BigInteger x2 = u.multiply(v.modPow(ED25519_P.subtract(BigInteger.TWO), ED25519_P)).mod(ED25519_P);
        if (x2.signum() != 0 && !x2.modPow(ED25519_P.shiftRight(1), ED25519_P).equals(BigInteger.ONE)) {
            return false; // not a point: Go's SetBytes fails too
        }
        if (y.compareTo(ED25519_P) >= 0 || (x2.signum() == 0 && sign)) {
            throw new HostBuiltin.Undefined("a non-canonical Ed25519 key encoding is beyond the JDK's EdDSA");
        }
        try {
            byte[] spki = Arrays.copyOf(ED25519_SPKI_PREFIX, ED25519_SPKI_PREFIX.length + 32);
            System.arraycopy(key.publicKey(), 0, spki, ED25519_SPKI_PREFIX.length, 32);
            PublicKey publicKey = KeyFactory.getInstance("Ed25519").generatePublic(new X509EncodedKeySpec(spki));
            Signature verifier = Signature.getInstance("Ed25519");
            verifier.initVerify(publicKey);
            verifier.update(message);
            return verifier.verify(signature);
        } catch (GeneralSecurityException | RuntimeException ex) {
            return false;
        }
    }

    private static byte[] reverse(byte[] b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = b[b.length - 1 - i];
        }
        return out;
    }

    /** HMAC of {@code message}, compared with {@code signature} in constant time; an empty key is allowed. */
    static boolean hmac(byte[] key, Hash hash, byte[] message, byte[] signature) {
        try {
            Mac mac = Mac.getInstance(hash.hmac);
            // The JDK refuses an empty key; HMAC pads a short key with zeroes, so one zero byte is the same key.
            mac.init(new SecretKeySpec(key.length == 0 ? new byte[1] : key, hash.hmac));
            return MessageDigest.isEqual(signature, mac.doFinal(message));
        } catch (GeneralSecurityException e) {
            throw new IllegalStateException("the JDK has no " + hash.hmac, e);
        }
    }

    /**
     * jwx's {@code jwsbb.Verify(key, alg, plaintext, signature)}, which {@code io.jwt.decode_verify} uses: the
     * algorithm comes from the token's header, the key must be of its family (a private key verifies with its
     * public part), an ES signature is exactly {@code r || s} of the curve's size, PS uses a salt as long as the
     * hash, an HMAC key must not be empty; any other algorithm verifies nothing.
     */
    static boolean jws(JwtKeys.Key key, String alg, byte[] plaintext, byte[] signature) throws HostBuiltin.Undefined {
        Hash hash = switch (alg.length() == 5 ? alg.substring(2) : "") {
            case "256" -> Hash.SHA256;
            case "384" -> Hash.SHA384;
            case "512" -> Hash.SHA512;
            default -> null;
        };
        String family = hash == null ? alg : alg.substring(0, 2);
        switch (family) {
            case "HS" -> {
                return key instanceof JwtKeys.SecretKey secret && secret.bytes().length > 0
                        && hmac(secret.bytes(), hash, plaintext, signature);
            }
            case "RS" -> {
                return key instanceof JwtKeys.RsaKey rsa && rsaPkcs1(rsa, hash, plaintext, signature);
            }
            case "PS" -> {
                return key instanceof JwtKeys.RsaKey rsa && rsaPss(rsa, hash, plaintext, signature, true);
            }
            case "ES" -> {
                if (!(key instanceof JwtKeys.EcKey ec)) {
                    return false;
                }
                int size = ec.curve().byteLength();
                if (signature.length != 2 * size) {
                    return false;
                }
                return ecdsa(ec, hash, plaintext, new BigInteger(1, Arrays.copyOf(signature, size)),
                        new BigInteger(1, Arrays.copyOfRange(signature, size, signature.length)));
            }
            case "EdDSA", "Ed25519" -> {
                return key instanceof JwtKeys.EdKey ed && ed25519(ed, plaintext, signature);
            }
            default -> {
                return false;
            }
        }
    }
}
