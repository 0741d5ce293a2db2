package dev.mcpguard.core.policy.opa;

import static dev.mcpguard.core.policy.opa.JwtFixtures.b64u;
import static dev.mcpguard.core.policy.opa.JwtFixtures.json;
import static dev.mcpguard.core.policy.opa.JwtFixtures.jwk;
import static dev.mcpguard.core.policy.opa.JwtFixtures.pem;
import static dev.mcpguard.core.policy.opa.JwtFixtures.pemPublicKey;
import static dev.mcpguard.core.policy.opa.JwtFixtures.token;
import static dev.mcpguard.core.policy.opa.JwtFixtures.utf8;
import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpguard.core.testing.OpaBinary;
import dev.mcpguard.core.testing.OpaDifferential;
import java.math.BigInteger;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.interfaces.ECPublicKey;
import java.security.interfaces.RSAPrivateCrtKey;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.TestInstance;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code io.jwt.*} host builtins decide as the real {@code opa} does: real RSA, EC, Ed25519 and HMAC keys as PEM,
 * certificates, JWKs and JWK sets; valid, tampered, mis-keyed and malformed tokens; every constraint of
 * {@code decode_verify} with {@code exp}/{@code nbf} at and around the {@code time} given. The only mismatches
 * allowed are the documented P-224 ones (OPA verifies, the JDK cannot: undefined).
 */
@TestInstance(TestInstance.Lifecycle.PER_CLASS) // the keys are made once for both tests
class JwtBuiltinsProbeTest {

    /** 2026-01-01T00:00:00Z. */
    static final long T = 1_767_225_600L;
    static final long T_NS = T * 1_000_000_000L;

    static final String P224_PEM = "-----BEGIN PUBLIC KEY-----\n"
            + "ME4wEAYHKoZIzj0CAQYFK4EEACEDOgAEBUnE2AkbT6n9e9gvEJlHp6/UpPW8b29w\n"
            + "ZsepieE7AWEk2QHLRqFj/8s8OwBOghJ7xHBZDQT9jzk=\n-----END PUBLIC KEY-----\n";
    static final String P224_CERT = "-----BEGIN CERTIFICATE-----\n"
            + "MIH3MIGmoAMCAQICAQcwCgYIKoZIzj0EAwIwDzENMAsGA1UEAwwEcDIyNDAeFw0y\n"
            + "NTAxMDEwMDAwMDBaFw0zNTAxMDEwMDAwMDBaMA8xDTALBgNVBAMMBHAyMjQwTjAQ\n"
            + "BgcqhkjOPQIBBgUrgQQAIQM6AAQFScTYCRtPqf172C8QmUenr9Sk9bxvb3Bmx6mJ\n"
            + "4TsBYSTZActGoWP/yzw7AE6CEnvEcFkNBP2POTAKBggqhkjOPQQDAgNAADA9Ahwy\n"
            + "iNNf2wdChLqfQCiPR+BgGaauTUj0gMakJ5pfAh0A/QKdphkyZJynxJvAFcO/5oaC\n"
            + "Z04XYTw9hllZFg==\n-----END CERTIFICATE-----\n";
    /** ES256 over P-224 ({@code {"alg":"ES256","typ":"JWT"}}, {@code {"sub":"p224","exp":4102444800}}). */
    static final String P224_TOKEN = "eyJhbGciOiJFUzI1NiIsInR5cCI6IkpXVCJ9.eyJzdWIiOiJwMjI0IiwiZXhwIjo0MTAyNDQ0ODAwfQ"
            + ".l6IuSQYgaeXZoMgHYWx9L9LiMnumsz2zOZ5urrpe5e20J5kvOpukLwszOSlI0_BxYbANLQSqL9k";

    private final JwtFixtures fx = new JwtFixtures(11_2040L);
    private final Random random = new Random(11_2041L);
    private final BuiltinProbes probes = new BuiltinProbes();

    private final KeyPair rsa = fx.rsa(2048);
    private final KeyPair rsaOther = fx.rsa(2048);
    private final KeyPair rsa1024 = fx.rsa(1024);
    private final KeyPair rsa512 = fx.rsa(512);
    private final KeyPair p256 = fx.ec("secp256r1");
    private final KeyPair p256Other = fx.ec("secp256r1");
    private final KeyPair p384 = fx.ec("secp384r1");
    private final KeyPair p521 = fx.ec("secp521r1");
    private final KeyPair ed = fx.ed25519();
    private final KeyPair edOther = fx.ed25519();
    private final byte[] secret = utf8("s3cr3t-ünïcode-✓");
    private final byte[] secretOther = utf8("another secret");

    private static final String[] VERIFY = {"rs", "ps", "es", "hs"};
    private static final int[] BITS = {256, 384, 512};

    @Test
    void jwtBuiltinsMatchOpaOnRealKeysTokensAndMalformedInput() {
        probes.builtin("io.jwt.decode", 1).builtinAsText("io.jwt.decode", 1).builtin("io.jwt.decode_verify", 2)
                .builtinAsText("io.jwt.decode_verify", 2).builtin("io.jwt.verify_eddsa", 2);
        for (String family : VERIFY) {
            for (int bits : BITS) {
                probes.builtin("io.jwt.verify_" + family + bits, 2);
            }
        }
        for (int bits : BITS) {
            rsaProbes(bits);
            psProbes(bits);
            esProbes(bits);
            hsProbes(bits);
        }
        eddsaProbes();
        malformedTokenProbes();
        keyOperandProbes();
        decodeProbes();
        decodeVerifyProbes();

        // Documented divergences (docs/policy-embedded-builtins.md), all undefined here: P-224 keys and
        // non-canonical Ed25519 key encodings (OPA verifies them, the JDK cannot), JSON deeper than 128 levels.
        Map<String, Integer> perBuiltin = probes.assertSameAsOpa(pair -> pair.embedded().kind()
                == OpaDifferential.Outcome.Kind.UNDEFINED && (p224(pair) || nonCanonicalEd25519(pair)
                || tooDeep(pair)), 40);
        assertThat(perBuiltin.keySet()).hasSize(17);
        assertThat(perBuiltin).allSatisfy((name, n) -> assertThat(n).as(name).isGreaterThanOrEqualTo(
                name.endsWith(BuiltinProbes.TEXT) ? 20 : 100));
        // The probes are not all refusals: every verifier says true to tokens it should accept.
        Map<String, Integer> accepted = new java.util.TreeMap<>();
        for (OpaDifferential.Pair pair : probes.lastPairs()) {
            JsonNode value = pair.opa().value();
            if (pair.opa().kind() == OpaDifferential.Outcome.Kind.VALUE
                    && (value.asBoolean(false) || value.path(0).asBoolean(false))) {
                accepted.merge(pair.input().replaceAll("^\\{\"f\":\"([^\"]+)\".*$", "$1"), 1, Integer::sum);
            }
        }
        assertThat(accepted).as("probes OPA accepts, per builtin").hasSize(14)
                .allSatisfy((name, n) -> assertThat(n).as(name).isGreaterThanOrEqualTo(15));
    }

    /**
     * Where OPA's Go code panics (a type assertion on a header {@code cty} or a verified {@code iss} claim that is
     * not a string), {@code opa eval} crashes and {@code opa run} drops the connection; the embedded builtin is
     * undefined. Not in the differential (its harness needs an answer from OPA).
     */
    @Test
    void whereOpaPanicsTheEmbeddedBuiltinIsUndefined(@TempDir Path work) throws Exception {
        String secretText = new String(secret, java.nio.charset.StandardCharsets.UTF_8);
        List<ObjectNode> inputs = List.of(
                input("decode", b64u("{\"alg\":\"HS256\",\"cty\":1}") + "." + b64u("{}") + ".AA", null),
                input("decode", b64u("{\"alg\":\"HS256\",\"cty\":[\"JWT\"]}") + "." + b64u("{}") + ".AA", null),
                input("verify", token(header("HS256"), "{\"iss\":7}", JwtFixtures.hs(secret, 256)),
                        node(Map.of("secret", secretText, "iss", "https://issuer"))),
                input("verify", token(header("HS256"), "{\"iss\":[\"https://issuer\"]}", JwtFixtures.hs(secret, 256)),
                        node(Map.of("secret", secretText, "iss", "https://issuer"))));
        Path src = java.nio.file.Files.createDirectories(work.resolve("src"));
        java.nio.file.Files.writeString(src.resolve("probe.rego"), """
                package probe

                out := io.jwt.decode(input.t) if input.f == "decode"

                out := io.jwt.decode_verify(input.t, input.c) if input.f == "verify"
                """);
        Path bundle = work.resolve("bundle.tar.gz");
        OpaBinary.run(work, List.of("build", "-t", "wasm", "-e", "probe/out", "-b", src.toString(), "-o",
                bundle.toString()));
        try (EmbeddedEvaluator embedded = EmbeddedEvaluator.load(bundle, "probe/out", java.time.Clock.systemUTC())) {
            for (ObjectNode input : inputs) {
                Path file = work.resolve("input.json");
                java.nio.file.Files.writeString(file, json(input));
                org.assertj.core.api.Assertions.assertThatThrownBy(() -> OpaBinary.run(work, List.of("eval", "-d",
                        src.toString(), "-i", file.toString(), "data.probe.out")))
                        .as("opa on %s", input).hasMessageContaining("panic: interface conversion");
                assertThat(embedded.evaluate(input)).as("embedded on %s", input).isEmpty();
            }
        }
        // The same tokens with string claims decide normally (so the panic is the type, nothing else).
        String fine = token(header("HS256"), "{\"iss\":\"https://issuer\"}", JwtFixtures.hs(secret, 256));
        try (EmbeddedEvaluator embedded = EmbeddedEvaluator.load(bundle, "probe/out", java.time.Clock.systemUTC())) {
            assertThat(embedded.evaluate(input("verify", fine, node(Map.of("secret", secretText, "iss",
                    "https://issuer"))))).hasValueSatisfying(v -> assertThat(v.path(0).asBoolean()).isTrue());
        }
    }

    private static ObjectNode input(String f, String token, JsonNode constraints) {
        ObjectNode input = BuiltinProbes.NODES.objectNode().put("f", f).put("t", token);
        if (constraints != null) {
            input.set("c", constraints);
        }
        return input;
    }

    private static boolean p224(OpaDifferential.Pair pair) {
        return pair.input().contains("BgUrgQQAIQM6AAQFScTYCRtPqf172C8QmUenr9Sk9bxvb3Bmx6mJ")
                || pair.input().contains("ZsepieE7AWEk2QHLRqFj");
    }

    /** y = p + 1, y = 2^255 - 1, (0, 1) and (0, -1) with the sign bit set. */
    private static boolean nonCanonicalEd25519(OpaDifferential.Pair pair) {
        return List.of("7v_______________________________________38", "__________________________________________8",
                "AQAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAIA", "7P________________________________________8")
                .stream().anyMatch(x -> pair.input().contains("\\\"x\\\":\\\"" + x + "\\\""));
    }

    /** The token's payload nests more than {@link JwtBuiltins#MAX_DEPTH} arrays and objects. */
    private static boolean tooDeep(OpaDifferential.Pair pair) {
        try {
            String token = BuiltinProbes.MAPPER.readTree(pair.input()).path("args").path(0).asText();
            String payload = new String(java.util.Base64.getUrlDecoder().decode(token.split("\\.", -1)[1]),
                    java.nio.charset.StandardCharsets.UTF_8);
            int depth = 0;
            int max = 0;
            for (char c : payload.toCharArray()) {
                depth += c == '[' || c == '{' ? 1 : c == ']' || c == '}' ? -1 : 0;
                max = Math.max(max, depth);
            }
            return max > JwtBuiltins.MAX_DEPTH;
        } catch (Exception e) {
            return false;
        }
    }

    // ------------------------------------------------------------------ verify_* by algorithm

    private String header(String alg) {
        return "{\"alg\":\"" + alg + "\",\"typ\":\"JWT\"}";
    }

    private String claims() {
        return "{\"sub\":\"user-" + random.nextInt(1000) + "\",\"iat\":" + T + ",\"exp\":" + (T + 3600) + "}";
    }

    /** The key forms one public key can be given in. */
    private List<String> keyForms(KeyPair pair, String kid, String alg) {
        List<String> forms = new ArrayList<>();
        forms.add(pemPublicKey(pair.getPublic()));
        if (!pair.getPublic().getAlgorithm().equals("EdDSA") && !pair.getPublic().getAlgorithm().equals("Ed25519")) {
            String sigAlg = pair.getPublic().getAlgorithm().equals("RSA") ? "SHA256withRSA" : "SHA256withECDSA";
            forms.add(pem("CERTIFICATE", fx.certificate(pair.getPublic(), pair.getPrivate(), sigAlg,
                    BigInteger.valueOf(1000 + random.nextInt(1000)))));
        } else {
            forms.add(pem("CERTIFICATE", fx.certificate(pair.getPublic(), pair.getPrivate(), "Ed25519",
                    BigInteger.valueOf(77))));
        }
        ObjectNode plain = jwk(pair.getPublic());
        forms.add(json(plain));
        forms.add(json(plain.deepCopy().put("kid", kid).put("alg", alg).put("use", "sig")));
        forms.add(jwks(jwk(rsaOther.getPublic()).put("kid", "other"), jwk(p256Other.getPublic()),
                plain.deepCopy().put("kid", kid)));
        forms.add(jwks(plain.deepCopy().put("alg", alg.equals("RS256") ? "RS384" : "RS256")));
        return forms;
    }

    private static String jwks(ObjectNode... keys) {
        ObjectNode set = BuiltinProbes.NODES.objectNode();
        ArrayNode array = set.putArray("keys");
        for (ObjectNode key : keys) {
            array.add(key);
        }
        return json(set);
    }

    private void standardProbes(String builtin, String alg, KeyPair right, KeyPair wrong,
            JwtFixtures.Signer signer) {
        String kid = "k-" + alg;
        String good = token(header(alg), claims(), signer);
        String withKid = token("{\"alg\":\"" + alg + "\",\"kid\":\"" + kid + "\"}", claims(), signer);
        String wrongKid = token("{\"alg\":\"" + alg + "\",\"kid\":\"other\"}", claims(), signer);
        String noAlg = token("{\"typ\":\"JWT\"}", claims(), signer);
        String otherAlg = token(header(alg.equals("RS256") ? "PS256" : "RS256"), claims(), signer);
        for (String key : keyForms(right, kid, alg)) {
            probes.call(builtin, good, key).call(builtin, withKid, key).call(builtin, wrongKid, key)
                    .call(builtin, noAlg, key).call(builtin, otherAlg, key)
                    .call(builtin, tamperPayload(good), key).call(builtin, tamperSignature(good), key);
        }
        for (String key : keyForms(wrong, kid, alg)) {
            probes.call(builtin, good, key).call(builtin, withKid, key);
        }
        // Seeded random tokens: claims, header members, key forms, right or wrong key, tampered or not.
        List<String> rightForms = keyForms(right, kid, alg);
        List<String> wrongForms = keyForms(wrong, kid, alg);
        for (int i = 0; i < 40; i++) {
            String h = "{\"alg\":\"" + alg + "\"" + (random.nextBoolean() ? ",\"kid\":\"" + kid + "\"" : "")
                    + (random.nextBoolean() ? ",\"typ\":\"JWT\"" : "") + (random.nextInt(4) == 0
                    ? ",\"x-" + random.nextInt(9) + "\":" + json(randomText(4)) : "") + "}";
            String t = token(h, randomClaims(), signer);
            if (random.nextInt(4) == 0) {
                t = random.nextBoolean() ? tamperPayload(t) : tamperSignature(t);
            }
            List<String> forms = random.nextInt(4) == 0 ? wrongForms : rightForms;
            probes.call(builtin, t, forms.get(random.nextInt(forms.size())));
        }
        String edPem = pemPublicKey(ed.getPublic());
        probes.call(builtin, good, edPem).call(builtin, good, pemPublicKey(p384.getPublic()))
                .call(builtin, good, pemPublicKey(rsa.getPublic())).call(builtin, good, json(JwtFixtures.jwkOct(secret)))
                .call(builtin, good, json(JwtFixtures.jwkPrivate((RSAPrivateCrtKey) rsa.getPrivate())));
    }

    private void rsaProbes(int bits) {
        String builtin = "io.jwt.verify_rs" + bits;
        standardProbes(builtin, "RS" + bits, rsa, rsaOther, fx.rs(rsa.getPrivate(), bits));
        probes.call(builtin, token(header("RS" + bits), claims(), fx.rs(rsa1024.getPrivate(), bits)),
                pemPublicKey(rsa1024.getPublic()));
        if (bits == 256) { // a 512-bit key is too short for the longer DigestInfos
            probes.call(builtin, token(header("RS" + bits), claims(), fx.rs(rsa512.getPrivate(), bits)),
                    pemPublicKey(rsa512.getPublic()));
        }
        String t = token(header("RS" + bits), claims(), fx.rs(rsa.getPrivate(), bits));
        probes.call(builtin, t, pemPublicKey(rsa.getPublic()).replace("\n", "\r\n"))
                .call(builtin, "junk before\n" + t.substring(0, 0) + t, pemPublicKey(rsa.getPublic()))
                .call(builtin, t, "leading text\n" + pemPublicKey(rsa.getPublic()))
                .call(builtin, t, pemPublicKey(rsa.getPublic()) + "\n")
                .call(builtin, t, pemPublicKey(rsa.getPublic()).trim())
                .call(builtin, t, pemPublicKey(rsa.getPublic()) + pemPublicKey(rsaOther.getPublic()));
        // Signatures of the wrong length, zero, all ones.
        String input = b64u(header("RS" + bits)) + "." + b64u(claims());
        for (byte[] sig : List.of(new byte[0], new byte[255], new byte[256], new byte[257], ones(256))) {
            probes.call(builtin, input + "." + b64u(sig), pemPublicKey(rsa.getPublic()));
        }
    }

    private static byte[] ones(int n) {
        byte[] b = new byte[n];
        java.util.Arrays.fill(b, (byte) 0xFF);
        return b;
    }

    private void psProbes(int bits) {
        String builtin = "io.jwt.verify_ps" + bits;
        standardProbes(builtin, "PS" + bits, rsa, rsaOther, fx.ps(rsa.getPrivate(), bits, bits / 8));
        for (int salt : List.of(0, 1, 20, bits / 8, 64, 100, 256 - bits / 8 - 2)) {
            String t = token(header("PS" + bits), claims(), fx.ps(rsa.getPrivate(), bits, salt));
            probes.call(builtin, t, pemPublicKey(rsa.getPublic())).call(builtin, t, json(jwk(rsa.getPublic())));
            probes.call("io.jwt.decode_verify", t, Map.of("cert", pemPublicKey(rsa.getPublic()), "time", T_NS));
        }
        probes.call(builtin, token(header("PS" + bits), claims(), fx.ps(rsa1024.getPrivate(), bits, 0)),
                pemPublicKey(rsa1024.getPublic()));
        // A PKCS #1 v1.5 signature is not a PSS one, and the other way round.
        probes.call(builtin, token(header("PS" + bits), claims(), fx.rs(rsa.getPrivate(), bits)),
                pemPublicKey(rsa.getPublic()));
        probes.call("io.jwt.verify_rs" + bits, token(header("RS" + bits), claims(),
                fx.ps(rsa.getPrivate(), bits, 32)), pemPublicKey(rsa.getPublic()));
    }

    private void esProbes(int bits) {
        String builtin = "io.jwt.verify_es" + bits;
        KeyPair key = bits == 256 ? p256 : bits == 384 ? p384 : p521;
        int size = bits == 512 ? 66 : bits / 8;
        standardProbes(builtin, "ES" + bits, key, bits == 256 ? p256Other : p256, fx.es(key.getPrivate(), bits, size));
        // Another curve's key with this hash, signatures of other widths, s and n - s, r and s swapped, zero.
        for (KeyPair other : List.of(p256, p384, p521)) {
            int otherSize = ((ECPublicKey) other.getPublic()).getParams().getCurve().getField().getFieldSize();
            otherSize = (otherSize + 7) / 8;
            String t = token(header("ES" + bits), claims(), fx.es(other.getPrivate(), bits, otherSize));
            probes.call(builtin, t, pemPublicKey(other.getPublic()));
            String wide = token(header("ES" + bits), claims(), fx.es(other.getPrivate(), bits, otherSize + 3));
            probes.call(builtin, wide, pemPublicKey(other.getPublic()));
            probes.call("io.jwt.decode_verify", t, Map.of("cert", pemPublicKey(other.getPublic()), "time", T_NS));
            probes.call("io.jwt.decode_verify", wide, Map.of("cert", pemPublicKey(other.getPublic()), "time", T_NS));
        }
        String input = b64u(header("ES" + bits)) + "." + b64u(claims());
        byte[] sig = fx.es(key.getPrivate(), bits, size).sign(utf8(input));
        BigInteger n = ((ECPublicKey) key.getPublic()).getParams().getOrder();
        BigInteger r = new BigInteger(1, java.util.Arrays.copyOf(sig, size));
        BigInteger s = new BigInteger(1, java.util.Arrays.copyOfRange(sig, size, 2 * size));
        List<byte[]> variants = List.of(concat(JwtFixtures.fixedWidth(r, size), JwtFixtures.fixedWidth(n.subtract(s),
                        size)), concat(JwtFixtures.fixedWidth(s, size), JwtFixtures.fixedWidth(r, size)),
                new byte[2 * size], concat(JwtFixtures.fixedWidth(r.add(n), size + 1), JwtFixtures.fixedWidth(s,
                        size + 1)), concat(JwtFixtures.fixedWidth(r, size), JwtFixtures.fixedWidth(s.add(n), size)),
                java.util.Arrays.copyOf(sig, 2 * size - 1), new byte[0], new byte[1]);
        for (byte[] v : variants) {
            String t = input + "." + b64u(v);
            probes.call(builtin, t, pemPublicKey(key.getPublic()));
            probes.call("io.jwt.decode_verify", t, Map.of("cert", pemPublicKey(key.getPublic()), "time", T_NS));
        }
        // P-224: OPA verifies it; the embedded builtin is undefined (documented).
        probes.call(builtin, P224_TOKEN, P224_PEM).call(builtin, P224_TOKEN, P224_CERT);
    }

    private static byte[] concat(byte[] a, byte[] b) {
        byte[] out = java.util.Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    private void hsProbes(int bits) {
        String builtin = "io.jwt.verify_hs" + bits;
        String secretText = new String(secret, java.nio.charset.StandardCharsets.UTF_8);
        String good = token(header("HS" + bits), claims(), JwtFixtures.hs(secret, bits));
        probes.call(builtin, good, secretText).call(builtin, good, "another secret")
                .call(builtin, good, "").call(builtin, tamperPayload(good), secretText)
                .call(builtin, tamperSignature(good), secretText)
                .call(builtin, token(header("HS" + bits), claims(), JwtFixtures.hs(new byte[0], bits)), "")
                .call(builtin, token("not json at all", "{}", JwtFixtures.hs(secret, bits)), secretText)
                .call(builtin, token(header("none"), claims(), JwtFixtures.hs(secret, bits)), secretText)
                .call(builtin, b64u("x") + "." + "!!!" + "." + b64u(JwtFixtures.hs(secret, bits).sign(utf8(b64u("x")
                        + ".!!!"))), secretText)
                .call(builtin, good, 42).call(builtin, 42, secretText).call(builtin, good, List.of(secretText));
        for (int i = 0; i < 100; i++) {
            byte[] key = i % 3 == 0 ? fx.bytes(random.nextInt(200)) : utf8(randomText(random.nextInt(40)));
            String keyText = new String(key, java.nio.charset.StandardCharsets.UTF_8);
            // The builtin takes the secret as a string: only its UTF-8 bytes can be a key.
            byte[] used = utf8(keyText);
            String t = token(header("HS" + bits), randomClaims(), JwtFixtures.hs(used, bits));
            probes.call(builtin, t, keyText);
            if (i % 4 == 0) {
                probes.call(builtin, t, keyText + "x");
            }
        }
        // HS tokens with the other hashes' MACs.
        for (int other : BITS) {
            probes.call(builtin, token(header("HS" + other), claims(), JwtFixtures.hs(secret, other)), secretText);
        }
    }

    private void eddsaProbes() {
        String builtin = "io.jwt.verify_eddsa";
        standardProbes(builtin, "EdDSA", ed, edOther, fx.eddsa(ed.getPrivate()));
        String input = b64u(header("EdDSA")) + "." + b64u(claims());
        byte[] sig = fx.eddsa(ed.getPrivate()).sign(utf8(input));
        byte[] highBit = sig.clone();
        highBit[63] |= (byte) 0x80;
        byte[] sPlusL = sig.clone();
        // S + L (non-canonical S): Go refuses it.
        BigInteger l = BigInteger.TWO.pow(252).add(new BigInteger("27742317777372353535851937790883648493"));
        byte[] sLe = java.util.Arrays.copyOfRange(sig, 32, 64);
        BigInteger sv = new BigInteger(1, reverse(sLe)).add(l);
        byte[] sNew = reverse(JwtFixtures.fixedWidth(sv, 32));
        System.arraycopy(sNew, 0, sPlusL, 32, 32);
        for (byte[] v : List.of(highBit, sPlusL, java.util.Arrays.copyOf(sig, 63), concat(sig, new byte[1]),
                new byte[64])) {
            probes.call(builtin, input + "." + b64u(v), pemPublicKey(ed.getPublic()));
            probes.call("io.jwt.decode_verify", input + "." + b64u(v), Map.of("cert", pemPublicKey(ed.getPublic()),
                    "time", T_NS));
        }
        // Small-order and non-canonical public keys (as JWKs: x of 32 bytes).
        String zeroSig = input + "." + b64u(concat(identity(), new byte[32]));
        byte[] identitySigned = identity();
        identitySigned[31] |= (byte) 0x80;
        BigInteger p = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));
        byte[] minusOne = reverse(JwtFixtures.fixedWidth(p.subtract(BigInteger.ONE), 32));
        byte[] minusOneSigned = minusOne.clone();
        minusOneSigned[31] |= (byte) 0x80;
        for (byte[] x : List.of(identity(), nonCanonicalIdentity(), new byte[32], ones(32), identitySigned,
                minusOne, minusOneSigned)) {
            String key = json(BuiltinProbes.NODES.objectNode().put("kty", "OKP").put("crv", "Ed25519").put("x",
                    b64u(x)));
            probes.call(builtin, zeroSig, key).call(builtin, input + "." + b64u(sig), key);
            probes.call("io.jwt.decode_verify", zeroSig, Map.of("cert", key, "time", T_NS));
        }
    }

    private static byte[] identity() {
        byte[] b = new byte[32];
        b[0] = 1;
        return b;
    }

    /** y = p + 1 (the identity's y, not reduced), little-endian. */
    private static byte[] nonCanonicalIdentity() {
        BigInteger p = BigInteger.TWO.pow(255).subtract(BigInteger.valueOf(19));
        return reverse(JwtFixtures.fixedWidth(p.add(BigInteger.ONE), 32));
    }

    private static byte[] reverse(byte[] b) {
        byte[] out = new byte[b.length];
        for (int i = 0; i < b.length; i++) {
            out[i] = b[b.length - 1 - i];
        }
        return out;
    }

    // ------------------------------------------------------------------ malformed tokens and key operands

    private void malformedTokenProbes() {
        String pemRsa = pemPublicKey(rsa.getPublic());
        String good = token(header("RS256"), claims(), fx.rs(rsa.getPrivate(), 256));
        String[] parts = good.split("\\.");
        List<String> tokens = new ArrayList<>(List.of("", ".", "..", "...", "a", "a.b", "a.b.c", "a.b.c.d",
                parts[0] + "." + parts[1], good + ".", "." + good, good + ".x", parts[0] + ".." + parts[2],
                "." + parts[1] + "." + parts[2], parts[0] + "." + parts[1] + ".", good.replace('-', '+'),
                good.replace('_', '/'), parts[0] + "=." + parts[1] + "." + parts[2],
                parts[0] + "." + parts[1] + "." + parts[2] + "==", parts[0] + "." + parts[1] + "." + parts[2] + "=",
                parts[0].substring(1) + "." + parts[1] + "." + parts[2], " " + good, good + " ", good + "\n",
                parts[0] + "\n." + parts[1] + "." + parts[2], "é" + good, good.substring(0, good.length() - 1),
                good.substring(0, good.length() - 2)));
        List<String> headers = List.of("{\"alg\":\"RS256\",\"enc\":\"A128GCM\"}", "{\"alg\":\"RS256\",\"enc\":null}",
                "{\"alg\":256}", "{\"alg\":null}", "{\"kid\":7,\"alg\":\"RS256\"}", "{\"typ\":1,\"alg\":\"RS256\"}",
                "{\"cty\":[],\"alg\":\"RS256\"}", "{\"alg\":\"RS256\",\"crit\":[]}", "{\"alg\":\"RS256\",\"crit\":\"x\"}",
                "{\"alg\":\"RS256\",\"crit\":[1,\"x\"]}", "{\"alg\":\"RS256\",\"crit\":[\"x\",1]}",
                "{\"alg\":\"RS256\",\"crit\":[\"exp\"],\"exp\":1}", "{\"alg\":\"RS256\",\"crit\":[\"typ\"]}",
                "[]", "\"str\"", "null", "{}", "{\"alg\":\"RS256\"} ", "{\"alg\":\"RS256\"}x", "{\"alg\":\"RS256\",}",
                "{\"alg\":\"RS256\",\"alg\":\"none\"}", "{\"alg\":\"none\",\"alg\":\"RS256\"}", "\uFEFF{\"alg\":\"RS256\"}",
                "{\"alg\":\"RS\\u0032\\u0035\\u0036\"}", "{\"alg\":\"RS256\",\"x\":\"\\ud800\"}",
                "{\"alg\":\"RS256\",\"x\":\"\u0001\"}", "{\"alg\":\"RS256\",\"kid\":\"\"}", " {\"alg\":\"RS256\"}",
                "{\"alg\":\"RS256\",\"x\":01}", "{\"alg\":\"RS256\",\"x\":1e400}");
        for (String h : headers) {
            tokens.add(token(h, claims(), fx.rs(rsa.getPrivate(), 256)));
        }
        tokens.add(b64u(new byte[] {'{', '"', 'a', 'l', 'g', '"', ':', '"', (byte) 0xFF, '"', '}'}) + "." + parts[1]
                + "." + parts[2]);
        for (String t : tokens) {
            probes.call("io.jwt.verify_rs256", t, pemRsa);
            probes.call("io.jwt.verify_hs256", t, "s");
            String suffix = beyondDouble(decodedHeader(t)) ? BuiltinProbes.TEXT : "";
            if (!t.startsWith(b64u("{\"cty\":[]"))) { // OPA's io.jwt.decode panics on it: see ctyThatIsNotAString
                probes.call("io.jwt.decode" + suffix, t);
            }
            probes.call("io.jwt.decode_verify" + suffix, t, Map.of("cert", pemRsa, "time", T_NS));
        }
        for (Object notString : List.of(1, true, List.of(good), Map.of("t", good), BuiltinProbes.set(good))) {
            probes.call("io.jwt.verify_rs256", notString, pemRsa).call("io.jwt.decode", notString)
                    .call("io.jwt.verify_es256", good, notString).call("io.jwt.verify_eddsa", notString, pemRsa)
                    .call("io.jwt.decode_verify", notString, Map.of("secret", "x"));
        }
    }

    private void keyOperandProbes() {
        String rs = token(header("RS256"), claims(), fx.rs(rsa.getPrivate(), 256));
        String rsKid = token("{\"alg\":\"RS256\",\"kid\":\"two\"}", claims(), fx.rs(rsa.getPrivate(), 256));
        String es = token(header("ES256"), claims(), fx.es(p256.getPrivate(), 256, 32));
        String hs = token(header("HS256"), claims(), JwtFixtures.hs(secret, 256));
        ObjectNode rsaJwk = jwk(rsa.getPublic());
        String n = rsaJwk.get("n").asText();
        String e = rsaJwk.get("e").asText();
        ObjectNode ecJwk = jwk(p256.getPublic());
        String x = ecJwk.get("x").asText();
        String y = ecJwk.get("y").asText();
        List<String> keys = new ArrayList<>(List.of("", " ", "garbage", "{}", "[]", "null", "1", "\"s\"",
                "{\"keys\":[]}", "{\"keys\":null}", "{\"keys\":{}}", "{\"keys\":[1]}", "{\"keys\":[null]}",
                "{\"KEYS\":[]}", "{\"keys\":[]} x",
                jwks(rsaJwk.deepCopy().put("kid", "one")) + "garbage",
                jwks(jwk(rsaOther.getPublic()).put("kid", "two"), rsaJwk.deepCopy().put("kid", "one")),
                jwks(jwk(rsaOther.getPublic()), rsaJwk.deepCopy().put("kid", "two")),
                jwks(rsaJwk.deepCopy().put("kid", "two"), jwk(rsaOther.getPublic()).put("kid", "two")),
                jwks(jwk(rsaOther.getPublic()).put("kid", "two"), rsaJwk.deepCopy().put("kid", "two")),
                jwks(rsaJwk.deepCopy().put("alg", "RSA-OAEP")), jwks(rsaJwk.deepCopy().put("alg", "none")),
                jwks(rsaJwk.deepCopy().put("alg", "ES256K")), jwks(rsaJwk.deepCopy().put("alg", "Ed25519")),
                jwks(rsaJwk.deepCopy().put("alg", "bogus")), jwks(rsaJwk.deepCopy().put("alg", "RS384"), rsaJwk),
                json(rsaJwk.deepCopy().put("kty", "rsa")), json(rsaJwk.deepCopy().put("alg", "")),
                json(rsaJwk.deepCopy().putNull("alg")), json(rsaJwk.deepCopy().putNull("kid")),
                json(rsaJwk.deepCopy().put("kid", 5)), json(rsaJwk.deepCopy().put("use", "enc")),
                json(rsaJwk.deepCopy().put("use", 1)), json(rsaJwk.deepCopy().put("x5t", "abc")),
                json(rsaJwk.deepCopy().put("x5t#S256", 1)), json(rsaJwk.deepCopy().put("x5u", "https://x")),
                json(rsaJwk.deepCopy().set("key_ops", BuiltinProbes.MAPPER.valueToTree(List.of("verify", "bogus")))),
                json(rsaJwk.deepCopy().put("key_ops", "verify")), json(rsaJwk.deepCopy().putNull("key_ops")),
                json(rsaJwk.deepCopy().set("x5c", BuiltinProbes.MAPPER.valueToTree(List.of()))),
                json(rsaJwk.deepCopy().set("x5c", BuiltinProbes.MAPPER.valueToTree(List.of("AAAA")))),
                json(rsaJwk.deepCopy().putNull("x5c")),
                json(rsaJwk.deepCopy().set("x5c", BuiltinProbes.MAPPER.valueToTree(List.of(java.util.Base64
                        .getEncoder().encodeToString(fx.certificate(rsa.getPublic(), rsa.getPrivate(),
                                "SHA256withRSA", BigInteger.TEN)))))),
                json(rsaJwk.deepCopy().set("ext", BuiltinProbes.MAPPER.valueToTree(Map.of("a", List.of(1, 2))))),
                "{\"KTY\":\"RSA\",\"n\":\"" + n + "\",\"e\":\"" + e + "\"}",
                "{\"Kty\":\"oct\",\"kty\":\"RSA\",\"n\":\"" + n + "\",\"e\":\"" + e + "\"}",
                "{\"kty\":\"RSA\",\"kty\":\"oct\",\"n\":\"" + n + "\",\"e\":\"" + e + "\"}",
                "{\"kty\":\"RSA\",\"KTY\":null,\"n\":\"" + n + "\",\"e\":\"" + e + "\"}",
                "{\"\u212Aty\":\"RSA\",\"n\":\"" + n + "\",\"e\":\"" + e + "\"}",
                "{\"kty\":\"RSA\",\"n\":\"" + n + "\"}", "{\"kty\":\"RSA\",\"e\":\"" + e + "\"}",
                "{\"kty\":\"RSA\",\"n\":\"" + n + "\",\"e\":\"AAEAAQ\"}", "{\"kty\":\"RSA\",\"n\":\"AA" + n + "\",\"e\":\""
                        + e + "\"}",
                "{\"kty\":\"RSA\",\"n\":\"" + n + "\",\"e\":\"AQAA\"}", "{\"kty\":\"RSA\",\"n\":\"" + n + "\",\"e\":\"Aw\"}",
                "{\"kty\":\"RSA\",\"n\":\"" + n + "\",\"e\":\"AQAAAAAAAAAB\"}",
                "{\"kty\":\"RSA\",\"n\":\"" + n + "\",\"e\":\"\"}", "{\"kty\":\"RSA\",\"n\":null,\"e\":\"" + e + "\"}",
                "{\"kty\":\"RSA\",\"n\":\"" + n + "=\",\"e\":\"" + e + "\"}",
                "{\"kty\":\"RSA\",\"n\":\"" + java.util.Base64.getEncoder().encodeToString(JwtFixtures.unsigned(
                        ((java.security.interfaces.RSAPublicKey) rsa.getPublic()).getModulus())) + "\",\"e\":\"" + e
                        + "\"}",
                "{\"kty\":\"RSA\",\"n\":\"" + n.substring(0, 40) + "\\n" + n.substring(40) + "\",\"e\":\"" + e + "\"}",
                "{\"kty\":\"RSA\",\"n\":\"" + n + "\",\"e\":\"" + e + "\",\"d\":null}",
                "{\"kty\":\"RSA\",\"n\":\"" + n + "\",\"e\":\"" + e + "\",\"d\":\"AQ\"}",
                "{\"kty\":\"RSA\",\"n\":\"" + n + "\",\"e\":\"" + e + "\",\"d\":\"AQ\",\"p\":\"AQ\",\"q\":\"AQ\"}",
                "{\"kty\":\"RSA\",\"n\":\"" + n + "\",\"e\":\"" + e + "\",\"D\":\"AQ\",\"p\":\"AQ\",\"q\":\"AQ\"}",
                json(JwtFixtures.jwkPrivate((RSAPrivateCrtKey) rsa.getPrivate())),
                jwks(JwtFixtures.jwkPrivate((RSAPrivateCrtKey) rsa.getPrivate())),
                json(ecJwk), json(ecJwk.deepCopy().put("crv", "P-384")), json(ecJwk.deepCopy().put("crv", "P-224")),
                json(ecJwk.deepCopy().put("crv", "Ed25519")), json(ecJwk.deepCopy().putNull("crv")),
                json(ecJwk.deepCopy().put("y", x)), json(ecJwk.deepCopy().put("x", "AA" + x)),
                json(ecJwk.deepCopy().put("x", x.substring(2))), json(ecJwk.deepCopy().put("d", b64u(new byte[32]))),
                json(ecJwk.deepCopy().put("d", b64u(new byte[31]))), json(ecJwk.deepCopy().remove(List.of("y"))),
                "{\"kty\":\"EC\",\"crv\":\"P-256\",\"x\":\"" + b64u(new byte[32]) + "\",\"y\":\"" + b64u(new byte[32])
                        + "\"}",
                json(JwtFixtures.jwkOct(secret)), json(JwtFixtures.jwkOct(secret).put("alg", "HS256")),
                json(JwtFixtures.jwkOct(new byte[0])), "{\"kty\":\"oct\"}", "{\"kty\":\"oct\",\"k\":null}",
                "{\"kty\":\"oct\",\"k\":\"" + b64u(secret) + "=\"}", "{\"kty\":\"OKP\",\"crv\":\"X25519\",\"x\":\""
                        + b64u(new byte[32]) + "\"}",
                "{\"kty\":\"OKP\",\"crv\":\"Ed448\",\"x\":\"" + b64u(new byte[57]) + "\"}",
                "{\"kty\":\"OKP\",\"crv\":\"P-256\",\"x\":\"" + b64u(new byte[32]) + "\"}",
                "{\"kty\":\"OKP\",\"crv\":\"Ed25519\",\"x\":\"" + b64u(new byte[31]) + "\"}",
                "{\"kty\":\"bogus\"}", "{\"kty\":5}",
                "-----BEGIN PUBLIC KEY-----\n-----END PUBLIC KEY-----\n",
                "-----BEGIN PUBLIC KEY-----\nAAAA\n-----END PUBLIC KEY-----\n",
                "-----BEGIN PUBLIC KEY-----\n!!!!\n-----END PUBLIC KEY-----\n" + pemPublicKey(rsa.getPublic()),
                pemPublicKey(rsa.getPublic()).replace("PUBLIC KEY", "RSA PUBLIC KEY"),
                pemPublicKey(rsa.getPublic()).replace("-----END PUBLIC KEY-----", "-----END PUBLIC KEYS-----"),
                pemPublicKey(rsa.getPublic()).replace("\n-----END", "\nX: y\n-----END"),
                pemPublicKey(rsa.getPublic()).replaceFirst("\n", "\nProc-Type: 4,ENCRYPTED\n\n"),
                pemPublicKey(rsa.getPublic()).replace("\n", " \n"),
                pem("PRIVATE KEY", rsa.getPrivate().getEncoded()),
                pem("PUBLIC KEY", java.util.Arrays.copyOf(rsa.getPublic().getEncoded(),
                        rsa.getPublic().getEncoded().length + 1)),
                pem("PUBLIC KEY", fx.dsa().getPublic().getEncoded()),
                pem("PUBLIC KEY", fx.x25519().getPublic().getEncoded()),
                pem("CERTIFICATE", fx.certificate(fx.x25519().getPublic(), rsa.getPrivate(), "SHA256withRSA",
                        BigInteger.ONE)),
                pem("CERTIFICATE", fx.certificate(rsa.getPublic(), rsa.getPrivate(), "SHA256withRSA",
                        BigInteger.valueOf(-5))),
                pem("CERTIFICATE", fx.certificate(rsa.getPublic(), rsa.getPrivate(), "SHA256withRSA",
                        BigInteger.ZERO)),
                pem("CERTIFICATE", concat(fx.certificate(rsa.getPublic(), rsa.getPrivate(), "SHA256withRSA",
                        BigInteger.TWO), new byte[] {0})),
                pem("CERTIFICATE", new byte[] {0x30, 0x00}),
                pem("CERTIFICATE", rsa.getPublic().getEncoded()),
                P224_PEM, P224_CERT));
        String certificate = java.util.Base64.getEncoder().encodeToString(fx.certificate(rsa.getPublic(),
                rsa.getPrivate(), "SHA256withRSA", BigInteger.TEN));
        for (int chain : List.of(10, 11)) {
            keys.add(json(rsaJwk.deepCopy().set("x5c", BuiltinProbes.MAPPER.valueToTree(
                    java.util.Collections.nCopies(chain, certificate)))));
        }
        // fastjson (jwx's test for a JWK set) allows 300 levels: a value at 301 makes the text one bad JWK.
        for (int levels : List.of(298, 299, 300)) {
            keys.add("{\"keys\":[" + json(rsaJwk) + "],\"x\":" + "[".repeat(levels - 1) + "1" + "]".repeat(levels - 1)
                    + "}");
            keys.add("{\"keys\":[" + json(rsaJwk) + "],\"x\":" + "[".repeat(levels - 1) + "]".repeat(levels - 1)
                    + "}");
        }
        for (int i = 0; i < keys.size(); i++) {
            String key = keys.get(i);
            probes.call("io.jwt.verify_rs256", i % 2 == 0 ? rs : rsKid, key).call("io.jwt.verify_es256", es, key)
                    .call("io.jwt.decode_verify", i % 2 == 0 ? rsKid : rs, Map.of("cert", key, "time", T_NS))
                    .call("io.jwt.decode_verify", i % 3 == 0 ? hs : es, Map.of("cert", key, "time", T_NS));
        }
    }

    // ------------------------------------------------------------------ io.jwt.decode

    private void decodeProbes() {
        List<String> payloads = new ArrayList<>(List.of("{}", "{\"a\":1}", "{\"a\":1,\"a\":2}",
                "{\"a\":{\"b\":1},\"a\":{\"c\":2}}", "{\"n\":12345678901234567890123}", "{\"n\":1.50}",
                "{\"n\":-0}", "{\"n\":1e400}", "{\"n\":1E-400}", "{\"n\":0.1}", "{\"n\":-1.5e-7}",
                "{\"s\":\"héllo ☃ 😀\"}", "{\"s\":\"\\ud83d\\ude00\"}", "{\"s\":\"\\ud800\"}", "{\"s\":\"\\udc00x\"}",
                "{\"s\":\"\\ud800\\u0041\"}", "{\"s\":\"\\u0000\"}", "{\"s\":\"a\\/b\\\\c\\\"d\\b\\f\\n\\r\\t\"}",
                "{\"s\":\"\\x\"}", "{\"s\":\"\t\"}", "{\"a\":[1,[2,[3,{}]]],\"b\":null,\"c\":true,\"d\":false}",
                "[]", "\"str\"", "1", "null", "", " ", "{} ", "{}x", "{} {}", "{,}", "{\"a\":1,}", "{\"a\" 1}",
                "{'a':1}", "{\"a\":01}", "{\"a\":.5}", "{\"a\":1.}", "{\"a\":+1}", "{\"a\":NaN}", "{\"a\":tru}",
                "\uFEFF{}", "{\"a\":\"\u2028\"}", "\n\t\r {\"a\" :\n1 }\n", "{\"\":\"\"}",
                "{\"exp\":\"" + T + "\",\"aud\":[\"x\",1]}", "[" .repeat(100) + "]".repeat(100),
                "{\"a\":" + "[".repeat(10000) + "]".repeat(10000) + "}"));
        // Nesting: the object is level 1; up to 128 levels match, deeper is undefined here (documented).
        for (int levels : List.of(2, 64, 127, 128, 129, 130, 300)) {
            String nested = "{\"a\":" + "[".repeat(levels - 1) + "]".repeat(levels - 1) + "}";
            String t = b64u(header("HS256")) + "." + b64u(nested) + ".AA";
            probes.call("io.jwt.decode", t).call("io.jwt.decode_verify", token(header("HS256"), nested,
                    JwtFixtures.hs(secret, 256)), Map.of("secret", new String(secret,
                    java.nio.charset.StandardCharsets.UTF_8)));
        }
        for (int i = 0; i < 60; i++) {
            payloads.add(randomClaims());
        }
        String sig = b64u(fx.bytes(16));
        for (String p : payloads) {
            String t = b64u(header("HS256")) + "." + b64u(p) + "." + sig;
            // A number beyond a double is exact in the policy but a double in the result document (documented
            // for every builtin), so such payloads are compared as the text sprintf prints inside the module.
            probes.call(beyondDouble(p) ? "io.jwt.decode" + BuiltinProbes.TEXT : "io.jwt.decode", t);
            if (p.contains("12345678901234567890123") || p.contains("1.50") || p.contains("\\u0000")) {
                probes.call("io.jwt.decode" + BuiltinProbes.TEXT, t);
            }
        }
        // Raw bytes that are not UTF-8 inside and outside strings.
        for (byte[] raw : List.of(new byte[] {'{', '"', 's', '"', ':', '"', (byte) 0xFF, '"', '}'},
                new byte[] {'{', '"', 's', '"', ':', '"', (byte) 0xE2, (byte) 0x82, '"', '}'},
                new byte[] {'{', '"', 's', '"', ':', '"', (byte) 0xED, (byte) 0xA0, (byte) 0x80, '"', '}'},
                new byte[] {'{', '"', (byte) 0xC3, '"', ':', '1', '}'}, new byte[] {'{', (byte) 0xFF, '}'})) {
            String t = b64u(header("HS256")) + "." + b64u(raw) + "." + sig;
            probes.call("io.jwt.decode", t).call("io.jwt.decode" + BuiltinProbes.TEXT, t);
        }
        // Signatures: empty, padded, odd lengths, invalid.
        String base = b64u(header("HS256")) + "." + b64u("{\"a\":1}") + ".";
        for (String s : List.of("", "AA", "AAA", "A", "AAAAA", "AA==", "AA=", "A===", "_-_-", "+/+/", "@@", "AA\nAA")) {
            probes.call("io.jwt.decode", base + s);
        }
        // Nested tokens (cty: JWT), quoted as jwt.io does, and cty variants.
        String inner = token(header("HS256"), "{\"inner\":true}", JwtFixtures.hs(secret, 256));
        for (String cty : List.of("JWT", "jwt", "JWT ", "", "application/json")) {
            String h = "{\"alg\":\"HS256\",\"cty\":\"" + cty + "\"}";
            for (String p : List.of(inner, "\"" + inner + "\"", "'" + inner + "'", "\"'\"" + inner + "\"", "{\"a\":1}")) {
                probes.call("io.jwt.decode", b64u(h) + "." + b64u(p) + "." + sig);
            }
        }
        String doubleNested = b64u("{\"alg\":\"HS256\",\"cty\":\"JWT\"}") + "."
                + b64u(b64u("{\"alg\":\"HS256\",\"cty\":\"JWT\"}") + "." + b64u(inner) + ".!!") + ".!!";
        probes.call("io.jwt.decode", doubleNested);
        // Random mutations of a valid token.
        String valid = token(header("HS256"), claims(), JwtFixtures.hs(secret, 256));
        for (int i = 0; i < 50; i++) {
            String m = mutate(valid);
            probes.call("io.jwt.decode", m);
            if (i % 2 == 0) {
                probes.call("io.jwt.verify_hs256", m, new String(secret, java.nio.charset.StandardCharsets.UTF_8));
            }
        }
    }

    // ------------------------------------------------------------------ io.jwt.decode_verify

    private void decodeVerifyProbes() {
        String pemRsa = pemPublicKey(rsa.getPublic());
        String secretText = new String(secret, java.nio.charset.StandardCharsets.UTF_8);
        JwtFixtures.Signer rs256 = fx.rs(rsa.getPrivate(), 256);
        JwtFixtures.Signer hs256 = JwtFixtures.hs(secret, 256);

        // exp and nbf around T, with time in ns (float64 division by 1e9, as OPA).
        List<Object> claimTimes = List.of(T, T - 1, T + 1, T * 1.0 + 0.5, "1767225600.0", "1767225599.999999999",
                "1767225600.000000001", "1.7672256e9", "17672256e2", "1e400", "-1", "0", "1767225600.10",
                "17672256000000000000.0e-10", "1.76722560000000000001e10", "17672256000.00000000010",
                "17672255999.99999999990", "\"" + T + "\"", "null", "true", "[1]");
        List<Object> times = List.of(T_NS, T_NS + 1, T_NS - 1_000_000_000L, T_NS + 1_000_000_000L,
                T_NS - 500_000_000L, 1.7672256e18, 0, new BigInteger("17672256000000000000"), -1, "x");
        for (Object exp : claimTimes) {
            String payload = "{\"sub\":\"a\",\"exp\":" + exp + "}";
            String t = token(header("RS256"), payload, rs256);
            String verify = "io.jwt.decode_verify" + (beyondDouble(payload) ? BuiltinProbes.TEXT : "");
            for (Object time : times) {
                Map<String, Object> c = new LinkedHashMap<>();
                c.put("cert", pemRsa);
                c.put("time", time instanceof String s && !s.equals("x") ? Integer.valueOf(s) : time);
                probes.call(verify, t, c);
            }
            String nbfToken = token(header("HS256"), "{\"sub\":\"a\",\"nbf\":" + exp + "}", hs256);
            for (Object time : List.of(T_NS, T_NS - 1, T_NS + 1, T_NS - 1_000_000_000L, T_NS + 1_000_000_000L, 0)) {
                probes.call(verify, nbfToken, Map.of("secret", secretText, "time", time));
            }
            if (exp.toString().equals("1767225600.10")) {
                probes.call("io.jwt.decode_verify" + BuiltinProbes.TEXT, t, Map.of("cert", pemRsa, "time", T_NS));
            }
        }
        // exp and nbf both, far past and future without a time constraint (the clocks differ, the outcome not).
        for (String payload : List.of("{\"exp\":4102444800}", "{\"exp\":946684800}", "{\"nbf\":946684800}",
                "{\"nbf\":4102444800}", "{\"nbf\":946684800,\"exp\":4102444800}", "{}")) {
            probes.call("io.jwt.decode_verify", token(header("RS256"), payload, rs256), Map.of("cert", pemRsa));
            probes.call("io.jwt.decode_verify", token(header("HS256"), payload, hs256), Map.of("secret", secretText));
        }
        // iss and aud.
        List<String> claimSets = List.of("{\"iss\":\"https://issuer\",\"aud\":\"api\"}", "{\"iss\":\"https://issuer\"}",
                "{\"aud\":\"api\"}", "{\"aud\":[\"x\",\"api\"]}", "{\"aud\":[\"x\",1,\"api\"]}", "{\"aud\":[]}",
                "{\"aud\":\"\"}", "{\"aud\":1}", "{\"aud\":{\"api\":true}}", "{\"aud\":null}", "{\"iss\":\"other\"}",
                "{\"iss\":\"\"}", "{\"iss\":\"https://issuer\",\"iss\":\"other\"}", "{\"aud\":\"API\"}", "{}");
        List<Map<String, Object>> constraintSets = List.of(Map.of(), Map.of("iss", "https://issuer"),
                Map.of("aud", "api"), Map.of("iss", "https://issuer", "aud", "api"), Map.of("aud", ""),
                Map.of("iss", ""), Map.of("iss", "other", "aud", "x"));
        for (String claims : claimSets) {
            String t = token(header("HS256"), claims, hs256);
            for (Map<String, Object> extra : constraintSets) {
                Map<String, Object> c = new LinkedHashMap<>(extra);
                c.put("secret", secretText);
                c.put("time", T_NS);
                probes.call("io.jwt.decode_verify", t, c);
            }
        }
        // Constraint objects: key constraints, alg, unknown and mistyped ones.
        String rsToken = token(header("RS256"), "{\"sub\":\"x\"}", rs256);
        String hsToken = token(header("HS256"), "{\"sub\":\"x\"}", hs256);
        List<Object> constraintObjects = List.of(Map.of(), Map.of("time", T_NS), Map.of("cert", pemRsa, "secret", "s"),
                Map.of("cert", pemRsa, "secret", ""), Map.of("secret", ""), Map.of("cert", ""), Map.of("cert", 1),
                Map.of("secret", 1), Map.of("cert", pemRsa, "alg", "RS256"), Map.of("cert", pemRsa, "alg", "RS384"),
                Map.of("cert", pemRsa, "alg", 1), Map.of("cert", pemRsa, "iss", 1), Map.of("cert", pemRsa, "aud", 1),
                Map.of("cert", pemRsa, "exp", 1), Map.of("cert", pemRsa, "Cert", pemRsa), Map.of("secret", secretText),
                Map.of("secret", secretText, "alg", "HS256"), Map.of("secret", secretText, "alg", "hs256"),
                Map.of("cert", json(JwtFixtures.jwkOct(secret))), Map.of("cert", json(JwtFixtures.jwkOct(secret)
                        .put("alg", "HS384"))), Map.of("cert", jwks()), "not an object", List.of(), 1,
                BuiltinProbes.set("cert"), Map.of("cert", pemRsa, "time", "1"), Map.of("cert", pemRsa, "time", -1),
                Map.of("cert", pemRsa, "time", 1e30), Map.of("cert", pemRsa, "time", List.of()));
        for (Object c : constraintObjects) {
            probes.call("io.jwt.decode_verify", rsToken, c).call("io.jwt.decode_verify", hsToken, c);
        }
        // Every algorithm through decode_verify, with each key form, and alg confusion (HS with an RSA key's PEM).
        for (int bits : BITS) {
            for (String alg : List.of("RS", "PS", "ES", "HS")) {
                JwtFixtures.Signer signer = switch (alg) {
                    case "RS" -> fx.rs(rsa.getPrivate(), bits);
                    case "PS" -> fx.ps(rsa.getPrivate(), bits, bits / 8);
                    case "ES" -> fx.es((bits == 256 ? p256 : bits == 384 ? p384 : p521).getPrivate(), bits,
                            bits == 512 ? 66 : bits / 8);
                    default -> JwtFixtures.hs(secret, bits);
                };
                KeyPair pair = alg.equals("ES") ? (bits == 256 ? p256 : bits == 384 ? p384 : p521) : rsa;
                String t = token(header(alg + bits), "{\"sub\":\"" + alg + bits + "\",\"exp\":" + (T + 10) + "}",
                        signer);
                String kidToken = token("{\"alg\":\"" + alg + bits + "\",\"kid\":\"k\"}", "{\"sub\":\"kid\"}", signer);
                List<Object> constraints = new ArrayList<>();
                if (alg.equals("HS")) {
                    constraints.add(Map.of("secret", secretText, "time", T_NS));
                    constraints.add(Map.of("secret", "wrong", "time", T_NS));
                    constraints.add(Map.of("cert", json(JwtFixtures.jwkOct(secret)), "time", T_NS));
                    constraints.add(Map.of("cert", jwks(JwtFixtures.jwkOct(secretOther).put("kid", "k"),
                            JwtFixtures.jwkOct(secret)), "time", T_NS));
                    constraints.add(Map.of("cert", pemRsa, "time", T_NS));
                } else {
                    for (String key : keyForms(pair, "k", alg + bits)) {
                        constraints.add(Map.of("cert", key, "time", T_NS));
                    }
                    constraints.add(Map.of("secret", secretText, "time", T_NS));
                    constraints.add(Map.of("cert", pemRsa, "alg", alg + bits, "time", T_NS));
                    if (alg.equals("RS") || alg.equals("PS")) {
                        constraints.add(Map.of("cert", json(JwtFixtures.jwkPrivate((RSAPrivateCrtKey) rsa.getPrivate())),
                                "time", T_NS));
                    }
                }
                for (Object c : constraints) {
                    probes.call("io.jwt.decode_verify", t, c).call("io.jwt.decode_verify", kidToken, c)
                            .call("io.jwt.decode_verify", tamperPayload(t), c)
                            .call("io.jwt.decode_verify", tamperSignature(t), c);
                }
            }
        }
        // alg none, alg missing, unknown algorithms, crit, typ.
        for (String h : List.of("{\"alg\":\"none\"}", "{}", "{\"alg\":\"\"}", "{\"alg\":\"ES256K\"}",
                "{\"alg\":\"HS257\"}", "{\"alg\":\"HS256\",\"crit\":[\"b64\"],\"b64\":false}",
                "{\"alg\":\"HS256\",\"crit\":[\"typ\"],\"typ\":\"JWT\"}", "{\"alg\":\"HS256\",\"crit\":[\"zip\"]}",
                "{\"alg\":\"HS256\",\"typ\":\"at+jwt\"}", "{\"alg\":\"HS256\",\"enc\":\"A128GCM\"}")) {
            probes.call("io.jwt.decode_verify", token(h, "{\"a\":1}", hs256), Map.of("secret", secretText));
            probes.call("io.jwt.decode_verify", token(h, "{\"a\":1}", fixedSig(new byte[0])),
                    Map.of("secret", secretText));
        }
        // Ed25519 through decode_verify: "EdDSA" and "Ed25519" header algorithms, private OKP JWKs.
        JwtFixtures.Signer edSigner = fx.eddsa(ed.getPrivate());
        ObjectNode edJwk = jwk(ed.getPublic());
        byte[] seed = java.util.Arrays.copyOfRange(ed.getPrivate().getEncoded(), 16, 48);
        for (String alg : List.of("EdDSA", "Ed25519", "Ed448")) {
            String t = token(header(alg), "{\"sub\":\"ed\"}", edSigner);
            for (String key : List.of(pemPublicKey(ed.getPublic()), json(edJwk), json(edJwk.deepCopy().put("alg", alg)),
                    json(edJwk.deepCopy().put("d", b64u(seed))), json(edJwk.deepCopy().put("d", b64u(new byte[32]))),
                    pemPublicKey(edOther.getPublic()))) {
                probes.call("io.jwt.decode_verify", t, Map.of("cert", key, "time", T_NS));
                probes.call("io.jwt.verify_eddsa", t, key);
            }
        }
        // Nested tokens (cty JWT in any case): each level verified with the same key.
        String inner = token(header("HS256"), "{\"sub\":\"inner\",\"exp\":" + (T + 5) + "}", hs256);
        for (String cty : List.of("JWT", "jwt", "Jwt", "JWT ", "")) {
            String outer = token("{\"alg\":\"HS256\",\"cty\":\"" + cty + "\"}", inner, hs256);
            String outerBadInner = token("{\"alg\":\"HS256\",\"cty\":\"" + cty + "\"}", tamperSignature(inner), hs256);
            String quoted = token("{\"alg\":\"HS256\",\"cty\":\"" + cty + "\"}", "\"" + inner + "\"", hs256);
            for (String t : List.of(outer, outerBadInner, quoted)) {
                probes.call("io.jwt.decode_verify", t, Map.of("secret", secretText, "time", T_NS));
                probes.call("io.jwt.decode_verify", t, Map.of("secret", secretText, "time", T_NS + 10_000_000_000L));
                probes.call("io.jwt.decode", t);
            }
        }
        // Random claims, verified and decoded.
        for (int i = 0; i < 60; i++) {
            String claims = randomClaims();
            String t = token(header("HS256"), claims, hs256);
            probes.call("io.jwt.decode_verify", t, Map.of("secret", secretText, "time", T_NS));
            probes.call("io.jwt.decode", t);
        }
    }

    private static JwtFixtures.Signer fixedSig(byte[] signature) {
        return JwtFixtures.fixed(signature);
    }

    // ------------------------------------------------------------------ helpers

    private String randomClaims() {
        StringBuilder s = new StringBuilder("{");
        int n = random.nextInt(6);
        for (int i = 0; i < n; i++) {
            if (i > 0) {
                s.append(',');
            }
            s.append(json(randomText(1 + random.nextInt(8)))).append(':');
            switch (random.nextInt(6)) {
                case 0 -> s.append(random.nextLong());
                case 1 -> s.append(json(randomText(random.nextInt(20))));
                case 2 -> s.append(random.nextBoolean());
                case 3 -> s.append("[").append(random.nextInt(100)).append(",\"").append(randomText(3).replace("\"", ""))
                        .append("\"]");
                case 4 -> s.append(random.nextInt(1000)).append('.').append(random.nextInt(1000));
                default -> s.append("null");
            }
        }
        if (random.nextInt(3) == 0) {
            s.append(n > 0 ? "," : "").append("\"exp\":").append(T + random.nextInt(7200) - 3600);
        }
        return s.append('}').toString();
    }

    private String randomText(int n) {
        StringBuilder s = new StringBuilder();
        for (int i = 0; i < n; i++) {
            s.appendCodePoint(random.nextInt(4) == 0 ? 0xA0 + random.nextInt(0x2000)
                    : random.nextInt(10) == 0 ? 0x1F600 + random.nextInt(50) : 0x20 + random.nextInt(0x5F));
        }
        return s.toString();
    }

    private String tamperPayload(String token) {
        String[] parts = token.split("\\.", -1);
        String p = parts[1];
        int at = random.nextInt(Math.max(1, p.length()));
        char c = p.isEmpty() ? 'A' : p.charAt(at);
        char replaced = c == 'A' ? 'B' : 'A';
        return parts[0] + "." + (p.isEmpty() ? "A" : p.substring(0, at) + replaced + p.substring(at + 1)) + "."
                + parts[2];
    }

    private String tamperSignature(String token) {
        String[] parts = token.split("\\.", -1);
        String s = parts[2];
        if (s.length() < 2) {
            return parts[0] + "." + parts[1] + ".AA";
        }
        int at = random.nextInt(s.length() - 1);
        char c = s.charAt(at);
        char replaced = c == 'A' ? 'B' : 'A';
        return parts[0] + "." + parts[1] + "." + s.substring(0, at) + replaced + s.substring(at + 1);
    }

    private String mutate(String token) {
        int at = random.nextInt(token.length());
        return switch (random.nextInt(5)) {
            case 0 -> token.substring(0, at) + token.substring(at + 1);
            case 1 -> token.substring(0, at) + "._-=+/ é".charAt(random.nextInt(8)) + token.substring(at);
            case 2 -> token.substring(0, at) + (char) ('A' + random.nextInt(26)) + token.substring(at + 1);
            case 3 -> token.substring(0, at);
            default -> token.substring(at) + "." + token.substring(0, at);
        };
    }

    /** Whether a number in {@code json} is not exactly a double (so the result reader would round it). */
    static boolean beyondDouble(String json) {
        java.util.regex.Matcher m = java.util.regex.Pattern.compile("-?\\d+(\\.\\d+)?([eE][-+]?\\d+)?").matcher(json);
        while (m.find()) {
            java.math.BigDecimal exact = new java.math.BigDecimal(m.group());
            double d = exact.doubleValue();
            if (Double.isInfinite(d) || (d == 0 && exact.signum() != 0)
                    || new java.math.BigDecimal(Double.toString(d)).compareTo(exact) != 0) {
                return true;
            }
        }
        return false;
    }

    private static String decodedHeader(String token) {
        try {
            return new String(java.util.Base64.getUrlDecoder().decode(token.split("\\.", -1)[0]),
                    java.nio.charset.StandardCharsets.UTF_8);
        } catch (IllegalArgumentException e) {
            return "";
        }
    }

    static JsonNode node(Object value) {
        return BuiltinProbes.MAPPER.valueToTree(value);
    }
}
