package dev.mcpguard.core.chain;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.AttributeKey;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolCall;
import dev.mcpguard.api.ToolGuard;
import dev.mcpguard.api.ToolOutcome;
import dev.mcpguard.core.testing.Callers;
import java.time.Clock;
import java.util.List;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionStage;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import org.junit.jupiter.api.Test;

class GuardChainTest {

    private static final AttributeKey<String> SEEN = AttributeKey.of("seen", String.class);

    private final AtomicInteger handlerRuns = new AtomicInteger();
    private final ToolCall call = Callers.call("get_order", Optional.of(Callers.user("alice", "acme")));

    private final Function<ToolCall, CompletionStage<ToolOutcome>> handler = c -> {
        handlerRuns.incrementAndGet();
        return CompletableFuture.completedFuture(new ToolOutcome.Completed(c, "result", false));
    };

    private ToolOutcome run(ToolGuard... guards) {
        List<GuardChain.Step> steps = new java.util.ArrayList<>();
        for (int i = 0; i < guards.length; i++) {
            steps.add(new GuardChain.Step("g" + i, guards[i]));
        }
        return new GuardChain(steps, Clock.systemUTC()).execute(call, handler).toCompletableFuture().join();
    }

    @Test
    void runsGuardsInDeclaredOrderThenTheHandler() {
        List<String> trace = new CopyOnWriteArrayList<>();
        ToolGuard first = chain -> { trace.add("first"); return chain.proceed(chain.call()); };
        ToolGuard second = chain -> { trace.add("second"); return chain.proceed(chain.call()); };

        ToolOutcome outcome = run(first, second);

        assertThat(trace).containsExactly("first", "second");
        assertThat(outcome).isInstanceOf(ToolOutcome.Completed.class);
        assertThat(handlerRuns).hasValue(1);
    }

    @Test
    void aGuardThatDeniesStopsTheChainAndTheHandlerNeverRuns() {
        AtomicInteger innerRuns = new AtomicInteger();
        ToolGuard denier = chain -> chain.deny(ReasonCode.POLICY_DENIED, "no");
        ToolGuard inner = chain -> { innerRuns.incrementAndGet(); return chain.proceed(chain.call()); };

        ToolOutcome outcome = run(denier, inner);

        assertThat(outcome).isInstanceOfSatisfying(ToolOutcome.Denied.class,
                d -> assertThat(d.decision().reason()).isEqualTo(ReasonCode.POLICY_DENIED));
        assertThat(innerRuns).hasValue(0);
        assertThat(handlerRuns).hasValue(0);
    }

    @Test
    void outerGuardsSeeTheAttributesInnerGuardsAttached() {
        ToolGuard outer = chain -> chain.proceed(chain.call());
        ToolGuard inner = chain -> chain.proceed(chain.call().withAttribute(SEEN, "inner"));

        ToolOutcome outcome = run(outer, inner);

        assertThat(outcome.call().attribute(SEEN)).contains("inner");
    }

    @Test
    void aGuardThatThrowsDeniesWithGuardErrorInsteadOfRunningTheHandler() {
        ToolOutcome outcome = run(chain -> { throw new IllegalStateException("boom"); });

        assertDeniedWithGuardError(outcome);
    }

    @Test
    void aGuardThatReturnsNullDeniesWithGuardError() {
        assertDeniedWithGuardError(run(chain -> null));
    }

    @Test
    void aGuardWhoseStageFailsDeniesWithGuardError() {
        assertDeniedWithGuardError(run(chain -> CompletableFuture.failedFuture(new RuntimeException("async boom"))));
    }

    @Test
    void aGuardThatProceedsTwiceIsStoppedTheHandlerRunsOnceAndTheCallIsReportedFailedNotDenied() {
        ToolOutcome outcome = run(chain -> {
            chain.proceed(chain.call());
            return chain.proceed(chain.call());
        });

        assertThat(outcome).isInstanceOf(ToolOutcome.Failed.class);
        assertThat(handlerRuns).hasValue(1);
    }

    @Test
    void aGuardThatBreaksAfterTheHandlerRanReportsAFailureNotADenial() {
        ToolOutcome thrownLater = run(chain -> chain.proceed(chain.call()).thenApply(o -> {
            throw new IllegalStateException("post-processing failed");
        }));

        assertThat(thrownLater).isInstanceOfSatisfying(ToolOutcome.Failed.class,
                f -> assertThat(f.cause()).hasMessage("post-processing failed"));
        assertThat(handlerRuns).hasValue(1);
    }

    @Test
    void aGuardThatSwapsInAnotherCallIsStopped() {
        ToolCall other = Callers.call("delete_customer", call.caller());
        ToolCall renamed = new ToolCall("another-id", other.server(), other.tool(), other.arguments(),
                other.sessionId(), other.caller(), other.receivedAt(), other.attributes());

        ToolOutcome outcome = run(chain -> chain.proceed(renamed));

        assertDeniedWithGuardError(outcome);
        assertThat(handlerRuns).hasValue(0);
    }

    @Test
    void aHandlerThatThrowsBecomesAFailedOutcome() {
        GuardChain chain = new GuardChain(List.of(), Clock.systemUTC());

        ToolOutcome outcome = chain.execute(call, c -> { throw new IllegalArgumentException("bad order"); })
                .toCompletableFuture().join();

        assertThat(outcome).isInstanceOfSatisfying(ToolOutcome.Failed.class,
                f -> assertThat(f.cause()).isInstanceOf(IllegalArgumentException.class));
    }

    @Test
    void aHandlerWhoseStageFailsBecomesAFailedOutcomeWithTheRealCause() {
        GuardChain chain = new GuardChain(List.of(), Clock.systemUTC());

        ToolOutcome outcome = chain.execute(call,
                c -> CompletableFuture.supplyAsync(() -> { throw new IllegalArgumentException("async"); }))
                .toCompletableFuture().join();

        assertThat(outcome).isInstanceOfSatisfying(ToolOutcome.Failed.class,
                f -> assertThat(f.cause()).isInstanceOf(IllegalArgumentException.class));
    }

    @Test
    void reportsItsOrder() {
        GuardChain chain = new GuardChain(List.of(
                new GuardChain.Step("a", c -> c.proceed(c.call())),
                new GuardChain.Step("b", c -> c.proceed(c.call()))), Clock.systemUTC());

        assertThat(chain.order()).containsExactly("a", "b");
    }

    private void assertDeniedWithGuardError(ToolOutcome outcome) {
        assertThat(outcome).isInstanceOfSatisfying(ToolOutcome.Denied.class, d -> {
            assertThat(d.decision().reason()).isEqualTo(ReasonCode.GUARD_ERROR);
            assertThat(d.decision().message()).doesNotContain("boom");
        });
    }
}
