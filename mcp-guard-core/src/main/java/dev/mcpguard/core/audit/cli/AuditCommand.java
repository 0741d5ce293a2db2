package dev.mcpguard.core.audit.cli;

import com.google.crypto.tink.InsecureSecretKeyAccess;
import com.google.crypto.tink.KeyTemplates;
import com.google.crypto.tink.KeysetHandle;
import com.google.crypto.tink.TinkJsonProtoKeysetFormat;
import com.google.crypto.tink.signature.SignatureConfig;
import dev.mcpguard.core.audit.chain.AuditChainVerifier;
import dev.mcpguard.core.audit.chain.AuditChainVerifier.Finding;
import dev.mcpguard.core.audit.chain.AuditChainVerifier.Report;
import dev.mcpguard.core.audit.chain.AuditChainVerifier.Verdict;
import dev.mcpguard.core.internal.ClientText;

import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.FileAlreadyExistsException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.PosixFilePermissions;
import java.security.GeneralSecurityException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;

/**
 * The reviewer's tool for the audit file: its hash chain and its records ({@code docs/audit.md}):
 *
 * <pre>
 * verify FILE... [--public-key PUBLIC_KEYSET_JSON]
 *     FILE: the active audit file (its rotated siblings are found next to it), a rotated file, or a directory
 * query FILE... [--from ISO] [--to ISO] [--subject S] [--tenant T] [--tool N] [--method M]
 *       [--decision allow|deny] [--outcome O] [--reason R] [--decision-id D] [--event-id E] [--limit N]
 *       [--format table|json]            (runs {@link AuditQueryCommand})
 * keygen --private-keyset F --public-keyset P [--algorithm ecdsa-p256|ed25519]
 * </pre>
 *
 * <p>{@code verify} prints one summary line ({@code OK}, {@code TAMPERED} or {@code INCOMPLETE}, with the first
 * bad place or the counts), then one line per finding; it names files, line numbers, seqs and ids, never record
 * contents. Exit codes: 0 OK, 1 TAMPERED, 3 INCOMPLETE, 2 usage or I/O error (several chains: the worst).
 * {@code keygen} writes a new Tink signature keyset as JSON: the private one created with mode 0600 (in
 * production keep it in a KMS, not on the server's disk) and the public one for reviewers; it never overwrites.
 *
 * <p>Not thread-safe; one invocation per process.
 */
public final class AuditCommand {

    private final PrintStream out;
    private final PrintStream err;

    private AuditCommand(PrintStream out, PrintStream err) {
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.out, System.err));
    }

    /** Runs one command; returns the exit code. */
    public static int run(String[] args, PrintStream out, PrintStream err) {
        return new AuditCommand(out, err).execute(args);
    }

    private int execute(String[] args) {
        try {
            if (args.length == 0) {
                throw new IllegalArgumentException("a command is required: verify, query, keygen");
            }
            String[] rest = Arrays.copyOfRange(args, 1, args.length);
            return switch (args[0]) {
                case "verify" -> verify(rest);
                case "query" -> AuditQueryCommand.run(rest, out, err);
                case "keygen" -> keygen(rest);
                default -> throw new IllegalArgumentException("unknown command '" + ClientText.forLog(args[0], 40)
                        + "'");
            };
        } catch (IllegalArgumentException e) { // usage errors, and a keyset that is not a public signature keyset
            err.println("usage error: " + e.getMessage());
            err.println("usage: audit verify FILE... [--public-key PUBLIC_KEYSET_JSON]");
            err.println("       audit query FILE... [--from ISO] [--to ISO] [--subject S] [--tenant T] [--tool N] [--decision D] ... [--format table|json]");
            err.println("       audit keygen --private-keyset F --public-keyset P [--algorithm ecdsa-p256|ed25519]");
            return 2;
        } catch (IOException e) {
            err.println("error: " + e.getMessage());
            return 2;
        }
    }

    private int verify(String[] args) throws IOException {
        List<Path> paths = new ArrayList<>();
        Path publicKey = null;
        for (int i = 0; i < args.length; i++) {
            if (args[i].equals("--public-key")) {
                if (i + 1 >= args.length) {
                    throw new IllegalArgumentException("--public-key needs a value");
                }
                publicKey = Path.of(args[++i]);
            } else if (args[i].startsWith("--")) {
                throw new IllegalArgumentException("unknown option " + ClientText.forLog(args[i], 40));
            } else {
                paths.add(Path.of(args[i]));
            }
        }
        if (paths.isEmpty()) {
            throw new IllegalArgumentException("verify needs at least one FILE");
        }
        AuditChainVerifier verifier = publicKey == null ? AuditChainVerifier.withoutKey()
                : AuditChainVerifier.withPublicKeyset(readPublicKeyset(publicKey));
        List<List<Path>> chains = AuditChainVerifier.chainFiles(paths);
        if (chains.isEmpty()) {
            // A directory without audit files (or an empty argument, the current directory) is never "verified".
            err.println("error: no audit files (*.jsonl) found in " + ClientText.forLog(paths.toString(), 200));
            return 2;
        }
        int exit = 0;
        for (List<Path> chain : chains) {
            Report report = verifier.verify(chain);
            print(report);
            exit = worse(exit, report.verdict().exitCode());
        }
        return exit;
    }

    private static int worse(int a, int b) {
        return rank(b) > rank(a) ? b : a;
    }

    private static int rank(int exit) {
        return exit == 1 ? 2 : exit == 3 ? 1 : 0;
    }

    private void print(Report r) {
        String counts = r.records() + " records in " + r.files() + " file" + (r.files() == 1 ? "" : "s") + ", "
                + r.checkpoints() + " checkpoints, last signed seq " + (r.lastSignedSeq() < 0 ? "none"
                : r.lastSignedSeq()) + ", key id " + (r.keyId() == null ? "none" : r.keyId());
        if (r.verdict() == Verdict.TAMPERED) {
            out.println("TAMPERED " + r.tampered());
            out.println("  chain " + r.chainId() + ": last verified seq " + r.lastVerifiedSeq() + "; " + counts
                    + " before the bad place");
        } else {
            out.println(r.verdict() + " chain " + r.chainId() + ": " + counts);
        }
        for (Finding f : r.findings()) {
            if (f != r.tampered()) {
                String level = f.kind().verdict() == null ? "WARNING" : f.kind().verdict().name();
                out.println("  " + level + " " + f);
            }
        }
    }

    private static KeysetHandle readPublicKeyset(Path file) throws IOException {
        String json = Files.readString(file, StandardCharsets.UTF_8);
        try {
            SignatureConfig.register();
            return TinkJsonProtoKeysetFormat.parseKeysetWithoutSecret(json);
        } catch (GeneralSecurityException | RuntimeException e) {
            throw new IllegalArgumentException(file + " is not a Tink public keyset in JSON (a private keyset is"
                    + " refused: give the public one)");
        }
    }

    private int keygen(String[] args) throws IOException {
        Path privateFile = null;
        Path publicFile = null;
        String algorithm = "ecdsa-p256";
        for (int i = 0; i < args.length; i++) {
            String name = args[i];
            if (i + 1 >= args.length) {
                throw new IllegalArgumentException(ClientText.forLog(name, 40) + " needs a value");
            }
            String value = args[++i];
            switch (name) {
                case "--private-keyset" -> privateFile = Path.of(value);
                case "--public-keyset" -> publicFile = Path.of(value);
                case "--algorithm" -> algorithm = value.toLowerCase(Locale.ROOT);
                default -> throw new IllegalArgumentException("unknown option " + ClientText.forLog(name, 40));
            }
        }
        if (privateFile == null || publicFile == null) {
            throw new IllegalArgumentException("keygen needs --private-keyset and --public-keyset");
        }
        String template = switch (algorithm) {
            case "ecdsa-p256" -> "ECDSA_P256";
            case "ed25519" -> "ED25519";
            default -> throw new IllegalArgumentException("--algorithm must be ecdsa-p256 or ed25519");
        };
        if (Files.exists(privateFile) || Files.exists(publicFile)) {
            err.println("error: " + (Files.exists(privateFile) ? privateFile : publicFile)
                    + " exists; keygen never overwrites a keyset");
            return 1;
        }
        String privateJson;
        String publicJson;
        long keyId;
        try {
            SignatureConfig.register();
            KeysetHandle handle = KeysetHandle.generateNew(KeyTemplates.get(template));
            privateJson = TinkJsonProtoKeysetFormat.serializeKeyset(handle, InsecureSecretKeyAccess.get());
            publicJson = TinkJsonProtoKeysetFormat.serializeKeysetWithoutSecret(handle.getPublicKeysetHandle());
            keyId = Integer.toUnsignedLong(handle.getPrimary().getId());
        } catch (GeneralSecurityException e) {
            err.println("error: could not generate a " + template + " keyset: " + e.getClass().getSimpleName());
            return 1;
        }
        try {
            writePrivate(privateFile, privateJson);
        } catch (FileAlreadyExistsException e) {
            err.println("error: " + privateFile + " exists; keygen never overwrites a keyset");
            return 1;
        }
        Files.writeString(publicFile, publicJson, StandardCharsets.UTF_8, StandardOpenOption.CREATE_NEW,
                StandardOpenOption.WRITE);
        out.println("wrote private keyset " + privateFile + " (mode 0600; " + template + ", key id " + keyId
                + "): give it to JsonlFileAuditSink.Builder.signer; in production keep it in a KMS");
        out.println("wrote public keyset " + publicFile + ": give it to reviewers for audit verify --public-key");
        return 0;
    }

    private static void writePrivate(Path file, String json) throws IOException {
        try {
            Files.createFile(file, PosixFilePermissions.asFileAttribute(PosixFilePermissions.fromString("rw-------")));
        } catch (UnsupportedOperationException e) {
            Files.createFile(file); // not a POSIX file system: the directory's protection applies
        }
        Files.writeString(file, json, StandardCharsets.UTF_8, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING);
    }
}
