package dev.mcpguard.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.spi.SessionRegistry.SessionCheck;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.http.GuardRequestAttributes;
import dev.mcpguard.core.testing.Eventually;
import dev.mcpguard.core.testing.RedisServer;
import io.lettuce.core.RedisClient;
import io.lettuce.core.api.StatefulRedisConnection;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.time.Clock;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.BiFunction;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/** Revocations shared by replicas through a real redis-server. */
class RedisRevocationListTest {

    private static final Logger log = LoggerFactory.getLogger(RedisRevocationListTest.class);
    /** Generous bound asserted; the propagation time is measured in mcp-guard-bench (RevocationPropagationBenchmark). */
    static final Duration PROPAGATION_BOUND = Duration.ofSeconds(3);
    static final Duration RESYNC = Duration.ofSeconds(1);

    final List<AutoCloseable> toClose = new ArrayList<>();
    RedisServer redis;

    @BeforeEach
    void startRedis() throws Exception {
        redis = RedisServer.start();
    }

    @AfterEach
    void stop() throws Exception {
        for (AutoCloseable c : toClose) {
            c.close();
        }
        redis.close();
    }

    RedisRevocationList revocations() {
        RedisRevocationList list = RedisRevocationList.builder(redis.uri()).resyncInterval(RESYNC)
                .commandTimeout(Duration.ofMillis(300)).build();
        toClose.add(list);
        return list;
    }

    InMemorySessionRegistry replica() {
        return InMemorySessionRegistry.builder().revocations(revocations()).build();
    }

    static CallerIdentity user(String subject, String tenant) {
        return CallerIdentity.builder("https://issuer", subject).tenant(tenant).clientId("app").build();
    }

    @Test
    void revokedSubjectIsDeniedOnEveryReplicaWithinTheBoundAndNoToolRunsAfterwards() {
        CallerIdentity alice = user("alice", "acme");
        InMemorySessionRegistry first = replica();
        InMemorySessionRegistry second = replica();
        AtomicInteger runs = new AtomicInteger();
        var onFirst = guardedTool(first, runs);
        var onSecond = guardedTool(second, runs);
        McpTransportContext asAlice = McpTransportContext.create(Map.of(GuardRequestAttributes.CALLER, alice));
        second.bind("s-on-second", alice);
        onFirst.apply(asAlice, new CallToolRequest("get_order", Map.of()));
        onSecond.apply(asAlice, new CallToolRequest("get_order", Map.of()));
        assertThat(runs).hasValue(2);

        first.revokeSubject("alice");
        Duration lag = Eventually.within(PROPAGATION_BOUND, "revocation reaches the second replica",
                () -> second.isRevoked(alice));
        int runsAtRevocation = runs.get();

        for (int i = 0; i < 10; i++) {
            assertThat(onFirst.apply(asAlice, new CallToolRequest("get_order", Map.of())).isError()).isTrue();
            assertThat(onSecond.apply(asAlice, new CallToolRequest("get_order", Map.of())).isError()).isTrue();
        }
        assertThat(runs).hasValue(runsAtRevocation);
        assertThat(second.check("s-on-second", alice)).isInstanceOf(SessionCheck.Unknown.class);
        log.info("Revocation propagation (pub/sub) to another replica took {} us", lag.toNanos() / 1_000);
    }

    /**
     * Correctness only, with a generous bound: every revocation added on one replica reaches another. The
     * propagation time is measured by {@code RevocationPropagationBenchmark} in mcp-guard-bench (JMH).
     */
    @Test
    void everyRevocationAddedOnOneReplicaIsSeenOnAnother() {
        RedisRevocationList first = revocations();
        RedisRevocationList second = revocations();
        for (int i = 0; i < 20; i++) {
            String jti = "jti-" + i;
            first.add(new Revocation(Revocation.Kind.TOKEN, jti, Clock.systemUTC().instant().plusSeconds(60)));
            Eventually.within(PROPAGATION_BOUND, "token revocation " + i + " reaches the other replica",
                    () -> second.contains(Revocation.Kind.TOKEN, jti));
        }
        assertThat(second.entries()).hasSize(20);
    }

    @Test
    void aReplicaThatMissedTheMessageCatchesUpFromTheSharedSet() {
        RedisRevocationList listening = revocations();
        // Written straight into the shared set without a message, as if the replica had been disconnected.
        RedisClient client = RedisClient.create(redis.uri());
        try (StatefulRedisConnection<String, String> c = client.connect()) {
            long until = System.currentTimeMillis() + 60_000;
            c.sync().hset("mcp-guard:revocations", "TENANT:acme", Long.toString(until));
        } finally {
            client.shutdown();
        }

        Duration lag = Eventually.within(RESYNC.plus(PROPAGATION_BOUND), "resync picks up the missed revocation",
                () -> listening.contains(Revocation.Kind.TENANT, "acme"));

        assertThat(revocations().contains(Revocation.Kind.TENANT, "acme")).isTrue(); // a replica started later
        log.info("Missed revocation picked up by resync after {} ms (interval {})", lag.toMillis(), RESYNC);
    }

    @Test
    void redisDownKeepsKnownRevocationsAndTellsTheAdministratorANewOneWasNotShared() {
        InMemorySessionRegistry sessions = replica();
        sessions.revokeSubject("alice");

        redis.kill();

        assertThat(sessions.isRevoked(user("alice", "acme"))).isTrue();
        assertThatThrownBy(() -> sessions.revokeSubject("bob")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("could not be shared").hasMessageNotContaining("bob");
        assertThat(sessions.isRevoked(user("bob", "acme"))).isTrue(); // still holds on this replica
    }

    private BiFunction<McpTransportContext, CallToolRequest, CallToolResult> guardedTool(
            InMemorySessionRegistry sessions, AtomicInteger runs) {
        McpGuard guard = McpGuard.builder().serverName("orders").sessionRegistry(sessions)
                .auditSink(r -> { }).policyEngine(r -> Decision.allow(r.decisionId())).build();
        return guard.guard(McpStatelessServerFeatures.SyncToolSpecification.builder()
                .tool(McpSchema.Tool.builder().name("get_order").inputSchema(Map.of("type", "object")).build())
                .callHandler((ctx, req) -> {
                    runs.incrementAndGet();
                    return CallToolResult.builder().addTextContent("ok").build();
                }).build()).callHandler();
    }
}
