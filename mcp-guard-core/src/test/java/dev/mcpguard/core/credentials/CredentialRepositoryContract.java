package dev.mcpguard.core.credentials;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.Secret;
import dev.mcpguard.core.credentials.CredentialMaterial.StaticSecret;
import java.time.Clock;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

/** What every {@link CredentialRepository} backend must do the same way; each backend's test extends this. */
abstract class CredentialRepositoryContract {

    static final CredentialKey KEY = CredentialKey.ofUser("acme", "https://issuer.test", "alice", "github", "orders");
    static final Instant T0 = Instant.parse("2026-05-01T10:00:00Z");

    abstract CredentialRepository repository();

    static CredentialRecord record(CredentialKey key, long revision, byte[] ciphertext) {
        return new CredentialRecord("cred-" + key.owner().id(), key, "static", 7, ciphertext,
                CredentialRecord.Status.ACTIVE, T0.plusSeconds(revision), revision);
    }

    @Test
    void findsWhatItStoredVerbatim() {
        CredentialRecord record = record(KEY, 1, new byte[] {1, 2, 3, 0, (byte) 0xff});

        assertThat(repository().compareAndSet(record)).isTrue();

        assertThat(repository().find(KEY)).contains(record);
        assertThat(repository().find(CredentialKey.ofUser("acme", "https://issuer.test", "bob", "github", "orders"))).isEmpty();
        assertThat(repository().findAll()).containsExactly(record);
    }

    @Test
    void refusesAnInsertWhenTheIdentityExistsAndAnUpdateFromAStaleRevision() {
        assertThat(repository().compareAndSet(record(KEY, 1, new byte[] {1}))).isTrue();

        assertThat(repository().compareAndSet(record(KEY, 1, new byte[] {2}))).isFalse();
        assertThat(repository().compareAndSet(record(KEY, 3, new byte[] {3}))).isFalse();
        assertThat(repository().compareAndSet(record(KEY, 2, new byte[] {4}))).isTrue();

        assertThat(repository().find(KEY).orElseThrow().ciphertext()).containsExactly(4);
        assertThat(repository().find(KEY).orElseThrow().revision()).isEqualTo(2);
    }

    @Test
    void deletesByIdentity() {
        repository().compareAndSet(record(KEY, 1, new byte[] {1}));

        assertThat(repository().delete(KEY)).isTrue();
        assertThat(repository().delete(KEY)).isFalse();
        assertThat(repository().find(KEY)).isEmpty();
    }

    @Test
    void concurrentWritersNeverLoseAnUpdate() throws Exception {
        repository().compareAndSet(record(KEY, 1, new byte[] {0}));
        int writers = 8;
        int incrementsEach = 10;
        ExecutorService pool = Executors.newFixedThreadPool(writers);
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger conflicts = new AtomicInteger();
        try {
            List<Future<?>> done = new ArrayList<>();
            for (int w = 0; w < writers; w++) {
                done.add(pool.submit(() -> {
                    start.await();
                    for (int i = 0; i < incrementsEach; ) {
                        CredentialRecord current = repository().find(KEY).orElseThrow();
                        if (repository().compareAndSet(record(KEY, current.revision() + 1, new byte[] {1}))) {
                            i++;
                        } else {
                            conflicts.incrementAndGet();
                        }
                    }
                    return null;
                }));
            }
            start.countDown();
            for (Future<?> f : done) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(repository().find(KEY).orElseThrow().revision()).isEqualTo(1 + writers * incrementsEach);
    }

    @Test
    void backsATinkStoreWithTheSameBehaviour() {
        TinkCredentialStore store = new TinkCredentialStore(repository(), CredentialKeyset.inMemory(), Clock.systemUTC());
        store.put(KEY, new StaticSecret(Secret.ofUtf8("gh-token-contract")));
        StoredCredential read = store.read(KEY).orElseThrow();

        assertThat(((StaticSecret) read.material()).value().revealUtf8()).isEqualTo("gh-token-contract");
        assertThat(store.markNeedsReauthorization(read)).isPresent();
        assertThat(store.read(KEY).orElseThrow().status()).isEqualTo(CredentialRecord.Status.NEEDS_REAUTHORIZATION);
        assertThat(store.markNeedsReauthorization(read)).as("stale revision").isEmpty();
        assertThat(store.list()).singleElement().satisfies(s -> assertThat(s.key()).isEqualTo(KEY));
    }
}
