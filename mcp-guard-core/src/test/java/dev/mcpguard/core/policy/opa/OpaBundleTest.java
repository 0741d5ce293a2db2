package dev.mcpguard.core.policy.opa;

import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import com.fasterxml.jackson.databind.ObjectMapper;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** Reading and verifying bundles built and signed by the real {@code opa build}. */
class OpaBundleTest {

    @TempDir
    static Path workDir;
    static TestBundles bundles;
    static TestBundles.SigningKey rsa;
    static TestBundles.SigningKey otherRsa;
    static TestBundles.SigningKey ec;
    static byte[] signedByRsa;
    static byte[] signedByEc;
    static byte[] unsigned;

    @BeforeAll
    static void buildBundles() {
        bundles = new TestBundles(workDir);
        rsa = bundles.rsaKey("rsa");
        otherRsa = bundles.rsaKey("other");
        ec = bundles.ecKey("ec");
        signedByRsa = bundles.build("authz", "authz-rsa", rsa);
        signedByEc = bundles.build("authz", "authz-ec", ec);
        unsigned = bundles.build("authz", "authz-unsigned");
    }

    private static BundleVerification rsaVerification() {
        return BundleVerification.publicKey(rsa.publicPem());
    }

    @Test
    void readsAGoodRsaSignedBundleWithRevisionRootsDataAndWasm() throws Exception {
        OpaBundle bundle = OpaBundle.read(signedByRsa, rsaVerification());

        assertThat(bundle.revision()).isEqualTo("authz-rsa");
        assertThat(bundle.roots()).containsExactly("");
        assertThat(bundle.signed()).isTrue();
        assertThat(bundle.data().path("credentials").path("lookup_order").asText()).isEqualTo("crm-read");
        assertThat(Arrays.copyOf(bundle.policyWasm(), 4)).containsExactly(0, 'a', 's', 'm');
        assertThat(bundle.fileDigests()).containsKeys(".manifest", "data.json", "policy.wasm", ".signatures.json");
    }

    @Test
    void readsAGoodEs256SignedBundle() throws Exception {
        OpaBundle bundle = OpaBundle.read(signedByEc, BundleVerification.publicKey(ec.publicPem()));

        assertThat(bundle.signed()).isTrue();
        assertThat(bundle.revision()).isEqualTo("authz-ec");
    }

    @Test
    void rejectsAnUnsignedBundleWhenVerificationIsConfigured() {
        assertThatThrownBy(() -> OpaBundle.read(unsigned, rsaVerification()))
                .isInstanceOf(BundleException.class).hasMessageContaining("not signed");
    }

    @Test
    void loadsAnUnsignedBundleOnlyWithExplicitlyNoVerification() throws Exception {
        assertThat(OpaBundle.read(unsigned, BundleVerification.insecureUnsigned()).signed()).isFalse();
    }

    @Test
    void rejectsABundleSignedWithAnotherKey() {
        assertThatThrownBy(() -> OpaBundle.read(signedByRsa, BundleVerification.publicKey(otherRsa.publicPem())))
                .isInstanceOf(BundleException.class).hasMessageContaining("does not verify");
    }

    @Test
    void rejectsABundleSignedWithAnotherAlgorithmThanTheKeyAllows() {
        assertThatThrownBy(() -> OpaBundle.read(signedByEc, rsaVerification()))
                .isInstanceOf(BundleException.class).hasMessageContaining("ES256").hasMessageContaining("RS256");
    }

    @Test
    void rejectsATamperedDataFile() {
        byte[] tampered = TestBundles.repack(signedByRsa, files -> {
            files.put("/data.json", "{\"credentials\": {\"lookup_order\": \"crm-admin\"}}".getBytes(UTF_8));
            return files;
        });

        assertThatThrownBy(() -> OpaBundle.read(tampered, rsaVerification()))
                .isInstanceOf(BundleException.class).hasMessageContaining("data.json").hasMessageContaining("digest mismatch");
    }

    @Test
    void rejectsATamperedWasmModule() {
        byte[] tampered = TestBundles.repack(signedByRsa, files -> {
            byte[] wasm = files.get("/policy.wasm").clone();
            wasm[wasm.length - 1] ^= 1;
            files.put("/policy.wasm", wasm);
            return files;
        });

        assertThatThrownBy(() -> OpaBundle.read(tampered, rsaVerification()))
                .isInstanceOf(BundleException.class).hasMessageContaining("policy.wasm");
    }

    @Test
    void rejectsAnExtraFile() {
        byte[] extra = TestBundles.repack(signedByRsa, files -> {
            files.put("/extra/data.json", "{\"x\": 1}".getBytes(UTF_8));
            return files;
        });

        assertThatThrownBy(() -> OpaBundle.read(extra, rsaVerification()))
                .isInstanceOf(BundleException.class).hasMessageContaining("extra/data.json")
                .hasMessageContaining("not included in the bundle signature");
    }

    @Test
    void rejectsABundleWithASignedFileMissing() {
        byte[] missing = TestBundles.repack(signedByRsa, files -> {
            files.keySet().removeIf(name -> name.endsWith(".rego"));
            return files;
        });

        assertThatThrownBy(() -> OpaBundle.read(missing, rsaVerification()))
                .isInstanceOf(BundleException.class).hasMessageContaining("missing from the bundle");
    }

    @Test
    void acceptsDataReformattedWithoutChangingItsMeaningBecauseJsonIsHashedCanonically() throws Exception {
        byte[] reformatted = TestBundles.repack(signedByRsa, files -> {
            files.put("/data.json", "\n{  \"credentials\" :\n\t{ \"lookup_order\" : \"crm-read\" }\n}\n".getBytes(UTF_8));
            return files;
        });

        assertThat(OpaBundle.read(reformatted, rsaVerification()).signed()).isTrue();
    }

    @Test
    void hashesJsonExactlyAsOpaDoesForEscapesUnicodeAndNumberLiterals() throws Exception {
        byte[] signed = bundles.build("escaping", "escaping-1", rsa);
        byte[] original = TestBundles.policyDir("escaping").resolve("data.json").toFile().exists()
                ? java.nio.file.Files.readAllBytes(TestBundles.policyDir("escaping").resolve("data.json")) : null;

        assertThat(OpaBundle.read(signed, rsaVerification()).data().path("labels").has("a<b>&c")).isTrue();
        // The source file (raw <, >, &, unicode, 1e3) differs byte-wise from what opa wrote, yet hashes the same.
        byte[] swapped = TestBundles.repack(signed, files -> {
            files.put("/data.json", original);
            return files;
        });
        assertThat(OpaBundle.read(swapped, rsaVerification()).signed()).isTrue();
    }

    @Test
    void rejectsAChangedNumberLiteralEvenWhenItIsNumericallyEqual() {
        byte[] changed = TestBundles.repack(bundles.build("deadline", "d-1", rsa), files -> {
            files.put("/data.json", "{\"deadline_ns\": 1.893456e18}".getBytes(UTF_8));
            return files;
        });

        assertThatThrownBy(() -> OpaBundle.read(changed, rsaVerification())).isInstanceOf(BundleException.class)
                .hasMessageContaining("digest mismatch");
    }

    @Test
    void rejectsAKeyIdOtherThanTheConfiguredOne() {
        assertThatThrownBy(() -> OpaBundle.read(signedByRsa, BundleVerification.publicKey(rsa.publicPem(), "prod-2026")))
                .isInstanceOf(BundleException.class).hasMessageContaining("key id 'default'");
    }

    @Test
    void rejectsAScopeOtherThanTheConfiguredOne() {
        assertThatThrownBy(() -> OpaBundle.read(signedByRsa, rsaVerification().withScope("write")))
                .isInstanceOf(BundleException.class).hasMessageContaining("scope mismatch");
    }

    @Test
    void rejectsCorruptGzip() {
        byte[] garbage = "this is not a bundle".getBytes(UTF_8);

        assertThatThrownBy(() -> OpaBundle.read(garbage, BundleVerification.insecureUnsigned()))
                .isInstanceOf(BundleException.class).hasMessageContaining("not a valid .tar.gz");
    }

    @Test
    void rejectsATruncatedArchive() {
        byte[] truncated = Arrays.copyOf(unsigned, unsigned.length / 2);

        assertThatThrownBy(() -> OpaBundle.read(truncated, BundleVerification.insecureUnsigned()))
                .isInstanceOf(BundleException.class).hasMessageContaining("not a valid .tar.gz");
    }

    @Test
    void rejectsGzipOfSomethingThatIsNotATar() throws Exception {
        java.io.ByteArrayOutputStream bytes = new java.io.ByteArrayOutputStream();
        try (java.util.zip.GZIPOutputStream gzip = new java.util.zip.GZIPOutputStream(bytes)) {
            gzip.write("x".repeat(2000).getBytes(UTF_8));
        }

        assertThatThrownBy(() -> OpaBundle.read(bytes.toByteArray(), BundleVerification.insecureUnsigned()))
                .isInstanceOf(BundleException.class);
    }

    @Test
    void rejectsPathTraversalAndAbsolutePaths() {
        Map<String, byte[]> good = TestBundles.entries(unsigned);
        for (String evil : List.of("../escape.rego", "/a/../../etc/passwd", "//etc/passwd", "a//b.rego", "./x/./y.rego")) {
            Map<String, byte[]> files = new LinkedHashMap<>(good);
            files.put(evil, "x".getBytes(UTF_8));

            assertThatThrownBy(() -> OpaBundle.read(TestBundles.pack(files), BundleVerification.insecureUnsigned()))
                    .as(evil).isInstanceOf(BundleException.class).hasMessageContaining("unsafe name");
        }
    }

    @Test
    void rejectsSymlinksHardLinksAndDevices() {
        Map<String, byte[]> good = TestBundles.entries(unsigned);
        for (byte flag : new byte[] {TarArchiveEntry.LF_SYMLINK, TarArchiveEntry.LF_LINK, TarArchiveEntry.LF_CHR,
                TarArchiveEntry.LF_FIFO}) {
            byte[] archive = TestBundles.packWithSpecialEntry(good, "/special", flag);

            assertThatThrownBy(() -> OpaBundle.read(archive, BundleVerification.insecureUnsigned()))
                    .isInstanceOf(BundleException.class).hasMessageContaining("not a regular file");
        }
    }

    @Test
    void rejectsDuplicateNamesEvenWhenOneHasALeadingSlash() {
        List<Map.Entry<String, byte[]>> files = new java.util.ArrayList<>(TestBundles.entries(unsigned).entrySet());
        files.add(Map.entry("data.json", "{\"credentials\": {}}".getBytes(UTF_8)));

        assertThatThrownBy(() -> OpaBundle.read(TestBundles.pack(files), BundleVerification.insecureUnsigned()))
                .isInstanceOf(BundleException.class).hasMessageContaining("more than once");
    }

    @Test
    void enforcesSizeAndFileCountLimits() {
        byte[] zeros = TestBundles.repack(unsigned, files -> {
            files.put("/big.bin", new byte[2 << 20]);
            return files;
        });

        assertThatThrownBy(() -> OpaBundle.read(zeros, BundleVerification.insecureUnsigned(), new BundleLimits(1 << 20, 1 << 20, 100)))
                .isInstanceOf(BundleException.class).hasMessageContaining("uncompressed");
        assertThatThrownBy(() -> OpaBundle.read(unsigned, BundleVerification.insecureUnsigned(), new BundleLimits(100, 1 << 20, 100)))
                .isInstanceOf(BundleException.class).hasMessageContaining("compressed");
        assertThatThrownBy(() -> OpaBundle.read(unsigned, BundleVerification.insecureUnsigned(), new BundleLimits(1 << 20, 1 << 20, 2)))
                .isInstanceOf(BundleException.class).hasMessageContaining("more than 2 files");
    }

    @Test
    void rejectsABundleWithoutAWasmModule() {
        byte[] regoOnly = TestBundles.repack(unsigned, files -> {
            files.remove("/policy.wasm");
            return files;
        });

        assertThatThrownBy(() -> OpaBundle.read(regoOnly, BundleVerification.insecureUnsigned()))
                .isInstanceOf(BundleException.class).hasMessageContaining("opa build -t wasm");
    }

    @Test
    void usesTheArchiveDigestAsRevisionWhenTheManifestHasNone() throws Exception {
        byte[] noManifest = TestBundles.repack(unsigned, files -> {
            files.remove("/.manifest");
            return files;
        });

        assertThat(OpaBundle.read(noManifest, BundleVerification.insecureUnsigned()).revision()).matches("sha256:[0-9a-f]{16}");
    }

    @Test
    void mergesNestedDataDocumentsAtTheirPath() throws Exception {
        byte[] nested = TestBundles.repack(unsigned, files -> {
            files.put("/tenants/acme/data.json", "{\"tier\": \"gold\"}".getBytes(UTF_8));
            return files;
        });

        assertThat(OpaBundle.read(nested, BundleVerification.insecureUnsigned()).data().at("/tenants/acme/tier").asText())
                .isEqualTo("gold");
    }

    @Test
    void refusesKeysThatAreNotAcceptablePublicKeys() throws Exception {
        String privatePem = java.nio.file.Files.readString(rsa.privatePem());

        assertThatThrownBy(() -> BundleVerification.publicKey(privatePem))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("private key")
                .message().doesNotContain(privatePem.substring(40, 80));
        assertThatThrownBy(() -> BundleVerification.publicKey("not a pem"))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("not a PEM");
        java.security.KeyPairGenerator small = java.security.KeyPairGenerator.getInstance("RSA");
        small.initialize(1024);
        String weak = TestBundles.pem("PUBLIC KEY", small.generateKeyPair().getPublic().getEncoded());
        assertThatThrownBy(() -> BundleVerification.publicKey(weak)).hasMessageContaining("1024 bits");
    }

    @Test
    void canonicalJsonMatchesGoEncodingRules() throws Exception {
        String json = "{\"b\": [1, 2.50, -0, 1E+3], \"a\": \"<&>\\u0001\\b\\f\\u2028\\u007f\\u00e9\", \"\\u00e9\": null, \"z\": true}";

        String canonical = new String(BundleFileDigest.canonicalJson("data.json", json.getBytes(UTF_8)), UTF_8);

        assertThat(canonical).isEqualTo("{\"a\":\"<&>\\u0001\\b\\f\\u2028\u007fé\",\"b\":[1,2.50,-0,1E+3],\"z\":true,\"é\":null}");
        assertThat(new ObjectMapper().readTree(canonical)).isNotNull();
    }

    @Test
    void rejectsALoneSurrogateThatWouldHashLikeTheReplacementCharacterThatWasSigned() throws Exception {
        byte[] signed = bundles.build("replacement-char", "fffd-1", rsa); // data.json: {"labels": {"t": "\ufffd"}}
        assertThat(OpaBundle.read(signed, rsaVerification()).data().path("labels").path("t").textValue()).isEqualTo("\ufffd");
        // Canonical JSON (like Go) hashes a lone surrogate as U+FFFD, yet Jackson would load the surrogate itself.
        byte[] swapped = TestBundles.repack(signed, files -> {
            files.put("/data.json", "{\"labels\": {\"t\": \"\\ud800\"}}".getBytes(UTF_8));
            return files;
        });

        assertThatThrownBy(() -> OpaBundle.read(swapped, rsaVerification())).isInstanceOf(BundleException.class)
                .hasMessageContaining("data.json' contains a lone UTF-16 surrogate");
    }

    @Test
    void rejectsALoneSurrogateInAnUnsignedBundleOrAnyStructuredFileToo() {
        byte[] loneInArray = TestBundles.repack(unsigned, files -> {
            files.put("/data.json", "{\"labels\": [\"ok\", \"\\udc00x\"]}".getBytes(UTF_8));
            return files;
        });
        byte[] loneInKey = TestBundles.repack(unsigned, files -> {
            files.put("/data.json", "{\"\\udc00x\": true}".getBytes(UTF_8));
            return files;
        });

        assertThatThrownBy(() -> OpaBundle.read(loneInArray, BundleVerification.insecureUnsigned())).isInstanceOf(BundleException.class)
                .hasMessageContaining("lone UTF-16 surrogate");
        assertThatThrownBy(() -> OpaBundle.read(loneInKey, BundleVerification.insecureUnsigned())).isInstanceOf(BundleException.class);
        assertThatThrownBy(() -> BundleFileDigest.canonicalJson(".manifest", "{\"revision\": \"r\\ud83d\"}".getBytes(UTF_8)))
                .isInstanceOf(BundleException.class).hasMessageContaining(".manifest' contains a lone UTF-16 surrogate");
        assertThatThrownBy(() -> BundleFileDigest.canonicalJson("data.json", "{\"\\ud83dk\": 1}".getBytes(UTF_8)))
                .isInstanceOf(BundleException.class);
    }

    @Test
    void rejectsDuplicateKeysInStructuredFiles() {
        assertThatThrownBy(() -> BundleFileDigest.canonicalJson("data.json", "{\"a\":1,\"a\":2}".getBytes(UTF_8)))
                .isInstanceOf(BundleException.class);
    }
}
