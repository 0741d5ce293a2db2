package dev.mcpguard.core.policy.opa;

import dev.mcpguard.core.testing.OpaBinary;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.net.URISyntaxException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyPair;
import java.security.KeyPairGenerator;
import java.security.spec.ECGenParameterSpec;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.UnaryOperator;
import java.util.zip.GZIPInputStream;
import java.util.zip.GZIPOutputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveEntry;
import org.apache.commons.compress.archivers.tar.TarArchiveInputStream;
import org.apache.commons.compress.archivers.tar.TarArchiveOutputStream;

/** Builds real bundles with the real {@code opa build}, signing keys, and doctored copies of bundles. */
final class TestBundles {

    private final Path workDir;

    TestBundles(Path workDir) {
        this.workDir = workDir;
    }

    /** A freshly generated signing key pair with its PEMs written to the work dir. */
    record SigningKey(String algorithm, Path privatePem, String publicPem) {
    }

    SigningKey rsaKey(String name) {
        return key(name, "RSA", "RS256");
    }

    SigningKey ecKey(String name) {
        return key(name, "EC", "ES256");
    }

    private SigningKey key(String name, String type, String algorithm) {
        try {
            KeyPairGenerator generator = KeyPairGenerator.getInstance(type);
            if (type.equals("RSA")) {
                generator.initialize(2048);
            } else {
                generator.initialize(new ECGenParameterSpec("secp256r1"));
            }
            KeyPair pair = generator.generateKeyPair();
            Path privatePem = workDir.resolve(name + "-private.pem");
            Files.writeString(privatePem, pem("PRIVATE KEY", pair.getPrivate().getEncoded()));
            return new SigningKey(algorithm, privatePem, pem("PUBLIC KEY", pair.getPublic().getEncoded()));
        } catch (java.security.GeneralSecurityException e) {
            throw new IllegalStateException(e);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String pem(String type, byte[] der) {
        return "-----BEGIN " + type + "-----\n" + Base64.getMimeEncoder(64, "\n".getBytes(StandardCharsets.US_ASCII))
                .encodeToString(der) + "\n-----END " + type + "-----\n";
    }

    /** Builds {@code src/test/resources/opa/<policy>} into a wasm bundle with the given revision, unsigned. */
    byte[] build(String policy, String revision) {
        return build(policy, revision, null);
    }

    /** Builds and, when {@code key} is given, signs with {@code opa build --signing-key}. */
    byte[] build(String policy, String revision, SigningKey key) {
        Path out = workDir.resolve(policy + "-" + revision + "-" + System.nanoTime() + ".tar.gz");
        List<String> args = new ArrayList<>(List.of("build", "-t", "wasm", "-e", "mcp/authz/decision",
                "--revision", revision, "-b", policyDir(policy).toString(), "-o", out.toString()));
        if (key != null) {
            args.addAll(List.of("--signing-key", key.privatePem().toString(), "--signing-alg", key.algorithm()));
        }
        OpaBinary.run(workDir, args);
        try {
            return Files.readAllBytes(out);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static Path policyDir(String policy) {
        try {
            return Path.of(TestBundles.class.getResource("/opa/" + policy).toURI());
        } catch (URISyntaxException e) {
            throw new IllegalStateException(e);
        }
    }

    /** The files of a bundle, by entry name as written (leading slash kept), in order. */
    static Map<String, byte[]> entries(byte[] tarGz) {
        Map<String, byte[]> files = new LinkedHashMap<>();
        try (TarArchiveInputStream tar = new TarArchiveInputStream(new GZIPInputStream(new ByteArrayInputStream(tarGz)))) {
            TarArchiveEntry entry;
            while ((entry = tar.getNextEntry()) != null) {
                files.put(entry.getName(), tar.readAllBytes());
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return files;
    }

    /** Repacks a bundle after {@code edit} changed its files (name to content). */
    static byte[] repack(byte[] tarGz, UnaryOperator<Map<String, byte[]>> edit) {
        return pack(edit.apply(new LinkedHashMap<>(entries(tarGz))));
    }

    static byte[] pack(Map<String, byte[]> files) {
        return pack(List.copyOf(files.entrySet()));
    }

    /** Packs entries in order; the same name may appear twice. */
    static byte[] pack(List<Map.Entry<String, byte[]>> files) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
            tar.setLongFileMode(TarArchiveOutputStream.LONGFILE_POSIX);
            for (Map.Entry<String, byte[]> file : files) {
                TarArchiveEntry entry = new TarArchiveEntry(file.getKey(), true);
                entry.setSize(file.getValue().length);
                tar.putArchiveEntry(entry);
                tar.write(file.getValue());
                tar.closeArchiveEntry();
            }
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }

    /** A tar.gz with one special entry (a link or device) besides the given files. */
    static byte[] packWithSpecialEntry(Map<String, byte[]> files, String name, byte linkFlag) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (TarArchiveOutputStream tar = new TarArchiveOutputStream(new GZIPOutputStream(bytes))) {
            for (Map.Entry<String, byte[]> file : files.entrySet()) {
                TarArchiveEntry entry = new TarArchiveEntry(file.getKey(), true);
                entry.setSize(file.getValue().length);
                tar.putArchiveEntry(entry);
                tar.write(file.getValue());
                tar.closeArchiveEntry();
            }
            TarArchiveEntry special = new TarArchiveEntry(name, linkFlag, true);
            if (linkFlag == TarArchiveEntry.LF_SYMLINK || linkFlag == TarArchiveEntry.LF_LINK) {
                special.setLinkName("/etc/passwd");
            }
            tar.putArchiveEntry(special);
            tar.closeArchiveEntry();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
        return bytes.toByteArray();
    }
}
