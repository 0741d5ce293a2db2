package dev.mcpguard.core.credentials.cli;

import dev.mcpguard.api.Secret;
import dev.mcpguard.core.credentials.CredentialKey;
import dev.mcpguard.core.credentials.CredentialKeyset;
import dev.mcpguard.core.credentials.CredentialMaterial;
import dev.mcpguard.core.credentials.CredentialMaterial.GrantType;
import dev.mcpguard.core.credentials.CredentialMaterial.OAuthGrant;
import dev.mcpguard.core.credentials.CredentialStoreException;
import dev.mcpguard.core.credentials.CredentialSummary;
import dev.mcpguard.core.credentials.FileCredentialRepository;
import dev.mcpguard.core.credentials.KeysetProtection;
import dev.mcpguard.core.credentials.StoredCredential;
import dev.mcpguard.core.credentials.TinkCredentialStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintStream;
import java.net.URI;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.Set;

/**
 * The operator's tool for the embedded credential store: {@code init}, {@code add}, {@code list},
 * {@code rotate-key}, {@code reencrypt}, {@code delete}. Secrets are read from standard input or a file, never
 * from the command line (where {@code ps} and shell history would keep them); {@code list} never prints a value.
 *
 * <pre>
 * common options: --store credentials.json --keyset keyset.json
 *                 (--kek-file FILE | --kek-env VAR | --insecure-cleartext-keyset)
 *
 * init
 * add --tenant acme --owner service:orders --name crm-api --purpose orders --kind static [--secret-file F]
 * add --tenant acme --owner 'user:https://login.example.com|alice' --name github --purpose orders --kind oauth2 --grant refresh_token
 *     --token-endpoint https://as.example/token --client-id orders-mcp [--scope repo]... [--audience A]
 *     [--expires-at 2026-05-01T10:00:00Z] [--secret-file F]
 *     (oauth2 secrets as lines: client_secret=..., refresh_token=..., access_token=...)
 * list | rotate-key | reencrypt | delete --tenant T --owner O --name N --purpose P
 * </pre>
 *
 * <p>A user owner is {@code user:<issuer>|<subject>}: the issuer of the user's token (the {@code iss} claim, or
 * {@code api-key} for API-key callers) and the subject, quoted for the shell because of {@code |}. The tenant of
 * callers whose identity names none is {@code -}; {@code *} is a service credential for every tenant. {@code delete}
 * also accepts the older {@code user:<subject>}, to remove records stored before owners named their issuer.
 *
 * <p>Exit codes: 0 success, 1 failure, 2 usage error. Not thread-safe; one invocation per process.
 */
public final class CredentialsCommand {

    private final InputStream in;
    private final PrintStream out;
    private final PrintStream err;

    private CredentialsCommand(InputStream in, PrintStream out, PrintStream err) {
        this.in = in;
        this.out = out;
        this.err = err;
    }

    public static void main(String[] args) {
        System.exit(run(args, System.in, System.out, System.err));
    }

    /** Runs one command; returns the exit code. */
    public static int run(String[] args, InputStream in, PrintStream out, PrintStream err) {
        return new CredentialsCommand(in, out, err).execute(args);
    }

    private static final class UsageException extends Exception {
        private static final long serialVersionUID = 1L;

        UsageException(String message) {
            super(message);
        }
    }

    private int execute(String[] args) {
        try {
            if (args.length == 0) {
                throw new UsageException("a command is required: init, add, list, rotate-key, reencrypt, delete");
            }
            String command = args[0];
            Map<String, List<String>> options = parse(args);
            switch (command) {
                case "init" -> init(options);
                case "add" -> add(options);
                case "list" -> list(options);
                case "rotate-key" -> rotateKey(options);
                case "reencrypt" -> reencrypt(options);
                case "delete" -> delete(options);
                default -> throw new UsageException("unknown command '" + command + "'");
            }
            return 0;
        } catch (UsageException | IllegalArgumentException e) {
            err.println("usage error: " + e.getMessage());
            return 2;
        } catch (CredentialStoreException e) {
            err.println("error: " + e.getMessage());
            return 1;
        } catch (IOException e) {
            err.println("error: " + e.getClass().getSimpleName() + " reading input");
            return 1;
        }
    }

    private static final Set<String> FORBIDDEN = Set.of("--secret", "--value", "--password", "--client-secret",
            "--refresh-token", "--access-token", "--token");

    private static Map<String, List<String>> parse(String[] args) throws UsageException {
        Map<String, List<String>> options = new HashMap<>();
        for (int i = 1; i < args.length; i++) {
            String name = args[i];
            String bare = name.contains("=") ? name.substring(0, name.indexOf('=')) : name;
            if (FORBIDDEN.contains(bare)) {
                throw new UsageException(bare + " is not accepted: secrets are read from stdin or --secret-file, "
                        + "never from the command line");
            }
            if (!name.startsWith("--")) {
                throw new UsageException("unexpected argument at position " + i);
            }
            if (name.equals("--insecure-cleartext-keyset")) {
                options.computeIfAbsent(name, k -> new ArrayList<>()).add("true");
                continue;
            }
            if (i + 1 >= args.length) {
                throw new UsageException(name + " needs a value");
            }
            options.computeIfAbsent(name, k -> new ArrayList<>()).add(args[++i]);
        }
        return options;
    }

    private static String required(Map<String, List<String>> options, String name) throws UsageException {
        List<String> values = options.get(name);
        if (values == null || values.isEmpty()) {
            throw new UsageException(name + " is required");
        }
        return values.get(values.size() - 1);
    }

    private static Optional<String> optional(Map<String, List<String>> options, String name) {
        List<String> values = options.get(name);
        return values == null || values.isEmpty() ? Optional.empty() : Optional.of(values.get(values.size() - 1));
    }

    private static KeysetProtection protection(Map<String, List<String>> options) throws UsageException {
        Optional<String> file = optional(options, "--kek-file");
        Optional<String> env = optional(options, "--kek-env");
        boolean insecure = options.containsKey("--insecure-cleartext-keyset");
        if ((file.isPresent() ? 1 : 0) + (env.isPresent() ? 1 : 0) + (insecure ? 1 : 0) != 1) {
            throw new UsageException("give exactly one of --kek-file, --kek-env, --insecure-cleartext-keyset");
        }
        if (file.isPresent()) {
            return KeysetProtection.localKeyFromFile(Path.of(file.get()));
        }
        if (env.isPresent()) {
            return KeysetProtection.localKeyFromEnvironment(env.get());
        }
        return KeysetProtection.insecureCleartextForDevelopment();
    }

    private TinkCredentialStore store(Map<String, List<String>> options) throws UsageException {
        KeysetProtection protection = protection(options);
        if (protection.mode() == KeysetProtection.Mode.INSECURE_CLEARTEXT) {
            err.println("WARNING: using an INSECURE cleartext keyset; for development only");
        }
        CredentialKeyset keyset = CredentialKeyset.load(Path.of(required(options, "--keyset")), protection);
        return new TinkCredentialStore(new FileCredentialRepository(Path.of(required(options, "--store"))), keyset,
                Clock.systemUTC());
    }

    private void init(Map<String, List<String>> options) throws UsageException {
        CredentialKeyset keyset = CredentialKeyset.create(Path.of(required(options, "--keyset")), protection(options));
        out.println("created keyset with primary key version " + keyset.primaryKeyVersion());
    }

    private static CredentialKey key(Map<String, List<String>> options) throws UsageException {
        return new CredentialKey(required(options, "--tenant"), CredentialKey.Owner.parse(required(options, "--owner")),
                required(options, "--name"), required(options, "--purpose"));
    }

    private void add(Map<String, List<String>> options) throws UsageException, IOException {
        TinkCredentialStore store = store(options);
        CredentialKey key = key(options);
        String kind = required(options, "--kind");
        byte[] input = optional(options, "--secret-file").isPresent()
                ? Files.readAllBytes(Path.of(optional(options, "--secret-file").get()))
                : in.readAllBytes();
        CredentialMaterial material;
        if (kind.equals("static")) {
            String value = new String(input, StandardCharsets.UTF_8).strip();
            if (value.isEmpty()) {
                throw new UsageException("the secret (from stdin or --secret-file) is empty");
            }
            material = new CredentialMaterial.StaticSecret(Secret.ofUtf8(value));
        } else if (kind.equals("oauth2")) {
            Map<String, String> secrets = secretLines(new String(input, StandardCharsets.UTF_8));
            GrantType grant = GrantType.valueOf(required(options, "--grant").toUpperCase(Locale.ROOT));
            material = new OAuthGrant(grant, URI.create(required(options, "--token-endpoint")),
                    required(options, "--client-id"),
                    Optional.ofNullable(secrets.get("client_secret")).map(Secret::ofUtf8),
                    Optional.ofNullable(secrets.get("access_token")).map(Secret::ofUtf8),
                    Optional.ofNullable(secrets.get("refresh_token")).map(Secret::ofUtf8),
                    optional(options, "--expires-at").map(Instant::parse),
                    new LinkedHashSet<>(options.getOrDefault("--scope", List.of())),
                    optional(options, "--audience"));
        } else {
            throw new UsageException("--kind must be static or oauth2");
        }
        java.util.Arrays.fill(input, (byte) 0);
        StoredCredential stored = store.put(key, material);
        out.println("stored " + stored.id() + " " + key + " (" + material.kind() + ", key version "
                + stored.keyVersion() + ")");
    }

    private static Map<String, String> secretLines(String text) throws UsageException {
        Map<String, String> secrets = new HashMap<>();
        for (String line : text.split("\\R")) {
            if (line.isBlank()) {
                continue;
            }
            int eq = line.indexOf('=');
            String name = eq > 0 ? line.substring(0, eq).strip() : "";
            if (!Set.of("client_secret", "refresh_token", "access_token").contains(name)) {
                throw new UsageException("oauth2 input lines must be client_secret=, refresh_token= or access_token=");
            }
            secrets.put(name, line.substring(eq + 1).strip());
        }
        return secrets;
    }

    private void list(Map<String, List<String>> options) throws UsageException {
        List<CredentialSummary> all = store(options).list();
        out.printf("%-41s %-10s %-24s %-16s %-12s %-7s %-11s %-22s %s%n", "ID", "TENANT", "OWNER", "NAME", "PURPOSE",
                "KIND", "KEY", "STATUS", "UPDATED");
        for (CredentialSummary s : all) {
            out.printf("%-41s %-10s %-24s %-16s %-12s %-7s %-11d %-22s %s%n", s.id(), s.key().tenant(), s.key().owner(),
                    s.key().name(), s.key().purpose(), s.kind(), s.keyVersion(), s.status(), s.updatedAt());
        }
    }

    private void rotateKey(Map<String, List<String>> options) throws UsageException {
        CredentialKeyset keyset = CredentialKeyset.load(Path.of(required(options, "--keyset")), protection(options));
        long version = keyset.rotate();
        out.println("new primary key version " + version + "; run reencrypt to move existing records to it");
    }

    private void reencrypt(Map<String, List<String>> options) throws UsageException {
        TinkCredentialStore store = store(options);
        int moved = store.reencryptAll();
        out.println("re-encrypted " + moved + " record(s) under key version " + store.keyset().primaryKeyVersion());
    }

    private void delete(Map<String, List<String>> options) throws UsageException {
        String owner = required(options, "--owner");
        CredentialKey key;
        if (owner.startsWith("user:") && owner.indexOf('|') < 0 && owner.length() > "user:".length()) {
            // A record stored before user owners named their issuer; it is never used, but must be removable.
            key = new CredentialKey(required(options, "--tenant"),
                    new CredentialKey.Owner(CredentialKey.Owner.Kind.USER, owner.substring("user:".length())),
                    required(options, "--name"), required(options, "--purpose"));
        } else {
            key = key(options);
        }
        out.println(store(options).delete(key) ? "deleted " + key : "no credential " + key);
    }
}
