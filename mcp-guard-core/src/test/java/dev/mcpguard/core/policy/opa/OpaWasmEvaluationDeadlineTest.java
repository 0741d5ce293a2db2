package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.api.AuditRecord;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.PolicyEngine.Operation;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.http.GuardRequestAttributes;
import dev.mcpguard.core.testing.Callers;
import dev.mcpguard.core.testing.Eventually;
import dev.mcpguard.core.testing.RecordingAuditSink;
import io.modelcontextprotocol.common.McpTransportContext;
import io.modelcontextprotocol.server.McpStatelessServerFeatures;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * The embedded engine's per-evaluation deadline, on real bundles built by the real {@code opa}: a policy that
 * never returns (three nested iterations over ten thousand elements: hours of work) is interrupted and denied,
 * its instance replaced, and the engine goes on serving with a full pool. Waits are generous bounds on calls that
 * would otherwise never return; no assertion is on timing.
 */
class OpaWasmEvaluationDeadlineTest {

    /** What an evaluation that never returns waits for, at most: far above the deadlines used here. */
    private static final Duration GENEROUS = Duration.ofSeconds(120);
    private static final String DEADLINE_MESSAGE = "The policy took too long to evaluate; the call is denied.";
    private static final String ERROR_MESSAGE = "The policy could not be evaluated; the call is denied.";
    /** Ten thousand elements: 10^12 steps of the policy's nested iterations. */
    private static final Map<String, Object> HANGING = Map.of("xs", IntStream.range(0, 10_000).boxed().toList());

    @TempDir
    static Path buildDir;
    static TestBundles bundles;
    static TestBundles.SigningKey key;
    static byte[] hangs;

    @TempDir
    Path serveDir;
    OpaWasmPolicyEngine engine;

    @BeforeAll
    static void buildBundles() {
        bundles = new TestBundles(buildDir);
        key = bundles.rsaKey("deadline");
        hangs = bundles.build("hangs", "hangs-1", key);
    }

    @AfterEach
    void closeEngine() {
        if (engine != null) {
            engine.close();
        }
    }

    private OpaWasmPolicyEngine engineServing(byte[] bundle, OpaWasmPolicyEngine.Builder builder) throws Exception {
        Path file = serveDir.resolve("bundle.tar.gz");
        Files.write(file, bundle);
        engine = builder.bundleSource(BundleSource.file(file))
                .verification(BundleVerification.publicKey(key.publicPem()))
                .poolSize(2)
                .build();
        assertThat(engine.pollNow()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.LOADED);
        return engine;
    }

    private static PolicyRequest request(String tool, Map<String, Object> arguments) {
        return new PolicyRequest(Operation.CALL, "d-" + ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE),
                Callers.user("alice", "acme"), "orders", ToolDescriptor.named(tool), arguments, Optional.empty(),
                Instant.parse("2026-01-01T00:00:00Z"));
    }

    /** What one call on its own thread ended with: the decision, and whether the thread was left interrupted. */
    private record Outcome(Decision decision, boolean leftInterrupted) {
    }

    /** Decides on a new thread (so the test thread can wait with a bound, or interrupt it). */
    private static final class Call {
        final CompletableFuture<Outcome> outcome = new CompletableFuture<>();
        final Thread thread;

        Call(OpaWasmPolicyEngine engine, PolicyRequest request) {
            thread = new Thread(() -> {
                try {
                    Decision decision = engine.decide(request);
                    outcome.complete(new Outcome(decision, Thread.currentThread().isInterrupted()));
                } catch (Throwable t) {
                    outcome.completeExceptionally(t);
                }
            }, "deadline-test-call");
            thread.setDaemon(true);
            thread.start();
        }

        Outcome await() throws Exception {
            try {
                return outcome.get(GENEROUS.toSeconds(), TimeUnit.SECONDS);
            } catch (java.util.concurrent.TimeoutException hung) {
                throw new AssertionError("the call did not return within " + GENEROUS + ": the evaluation was not stopped");
            }
        }
    }

    private static void assertDeniedAtTheDeadline(Outcome outcome) {
        assertThat(outcome.decision()).isInstanceOfSatisfying(Decision.Deny.class, d -> {
            assertThat(d.reason()).isEqualTo(ReasonCode.POLICY_ERROR);
            assertThat(d.message()).isEqualTo(DEADLINE_MESSAGE);
            assertThat(d.policyRevision()).contains("hangs-1");
        });
        assertThat(outcome.leftInterrupted()).as("no interrupt left on the calling thread").isFalse();
    }

    private void assertServesOrdinaryCallsWithAFullPool() {
        assertThat(engine.idleInstances()).as("every instance back in the pool").isEqualTo(2);
        for (int i = 0; i < 4; i++) { // both instances of the pool, twice
            assertThat(engine.decide(request("lookup_order", Map.of()))).isInstanceOf(Decision.Allow.class);
        }
        assertThat(engine.decide(request("spin", Map.of("xs", List.of(1, 2, 3)))))
                .as("the rule that hung, on an input it can decide").isInstanceOf(Decision.Allow.class);
        assertThat(engine.idleInstances()).isEqualTo(2);
        assertThat(engine.pendingDeadlines()).as("no deadline left behind").isZero();
    }

    @Test
    void aPolicyThatNeverReturnsIsDeniedAtItsDeadlineAndTheEngineServesOrdinaryCallsAfterwardsWithAFullPool()
            throws Exception {
        engineServing(hangs, OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).evaluationDeadline(Duration.ofMillis(500)));

        Outcome hung = new Call(engine, request("spin", HANGING)).await();

        assertDeniedAtTheDeadline(hung);
        assertThat(engine.replacedInstances()).as("the interrupted instance replaced, never reused").isEqualTo(1);
        assertServesOrdinaryCallsWithAFullPool();
        assertThat(engine.replacedInstances()).isEqualTo(1);
    }

    @Test
    void aCallStoppedAtItsDeadlineNeverRunsTheToolAndItsAuditRecordSaysWhy() throws Exception {
        engineServing(hangs, OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).evaluationDeadline(Duration.ofMillis(500)));
        RecordingAuditSink audit = new RecordingAuditSink();
        AtomicInteger toolRuns = new AtomicInteger();
        McpGuard guard = McpGuard.builder().serverName("orders").auditSink(audit).policyEngine(engine).build();
        var spin = guard.guard(McpStatelessServerFeatures.SyncToolSpecification.builder()
                .tool(McpSchema.Tool.builder().name("spin").description("Spins.")
                        .inputSchema(Map.of("type", "object")).build())
                .callHandler((context, request) -> {
                    toolRuns.incrementAndGet();
                    return CallToolResult.builder().addTextContent("spun").build();
                }).build());
        McpTransportContext alice = McpTransportContext.create(
                Map.of(GuardRequestAttributes.CALLER, Callers.user("alice", "acme")));

        CallToolResult hung = CompletableFuture.supplyAsync(() -> spin.callHandler().apply(alice,
                new CallToolRequest("spin", HANGING))).get(GENEROUS.toSeconds(), TimeUnit.SECONDS);
        CallToolResult ordinary = spin.callHandler().apply(alice, new CallToolRequest("spin", Map.of("xs", List.of(1))));

        assertThat(hung.isError()).isTrue();
        assertThat(hung.structuredContent()).isInstanceOfSatisfying(Map.class,
                content -> assertThat(content).containsEntry("reason", "policy_error"));
        assertThat(hung.content().toString()).contains(DEADLINE_MESSAGE);
        assertThat(ordinary.isError()).isNotEqualTo(Boolean.TRUE);
        assertThat(toolRuns).as("the tool ran for the ordinary call only").hasValue(1);
        List<AuditRecord> records = audit.await(r -> true, 2, GENEROUS);
        assertThat(records).hasSize(2);
        assertThat(records.get(0)).satisfies(record -> {
            assertThat(record.tool()).isEqualTo("spin");
            assertThat(record.decision()).isEqualTo(AuditRecord.Verdict.DENY);
            assertThat(record.reason()).isEqualTo("policy_error");
            assertThat(record.outcome()).isEqualTo(AuditRecord.Outcome.DENIED);
            assertThat(record.details()).containsEntry("policy_revision", "hangs-1");
        });
        assertThat(records.get(1).outcome()).isEqualTo(AuditRecord.Outcome.SUCCESS);
    }

    @Test
    void theDefaultDeadlineStopsAnEvaluationThatNeverReturns() throws Exception {
        engineServing(hangs, OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO));

        Outcome hung = new Call(engine, request("spin", HANGING)).await();

        assertDeniedAtTheDeadline(hung);
        assertServesOrdinaryCallsWithAFullPool();
    }

    @Test
    void concurrentHangsDoNotExhaustThePool() throws Exception {
        // Three hanging calls per instance; the borrow timeout is generous so that each one is evaluated and
        // stopped by its own deadline, and an ordinary call queued behind them is still served.
        engineServing(hangs, OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).evaluationDeadline(Duration.ofMillis(500))
                .borrowTimeout(GENEROUS));
        List<Call> hanging = new ArrayList<>();
        for (int i = 0; i < 6; i++) {
            hanging.add(new Call(engine, request("spin", HANGING)));
        }
        Eventually.within(GENEROUS, "both instances evaluating a hanging call", () -> engine.pendingDeadlines() == 2);
        Call queuedBehind = new Call(engine, request("lookup_order", Map.of()));

        for (Call call : hanging) {
            assertDeniedAtTheDeadline(call.await());
        }
        assertThat(queuedBehind.await().decision()).as("the ordinary call waiting behind the hangs")
                .isInstanceOf(Decision.Allow.class);
        assertThat(engine.replacedInstances()).as("one fresh instance per hang").isEqualTo(6);
        assertServesOrdinaryCallsWithAFullPool();
    }

    @Test
    void theCallersOwnInterruptStopsTheEvaluationIsHonouredAndReplacesTheInstance() throws Exception {
        engineServing(hangs, OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).evaluationDeadline(Duration.ofMinutes(10)));
        Call call = new Call(engine, request("spin", HANGING));
        Eventually.within(GENEROUS, "the call evaluating", () -> engine.pendingDeadlines() == 1);

        call.thread.interrupt();
        Outcome outcome = call.await();

        assertThat(outcome.decision()).isInstanceOfSatisfying(Decision.Deny.class, d -> {
            assertThat(d.reason()).isEqualTo(ReasonCode.POLICY_ERROR);
            assertThat(d.message()).as("not the deadline's denial").isEqualTo(ERROR_MESSAGE);
        });
        assertThat(outcome.leftInterrupted()).as("the caller's interrupt is kept").isTrue();
        assertThat(engine.replacedInstances()).isEqualTo(1);
        assertServesOrdinaryCallsWithAFullPool();
    }

    @Test
    void aCallerInterruptedBeforeDecidingIsDeniedWithoutEvaluatingAndStaysInterrupted() throws Exception {
        engineServing(hangs, OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO));

        Thread.currentThread().interrupt();
        Decision decision;
        boolean leftInterrupted;
        try {
            decision = engine.decide(request("lookup_order", Map.of()));
        } finally {
            leftInterrupted = Thread.interrupted();
        }

        assertThat(decision).isInstanceOfSatisfying(Decision.Deny.class,
                d -> assertThat(d.reason()).isEqualTo(ReasonCode.POLICY_ERROR));
        assertThat(leftInterrupted).isTrue();
        assertThat(engine.replacedInstances()).as("nothing was evaluated").isZero();
        assertServesOrdinaryCallsWithAFullPool();
    }

    @Test
    void evaluationsEndingAroundTheirDeadlineNeverLeaveAnInterruptOnTheCallingThread() throws Exception {
        // The work (n^3 steps) follows a staircase around the deadline: a step up after an allowed call, down after
        // a stopped one, so that whatever this machine's speed, calls keep ending just before, at and just after
        // their deadline. Every call must end decided one way or the other, with the calling thread not
        // interrupted, now or later (an interrupt landing late would break the wait below).
        engineServing(hangs, OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).evaluationDeadline(Duration.ofMillis(5)));
        int allowed = 0;
        int stopped = 0;
        int n = 20;
        java.util.concurrent.CountDownLatch never = new java.util.concurrent.CountDownLatch(1);
        for (int i = 0; i < 80; i++) {
            Decision decision = engine.decide(request("spin", Map.of("xs", IntStream.range(0, n).boxed().toList())));
            assertThat(Thread.currentThread().isInterrupted()).as("call %d (n=%d): interrupt flag", i, n).isFalse();
            assertThat(never.await(200, TimeUnit.MICROSECONDS)).isFalse(); // throws if an interrupt lands late
            if (decision.allowed()) {
                allowed++;
                n += 4;
            } else {
                assertThat(((Decision.Deny) decision).message()).isEqualTo(DEADLINE_MESSAGE);
                stopped++;
                n = Math.max(0, n - 6);
            }
        }
        System.out.printf("Deadline race: %d calls allowed, %d stopped at a 5 ms deadline, %d instances replaced, "
                + "last n %d%n", allowed, stopped, engine.replacedInstances(), n);
        assertThat(engine.replacedInstances()).as("one replacement per stopped call").isEqualTo(stopped);
        assertThat(engine.idleInstances()).isEqualTo(2);
        assertThat(engine.pendingDeadlines()).isZero();
    }

    @Test
    void aBundleWhoseSmokeTestNeverReturnsIsRefusedAndTheServingBundleKeepsServing() throws Exception {
        engineServing(hangs, OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO));
        Files.write(serveDir.resolve("bundle.tar.gz"), bundles.build("hangs-always", "hangs-always-1", key));

        assertThat(engine.pollNow()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.REJECTED);

        assertThat(engine.lastLoadError()).hasValueSatisfying(error ->
                assertThat(error).contains("hangs-always-1").contains("deadline"));
        assertThat(engine.currentRevision()).contains("hangs-1");
        assertServesOrdinaryCallsWithAFullPool();
    }

    @Test
    void closingTheEngineEndsItsWatchdog() throws Exception {
        engineServing(hangs, OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO));
        assertThat(engine.decide(request("lookup_order", Map.of()))).isInstanceOf(Decision.Allow.class);

        engine.close();

        Eventually.within(GENEROUS, "the watchdog thread ended", engine::watchdogTerminated);
        assertThat(engine.decide(request("lookup_order", Map.of()))).isInstanceOfSatisfying(Decision.Deny.class,
                d -> assertThat(d.reason()).isEqualTo(ReasonCode.POLICY_NOT_LOADED));
    }

    @Test
    void evaluationDeadlineOutsideItsRangeIsRefusedNamingTheValue() {
        assertThatThrownBy(() -> OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).evaluationDeadline(Duration.ZERO))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT0S");
        assertThatThrownBy(() -> OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).evaluationDeadline(Duration.ofMillis(-5)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT-0.005S");
        assertThatThrownBy(() -> OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).evaluationDeadline(Duration.ofNanos(999_999)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT0.000999999S");
        assertThatThrownBy(() -> OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).evaluationDeadline(Duration.ofMinutes(10).plusNanos(1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT10M0.000000001S");
        assertThatThrownBy(() -> OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).evaluationDeadline(null))
                .isInstanceOf(NullPointerException.class).hasMessageContaining("deadline");
        OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).evaluationDeadline(Duration.ofMillis(1)).evaluationDeadline(Duration.ofMinutes(10));
    }
}
