package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.nimbusds.jose.JOSEException;
import com.nimbusds.jose.JWSAlgorithm;
import com.nimbusds.jose.JWSObject;
import com.nimbusds.jose.JWSVerifier;
import com.nimbusds.jose.crypto.ECDSAVerifier;
import com.nimbusds.jose.crypto.RSASSAVerifier;
import java.io.ByteArrayInputStream;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PublicKey;
import java.security.cert.CertificateFactory;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPublicKey;
import java.security.spec.X509EncodedKeySpec;
import java.text.ParseException;
import java.util.Base64;
import java.util.HashMap;
import java.util.Map;
import java.util.Objects;
import java.util.Optional;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * How policy bundles are authenticated before they are loaded: the {@code .signatures.json} file that
 * {@code opa build --signing-key} writes, checked as OPA checks it (one JWS, RS256 or ES256 only, against one
 * configured public key; payload scope must match; then every file's digest, and the file list must match
 * exactly, see {@link OpaBundle}).
 *
 * <p>There is no default: choose {@link #publicKey(String)} for production or {@link #insecureUnsigned()} to load unsigned
 * bundles, which logs a warning when an engine uses it.
 *
 * <pre>{@code
 * BundleVerification verification = BundleVerification.publicKey(Files.readString(Path.of("/etc/mcp/bundle-pub.pem")));
 * }</pre>
 *
 * <p>Immutable and thread-safe. The public key is not secret, but it is never printed either.
 */
public final class BundleVerification {

    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z0-9 ]+)-----\\s*([A-Za-z0-9+/=\\s]+?)\\s*-----END \\1-----");
    private static final JsonMapper STRICT_JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final PublicKey key;
    private final JWSAlgorithm algorithm;
    private final String keyId;
    private final String scope;

    private BundleVerification(PublicKey key, JWSAlgorithm algorithm, String keyId, String scope) {
        this.key = key;
        this.algorithm = algorithm;
        this.keyId = keyId;
        this.scope = scope;
    }

    /** Loads bundles without checking any signature. For development only; engines log a warning. */
    public static BundleVerification insecureUnsigned() {
        return new BundleVerification(null, null, null, "");
    }

    /**
     * Requires every bundle to be signed by the private key matching {@code pem}: a {@code PUBLIC KEY}
     * (X.509 SubjectPublicKeyInfo) or {@code CERTIFICATE} PEM holding an RSA key of at least 2048 bits (RS256) or
     * an EC P-256 key (ES256).
     *
     * @throws IllegalArgumentException when the PEM is not such a key (the message never contains the PEM)
     */
    public static BundleVerification publicKey(String pem) {
        return publicKey(pem, null);
    }

    /**
     * Like {@link #publicKey(String)}, and a signature that names a key id ({@code kid} header or {@code keyid}
     * claim) other than {@code keyId} is rejected.
     *
     * @param keyId the expected key id, or null to accept any
     */
    public static BundleVerification publicKey(String pem, String keyId) {
        Objects.requireNonNull(pem, "pem");
        if (keyId != null && keyId.isBlank()) {
            throw new IllegalArgumentException("keyId must not be blank when given");
        }
        PublicKey key = parsePublicKey(pem);
        JWSAlgorithm algorithm = algorithmFor(key);
        return new BundleVerification(key, algorithm, keyId, "");
    }

    /**
     * Returns a copy that requires the signature's {@code scope} claim to equal {@code scope}; without it, a
     * signature must carry no scope (OPA's rule).
     */
    public BundleVerification withScope(String scope) {
        Objects.requireNonNull(scope, "scope");
        if (key == null) {
            throw new IllegalStateException("a scope only applies when a public key is configured");
        }
        return new BundleVerification(key, algorithm, keyId, scope);
    }

    /** True when bundles must be signed. */
    public boolean required() {
        return key != null;
    }

    /** The accepted signature algorithm, when verification is required. */
    public Optional<String> algorithm() {
        return Optional.ofNullable(algorithm).map(JWSAlgorithm::getName);
    }

    @Override
    public String toString() {
        return key == null ? "BundleVerification[none]"
                : "BundleVerification[" + algorithm + (keyId == null ? "" : ", keyId=" + keyId)
                        + (scope.isEmpty() ? "" : ", scope=" + scope) + "]";
    }

    /** A file as listed in a verified signature. */
    record SignedFile(String name, String hash, String algorithm) {
    }

    /**
     * Verifies {@code .signatures.json} and returns the files it vouches for, by name.
     *
     * @throws BundleException when the file is malformed, the JWS does not verify, or a claim does not match
     */
    Map<String, SignedFile> verifySignatures(byte[] signaturesJson) throws BundleException {
        if (key == null) {
            throw new IllegalStateException("verification is not configured");
        }
        JsonNode root;
        try {
            root = STRICT_JSON.readTree(signaturesJson);
        } catch (java.io.IOException e) {
            throw new BundleException(".signatures.json is not valid JSON");
        }
        JsonNode signatures = root == null ? null : root.get("signatures");
        if (signatures == null || !signatures.isArray() || signatures.isEmpty()) {
            throw new BundleException(".signatures.json: missing JWT (expected exactly one)");
        }
        if (signatures.size() > 1) {
            throw new BundleException(".signatures.json: multiple JWTs not supported (expected exactly one)");
        }
        JsonNode plugin = root.get("plugin");
        if (plugin != null && !plugin.isNull() && !"_default".equals(plugin.asText())) {
            throw new BundleException(".signatures.json names verifier plugin " + BundleArchive.printable(plugin.asText())
                    + "; only OPA's default verifier is supported");
        }
        if (!signatures.get(0).isTextual()) {
            throw new BundleException(".signatures.json: the signature is not a string");
        }
        JWSObject jws;
        try {
            jws = JWSObject.parse(signatures.get(0).textValue());
        } catch (ParseException e) {
            throw new BundleException(".signatures.json: the signature is not a compact JWS");
        }
        JWSAlgorithm tokenAlgorithm = jws.getHeader().getAlgorithm();
        if (!algorithm.equals(tokenAlgorithm)) {
            throw new BundleException("bundle signature uses algorithm " + tokenAlgorithm
                    + " but the configured key accepts only " + algorithm);
        }
        boolean valid;
        try {
            valid = jws.verify(verifierFor(key));
        } catch (JOSEException e) {
            throw new BundleException("bundle signature could not be verified: " + e.getClass().getSimpleName());
        }
        if (!valid) {
            throw new BundleException("bundle signature does not verify with the configured public key");
        }
        JsonNode payload;
        try {
            payload = STRICT_JSON.readTree(jws.getPayload().toBytes());
        } catch (java.io.IOException e) {
            throw new BundleException("bundle signature payload is not valid JSON");
        }
        if (payload == null || !payload.isObject()) {
            throw new BundleException("bundle signature payload is not a JSON object");
        }
        checkKeyId(jws, payload);
        String tokenScope = payload.path("scope").isTextual() ? payload.get("scope").textValue() : "";
        if (!tokenScope.equals(scope)) {
            throw new BundleException("bundle signature scope mismatch: signed for "
                    + BundleArchive.printable(tokenScope) + ", expected " + BundleArchive.printable(scope));
        }
        JsonNode files = payload.get("files");
        if (files == null || !files.isArray()) {
            throw new BundleException("bundle signature payload has no files list");
        }
        Map<String, SignedFile> signed = new HashMap<>();
        for (JsonNode file : files) {
            String name = file.path("name").asText("");
            String hash = file.path("hash").asText("");
            String fileAlgorithm = file.path("algorithm").asText("");
            if (name.isEmpty() || hash.isEmpty() || fileAlgorithm.isEmpty()) {
                throw new BundleException("bundle signature lists a file without name, hash or algorithm");
            }
            String normalised = BundleArchive.normalise(name);
            if (signed.put(normalised, new SignedFile(normalised, hash, fileAlgorithm)) != null) {
                throw new BundleException("bundle signature lists " + BundleArchive.printable(normalised) + " twice");
            }
        }
        return signed;
    }

    private void checkKeyId(JWSObject jws, JsonNode payload) throws BundleException {
        if (keyId == null) {
            return;
        }
        String tokenKeyId = jws.getHeader().getKeyID();
        if (tokenKeyId == null && payload.path("keyid").isTextual()) {
            tokenKeyId = payload.get("keyid").textValue();
        }
        if (tokenKeyId != null && !tokenKeyId.equals(keyId)) {
            throw new BundleException("bundle is signed with key id " + BundleArchive.printable(tokenKeyId)
                    + ", expected " + BundleArchive.printable(keyId));
        }
    }

    private static JWSVerifier verifierFor(PublicKey key) throws JOSEException {
        if (key instanceof RSAPublicKey rsa) {
            return new RSASSAVerifier(rsa);
        }
        return new ECDSAVerifier((ECPublicKey) key);
    }

    private static JWSAlgorithm algorithmFor(PublicKey key) {
        if (key instanceof RSAPublicKey rsa) {
            int bits = rsa.getModulus().bitLength();
            if (bits < 2048) {
                throw new IllegalArgumentException("RSA bundle verification key has " + bits
                        + " bits; at least 2048 are required");
            }
            return JWSAlgorithm.RS256;
        }
        if (key instanceof ECPublicKey ec) {
            int bits = ec.getParams().getCurve().getField().getFieldSize();
            if (bits != 256) {
                throw new IllegalArgumentException("EC bundle verification key is on a " + bits
                        + "-bit curve; only P-256 (ES256) is accepted");
            }
            return JWSAlgorithm.ES256;
        }
        throw new IllegalArgumentException("bundle verification key is a " + key.getAlgorithm()
                + " key; only RSA (RS256) and EC P-256 (ES256) are accepted");
    }

    private static PublicKey parsePublicKey(String pem) {
        Matcher matcher = PEM.matcher(pem);
        if (!matcher.find()) {
            throw new IllegalArgumentException("bundle verification key is not a PEM block");
        }
        String type = matcher.group(1);
        byte[] der;
        try {
            der = Base64.getMimeDecoder().decode(matcher.group(2));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("bundle verification key PEM has invalid base64");
        }
        switch (type) {
            case "PUBLIC KEY":
                for (String algorithm : new String[] {"RSA", "EC"}) {
                    try {
                        return KeyFactory.getInstance(algorithm).generatePublic(new X509EncodedKeySpec(der));
                    } catch (GeneralSecurityException notThisType) {
                        // try the next key type
                    }
                }
                throw new IllegalArgumentException("bundle verification key is neither an RSA nor an EC public key");
            case "CERTIFICATE":
                try {
                    return CertificateFactory.getInstance("X.509")
                            .generateCertificate(new ByteArrayInputStream(der)).getPublicKey();
                } catch (GeneralSecurityException e) {
                    throw new IllegalArgumentException("bundle verification certificate cannot be parsed");
                }
            default:
                if (type.contains("PRIVATE")) {
                    throw new IllegalArgumentException("bundle verification was given a private key (" + type
                            + "); configure the public key only");
                }
                throw new IllegalArgumentException("bundle verification key has unsupported PEM type " + type
                        + "; expected PUBLIC KEY or CERTIFICATE");
        }
    }
}
