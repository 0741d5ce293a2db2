package dev.mcpguard.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.spi.SessionRegistry.SessionCheck;
import dev.mcpguard.core.testing.Eventually;
import dev.mcpguard.core.testing.MutableClock;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.Set;
import java.util.stream.Collectors;
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
    void refusesNewSessionsAtItsMaximumSizeInsteadOfEvictingAnyone() {
        InMemorySessionRegistry small = InMemorySessionRegistry.builder().maximumSize(10).build();
        List<String> ended = new ArrayList<>();
        small.addEndListener((id, reason) -> ended.add(id + ":" + reason));
        for (int i = 0; i < 10; i++) {
            small.bind("bob-" + i, CallerIdentity.builder("https://issuer", "bob-" + i).build());
        }

        assertThat(small.admitsNewSession(alice)).isFalse();
        assertThatThrownBy(() -> small.bind("alice-1", alice)).isInstanceOf(IllegalStateException.class)
                .hasMessage("too many live sessions on this server");
        assertThat(small.size()).isEqualTo(10);
        assertThat(ended).containsExactly("alice-1:REFUSED");
        for (int i = 0; i < 10; i++) {
            assertThat(small.check("bob-" + i, CallerIdentity.builder("https://issuer", "bob-" + i).build()))
                    .isInstanceOf(SessionCheck.Valid.class);
        }
        small.end("bob-0");
        assertThat(small.admitsNewSession(alice)).isTrue();
        small.bind("alice-1", alice);
        assertThat(small.check("alice-1", alice)).isInstanceOf(SessionCheck.Valid.class);
    }

    @Test
    void capsEachPrincipalByEndingItsOwnLeastRecentlyUsedSessionOnly() {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        InMemorySessionRegistry capped = InMemorySessionRegistry.builder().clock(clock)
                .maximumSessionsPerPrincipal(3).build();
        List<String> ended = new ArrayList<>();
        capped.addEndListener((id, reason) -> ended.add(id + ":" + reason));
        capped.bind("bob-1", bob);
        for (int i = 1; i <= 3; i++) {
            capped.bind("alice-" + i, alice);
            clock.advance(Duration.ofSeconds(1));
        }
        capped.check("alice-1", alice); // alice-2 is now the least recently used

        assertThat(capped.admitsNewSession(alice)).isTrue();
        capped.bind("alice-4", alice);
        capped.bind("alice-5", alice);

        assertThat(capped.sessionCount(alice)).isEqualTo(3);
        assertThat(ended).containsExactly("alice-2:EVICTED", "alice-3:EVICTED");
        assertThat(capped.check("alice-1", alice)).isInstanceOf(SessionCheck.Valid.class);
        assertThat(capped.check("alice-5", alice)).isInstanceOf(SessionCheck.Valid.class);
        assertThat(capped.check("bob-1", bob)).isInstanceOf(SessionCheck.Valid.class);
        assertThat(capped.sessionCount(aliceViaAgent)).as("another principal key, another cap").isZero();
        capped.close();
    }

    @Test
    void tellsEndListenersWhyEachSessionEnded() {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        InMemorySessionRegistry lifecycle = InMemorySessionRegistry.builder().clock(clock)
                .idleTimeout(Duration.ofMinutes(30)).absoluteLifetime(Duration.ofHours(1)).build();
        List<String> ended = new ArrayList<>();
        assertThat(lifecycle.addEndListener((id, reason) -> ended.add(id + ":" + reason))).isTrue();
        lifecycle.addEndListener((id, reason) -> {
            throw new IllegalStateException("a broken listener does not stop the others");
        });
        lifecycle.bind("deleted", alice);
        lifecycle.bind("revoked", alice);
        lifecycle.bind("idle", bob);
        lifecycle.bind("old", alice);
        lifecycle.end("deleted");
        lifecycle.revokeSession("revoked");
        for (int i = 0; i < 3; i++) {
            clock.advance(Duration.ofMinutes(20));
            lifecycle.check("old", alice);
        }
        lifecycle.sweep();
        lifecycle.end("deleted");

        assertThat(ended).containsExactly("deleted:DELETED", "revoked:REVOKED", "idle:IDLE_TIMEOUT",
                "old:LIFETIME_REACHED");
        assertThat(lifecycle.size()).isZero();
        lifecycle.close();
    }

    @Test
    void sweepEndsSessionsRevokedOnAnotherReplicaWithoutWaitingForTheirNextRequest() {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        InMemoryRevocationList shared = new InMemoryRevocationList(clock);
        InMemorySessionRegistry here = InMemorySessionRegistry.builder().clock(clock).revocations(shared).build();
        InMemorySessionRegistry elsewhere = InMemorySessionRegistry.builder().clock(clock).revocations(shared)
                .build();
        CallerIdentity aliceWithToken = CallerIdentity.builder("https://issuer", "alice").tokenId("jti-1").build();
        List<String> ended = new ArrayList<>();
        here.addEndListener((id, reason) -> ended.add(id + ":" + reason));
        here.bind("by-session", bob);
        here.bind("by-token", aliceWithToken);
        here.bind("untouched", CallerIdentity.builder("https://issuer", "carol").build());

        elsewhere.revokeSession("by-session");
        elsewhere.revokeToken("jti-1");
        here.sweep();

        assertThat(ended).containsExactlyInAnyOrder("by-session:REVOKED", "by-token:REVOKED");
        assertThat(here.sessions()).extracting(SessionInfo::sessionId).containsExactly("untouched");
        here.close();
    }

    @Test
    void theSweeperThreadIsADaemonStartedByTheFirstListenerAndStoppedByClose() {
        Set<Thread> before = sweeperThreads();
        InMemorySessionRegistry swept = InMemorySessionRegistry.builder().sweepInterval(Duration.ofMillis(100))
                .build();
        // Only new threads count: other tests' sweepers may end meanwhile.
        Set<Thread> startedWithoutListener = sweeperThreads();
        startedWithoutListener.removeAll(before);
        assertThat(startedWithoutListener).as("no listener, no thread").isEmpty();

        swept.addEndListener((id, reason) -> { });
        Set<Thread> started = sweeperThreads();
        started.removeAll(before);
        assertThat(started).hasSize(1).allMatch(Thread::isDaemon);

        swept.close();
        Thread sweeper = started.iterator().next();
        Eventually.within(Duration.ofSeconds(10), "the sweeper thread ends", () -> !sweeper.isAlive());
    }

    private static Set<Thread> sweeperThreads() {
        return Thread.getAllStackTraces().keySet().stream()
                .filter(t -> t.getName().startsWith("mcp-guard-session-sweeper-"))
                .collect(Collectors.toCollection(HashSet::new));
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
        assertThatThrownBy(() -> InMemorySessionRegistry.builder().maximumSessionsPerPrincipal(0))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got 0");
        assertThatThrownBy(() -> InMemorySessionRegistry.builder().sweepInterval(Duration.ofMillis(10)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT0.01S");
    }

    @Test
    void keepsExactlyOneOwnerPerSessionUnderConcurrentBindsAndChecks() throws Exception {
        InMemorySessionRegistry registry = InMemorySessionRegistry.builder().maximumSessionsPerPrincipal(10_000)
                .build();
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

    @Test
    void comparesAPrincipalKeyPartByPartExactlyAsTheKeyString() {
        java.util.List<CallerIdentity> identities = java.util.List.of(alice, aliceViaAgent, bob,
                CallerIdentity.builder("https://issuer", "alice").build(),
                CallerIdentity.builder("https://issuer", "alice").clientId("ap").build(),
                CallerIdentity.builder("https://issuer", "alic").clientId("eapp").build(),
                CallerIdentity.builder("https://issuer", "alice").clientId("app")
                        .actor(new CallerIdentity.Actor("agent-8", java.util.Optional.empty())).build(),
                CallerIdentity.builder("https://other", "alice").clientId("app").build());
        for (CallerIdentity bound : identities) {
            for (CallerIdentity caller : identities) {
                assertThat(InMemorySessionRegistry.isKeyOf(bound.principalKey(), caller))
                        .as("%s against %s", bound.principalKey(), caller.principalKey())
                        .isEqualTo(bound.principalKey().equals(caller.principalKey()));
            }
        }
        assertThat(InMemorySessionRegistry.isKeyOf("https://issuer\u0000alice\u0000app\u0000x", alice)).isFalse();
        assertThat(InMemorySessionRegistry.isKeyOf("https://issuer\u0000alice\u0000app\u0000", alice)).isTrue();
    }

    @Test
    void recordsAUseOnlyOnceItIsAMillisecondAfterTheLastOneAndStillEndsIdleSessionsOnTime() {
        MutableClock clock = new MutableClock(Instant.parse("2026-01-01T00:00:00Z"));
        InMemorySessionRegistry expiring = InMemorySessionRegistry.builder()
                .idleTimeout(Duration.ofMinutes(30)).clock(clock).build();
        expiring.bind("s-1", alice);
        Instant bound = clock.instant();

        clock.advance(Duration.ofNanos(999_999));
        assertThat(expiring.check("s-1", alice)).isInstanceOf(SessionCheck.Valid.class);
        assertThat(expiring.sessions().get(0).lastSeen()).isEqualTo(bound);
        clock.advance(Duration.ofNanos(1));
        assertThat(expiring.check("s-1", alice)).isInstanceOf(SessionCheck.Valid.class);
        Instant used = clock.instant();
        assertThat(expiring.sessions().get(0).lastSeen()).isEqualTo(used);

        clock.advance(Duration.ofMinutes(30).minusNanos(1));
        assertThat(expiring.check("s-1", alice)).isInstanceOf(SessionCheck.Valid.class);
        clock.advance(Duration.ofMinutes(30));
        assertThat(expiring.check("s-1", alice)).isInstanceOf(SessionCheck.Unknown.class);
    }
}
