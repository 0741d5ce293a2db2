package dev.mcpguard.core.credentials.cli;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.core.credentials.CredentialKey;
import dev.mcpguard.core.credentials.CredentialKeyset;
import dev.mcpguard.core.credentials.CredentialMaterial;
import dev.mcpguard.core.credentials.FileCredentialRepository;
import dev.mcpguard.core.credentials.KeysetProtection;
import dev.mcpguard.core.credentials.TinkCredentialStore;
import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Base64;
import java.util.List;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class CredentialsCommandTest {

    private static final String CRM_KEY = "crm-cli-secret-4Fq9";
    private static final String REFRESH = "refresh-cli-7Yh2";
    private static final String CLIENT_SECRET = "client-cli-3Kd8";

    @TempDir
    Path dir;

    private Path kek;
    private String out;
    private String err;

    @BeforeEach
    void setUp() throws Exception {
        kek = dir.resolve("kek");
        byte[] key = new byte[32];
        new java.security.SecureRandom().nextBytes(key);
        Files.writeString(kek, Base64.getEncoder().encodeToString(key));
    }

    private int run(String stdin, String... args) {
        List<String> all = new ArrayList<>(List.of(args));
        all.addAll(List.of("--store", dir.resolve("credentials.json").toString(),
                "--keyset", dir.resolve("keyset.json").toString(), "--kek-file", kek.toString()));
        ByteArrayOutputStream o = new ByteArrayOutputStream();
        ByteArrayOutputStream e = new ByteArrayOutputStream();
        int code = CredentialsCommand.run(all.toArray(String[]::new),
                new ByteArrayInputStream(stdin.getBytes(StandardCharsets.UTF_8)),
                new PrintStream(o, true, StandardCharsets.UTF_8), new PrintStream(e, true, StandardCharsets.UTF_8));
        out = o.toString(StandardCharsets.UTF_8);
        err = e.toString(StandardCharsets.UTF_8);
        return code;
    }

    @Test
    void addsListsRotatesAndReencryptsWithoutEverPrintingAValue() throws Exception {
        assertThat(run("", "init")).isZero();
        assertThat(run(CRM_KEY + "\n", "add", "--tenant", "*", "--owner", "service:orders", "--name", "crm-api",
                "--purpose", "orders", "--kind", "static")).isZero();
        Path secretFile = dir.resolve("grant.txt");
        Files.writeString(secretFile, "client_secret=" + CLIENT_SECRET + "\nrefresh_token=" + REFRESH + "\n");
        assertThat(run("", "add", "--tenant", "acme", "--owner", "user:https://issuer.test|alice", "--name", "github", "--purpose",
                "orders", "--kind", "oauth2", "--grant", "refresh_token", "--token-endpoint",
                "https://as.example/token", "--client-id", "orders-mcp", "--scope", "repo", "--secret-file",
                secretFile.toString())).isZero();
        StringBuilder printed = new StringBuilder(out + err);

        assertThat(run("", "list")).isZero();
        printed.append(out).append(err);
        assertThat(out).contains("crm-api", "github", "user:https://issuer.test|alice", "service:orders", "static", "oauth2", "ACTIVE");

        assertThat(run("", "rotate-key")).isZero();
        printed.append(out).append(err);
        assertThat(run("", "reencrypt")).isZero();
        printed.append(out).append(err);
        assertThat(out).startsWith("re-encrypted 2 record(s)");

        TinkCredentialStore store = new TinkCredentialStore(new FileCredentialRepository(dir.resolve("credentials.json")),
                CredentialKeyset.load(dir.resolve("keyset.json"), KeysetProtection.localKeyFromFile(kek)), Clock.systemUTC());
        var crm = store.read(CredentialKey.ofService("*", "orders", "crm-api", "orders")).orElseThrow();
        assertThat(((CredentialMaterial.StaticSecret) crm.material()).value().revealUtf8()).isEqualTo(CRM_KEY);
        assertThat(crm.keyVersion()).isEqualTo(store.keyset().primaryKeyVersion());
        var github = (CredentialMaterial.OAuthGrant) store.read(CredentialKey.ofUser("acme", "https://issuer.test", "alice", "github", "orders"))
                .orElseThrow().material();
        assertThat(github.refreshToken().orElseThrow().revealUtf8()).isEqualTo(REFRESH);
        assertThat(github.clientSecret().orElseThrow().revealUtf8()).isEqualTo(CLIENT_SECRET);

        String files = Files.readString(dir.resolve("credentials.json")) + Files.readString(dir.resolve("keyset.json"));
        for (String secret : List.of(CRM_KEY, REFRESH, CLIENT_SECRET)) {
            assertThat(printed.toString()).doesNotContain(secret);
            assertThat(files).doesNotContain(secret);
        }
    }

    @Test
    void refusesSecretsOnTheCommandLine() {
        assertThat(run("", "init")).isZero();

        assertThat(run("", "add", "--tenant", "acme", "--owner", "service:orders", "--name", "crm-api", "--purpose",
                "orders", "--kind", "static", "--secret", CRM_KEY)).isEqualTo(2);
        assertThat(err).contains("never from the command line").doesNotContain(CRM_KEY);
        assertThat(run("", "list")).isZero();
        assertThat(out).doesNotContain("crm-api");
    }

    @Test
    void aUserOwnerWithoutItsIssuerIsAUsageErrorButAnOlderRecordOfThatShapeCanBeDeleted() throws Exception {
        assertThat(run("", "init")).isZero();

        assertThat(run(CRM_KEY + "\n", "add", "--tenant", "acme", "--owner", "user:alice", "--name", "crm-api",
                "--purpose", "orders", "--kind", "static")).isEqualTo(2);
        assertThat(err).contains("user:<issuer>|<subject>");

        TinkCredentialStore store = new TinkCredentialStore(new FileCredentialRepository(dir.resolve("credentials.json")),
                CredentialKeyset.load(dir.resolve("keyset.json"), KeysetProtection.localKeyFromFile(kek)), Clock.systemUTC());
        CredentialKey legacy = new CredentialKey("default",
                new CredentialKey.Owner(CredentialKey.Owner.Kind.USER, "alice"), "crm-api", "orders");
        store.put(legacy, new CredentialMaterial.StaticSecret(dev.mcpguard.api.Secret.ofUtf8(CRM_KEY)));

        assertThat(run("", "delete", "--tenant", "default", "--owner", "user:alice", "--name", "crm-api",
                "--purpose", "orders")).isZero();
        assertThat(out).startsWith("deleted");
        assertThat(store.read(legacy)).isEmpty();
    }

    @Test
    void aWrongKeyEncryptionKeyFailsClearly() throws Exception {
        assertThat(run("", "init")).isZero();
        Files.writeString(kek, Base64.getEncoder().encodeToString(new byte[32]));

        assertThat(run("", "list")).isEqualTo(1);
        assertThat(err).contains("cannot be decrypted with the configured key-encryption key");
    }

    @Test
    void anEmptySecretIsAUsageError() {
        assertThat(run("", "init")).isZero();

        assertThat(run("  \n", "add", "--tenant", "acme", "--owner", "service:orders", "--name", "crm-api",
                "--purpose", "orders", "--kind", "static")).isEqualTo(2);
        assertThat(err).contains("is empty");
    }
}
