package dev.mcpguard.core.session;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.spi.SessionRegistry.SessionCheck;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.http.GuardRequestAttributes;
import dev.mcpguard.core.testing.MutableClock;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;

class SessionLifecycleTest {

    final MutableClock clock = MutableClock.startingAt("2026-01-01T00:00:00Z");
    final CallerIdentity alice = CallerIdentity.builder("https://issuer", "alice").tenant("acme").clientId("app")
            .tokenId("jti-alice-1").build();
    final CallerIdentity aliceNewToken = CallerIdentity.builder("https://issuer", "alice").tenant("acme")
            .clientId("app").tokenId("jti-alice-2").build();
    final CallerIdentity bob = CallerIdentity.builder("https://issuer", "bob").tenant("acme").clientId("app").build();
    final CallerIdentity carol = CallerIdentity.builder("https://issuer", "carol").tenant("globex").clientId("app").build();

    InMemorySessionRegistry registry(Duration idle, Duration lifetime) {
        return InMemorySessionRegistry.builder().clock(clock).idleTimeout(idle).absoluteLifetime(lifetime).build();
    }

    @Test
    void idleSessionIsRefusedAndRemoved() {
        InMemorySessionRegistry sessions = registry(Duration.ofMinutes(30), Duration.ofHours(8));
        sessions.bind("s-1", alice);

        clock.advance(Duration.ofMinutes(29));
        assertThat(sessions.check("s-1", alice)).isInstanceOf(SessionCheck.Valid.class);
        clock.advance(Duration.ofMinutes(30));

        assertThat(sessions.check("s-1", alice)).isInstanceOf(SessionCheck.Unknown.class);
        assertThat(sessions.sessions()).isEmpty();
    }

    @Test
    void busySessionEndsAtItsAbsoluteLifetime() {
        InMemorySessionRegistry sessions = registry(Duration.ofMinutes(30), Duration.ofHours(8));
        sessions.bind("s-1", alice);
        for (int i = 0; i < 15; i++) { // used every 30 minutes minus a second: never idle
            clock.advance(Duration.ofMinutes(30).minusSeconds(1));
            assertThat(sessions.check("s-1", alice)).isInstanceOf(SessionCheck.Valid.class);
        }

        clock.advance(Duration.ofMinutes(30));

        assertThat(sessions.check("s-1", alice)).isInstanceOf(SessionCheck.Unknown.class);
        assertThat(sessions.size()).isZero();
    }

    @Test
    void listsLiveSessionsWithPrincipalCreatedAndLastSeen() {
        InMemorySessionRegistry sessions = registry(Duration.ofMinutes(30), Duration.ofHours(8));
        Instant created = clock.instant();
        sessions.bind("s-1", alice);
        clock.advance(Duration.ofMinutes(5));
        sessions.check("s-1", alice);

        assertThat(sessions.sessions()).containsExactly(new SessionInfo("s-1", "https://issuer", "alice",
                Optional.of("acme"), created, created.plus(Duration.ofMinutes(5))));
    }

    @Test
    void revokingASessionRefusesItOnTheNextCheck() {
        InMemorySessionRegistry sessions = InMemorySessionRegistry.builder().clock(clock).build();
        sessions.bind("s-1", alice);
        sessions.bind("s-2", alice);

        sessions.revokeSession("s-1");

        assertThat(sessions.check("s-1", alice)).isInstanceOf(SessionCheck.Unknown.class);
        assertThat(sessions.check("s-2", alice)).isInstanceOf(SessionCheck.Valid.class);
        assertThat(sessions.isRevoked(alice)).isFalse();
    }

    @Test
    void revokingASubjectEndsItsSessionsAndRefusesItsCredentialsOnly() {
        InMemorySessionRegistry sessions = InMemorySessionRegistry.builder().clock(clock).build();
        sessions.bind("s-1", alice);
        sessions.bind("s-2", bob);

        sessions.revokeSubject("alice");

        assertThat(sessions.check("s-1", alice)).isInstanceOf(SessionCheck.Unknown.class);
        assertThat(sessions.isRevoked(aliceNewToken)).isTrue();
        assertThat(sessions.check("s-2", bob)).isInstanceOf(SessionCheck.Valid.class);
        assertThat(sessions.isRevoked(bob)).isFalse();
    }

    @Test
    void revokingATenantRefusesEveryoneInItOnly() {
        InMemorySessionRegistry sessions = InMemorySessionRegistry.builder().clock(clock).build();
        sessions.bind("s-1", alice);
        sessions.bind("s-2", bob);
        sessions.bind("s-3", carol);

        sessions.revokeTenant("acme");

        assertThat(sessions.isRevoked(alice)).isTrue();
        assertThat(sessions.isRevoked(bob)).isTrue();
        assertThat(sessions.check("s-2", bob)).isInstanceOf(SessionCheck.Unknown.class);
        assertThat(sessions.check("s-3", carol)).isInstanceOf(SessionCheck.Valid.class);
    }

    @Test
    void revokingAStolenTokenRefusesThatTokenButNotTheSubjectsNextOne() {
        InMemorySessionRegistry sessions = InMemorySessionRegistry.builder().clock(clock).build();
        sessions.bind("s-1", alice);

        sessions.revokeToken("jti-alice-1");

        assertThat(sessions.isRevoked(alice)).isTrue();
        assertThat(sessions.check("s-1", alice)).isInstanceOf(SessionCheck.Unknown.class);
        assertThat(sessions.isRevoked(aliceNewToken)).isFalse();
    }

    @Test
    void revocationsLapseAfterTheirRetention() {
        InMemorySessionRegistry sessions = InMemorySessionRegistry.builder().clock(clock)
                .revocationRetention(Duration.ofHours(1)).build();
        sessions.revokeSubject("alice");
        assertThat(sessions.revocations()).hasSize(1);

        clock.advance(Duration.ofHours(1));

        assertThat(sessions.isRevoked(alice)).isFalse();
        assertThat(sessions.revocations()).isEmpty();
        assertThatThrownBy(() -> InMemorySessionRegistry.builder().revocationRetention(Duration.ofSeconds(5)))
                .hasMessageContaining("PT5S");
    }

    @Test
    void chainDeniesARevokedCallerWithOrWithoutASessionAndRunsNoTool() {
        InMemorySessionRegistry sessions = InMemorySessionRegistry.builder().clock(clock).build();
        List<AuditRecord> audited = new CopyOnWriteArrayList<>();
        McpGuard guard = McpGuard.builder().serverName("orders").clock(clock).sessionRegistry(sessions)
                .auditSink(audited::add).policyEngine(r -> Decision.allow(r.decisionId())).build();
        AtomicInteger runs = new AtomicInteger();
        var handler = guard.guard(McpStatelessServerFeatures.SyncToolSpecification.builder()
                .tool(McpSchema.Tool.builder().name("get_order").inputSchema(Map.of("type", "object")).build())
                .callHandler((ctx, req) -> {
                    runs.incrementAndGet();
                    return CallToolResult.builder().addTextContent("ok").build();
                }).build()).callHandler();
        McpTransportContext asAlice = McpTransportContext.create(Map.of(GuardRequestAttributes.CALLER, alice));
        handler.apply(asAlice, new CallToolRequest("get_order", Map.of()));
        assertThat(runs).hasValue(1);

        sessions.revokeToken("jti-alice-1");
        CallToolResult result = handler.apply(asAlice, new CallToolRequest("get_order", Map.of()));

        assertThat(runs).hasValue(1);
        assertThat(result.isError()).isTrue();
        assertThat(audited.get(1).reason()).isEqualTo("revoked");
    }
}
