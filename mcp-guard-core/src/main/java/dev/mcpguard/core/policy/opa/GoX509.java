package dev.mcpguard.core.policy.opa;

import java.io.ByteArrayInputStream;
import java.math.BigInteger;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.util.Arrays;

/**
 * The public key of a PEM {@code PUBLIC KEY} (Go's {@code x509.ParsePKIXPublicKey}) or {@code CERTIFICATE}
 * ({@code x509.ParseCertificate}), with Go's rules: DER only (minimal lengths and integers), an RSA key needs NULL
 * parameters, a positive modulus and an exponent that fits 64 bits; an EC key names P-224, P-256, P-384 or P-521
 * and is an uncompressed point on the curve; an Ed25519 key has no parameters and 32 bytes; X25519 and DSA keys
 * parse but verify nothing. A certificate is parsed by the JDK's X.509 parser, with Go's extra refusals (a negative
 * serial number, bytes after the certificate); in a certificate a key of an algorithm Go does not know is no key,
 * not an error. Thread-safe (stateless).
 */
final class GoX509 {

    private static final byte[] OID_RSA = oid("2a864886f70d010101");
    private static final byte[] OID_EC = oid("2a8648ce3d0201");
    private static final byte[] OID_ED25519 = oid("2b6570");
    private static final byte[] OID_X25519 = oid("2b656e");
    private static final byte[] OID_DSA = oid("2a8648ce380401");
    private static final byte[] DER_NULL = {0x05, 0x00};

    private GoX509() {
    }

    /** {@code x509.ParsePKIXPublicKey}. */
    static JwtKeys.Key parsePkixPublicKey(byte[] der) throws HostBuiltin.Undefined {
        Der.Element spki = Der.read(der, 0);
        if (spki.end() != der.length) {
            throw new HostBuiltin.Undefined("x509: trailing data after ASN.1 of public-key");
        }
        return parsePublicKey(spki, false);
    }

    /** {@code x509.ParseCertificate}, then its public key. */
    static JwtKeys.Key parseCertificateKey(byte[] der) throws HostBuiltin.Undefined {
        Der.Element cert = Der.read(der, 0);
        if (cert.tag() != 0x30 || cert.end() != der.length) {
            throw new HostBuiltin.Undefined("x509: malformed certificate");
        }
        try {
            CertificateFactory.getInstance("X.509").generateCertificate(new ByteArrayInputStream(der));
        } catch (CertificateException | RuntimeException e) {
            throw new HostBuiltin.Undefined("x509: malformed certificate");
        }
        Der.Element tbs = Der.read(der, cert.contentStart());
        requireTag(tbs, 0x30);
        int at = tbs.contentStart();
        Der.Element next = Der.read(der, at);
        if (next.tag() == 0xA0) { // [0] EXPLICIT version
            at = next.end();
            next = Der.read(der, at);
        }
        requireTag(next, 0x02);
        byte[] serial = next.content(der);
        if (serial.length > 0 && serial[0] < 0) {
            throw new HostBuiltin.Undefined("x509: negative serial number");
        }
        at = next.end();
        for (int skip = 0; skip < 4; skip++) { // signature algorithm, issuer, validity, subject
            at = Der.read(der, at).end();
        }
        return parsePublicKey(Der.read(der, at), true);
    }

    /** Go's {@code parsePublicKey} on a SubjectPublicKeyInfo. */
    private static JwtKeys.Key parsePublicKey(Der.Element spki, boolean inCertificate) throws HostBuiltin.Undefined {
        byte[] der = spki.source();
        requireTag(spki, 0x30);
        Der.Element algorithm = Der.read(der, spki.contentStart());
        requireTag(algorithm, 0x30);
        Der.Element oid = Der.read(der, algorithm.contentStart());
        requireTag(oid, 0x06);
        Der.validOid(oid.content(der));
        byte[] params = new byte[0];
        if (oid.end() < algorithm.end()) {
            Der.Element p = Der.read(der, oid.end());
            params = Arrays.copyOfRange(der, p.start(), p.end());
        }
        Der.Element bitString = Der.read(der, algorithm.end());
        if (oid.end() > algorithm.end() || algorithm.end() > spki.end() || bitString.end() > spki.end()) {
            throw new HostBuiltin.Undefined("x509: malformed subjectPublicKeyInfo");
        }
        requireTag(bitString, 0x03);
        byte[] data = Der.bitString(bitString.content(der));
        byte[] algorithmOid = oid.content(der);

        if (Arrays.equals(algorithmOid, OID_RSA)) {
            if (!Arrays.equals(params, DER_NULL)) {
                throw new HostBuiltin.Undefined("x509: RSA key missing NULL parameters");
            }
            Der.Element seq = Der.read(data, 0);
            requireTag(seq, 0x30);
            Der.Element n = Der.read(data, seq.contentStart());
            requireTag(n, 0x02);
            Der.Element e = Der.read(data, n.end());
            requireTag(e, 0x02);
            if (e.end() > seq.end()) {
                throw new HostBuiltin.Undefined("x509: invalid RSA public key");
            }
            BigInteger modulus = Der.integer(n.content(data));
            byte[] exponentBytes = e.content(data);
            BigInteger exponent = Der.integer(exponentBytes);
            if (exponentBytes.length > 8) {
                throw new HostBuiltin.Undefined("x509: invalid RSA public exponent");
            }
            if (modulus.signum() <= 0) {
                throw new HostBuiltin.Undefined("x509: RSA modulus is not a positive number");
            }
            if (exponent.signum() <= 0) {
                throw new HostBuiltin.Undefined("x509: RSA public exponent is not a positive number");
            }
            return new JwtKeys.RsaKey(modulus, exponent, false);
        }
        if (Arrays.equals(algorithmOid, OID_EC)) {
            Der.Element curveOid = params.length == 0 ? null : Der.read(params, 0);
            if (curveOid == null || curveOid.tag() != 0x06) {
                throw new HostBuiltin.Undefined("x509: invalid ECDSA parameters");
            }
            Der.validOid(curveOid.content(params));
            JwtKeys.Curve curve = JwtKeys.Curve.byOid(curveOid.content(params));
            if (curve == null) {
                throw new HostBuiltin.Undefined("x509: unsupported elliptic curve");
            }
            return curve.uncompressedPoint(data);
        }
        if (Arrays.equals(algorithmOid, OID_ED25519)) {
            if (params.length != 0) {
                throw new HostBuiltin.Undefined("x509: Ed25519 key encoded with illegal parameters");
            }
            if (data.length != 32) {
                throw new HostBuiltin.Undefined("x509: wrong Ed25519 public key size");
            }
            return new JwtKeys.EdKey(data, false);
        }
        if (Arrays.equals(algorithmOid, OID_DSA)) {
            Der.Element y = Der.read(data, 0);
            requireTag(y, 0x02);
            BigInteger yValue = Der.integer(y.content(data));
            Der.Element seq = params.length == 0 ? null : Der.read(params, 0);
            if (seq == null || seq.tag() != 0x30) {
                throw new HostBuiltin.Undefined("x509: invalid DSA parameters");
            }
            int at = seq.contentStart();
            BigInteger[] pqg = new BigInteger[3];
            for (int i = 0; i < 3; i++) {
                Der.Element element = Der.read(params, at);
                requireTag(element, 0x02);
                if (element.end() > seq.end()) {
                    throw new HostBuiltin.Undefined("x509: invalid DSA parameters");
                }
                pqg[i] = Der.integer(element.content(params));
                at = element.end();
            }
            if (yValue.signum() <= 0 || pqg[0].signum() <= 0 || pqg[1].signum() <= 0 || pqg[2].signum() <= 0) {
                throw new HostBuiltin.Undefined("x509: zero or negative DSA parameter");
            }
            return new JwtKeys.OtherKey("DSA");
        }
        if (Arrays.equals(algorithmOid, OID_X25519)) {
            if (inCertificate) {
                return new JwtKeys.OtherKey("unknown public key algorithm");
            }
            if (params.length != 0 || data.length != 32) {
                throw new HostBuiltin.Undefined("x509: invalid X25519 key");
            }
            return new JwtKeys.OtherKey("X25519");
        }
        if (inCertificate) {
            return new JwtKeys.OtherKey("unknown public key algorithm");
        }
        throw new HostBuiltin.Undefined("x509: unknown public key algorithm");
    }

    private static void requireTag(Der.Element element, int tag) throws HostBuiltin.Undefined {
        if (element.tag() != tag) {
            throw new HostBuiltin.Undefined("x509: unexpected ASN.1 tag");
        }
    }

    private static byte[] oid(String hex) {
        return java.util.HexFormat.of().parseHex(hex);
    }

    /** A strict DER reader (Go's {@code encoding/asn1} and {@code cryptobyte} rules). */
    static final class Der {

        /** One TLV: the tag byte, where it starts, where its content starts, where it ends. */
        record Element(int tag, int start, int contentStart, int end, byte[] source) {
            byte[] content(byte[] der) {
                return Arrays.copyOfRange(der, contentStart, end);
            }
        }

        private Der() {
        }

        static Element read(byte[] der, int at) throws HostBuiltin.Undefined {
            if (at + 2 > der.length) {
                throw new HostBuiltin.Undefined("asn1: truncated");
            }
            int tag = der[at] & 0xFF;
            if ((tag & 0x1F) == 0x1F) {
                throw new HostBuiltin.Undefined("asn1: high-tag-number form not expected here");
            }
            int i = at + 1;
            int first = der[i++] & 0xFF;
            long length;
            if (first < 0x80) {
                length = first;
            } else {
                int count = first & 0x7F;
                if (count == 0 || count > 4 || i + count > der.length) {
                    throw new HostBuiltin.Undefined("asn1: bad length");
                }
                if ((der[i] & 0xFF) == 0) {
                    throw new HostBuiltin.Undefined("asn1: non-minimal length");
                }
                length = 0;
                for (int k = 0; k < count; k++) {
                    length = (length << 8) | (der[i++] & 0xFF);
                }
                if (length < 0x80) {
                    throw new HostBuiltin.Undefined("asn1: non-minimal length");
                }
            }
            if (i + length > der.length) {
                throw new HostBuiltin.Undefined("asn1: data truncated");
            }
            return new Element(tag, at, i, (int) (i + length), der);
        }

        /** A minimally encoded two's-complement INTEGER. */
        static BigInteger integer(byte[] content) throws HostBuiltin.Undefined {
            if (content.length == 0) {
                throw new HostBuiltin.Undefined("asn1: empty integer");
            }
            if (content.length > 1 && ((content[0] == 0 && (content[1] & 0x80) == 0)
                    || (content[0] == (byte) 0xFF && (content[1] & 0x80) != 0))) {
                throw new HostBuiltin.Undefined("asn1: integer not minimally-encoded");
            }
            return new BigInteger(content);
        }

        /** A BIT STRING's bits, right-aligned; padding bits must be zero. */
        static byte[] bitString(byte[] content) throws HostBuiltin.Undefined {
            if (content.length == 0) {
                throw new HostBuiltin.Undefined("asn1: zero length BIT STRING");
            }
            int padding = content[0] & 0xFF;
            if (padding > 7 || (content.length == 1 && padding > 0)
                    || (content[content.length - 1] & ((1 << padding) - 1)) != 0) {
                throw new HostBuiltin.Undefined("asn1: invalid padding bits in BIT STRING");
            }
            byte[] bits = Arrays.copyOfRange(content, 1, content.length);
            if (padding == 0) {
                return bits;
            }
            // RightAlign: shift the value right by the padding.
            BigInteger value = new BigInteger(1, bits).shiftRight(padding);
            int length = ((bits.length * 8 - padding) + 7) / 8;
            byte[] raw = value.toByteArray();
            byte[] out = new byte[length];
            int copy = Math.min(raw.length, length);
            System.arraycopy(raw, raw.length - copy, out, length - copy, copy);
            return out;
        }

        /** Go's {@code parseObjectIdentifier}: non-empty, base-128 components without leading 0x80. */
        static void validOid(byte[] content) throws HostBuiltin.Undefined {
            if (content.length == 0) {
                throw new HostBuiltin.Undefined("asn1: zero length OBJECT IDENTIFIER");
            }
            boolean startOfComponent = true;
            int componentBytes = 0;
            for (byte b : content) {
                if (startOfComponent && (b & 0xFF) == 0x80) {
                    throw new HostBuiltin.Undefined("asn1: invalid OBJECT IDENTIFIER");
                }
                componentBytes++;
                if (componentBytes > 4 && !startOfComponent) {
                    throw new HostBuiltin.Undefined("asn1: base 128 integer too large");
                }
                startOfComponent = (b & 0x80) == 0;
                if (startOfComponent) {
                    componentBytes = 0;
                }
            }
            if (!startOfComponent) {
                throw new HostBuiltin.Undefined("asn1: truncated OBJECT IDENTIFIER");
            }
        }
    }
}
