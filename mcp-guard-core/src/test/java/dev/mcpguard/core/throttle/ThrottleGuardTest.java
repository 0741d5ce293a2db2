package dev.mcpguard.core.throttle;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.spi.AuditSink;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.http.GuardRequestAttributes;
import dev.mcpguard.core.testing.Callers;
import dev.mcpguard.core.testing.MutableClock;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;
import org.junit.jupiter.api.Test;
import reactor.core.publisher.Mono;
import reactor.core.publisher.Sinks;

/** The throttle step inside a real {@link McpGuard} chain, with the SDK's tool specifications. */
class ThrottleGuardTest {

    static final CallerIdentity ALICE = Callers.user("alice", "acme");

    final MutableClock clock = MutableClock.startingAt("2026-01-01T00:00:00Z");
    final List<AuditRecord> audited = new CopyOnWriteArrayList<>();
    final AtomicInteger handlerRuns = new AtomicInteger();

    McpGuard guard(TokenBucketThrottle throttle) {
        AuditSink sink = audited::add;
        return McpGuard.builder().serverName("orders").clock(clock).auditSink(sink)
                .policyEngine(request -> Decision.allow(request.decisionId()))
                .throttle(throttle).build();
    }

    static McpSchema.Tool tool(String name) {
        return McpSchema.Tool.builder().name(name).inputSchema(Map.of("type", "object")).build();
    }

    static McpTransportContext context(CallerIdentity caller) {
        return McpTransportContext.create(Map.of(GuardRequestAttributes.CALLER, caller));
    }

    static CallToolRequest request(String tool) {
        return new CallToolRequest(tool, Map.of());
    }

    McpStatelessServerFeatures.SyncToolSpecification syncTool(String name, Supplier<CallToolResult> body) {
        return McpStatelessServerFeatures.SyncToolSpecification.builder().tool(tool(name))
                .callHandler((ctx, req) -> {
                    handlerRuns.incrementAndGet();
                    return body.get();
                }).build();
    }

    McpStatelessServerFeatures.AsyncToolSpecification asyncTool(String name, Supplier<Mono<CallToolResult>> body) {
        return McpStatelessServerFeatures.AsyncToolSpecification.builder().tool(tool(name))
                .callHandler((ctx, req) -> {
                    handlerRuns.incrementAndGet();
                    return body.get();
                }).build();
    }

    @SuppressWarnings("unchecked")
    static Map<String, Object> structured(CallToolResult result) {
        return (Map<String, Object>) result.structuredContent();
    }

    @Test
    void throttledCallIsDeniedBeforeTheHandlerWithRetryAfterAndIsAudited() {
        TokenBucketThrottle throttle = TokenBucketThrottle.builder().clock(clock)
                .limit(RateLimit.perCaller().perTool().capacity(2).refillPerMinute(6).build()).build();
        var handler = guard(throttle).guard(syncTool("search", () -> CallToolResult.builder().addTextContent("ok").build()))
                .callHandler();

        List<CallToolResult> results = new ArrayList<>();
        for (int i = 0; i < 20; i++) {
            results.add(handler.apply(context(ALICE), request("search")));
        }

        assertThat(handlerRuns).hasValue(2);
        CallToolResult throttled = results.get(2);
        assertThat(throttled.isError()).isTrue();
        assertThat(structured(throttled)).containsEntry("error", "denied").containsEntry("reason", "rate_limited")
                .containsEntry("retry_after_seconds", 10L);
        assertThat(audited).hasSize(20);
        assertThat(audited.get(2)).satisfies(r -> {
            assertThat(r.decision()).isEqualTo(AuditRecord.Verdict.DENY);
            assertThat(r.reason()).isEqualTo("rate_limited");
            assertThat(r.outcome()).isEqualTo(AuditRecord.Outcome.DENIED);
            assertThat(r.details()).containsEntry("retry_after_seconds", "10");
            assertThat(r.decisionId()).isEqualTo(structured(throttled).get("decision_id"));
        });

        clock.advance(Duration.ofSeconds(10));
        assertThat(handler.apply(context(ALICE), request("search")).isError()).isNotEqualTo(Boolean.TRUE);
    }

    @Test
    void noPermitLeaksWhenSyncHandlersThrow() {
        TokenBucketThrottle throttle = TokenBucketThrottle.builder().clock(clock)
                .concurrencyLimit(ConcurrencyLimit.perCaller().maxInFlight(1)).build();
        var handler = guard(throttle).guard(syncTool("boom", () -> {
            throw new IllegalStateException("downstream down");
        })).callHandler();

        for (int i = 0; i < 5; i++) {
            assertThat(structured(handler.apply(context(ALICE), request("boom")))).containsEntry("error", "failed");
        }

        assertThat(handlerRuns).hasValue(5);
        assertThat(throttle.permitsInFlight()).isZero();
    }

    @Test
    void noPermitLeaksWhenAsyncHandlersFailOrTimeOut() {
        TokenBucketThrottle throttle = TokenBucketThrottle.builder().clock(clock)
                .concurrencyLimit(ConcurrencyLimit.perCaller().maxInFlight(1)).build();
        McpGuard guard = guard(throttle);
        var failing = guard.guard(asyncTool("fails", () -> Mono.error(new IllegalStateException("no")))).callHandler();
        // A handler that never answers, bounded by its own timeout (the way a handler should bound a downstream).
        var hanging = guard.guard(asyncTool("hangs", () -> Mono.<CallToolResult>never()
                .timeout(Duration.ofMillis(20)))).callHandler();

        for (int i = 0; i < 3; i++) {
            assertThat(structured(failing.apply(context(ALICE), request("fails")).block(Duration.ofSeconds(10))))
                    .containsEntry("error", "failed");
            assertThat(structured(hanging.apply(context(ALICE), request("hangs")).block(Duration.ofSeconds(10))))
                    .containsEntry("error", "failed");
        }

        assertThat(handlerRuns).hasValue(6);
        assertThat(throttle.permitsInFlight()).isZero();
        assertThat(audited).extracting(AuditRecord::errorType)
                .contains(TimeoutException.class.getName(), IllegalStateException.class.getName());
    }

    @Test
    void concurrencyLimitHoldsWhileAsyncCallsAreInFlightAndFreesWhenTheyEnd() {
        TokenBucketThrottle throttle = TokenBucketThrottle.builder().clock(clock)
                .concurrencyLimit(ConcurrencyLimit.perTool().maxInFlight(2)).build();
        Sinks.One<CallToolResult> release = Sinks.one();
        var slow = guard(throttle).guard(asyncTool("slow", release::asMono)).callHandler();

        List<Mono<CallToolResult>> calls = new ArrayList<>();
        List<CallToolResult> done = new CopyOnWriteArrayList<>();
        for (int i = 0; i < 10; i++) {
            Mono<CallToolResult> call = slow.apply(context(Callers.user("user-" + i, "acme")), request("slow"))
                    .cache();
            call.subscribe(done::add);
            calls.add(call);
        }

        assertThat(handlerRuns).hasValue(2);
        assertThat(done).hasSize(8).allSatisfy(r -> assertThat(structured(r)).containsEntry("reason", "rate_limited")
                .containsEntry("retry_after_seconds", 1L));

        release.tryEmitValue(CallToolResult.builder().addTextContent("done").build());

        assertThat(done).hasSize(10);
        assertThat(throttle.permitsInFlight()).isZero();
    }
}
