package dev.mcpguard.core.credentials;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.core.testing.Eventually;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
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
        Files.setLastModifiedTime(leftover, FileTime.from(Instant.now().minus(Duration.ofMinutes(2))));

        FileCredentialRepository reopened = new FileCredentialRepository(repository.file());
        assertThat(reopened.find(KEY).orElseThrow().ciphertext()).containsExactly(1);

        assertThat(reopened.compareAndSet(record(KEY, 2, new byte[] {2}))).isTrue();
        assertThat(leftover).doesNotExist();
        assertThat(new FileCredentialRepository(repository.file()).find(KEY).orElseThrow().ciphertext())
                .containsExactly(2);
    }

    @Test
    void aTempFileAnotherWriterIsStillWritingIsLeftAlone() throws IOException {
        Path inProgress = dir.resolve(".credentials.json.7a2c" + AtomicFileWrite.TEMP_SUFFIX);
        Files.writeString(inProgress, "{\"format\":\"mcp-guard-credentials/v1\",\"rec");

        assertThat(repository.compareAndSet(record(KEY, 1, new byte[] {1}))).isTrue();

        assertThat(inProgress).exists();
    }

    @Test
    void twoInstancesOnOneFileNeverLoseAnUpdateUnderInterleavedCompareAndSet() throws Exception {
        // Two instances stand for two processes (the server and the operator CLI): no shared cache, no shared lock
        // object; only the file and its lock file.
        FileCredentialRepository server = new FileCredentialRepository(repository.file());
        FileCredentialRepository cli = new FileCredentialRepository(repository.file());
        int incrementsEach = 25;
        ExecutorService pool = Executors.newFixedThreadPool(2);
        CountDownLatch start = new CountDownLatch(1);
        try {
            List<Future<Integer>> done = new ArrayList<>();
            for (FileCredentialRepository writer : List.of(server, cli)) {
                done.add(pool.submit(() -> {
                    start.await();
                    int succeeded = 0;
                    while (succeeded < incrementsEach) {
                        long current = writer.find(KEY).map(CredentialRecord::revision).orElse(0L);
                        if (writer.compareAndSet(record(KEY, current + 1, new byte[] {(byte) current}))) {
                            succeeded++;
                        }
                    }
                    return succeeded;
                }));
            }
            start.countDown();
            for (Future<Integer> f : done) {
                assertThat(f.get()).isEqualTo(incrementsEach);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(new FileCredentialRepository(repository.file()).find(KEY).orElseThrow().revision())
                .as("every successful compare-and-set is in the file").isEqualTo(2L * incrementsEach);
    }

    @Test
    void aDeleteByOneInstanceIsSeenByTheOthersNextCompareAndSetEvenWhenSizeAndMtimeAreUnchanged() throws IOException {
        FileCredentialRepository server = new FileCredentialRepository(repository.file());
        FileCredentialRepository cli = new FileCredentialRepository(repository.file());
        CredentialKey sameLength = CredentialKey.ofUser("acme", "https://issuer.test", "alicf", "github", "orders");
        assertThat(server.compareAndSet(record(KEY, 1, new byte[] {1}))).isTrue();
        assertThat(server.find(KEY)).isPresent();
        FileTime modified = Files.getLastModifiedTime(repository.file());
        long size = Files.size(repository.file());

        // The CLI deletes the credential and stores another of the same encoded size in the same mtime tick.
        assertThat(cli.delete(KEY)).isTrue();
        assertThat(cli.compareAndSet(record(sameLength, 1, new byte[] {1}))).isTrue();
        Files.setLastModifiedTime(repository.file(), modified);
        assertThat(Files.size(repository.file())).isEqualTo(size);

        assertThat(server.compareAndSet(record(KEY, 2, new byte[] {2})))
                .as("the server must not write back its stale view of a deleted credential").isFalse();
        assertThat(new FileCredentialRepository(repository.file()).findAll()).extracting(CredentialRecord::key)
                .containsExactly(sameLength);
    }

    @Test
    void aWriterPausedBeforeItsRenameDoesNotResurrectACredentialAnotherInstanceDeletes() throws Exception {
        CredentialKey other = CredentialKey.ofService("acme", "orders", "crm-api", "orders");
        assertThat(repository.compareAndSet(record(KEY, 1, new byte[] {1}))).isTrue();
        CountDownLatch paused = new CountDownLatch(1);
        CountDownLatch resume = new CountDownLatch(1);
        FileCredentialRepository server = new FileCredentialRepository(repository.file(), temp -> {
            paused.countDown();
            try {
                resume.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        });
        FileCredentialRepository cli = new FileCredentialRepository(repository.file());
        ExecutorService pool = Executors.newFixedThreadPool(2);
        try {
            Future<Boolean> serverWrite = pool.submit(() -> server.compareAndSet(record(other, 1, new byte[] {7})));
            assertThat(paused.await(10, TimeUnit.SECONDS)).isTrue();
            AtomicReference<Thread> deleter = new AtomicReference<>();
            Future<Boolean> cliDelete = pool.submit(() -> {
                deleter.set(Thread.currentThread());
                return cli.delete(KEY);
            });
            // Wait until the CLI's delete has either finished or is blocked behind the server's write.
            Eventually.atMost(Duration.ofSeconds(10), () -> cliDelete.isDone()
                    || (deleter.get() != null && deleter.get().getState() != Thread.State.RUNNABLE));
            resume.countDown();

            assertThat(serverWrite.get(10, TimeUnit.SECONDS)).isTrue();
            assertThat(cliDelete.get(10, TimeUnit.SECONDS)).isTrue();
        } finally {
            resume.countDown();
            pool.shutdownNow();
        }

        assertThat(new FileCredentialRepository(repository.file()).findAll()).extracting(CredentialRecord::key)
                .as("the delete stays, the server's write stays").containsExactly(other);
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
