package dev.mcpguard.core.credentials;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class FileCredentialRepositoryTest extends CredentialRepositoryContract {

    @TempDir
    Path dir;

    private FileCredentialRepository repository;

    @BeforeEach
    void setUp() {
        repository = new FileCredentialRepository(dir.resolve("credentials.json"));
    }

    @Override
    CredentialRepository repository() {
        return repository;
    }

    @Test
    void aCorruptFileFailsEveryReadInsteadOfLookingEmpty() throws IOException {
        Files.writeString(repository.file(), "{\"format\":\"mcp-guard-credentials/v1\",\"records\":[{\"id\":");

        assertThatThrownBy(() -> repository.find(KEY)).isInstanceOf(CredentialStoreException.class)
                .hasMessageContaining("is corrupt");
        assertThatThrownBy(() -> repository.compareAndSet(record(KEY, 1, new byte[] {1})))
                .isInstanceOf(CredentialStoreException.class);
    }

    @Test
    void aTruncatedFileIsReportedAsCorrupt() throws IOException {
        repository.compareAndSet(record(KEY, 1, new byte[] {1, 2, 3}));
        byte[] full = Files.readAllBytes(repository.file());
        Files.write(repository.file(), Arrays.copyOf(full, full.length / 2));

        assertThatThrownBy(() -> new FileCredentialRepository(repository.file()).findAll())
                .isInstanceOf(CredentialStoreException.class).hasMessageContaining("is corrupt");
    }

    @Test
    void aFileOfAnotherFormatIsRefused() throws IOException {
        Files.writeString(repository.file(), "{\"records\":[]}");

        assertThatThrownBy(() -> repository.findAll()).isInstanceOf(CredentialStoreException.class)
                .hasMessageContaining("not a mcp-guard-credentials/v1 file");
    }

    @Test
    void aCrashBeforeTheRenameLeavesTheOldRecordIntact() {
        repository.compareAndSet(record(KEY, 1, new byte[] {1}));
        FileCredentialRepository crashing = new FileCredentialRepository(repository.file(), temp -> {
            throw new IOException("simulated crash after writing " + temp.getFileName());
        });

        assertThatThrownBy(() -> crashing.compareAndSet(record(KEY, 2, new byte[] {2})))
                .isInstanceOf(CredentialStoreException.class).hasMessageContaining("it is unchanged");

        FileCredentialRepository reopened = new FileCredentialRepository(repository.file());
        assertThat(reopened.find(KEY).orElseThrow().ciphertext()).containsExactly(1);
        assertThat(reopened.find(KEY).orElseThrow().revision()).isEqualTo(1);
    }

    @Test
    void aHalfWrittenTempFileLeftByAKilledProcessIsIgnoredAndCleanedUp() throws IOException {
        repository.compareAndSet(record(KEY, 1, new byte[] {1}));
        Path leftover = dir.resolve(".credentials.json.5e1f" + AtomicFileWrite.TEMP_SUFFIX);
        Files.writeString(leftover, "{\"format\":\"mcp-guard-credentials/v1\",\"rec");

        FileCredentialRepository reopened = new FileCredentialRepository(repository.file());
        assertThat(reopened.find(KEY).orElseThrow().ciphertext()).containsExactly(1);

        assertThat(reopened.compareAndSet(record(KEY, 2, new byte[] {2}))).isTrue();
        assertThat(leftover).doesNotExist();
        assertThat(new FileCredentialRepository(repository.file()).find(KEY).orElseThrow().ciphertext())
                .containsExactly(2);
    }

    @Test
    void picksUpAChangeWrittenByAnotherInstanceSuchAsTheOperatorCli() {
        repository.compareAndSet(record(KEY, 1, new byte[] {1}));
        assertThat(repository.find(KEY)).isPresent();

        new FileCredentialRepository(repository.file()).compareAndSet(record(KEY, 2, new byte[] {9, 9}));

        assertThat(repository.find(KEY).orElseThrow().ciphertext()).containsExactly(9, 9);
    }

    @Test
    void theStoreFileIsReadableByItsOwnerOnly() throws IOException {
        repository.compareAndSet(record(KEY, 1, new byte[] {1}));

        assertThat(java.nio.file.attribute.PosixFilePermissions.toString(
                Files.getPosixFilePermissions(repository.file()))).isEqualTo("rw-------");
    }
}
