package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.core.StreamReadFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import java.io.IOException;
import java.security.MessageDigest;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.TreeSet;

/**
 * A standard OPA bundle built for WebAssembly ({@code opa build -t wasm}), read and verified in memory: the
 * {@code .manifest} (revision, roots), the merged {@code data.json} documents and the one {@code policy.wasm}.
 *
 * <p>{@link #read(byte[], BundleVerification, BundleLimits) read} either returns a complete, verified bundle or
 * throws {@link BundleException}; there is no partial state. When verification is required, the bundle must
 * carry a {@code .signatures.json} whose JWS verifies, and whose file list matches the archive exactly: every
 * file (except {@code .signatures.json} itself) listed once with a matching digest, no file missing, no file
 * extra.
 *
 * <p>When the manifest gives no revision, the revision is {@code sha256:} followed by the first 16 hex digits of
 * the archive's digest, so every decision can still name the policy that made it.
 *
 * <p>Immutable and thread-safe: accessors return copies.
 */
public final class OpaBundle {

    static final String SIGNATURES = ".signatures.json";
    static final String MANIFEST = ".manifest";
    private static final JsonMapper STRICT_JSON = JsonMapper.builder()
            .enable(StreamReadFeature.STRICT_DUPLICATE_DETECTION)
            .build();

    private final String revision;
    private final List<String> roots;
    private final ObjectNode data;
    private final byte[] policyWasm;
    private final Map<String, String> fileDigests;
    private final boolean signed;
    private final String archiveSha256;

    private OpaBundle(String revision, List<String> roots, ObjectNode data, byte[] policyWasm,
            Map<String, String> fileDigests, boolean signed, String archiveSha256) {
        this.revision = revision;
        this.roots = List.copyOf(roots);
        this.data = data;
        this.policyWasm = policyWasm;
        this.fileDigests = Map.copyOf(fileDigests);
        this.signed = signed;
        this.archiveSha256 = archiveSha256;
    }

    /** Reads a bundle under {@link BundleLimits#DEFAULTS}. */
    public static OpaBundle read(byte[] tarGz, BundleVerification verification) throws BundleException {
        return read(tarGz, verification, BundleLimits.DEFAULTS);
    }

    /**
     * Reads and verifies a {@code .tar.gz} bundle.
     *
     * @throws BundleException when the archive is corrupt or over a limit, a signature is missing or wrong, a
     *                         file is tampered, missing or extra, or the bundle has no single wasm module
     */
    public static OpaBundle read(byte[] tarGz, BundleVerification verification, BundleLimits limits)
            throws BundleException {
        Objects.requireNonNull(tarGz, "tarGz");
        Objects.requireNonNull(verification, "verification");
        Objects.requireNonNull(limits, "limits");
        Map<String, byte[]> files = BundleArchive.read(tarGz, limits);
        boolean signed = verify(files, verification);

        Map<String, String> digests = new LinkedHashMap<>();
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            digests.put(file.getKey(), HexFormat.of().formatHex(
                    BundleFileDigest.newDigest("SHA-256").digest(file.getValue())));
        }
        String archiveSha256 = HexFormat.of().formatHex(BundleFileDigest.newDigest("SHA-256").digest(tarGz));

        JsonNode manifest = manifest(files.get(MANIFEST));
        String revision = manifest.path("revision").isTextual() && !manifest.get("revision").textValue().isBlank()
                ? manifest.get("revision").textValue()
                : "sha256:" + archiveSha256.substring(0, 16);
        List<String> roots = roots(manifest);
        byte[] wasm = policyWasm(files, manifest);
        ObjectNode data = data(files);
        return new OpaBundle(revision, roots, data, wasm, digests, signed, archiveSha256);
    }

    /** The manifest revision (or the archive-digest fallback); never blank. */
    public String revision() {
        return revision;
    }

    /** The manifest roots; {@code [""]} (everything) when the manifest names none. */
    public List<String> roots() {
        return roots;
    }

    /** The bundle's data documents merged at their paths; a copy. */
    public ObjectNode data() {
        return data.deepCopy();
    }

    /** The compiled policy module; a copy. */
    public byte[] policyWasm() {
        return policyWasm.clone();
    }

    /** SHA-256 (hex, of the raw bytes) of every file in the archive, by name; for diagnostics. */
    public Map<String, String> fileDigests() {
        return fileDigests;
    }

    /** True when the bundle's signature was verified. */
    public boolean signed() {
        return signed;
    }

    /** SHA-256 (hex) of the whole archive. */
    public String archiveSha256() {
        return archiveSha256;
    }

    @Override
    public String toString() {
        return "OpaBundle[revision=" + revision + ", roots=" + roots + ", files=" + fileDigests.size()
                + ", signed=" + signed + "]";
    }

    private static boolean verify(Map<String, byte[]> files, BundleVerification verification) throws BundleException {
        if (!verification.required()) {
            return false;
        }
        byte[] signatures = files.get(SIGNATURES);
        if (signatures == null) {
            throw new BundleException("bundle is not signed (no .signatures.json) but verification is required");
        }
        Map<String, BundleVerification.SignedFile> expected = new HashMap<>(verification.verifySignatures(signatures));
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            String name = file.getKey();
            if (name.equals(SIGNATURES)) {
                continue;
            }
            BundleVerification.SignedFile signedFile = expected.remove(name);
            if (signedFile == null) {
                throw new BundleException("file " + BundleArchive.printable(name)
                        + " is not included in the bundle signature");
            }
            byte[] want;
            try {
                want = HexFormat.of().parseHex(signedFile.hash());
            } catch (IllegalArgumentException e) {
                throw new BundleException("bundle signature has a malformed hash for " + BundleArchive.printable(name));
            }
            byte[] got = BundleFileDigest.digest(signedFile.algorithm(), name, file.getValue());
            if (!MessageDigest.isEqual(want, got)) {
                throw new BundleException(BundleArchive.printable(name) + ": digest mismatch, the file was modified "
                        + "after signing");
            }
        }
        if (!expected.isEmpty()) {
            throw new BundleException("files listed in the bundle signature are missing from the bundle: "
                    + new TreeSet<>(expected.keySet()));
        }
        return true;
    }

    private static JsonNode manifest(byte[] content) throws BundleException {
        if (content == null) {
            return STRICT_JSON.createObjectNode();
        }
        try {
            JsonNode manifest = STRICT_JSON.readTree(content);
            if (manifest == null || !manifest.isObject()) {
                throw new BundleException(".manifest is not a JSON object");
            }
            JsonNode revision = manifest.get("revision");
            if (revision != null && !revision.isNull() && !revision.isTextual()) {
                throw new BundleException(".manifest revision must be a string");
            }
            return manifest;
        } catch (IOException e) {
            throw new BundleException(".manifest is not valid JSON");
        }
    }

    private static List<String> roots(JsonNode manifest) throws BundleException {
        JsonNode roots = manifest.get("roots");
        if (roots == null || roots.isNull()) {
            return List.of("");
        }
        if (!roots.isArray()) {
            throw new BundleException(".manifest roots must be an array of strings");
        }
        List<String> result = new ArrayList<>();
        for (JsonNode root : roots) {
            if (!root.isTextual()) {
                throw new BundleException(".manifest roots must be an array of strings");
            }
            result.add(root.textValue());
        }
        return result;
    }

    private static byte[] policyWasm(Map<String, byte[]> files, JsonNode manifest) throws BundleException {
        List<String> modules = files.keySet().stream().filter(n -> n.endsWith(".wasm")).toList();
        if (modules.isEmpty()) {
            throw new BundleException("bundle has no policy.wasm; build it with 'opa build -t wasm'");
        }
        if (modules.size() > 1) {
            throw new BundleException("bundle has " + modules.size() + " wasm modules " + modules
                    + "; exactly one is supported");
        }
        JsonNode declared = manifest.path("wasm");
        if (declared.isArray()) {
            for (JsonNode module : declared) {
                String path = module.path("module").asText("");
                if (!path.isEmpty() && !BundleArchive.normalise(path).equals(modules.get(0))) {
                    throw new BundleException(".manifest names wasm module " + BundleArchive.printable(path)
                            + " which is not in the bundle");
                }
            }
        }
        return files.get(modules.get(0)).clone();
    }

    /** Merges every data.json at its directory path, as OPA does; YAML data is refused rather than ignored. */
    private static ObjectNode data(Map<String, byte[]> files) throws BundleException {
        ObjectNode merged = STRICT_JSON.createObjectNode();
        for (Map.Entry<String, byte[]> file : files.entrySet()) {
            String name = file.getKey();
            String base = name.substring(name.lastIndexOf('/') + 1);
            if (base.equals("data.yaml") || base.equals("data.yml")) {
                throw new BundleException(BundleArchive.printable(name) + ": YAML data files are not supported; use data.json");
            }
            if (!base.equals("data.json")) {
                continue;
            }
            JsonNode document;
            try {
                document = STRICT_JSON.readTree(file.getValue());
            } catch (IOException e) {
                throw new BundleException(BundleArchive.printable(name) + " is not valid JSON");
            }
            if (document == null) {
                throw new BundleException(BundleArchive.printable(name) + " is empty");
            }
            requireNoLoneSurrogate(document, name); // also when unsigned: one rule for every bundle
            String[] path = name.contains("/") ? name.substring(0, name.lastIndexOf('/')).split("/") : new String[0];
            mergeAt(merged, path, document, name);
        }
        return merged;
    }

    private static void requireNoLoneSurrogate(JsonNode node, String name) throws BundleException {
        if (node.isTextual()) {
            BundleFileDigest.requireNoLoneSurrogate(node.textValue(), name);
        } else if (node.isObject()) {
            for (Map.Entry<String, JsonNode> field : node.properties()) {
                BundleFileDigest.requireNoLoneSurrogate(field.getKey(), name);
                requireNoLoneSurrogate(field.getValue(), name);
            }
        } else if (node.isArray()) {
            for (JsonNode element : node) {
                requireNoLoneSurrogate(element, name);
            }
        }
    }

    private static void mergeAt(ObjectNode target, String[] path, JsonNode document, String name) throws BundleException {
        ObjectNode node = target;
        for (String segment : path) {
            JsonNode child = node.get(segment);
            if (child == null) {
                node = node.putObject(segment);
            } else if (child.isObject()) {
                node = (ObjectNode) child;
            } else {
                throw new BundleException(BundleArchive.printable(name) + " conflicts with other data at " + segment);
            }
        }
        if (path.length == 0 && !document.isObject()) {
            throw new BundleException(BundleArchive.printable(name) + " at the bundle root must be a JSON object");
        }
        if (!document.isObject()) {
            if (node.size() > 0) {
                throw new BundleException(BundleArchive.printable(name) + " conflicts with other data");
            }
            // A non-object document at a path replaces the (empty) object created for it.
            ObjectNode parent = target;
            for (int i = 0; i < path.length - 1; i++) {
                parent = (ObjectNode) parent.get(path[i]);
            }
            parent.set(path[path.length - 1], document);
            return;
        }
        for (Map.Entry<String, JsonNode> field : document.properties()) {
            if (node.has(field.getKey())) {
                throw new BundleException(BundleArchive.printable(name) + " redefines data key "
                        + BundleArchive.printable(field.getKey()));
            }
            node.set(field.getKey(), field.getValue());
        }
    }
}
