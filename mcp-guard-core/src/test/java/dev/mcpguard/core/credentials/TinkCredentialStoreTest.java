package dev.mcpguard.core.credentials;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.api.Secret;
import dev.mcpguard.core.credentials.CredentialMaterial.GrantType;
import dev.mcpguard.core.credentials.CredentialMaterial.OAuthGrant;
import dev.mcpguard.core.credentials.CredentialMaterial.StaticSecret;
import dev.mcpguard.core.testing.MutableClock;
import java.net.URI;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Instant;
import java.util.Base64;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class TinkCredentialStoreTest {

    private static final String CRM_KEY = "crm-live-9f8e7d6c5b4a";
    private static final String GITHUB_KEY = "ghp_R2D2C3POx0x0x0x0";
    private static final CredentialKey CRM = CredentialKey.ofService("acme", "orders", "crm-api", "orders");
    private static final CredentialKey GITHUB = CredentialKey.ofService("acme", "orders", "github", "orders");

    @TempDir
    Path dir;

    private final MutableClock clock = MutableClock.startingAt("2026-05-01T10:00:00Z");

    private TinkCredentialStore store(CredentialRepository repository, CredentialKeyset keyset) {
        return new TinkCredentialStore(repository, keyset, clock);
    }

    private static String valueOf(StoredCredential credential) {
        return ((StaticSecret) credential.material()).value().revealUtf8();
    }

    @Test
    void storesAndReadsBackAStaticSecretWithoutPlaintextOnDisk() throws Exception {
        FileCredentialRepository repository = new FileCredentialRepository(dir.resolve("credentials.json"));
        TinkCredentialStore store = store(repository, CredentialKeyset.inMemory());

        StoredCredential written = store.put(CRM, new StaticSecret(Secret.ofUtf8(CRM_KEY)));
        StoredCredential read = store.read(CRM).orElseThrow();

        assertThat(valueOf(read)).isEqualTo(CRM_KEY);
        assertThat(read.id()).isEqualTo(written.id()).startsWith("cred-");
        assertThat(read.keyVersion()).isEqualTo(store.keyset().primaryKeyVersion());
        assertThat(Files.readString(repository.file())).doesNotContain(CRM_KEY).contains("crm-api");
        assertThat(read.toString()).doesNotContain(CRM_KEY);
    }

    @Test
    void roundTripsAnOAuthGrantWithEveryField() {
        TinkCredentialStore store = store(new FileCredentialRepository(dir.resolve("c.json")), CredentialKeyset.inMemory());
        OAuthGrant grant = new OAuthGrant(GrantType.REFRESH_TOKEN, URI.create("https://as.example/token"), "client-1",
                Optional.of(Secret.ofUtf8("client-secret-1")), Optional.of(Secret.ofUtf8("access-1")),
                Optional.of(Secret.ofUtf8("refresh-1")), Optional.of(Instant.parse("2026-05-01T11:00:00Z")),
                Set.of("repo", "read:org"), Optional.of("https://api.example"));
        CredentialKey key = CredentialKey.ofUser("acme", "https://issuer.test", "alice", "github", "orders");

        store.put(key, grant);
        OAuthGrant read = (OAuthGrant) store.read(key).orElseThrow().material();

        assertThat(read.accessToken().orElseThrow().revealUtf8()).isEqualTo("access-1");
        assertThat(read.refreshToken().orElseThrow().revealUtf8()).isEqualTo("refresh-1");
        assertThat(read.clientSecret().orElseThrow().revealUtf8()).isEqualTo("client-secret-1");
        assertThat(read.expiresAt()).isEqualTo(grant.expiresAt());
        assertThat(read.scopes()).containsExactlyInAnyOrder("repo", "read:org");
        assertThat(read.tokenEndpoint()).isEqualTo(grant.tokenEndpoint());
        assertThat(read.audience()).contains("https://api.example");
        assertThat(read.toString()).doesNotContain("access-1", "refresh-1", "client-secret-1");
    }

    @Test
    void aCiphertextCopiedToAnotherIdentityDoesNotDecrypt() {
        FileCredentialRepository repository = new FileCredentialRepository(dir.resolve("c.json"));
        TinkCredentialStore store = store(repository, CredentialKeyset.inMemory());
        store.put(CRM, new StaticSecret(Secret.ofUtf8(CRM_KEY)));
        CredentialRecord original = repository.find(CRM).orElseThrow();
        CredentialKey otherTenant = CredentialKey.ofService("globex", "orders", "crm-api", "orders");

        repository.compareAndSet(new CredentialRecord("cred-copy", otherTenant, original.kind(),
                original.keyVersion(), original.ciphertext(), original.status(), original.updatedAt(), 1));

        assertThatThrownBy(() -> store.read(otherTenant))
                .isInstanceOf(CredentialStoreException.class)
                .hasMessageContaining("cred-copy").hasMessageContaining("does not decrypt")
                .hasMessageNotContaining(CRM_KEY);
    }

    @Test
    void swappedCiphertextsOfTwoRecordsDecryptNeither() {
        FileCredentialRepository repository = new FileCredentialRepository(dir.resolve("c.json"));
        TinkCredentialStore store = store(repository, CredentialKeyset.inMemory());
        store.put(CRM, new StaticSecret(Secret.ofUtf8(CRM_KEY)));
        store.put(GITHUB, new StaticSecret(Secret.ofUtf8(GITHUB_KEY)));
        CredentialRecord crm = repository.find(CRM).orElseThrow();
        CredentialRecord github = repository.find(GITHUB).orElseThrow();

        repository.compareAndSet(withCiphertext(crm, github.ciphertext()));
        repository.compareAndSet(withCiphertext(github, crm.ciphertext()));

        assertThatThrownBy(() -> store.read(CRM)).isInstanceOf(CredentialStoreException.class);
        assertThatThrownBy(() -> store.read(GITHUB)).isInstanceOf(CredentialStoreException.class);
    }

    @Test
    void aTamperedCiphertextIsRejected() {
        FileCredentialRepository repository = new FileCredentialRepository(dir.resolve("c.json"));
        TinkCredentialStore store = store(repository, CredentialKeyset.inMemory());
        store.put(CRM, new StaticSecret(Secret.ofUtf8(CRM_KEY)));
        CredentialRecord record = repository.find(CRM).orElseThrow();
        byte[] tampered = record.ciphertext();
        tampered[tampered.length - 1] ^= 0x01;

        repository.compareAndSet(withCiphertext(record, tampered));

        assertThatThrownBy(() -> store.read(CRM)).isInstanceOf(CredentialStoreException.class)
                .hasMessageContaining("does not decrypt");
    }

    @Test
    void afterRotationOldRecordsStillDecryptAndNewOnesUseTheNewKey() {
        TinkCredentialStore store = store(new FileCredentialRepository(dir.resolve("c.json")), CredentialKeyset.inMemory());
        long first = store.keyset().primaryKeyVersion();
        store.put(CRM, new StaticSecret(Secret.ofUtf8(CRM_KEY)));

        long second = store.keyset().rotate();
        store.put(GITHUB, new StaticSecret(Secret.ofUtf8(GITHUB_KEY)));

        assertThat(second).isNotEqualTo(first);
        assertThat(store.keyset().keyVersions()).containsExactlyInAnyOrder(first, second);
        assertThat(store.read(CRM).orElseThrow().keyVersion()).isEqualTo(first);
        assertThat(valueOf(store.read(CRM).orElseThrow())).isEqualTo(CRM_KEY);
        assertThat(store.read(GITHUB).orElseThrow().keyVersion()).isEqualTo(second);
    }

    @Test
    void reencryptMovesEveryRecordToThePrimaryKeyAndKeepsItsIdAndValue() {
        TinkCredentialStore store = store(new FileCredentialRepository(dir.resolve("c.json")), CredentialKeyset.inMemory());
        String id = store.put(CRM, new StaticSecret(Secret.ofUtf8(CRM_KEY))).id();
        store.put(GITHUB, new StaticSecret(Secret.ofUtf8(GITHUB_KEY)));
        long rotated = store.keyset().rotate();

        assertThat(store.reencryptAll()).isEqualTo(2);
        assertThat(store.reencryptAll()).isZero();

        StoredCredential crm = store.read(CRM).orElseThrow();
        assertThat(crm.keyVersion()).isEqualTo(rotated);
        assertThat(crm.id()).isEqualTo(id);
        assertThat(valueOf(crm)).isEqualTo(CRM_KEY);
        assertThat(store.list()).extracting(CredentialSummary::keyVersion).containsOnly(rotated);
    }

    @Test
    void aKeysetUnderALocalKeyEncryptionKeyReloadsOnlyWithThatKey() throws Exception {
        Path kekFile = dir.resolve("kek");
        Files.writeString(kekFile, Base64.getEncoder().encodeToString(new byte[32]).replace('A', 'B'));
        Path keysetFile = dir.resolve("keyset.json");
        CredentialKeyset created = CredentialKeyset.create(keysetFile, KeysetProtection.localKeyFromFile(kekFile));
        TinkCredentialStore store = store(new FileCredentialRepository(dir.resolve("c.json")), created);
        store.put(CRM, new StaticSecret(Secret.ofUtf8(CRM_KEY)));
        created.rotate();

        CredentialKeyset reloaded = CredentialKeyset.load(keysetFile, KeysetProtection.localKeyFromFile(kekFile));
        assertThat(reloaded.keyVersions()).isEqualTo(created.keyVersions());
        assertThat(valueOf(store(new FileCredentialRepository(dir.resolve("c.json")), reloaded).read(CRM).orElseThrow()))
                .isEqualTo(CRM_KEY);
        assertThat(Files.readString(keysetFile)).contains("\"local-kek\"").doesNotContain("AES256");

        Path otherKek = dir.resolve("other-kek");
        Files.writeString(otherKek, Base64.getEncoder().encodeToString(new byte[32]));
        assertThatThrownBy(() -> CredentialKeyset.load(keysetFile, KeysetProtection.localKeyFromFile(otherKek)))
                .isInstanceOf(CredentialStoreException.class).hasMessageContaining("cannot be decrypted");
        assertThatThrownBy(() -> CredentialKeyset.load(keysetFile, KeysetProtection.insecureCleartextForDevelopment()))
                .isInstanceOf(CredentialStoreException.class).hasMessageContaining("protected by 'local-kek'");
    }

    @Test
    void aCleartextKeysetIsNeverAcceptedWhereAnEncryptedOneIsExpected() throws Exception {
        Path keysetFile = dir.resolve("dev-keyset.json");
        CredentialKeyset.create(keysetFile, KeysetProtection.insecureCleartextForDevelopment());
        Path kekFile = dir.resolve("kek");
        Files.writeString(kekFile, Base64.getEncoder().encodeToString(new byte[32]));

        assertThatThrownBy(() -> CredentialKeyset.load(keysetFile, KeysetProtection.localKeyFromFile(kekFile)))
                .isInstanceOf(CredentialStoreException.class).hasMessageContaining("insecure-cleartext");
    }

    @Test
    void aKeyEncryptionKeyOfTheWrongLengthIsRefusedWithoutShowingIt() throws Exception {
        Path kekFile = dir.resolve("kek");
        Files.writeString(kekFile, Base64.getEncoder().encodeToString("short-key".getBytes()));

        assertThatThrownBy(() -> KeysetProtection.localKeyFromFile(kekFile))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("32 bytes, got 9")
                .hasMessageNotContaining("short-key");
    }

    @Test
    void associatedDataIsUnambiguousAcrossFieldBoundaries() {
        CredentialKey a = CredentialKey.ofService("ab", "c", "crm", "p");
        CredentialKey b = CredentialKey.ofService("a", "bc", "crm", "p");

        assertThat(a.associatedData()).isNotEqualTo(b.associatedData());
        assertThat(CredentialKey.ofUser("t", "https://issuer.test", "x", "crm", "p").associatedData())
                .isNotEqualTo(CredentialKey.ofService("t", "x", "crm", "p").associatedData());
    }

    private static CredentialRecord withCiphertext(CredentialRecord r, byte[] ciphertext) {
        return new CredentialRecord(r.id(), r.key(), r.kind(), r.keyVersion(), ciphertext, r.status(), r.updatedAt(),
                r.revision() + 1);
    }
}
