package dev.mcpguard.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.spi.SessionRegistry.SessionCheck;
import dev.mcpguard.core.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class InMemorySessionRegistryTest {

    final CallerIdentity alice = CallerIdentity.builder("https://issuer", "alice").clientId("app").build();
    final CallerIdentity aliceViaAgent = CallerIdentity.builder("https://issuer", "alice").clientId("app")
            .actor(new CallerIdentity.Actor("agent-7", java.util.Optional.empty())).build();
    final CallerIdentity bob = CallerIdentity.builder("https://issuer", "bob").clientId("app").build();
    final InMemorySessionRegistry registry = InMemorySessionRegistry.ofDefaults();

    @Test
    void acceptsTheSessionOwner() {
        registry.bind("s-1", alice);

        assertThat(registry.check("s-1", alice)).isInstanceOf(SessionCheck.Valid.class);
    }

    @Test
    void refusesAnotherPrincipalNamingTheOwnerForTheLog() {
        registry.bind("s-1", alice);

        assertThat(registry.check("s-1", bob)).isEqualTo(new SessionCheck.PrincipalMismatch("alice"));
    }

    @Test
    void treatsTheSameSubjectThroughAnAgentAsAnotherPrincipal() {
        registry.bind("s-1", alice);

        assertThat(registry.check("s-1", aliceViaAgent)).isInstanceOf(SessionCheck.PrincipalMismatch.class);
    }

    @Test
    void answersUnknownForIdsNeverBoundOrMalformed() {
        assertThat(registry.check("never", alice)).isInstanceOf(SessionCheck.Unknown.class);
        assertThat(registry.check("", alice)).isInstanceOf(SessionCheck.Unknown.class);
        assertThat(registry.check("with space", alice)).isInstanceOf(SessionCheck.Unknown.class);
    }

    @Test
    void refusesToRebindASessionToAnotherPrincipal() {
        registry.bind("s-1", alice);

        assertThatThrownBy(() -> registry.bind("s-1", bob)).isInstanceOf(IllegalStateException.class);
        assertThat(registry.check("s-1", alice)).isInstanceOf(SessionCheck.Valid.class);
    }

    @Test
    void allowsBindingTheSameSessionToTheSamePrincipalAgain() {
        registry.bind("s-1", alice);
        registry.bind("s-1", alice);

        assertThat(registry.check("s-1", alice)).isInstanceOf(SessionCheck.Valid.class);
    }

    @Test
    void forgetsAnEndedSession() {
        registry.bind("s-1", alice);
        registry.end("s-1");
        registry.end("never-bound");

        assertThat(registry.check("s-1", alice)).isInstanceOf(SessionCheck.Unknown.class);
    }

    @Test
    void staysWithinItsMaximumSize() {
        InMemorySessionRegistry small = InMemorySessionRegistry.builder().maximumSize(10).build();
        for (int i = 0; i < 1_000; i++) {
            small.bind("s-" + i, alice);
        }

        assertThat(small.size()).isLessThanOrEqualTo(10);
    }

    @Test
    void forgetsASessionIdleLongerThanTheTimeout() {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        InMemorySessionRegistry expiring = InMemorySessionRegistry.builder()
                .idleTimeout(Duration.ofMinutes(30)).clock(clock).build();
        expiring.bind("s-1", alice);

        clock.advance(Duration.ofMinutes(20));
        assertThat(expiring.check("s-1", alice)).isInstanceOf(SessionCheck.Valid.class);
        clock.advance(Duration.ofMinutes(20));
        assertThat(expiring.check("s-1", alice)).isInstanceOf(SessionCheck.Valid.class);
        clock.advance(Duration.ofMinutes(31));
        assertThat(expiring.check("s-1", alice)).isInstanceOf(SessionCheck.Unknown.class);
    }

    @Test
    void rejectsBadConfigurationShowingTheValue() {
        assertThatThrownBy(() -> InMemorySessionRegistry.builder().maximumSize(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 0");
        assertThatThrownBy(() -> InMemorySessionRegistry.builder().idleTimeout(Duration.ofMillis(5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT0.005S");
    }

    @Test
    void keepsExactlyOneOwnerPerSessionUnderConcurrentBindsAndChecks() throws Exception {
        int threads = 16;
        int sessions = 2_000;
        List<CallerIdentity> principals = new ArrayList<>();
        for (int t = 0; t < threads; t++) {
            principals.add(CallerIdentity.builder("https://issuer", "user-" + t).build());
        }
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        CountDownLatch start = new CountDownLatch(1);
        AtomicInteger wonBinds = new AtomicInteger();
        AtomicInteger inconsistent = new AtomicInteger();
        try {
            List<Future<?>> futures = new ArrayList<>();
            for (int t = 0; t < threads; t++) {
                CallerIdentity me = principals.get(t);
                int self = t;
                Callable<Void> task = () -> {
                    start.await();
                    for (int i = 0; i < sessions; i++) {
                        // Every thread races for the shared ids and owns its private ones.
                        String shared = "shared-" + i;
                        String own = "own-" + self + "-" + i;
                        registry.bind(own, me);
                        try {
                            registry.bind(shared, me);
                            wonBinds.incrementAndGet();
                        } catch (IllegalStateException lost) {
                            if (!(registry.check(shared, me) instanceof SessionCheck.PrincipalMismatch)) {
                                inconsistent.incrementAndGet();
                            }
                        }
                        if (registry.check(shared, me) instanceof SessionCheck.Unknown) {
                            inconsistent.incrementAndGet();
                        }
                        if (!(registry.check(own, me) instanceof SessionCheck.Valid)) {
                            inconsistent.incrementAndGet();
                        }
                    }
                    return null;
                };
                futures.add(pool.submit(task));
            }
            start.countDown();
            for (Future<?> future : futures) {
                future.get(60, TimeUnit.SECONDS);
            }
        } finally {
            pool.shutdownNow();
        }

        assertThat(inconsistent).hasValue(0);
        assertThat(wonBinds).hasValue(sessions);
        for (int i = 0; i < sessions; i++) {
            String shared = "shared-" + i;
            long owners = principals.stream().filter(p -> registry.check(shared, p) instanceof SessionCheck.Valid)
                    .count();
            assertThat(owners).isEqualTo(1);
        }
    }
}
