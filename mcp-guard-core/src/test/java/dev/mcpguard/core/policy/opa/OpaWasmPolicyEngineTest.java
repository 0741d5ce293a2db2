package dev.mcpguard.core.policy.opa;

import dev.mcpguard.api.ReasonCode;
import static java.nio.charset.StandardCharsets.UTF_8;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.PolicyEngine.Operation;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import dev.mcpguard.core.policy.CircuitBreakerConfig;
import dev.mcpguard.core.policy.DecisionCacheConfig;
import dev.mcpguard.core.policy.ResilientPolicyEngine;
import dev.mcpguard.core.testing.Callers;
import dev.mcpguard.core.testing.Eventually;
import dev.mcpguard.core.testing.MutableClock;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The embedded engine evaluating real wasm bundles built (and signed) by the real {@code opa}. */
class OpaWasmPolicyEngineTest {

    @TempDir
    static Path buildDir;
    static TestBundles bundles;
    static TestBundles.SigningKey key;
    static byte[] authz;
    static byte[] even;
    static byte[] odd;
    static byte[] astral;

    @TempDir
    Path serveDir;
    Path bundleFile;
    OpaWasmPolicyEngine engine;
    final MutableClock clock = MutableClock.startingAt("2029-12-31T23:59:00Z");

    @BeforeAll
    static void buildBundles() {
        bundles = new TestBundles(buildDir);
        key = bundles.rsaKey("engine");
        authz = bundles.build("authz", "authz-1", key);
        even = bundles.build("parity-even", "even", key);
        odd = bundles.build("parity-odd", "odd", key);
        astral = bundles.build("astral", "astral-1", key);
    }

    @AfterEach
    void closeEngine() {
        if (engine != null) {
            engine.close();
        }
    }

    private OpaWasmPolicyEngine engineServing(byte[] bundle) throws Exception {
        return engineServing(bundle, OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO));
    }

    private OpaWasmPolicyEngine engineServing(byte[] bundle, OpaWasmPolicyEngine.Builder builder) throws Exception {
        bundleFile = serveDir.resolve("bundle.tar.gz");
        Files.write(bundleFile, bundle);
        engine = builder.bundleSource(BundleSource.file(bundleFile))
                .verification(BundleVerification.publicKey(key.publicPem()))
                .poolSize(2)
                .clock(clock)
                .environment(Map.of("name", "test"))
                .build();
        return engine;
    }

    private void publish(byte[] bundle) throws Exception {
        Files.write(bundleFile, bundle);
    }

    private static PolicyRequest request(String tool, Map<String, Object> arguments, String... roles) {
        return new PolicyRequest(Operation.CALL, "d-" + ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE),
                Callers.user("alice", "acme", roles), "orders", ToolDescriptor.named(tool), arguments, Optional.empty(),
                Instant.parse("2026-01-01T00:00:00Z"));
    }

    @Test
    void deniesEveryCallWithPolicyNotLoadedBeforeABundleHasLoaded() throws Exception {
        engineServing(authz);

        Decision decision = engine.decide(request("refund_order", Map.of("amount", 5)));

        assertThat(decision).isInstanceOfSatisfying(Decision.Deny.class,
                d -> assertThat(d.reason()).isEqualTo(ReasonCode.POLICY_NOT_LOADED));
        assertThat(engine.currentRevision()).isEmpty();
    }

    @Test
    void decidesOnACharacterBeyondTheBmpInTheArgumentsAsThatCharacter() throws Exception {
        // The input reaches the module as UTF-8 bytes; written as an escaped surrogate pair, U+20000 would be
        // parsed by the module as U+10000 (and a policy matching U+10000 would allow it).
        engineServing(astral);
        assertThat(engine.pollNow()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.LOADED);

        assertThat(engine.decide(request("t", Map.of("s", "\uD840\uDC00")))).isInstanceOf(Decision.Allow.class);
        assertThat(engine.decide(request("t", Map.of("s", "\uD800\uDC00")))).isInstanceOf(Decision.Deny.class);
    }

    @Test
    void decidesAllowDenyObjectResultsAndUndefinedWithTheBundleRevision() throws Exception {
        engineServing(authz);
        assertThat(engine.pollNow()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.LOADED);

        assertThat(engine.decide(request("lookup_order", Map.of(), "support"))).isInstanceOfSatisfying(Decision.Allow.class, a -> {
            assertThat(a.obligations()).containsEntry("credential", "crm-read");
            assertThat(a.policyRevision()).contains("authz-1");
        });
        assertThat(engine.decide(request("refund_order", Map.of("amount", 50)))).isInstanceOf(Decision.Allow.class);
        assertThat(engine.decide(request("refund_order", Map.of("amount", 500)))).isInstanceOfSatisfying(Decision.Deny.class, d -> {
            assertThat(d.reason().value()).isEqualTo("refund_limit_exceeded");
            assertThat(d.message()).isEqualTo("Refunds above 100 need an approver.");
            assertThat(d.policyRevision()).contains("authz-1");
        });
        assertThat(engine.decide(request("delete_everything", Map.of()))).isInstanceOfSatisfying(Decision.Deny.class,
                d -> assertThat(d.reason().value()).isEqualTo("policy_denied"));
        assertThat(engine.decide(request("lookup_order", Map.of(), "intern"))).isInstanceOfSatisfying(Decision.Deny.class,
                d -> assertThat(d.reason().value()).isEqualTo("policy_undefined"));
        assertThat(engine.currentRevision()).contains("authz-1");
    }

    @Test
    void handlesNonAsciiInputRegardlessOfThePlatformCharset() throws Exception {
        engineServing(authz).pollNow();

        Decision decision = engine.decide(request("refund_order", Map.of("amount", 50, "note", "Rückerstattung 😀 «ok»")));

        assertThat(decision).isInstanceOf(Decision.Allow.class);
    }

    @Test
    void deniesAnOversizedInputWithoutEvaluatingItAndKeepsDecidingNormalInputs() throws Exception {
        engineServing(authz, OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).maxInputBytes(64 * 1024)).pollNow();
        // 40 000 two-byte characters are 80 000 bytes of UTF-8: the limit counts bytes, not characters.
        Map<String, Object> huge = Map.of("amount", 50, "note", "\u00e9".repeat(40_000));

        Decision decision = engine.decide(request("refund_order", huge));

        // Evaluated, this call would be allowed (amount <= 100): the deny shows the policy never saw it.
        assertThat(decision).isInstanceOfSatisfying(Decision.Deny.class, d -> {
            assertThat(d.reason()).isEqualTo(ReasonCode.POLICY_INPUT_TOO_LARGE);
            assertThat(d.message()).isEqualTo(PolicyInputDocument.INPUT_TOO_LARGE_MESSAGE);
            assertThat(d.policyRevision()).contains("authz-1");
        });
        assertThat(engine.replacedInstances()).isZero();
        assertThat(engine.decide(request("refund_order", Map.of("amount", 50, "note", "ok")))).isInstanceOf(Decision.Allow.class);
    }

    @Test
    void maxInputBytesOutsideItsRangeIsRefusedNamingTheValue() {
        assertThatThrownBy(() -> OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).maxInputBytes(0)).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("got 0");
        assertThatThrownBy(() -> OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).maxInputBytes(65 * 1024 * 1024))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("got " + 65 * 1024 * 1024);
    }

    @Test
    void replacesAnInstanceThatTrappedInsteadOfReusingIt() throws Exception {
        // Input allowed through the size check but too big for the module's memory: the evaluation traps.
        engineServing(authz, OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).maxWasmMemoryMiB(4).maxInputBytes(8 * 1024 * 1024)).pollNow();
        assertThat(engine.currentRevision()).contains("authz-1");
        List<Integer> manyNumbers = java.util.stream.IntStream.range(0, 600_000).boxed().toList();

        Decision trapped = engine.decide(request("refund_order", Map.of("amount", 50, "numbers", manyNumbers)));

        assertThat(trapped).isInstanceOfSatisfying(Decision.Deny.class,
                d -> assertThat(d.reason().value()).isEqualTo("policy_error"));
        assertThat(engine.replacedInstances()).isEqualTo(1);
        for (int i = 0; i < 4; i++) { // both instances of the pool, twice: all healthy
            assertThat(engine.decide(request("refund_order", Map.of("amount", 50)))).isInstanceOf(Decision.Allow.class);
        }
        assertThat(engine.replacedInstances()).isEqualTo(1);
    }

    @Test
    void aPolicyAnsweringBadInputWithAReservedCodeCannotTripTheSharedCircuitBreaker() throws Exception {
        engineServing(bundles.build("reserved-reason", "reserved-1", key)).pollNow();
        ResilientPolicyEngine shared = ResilientPolicyEngine.decorate(engine)
                .circuitBreaker(CircuitBreakerConfig.custom().consecutiveFailures(3).build())
                .decisionCache(DecisionCacheConfig.DISABLED).build();

        for (int i = 0; i < 5; i++) {
            assertThat(shared.decide(request("t", Map.of("x", "not a number")))).isInstanceOfSatisfying(Decision.Deny.class,
                    d -> assertThat(d.reason().value()).isEqualTo("policy_denied"));
        }

        assertThat(shared.circuitState()).isEqualTo(ResilientPolicyEngine.CircuitState.CLOSED);
        assertThat(shared.decide(request("t", Map.of("x", 1))).allowed()).isTrue();
    }

    @Test
    void deniesArgumentsNoEngineCanTakeBeforeEvaluatingAsInvalidArgumentsAndReplacesNoInstance() throws Exception {
        engineServing(authz).pollNow();
        List<Map<String, Object>> unrepresentable = List.of(
                Map.of("amount", Double.NaN),
                Map.of("amount", Double.POSITIVE_INFINITY),
                Map.of("amount", 50, "ratios", List.of(1.5, Float.NEGATIVE_INFINITY)));
        java.lang.management.ThreadMXBean cpu = java.lang.management.ManagementFactory.getThreadMXBean();

        long cpuBefore = cpu.getCurrentThreadCpuTime();
        long started = System.nanoTime();
        List<Decision> decisions = unrepresentable.stream().map(arguments -> engine.decide(request("refund_order", arguments))).toList();
        long elapsed = System.nanoTime() - started;
        long cpuUsed = cpu.getCurrentThreadCpuTime() - cpuBefore;
        System.out.printf("Issue 8 item 1 figure (embedded engine): %d unrepresentable inputs decided in %.3f ms wall, "
                + "%.3f ms CPU of the calling thread (%.3f ms CPU per call), %d instances rebuilt%n", decisions.size(),
                elapsed / 1e6, cpuUsed / 1e6, cpuUsed / 1e6 / decisions.size(), engine.replacedInstances());

        assertThat(decisions).allSatisfy(decision -> assertThat(decision).isInstanceOfSatisfying(Decision.Deny.class, d -> {
            assertThat(d.reason()).isEqualTo(ReasonCode.INVALID_ARGUMENTS);
            assertThat(d.message()).doesNotContain("\ud800");
            assertThat(d.policyRevision()).contains("authz-1");
        }));
        assertThat(engine.replacedInstances()).as("no instance rebuilt for the caller's own bad input").isZero();
        assertThat(engine.decide(request("refund_order", Map.of("amount", 50, "note", "ok \ud83d\ude00"))))
                .isInstanceOf(Decision.Allow.class);
    }

    @Test
    void evaluatesLoneSurrogatesAsOpaDoesWithTheReplacementCharacterAndReplacesNoInstance() throws Exception {
        engineServing(authz).pollNow();
        List<Map<String, Object>> surrogates = List.of(
                Map.of("amount", 50, "note", "acme-1\ud800"),                    // lone high surrogate
                Map.of("amount", 50, "note", "\udc00acme"),                      // lone low surrogate
                Map.of("amount", 50, "note", "\udfff\ud800"),                   // a pair in the wrong order
                Map.of("amount", 50, "lines", List.of(Map.of("sku\ud83d", 1))),  // deep inside, in a key
                Map.of("amount", 50, "name\udbff", "x"));                        // in an argument name
        PolicyRequest oddSubject = new PolicyRequest(Operation.CALL, "d-odd", Callers.user("mal\ud800", "acme"),
                "orders", ToolDescriptor.named("refund_order"), Map.of("amount", 5), Optional.empty(),
                Instant.parse("2026-01-01T00:00:00Z"));

        assertThat(surrogates).allSatisfy(arguments ->
                assertThat(engine.decide(request("refund_order", arguments))).isInstanceOf(Decision.Allow.class));
        assertThat(engine.decide(oddSubject)).isInstanceOf(Decision.Allow.class);
        assertThat(engine.replacedInstances()).isZero();
    }

    @Test
    void trapsCausedByOneCallersInputsOpenOnlyThatCallersBreakerAndBoundTheInstancesRebuilt() throws Exception {
        // Input that passes every pre-check but is too big for the module's memory: each evaluation traps.
        engineServing(authz, OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).maxWasmMemoryMiB(4).maxInputBytes(8 * 1024 * 1024)).pollNow();
        ResilientPolicyEngine shared = ResilientPolicyEngine.decorate(engine).decisionCache(DecisionCacheConfig.DISABLED)
                .clock(clock).build(); // default breaker: 5 failures in a row, from 3 distinct callers
        Map<String, Object> trapping = Map.of("amount", 50,
                "numbers", java.util.stream.IntStream.range(0, 600_000).boxed().toList());
        List<String> attackerReasons = new ArrayList<>();
        int victimAllowed = 0;

        for (int i = 0; i < 10; i++) {
            Decision decision = shared.decide(new PolicyRequest(Operation.CALL, "d-m" + i,
                    Callers.user("mallory", "initech"), "orders", ToolDescriptor.named("refund_order"), trapping,
                    Optional.empty(), clock.instant()));
            attackerReasons.add(((Decision.Deny) decision).reason().value());
            victimAllowed += shared.decide(request("refund_order", Map.of("amount", 50))).allowed() ? 1 : 0;
        }

        assertThat(victimAllowed).as("the other caller's calls allowed").isEqualTo(10);
        assertThat(attackerReasons.subList(0, 5)).containsOnly("policy_error");
        assertThat(attackerReasons.subList(5, 10)).as("mallory's own breaker, no evaluation").containsOnly("policy_unavailable");
        assertThat(engine.replacedInstances()).as("instances rebuilt: bounded by mallory's breaker").isEqualTo(5);
        assertThat(shared.circuitState()).isEqualTo(ResilientPolicyEngine.CircuitState.CLOSED);
    }

    @Test
    void timeNowNsComesFromTheInjectedClock() throws Exception {
        engineServing(bundles.build("deadline", "deadline-1", key)).pollNow();

        Decision before = engine.decide(request("any", Map.of()));
        clock.advance(Duration.ofMinutes(2)); // past 2030-01-01T00:00:00Z, the deadline in data.json
        Decision after = engine.decide(request("any", Map.of()));

        assertThat(before.allowed()).isTrue();
        assertThat(after).isInstanceOfSatisfying(Decision.Deny.class, d -> assertThat(d.reason().value()).isEqualTo("policy_denied"));
    }

    @Test
    void refusesAtLoadTimeABundleThatNeedsABuiltinWeDoNotProvideAndNamesIt() throws Exception {
        engineServing(bundles.build("http-send", "http-1", key));

        assertThat(engine.pollNow()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.REJECTED);

        assertThat(engine.lastLoadError()).hasValueSatisfying(error -> assertThat(error).contains("http.send"));
        assertThat(engine.decide(request("any", Map.of()))).isInstanceOfSatisfying(Decision.Deny.class,
                d -> assertThat(d.reason()).isEqualTo(ReasonCode.POLICY_NOT_LOADED));
    }

    @Test
    void refusesAtLoadTimeABundleUsingYamlWhichWouldDecideUnlikeOpa() throws Exception {
        engineServing(bundles.build("yaml", "yaml-1", key));

        assertThat(engine.pollNow()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.REJECTED);
        assertThat(engine.lastLoadError()).hasValueSatisfying(error -> assertThat(error).contains("yaml.unmarshal"));
    }

    @Test
    void refusesABundleWithoutTheConfiguredEntrypoint() throws Exception {
        engineServing(authz, OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).entrypoint("mcp/authz/other"));

        assertThat(engine.pollNow()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.REJECTED);
        assertThat(engine.lastLoadError()).hasValueSatisfying(error -> assertThat(error).contains("mcp/authz/other"));
    }

    @Test
    void keepsTheLastGoodBundleWhenANewOneIsBadAndReportsWhy() throws Exception {
        engineServing(even).pollNow();
        List<String> changes = new ArrayList<>();
        engine.onBundleChange(changes::add);

        publish(TestBundles.repack(odd, files -> {
            files.put("/data.json", "{\"smuggled\": true}".getBytes(UTF_8));
            return files;
        }));
        assertThat(engine.pollNow()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.REJECTED);

        assertThat(engine.currentRevision()).contains("even");
        assertThat(engine.lastLoadError()).hasValueSatisfying(error -> assertThat(error).contains("digest mismatch"));
        assertThat(engine.decide(request("t", Map.of("x", 2))).allowed()).isTrue();
        assertThat(changes).isEmpty();

        publish("corrupt".getBytes(UTF_8));
        assertThat(engine.pollNow()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.REJECTED);
        assertThat(engine.currentRevision()).contains("even");

        publish(odd);
        assertThat(engine.pollNow()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.LOADED);
        assertThat(changes).containsExactly("odd");
        assertThat(engine.lastLoadError()).isEmpty();
    }

    @Test
    void reportsAnUnchangedBundleWithoutReloading() throws Exception {
        engineServing(even);

        assertThat(engine.pollNow()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.LOADED);
        assertThat(engine.pollNow()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.UNCHANGED);
    }

    @Test
    void refusesToLoadAnUnsignedBundleHandedOverDirectly() throws Exception {
        engineServing(even);
        OpaBundle unverified = OpaBundle.read(even, BundleVerification.insecureUnsigned());

        assertThatThrownBy(() -> engine.load(unverified)).isInstanceOf(BundleException.class)
                .hasMessageContaining("signature verification");
    }

    @Test
    void deniesAfterClose() throws Exception {
        engineServing(even).pollNow();

        engine.close();

        assertThat(engine.decide(request("t", Map.of("x", 2)))).isInstanceOfSatisfying(Decision.Deny.class,
                d -> assertThat(d.reason()).isEqualTo(ReasonCode.POLICY_NOT_LOADED));
    }

    @Test
    void requiresAnExplicitVerificationChoice() {
        OpaWasmPolicyEngine.Builder builder = OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).bundleSource(BundleSource.file(Path.of("b.tar.gz")));

        assertThatThrownBy(builder::build).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("BundleVerification.insecureUnsigned()");
        assertThatThrownBy(() -> OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).poolSize(0)).hasMessageContaining("got 0");
        assertThatThrownBy(() -> OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).entrypoint("data.mcp.authz")).hasMessageContaining("data.mcp.authz");
    }

    @Test
    void hotSwapUnderConcurrentCallsNeverMixesPoliciesOrErrors() throws Exception {
        engineServing(even, OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).borrowTimeout(Duration.ofSeconds(60))).pollNow();
        AtomicBoolean running = new AtomicBoolean(true);
        ConcurrentLinkedQueue<String> violations = new ConcurrentLinkedQueue<>();
        AtomicLong evenDecisions = new AtomicLong();
        AtomicLong oddDecisions = new AtomicLong();
        List<Thread> callers = new ArrayList<>();
        for (int t = 0; t < 8; t++) {
            Thread caller = new Thread(() -> {
                while (running.get()) {
                    int x = ThreadLocalRandom.current().nextInt(0, 1_000_000);
                    Decision decision = engine.decide(request("t", Map.of("x", x)));
                    String revision = decision.policyRevision().orElse("none");
                    boolean expected = switch (revision) {
                        case "even" -> x % 2 == 0;
                        case "odd" -> x % 2 == 1;
                        default -> !violations.add("decision without a known revision: " + decision);
                    };
                    if (decision.allowed() != expected) {
                        violations.add("x=" + x + " revision=" + revision + " decision=" + decision);
                    }
                    if (decision instanceof Decision.Deny deny && !deny.reason().value().equals("policy_denied")) {
                        violations.add("unexpected denial " + deny);
                    }
                    (revision.equals("even") ? evenDecisions : oddDecisions).incrementAndGet();
                }
            });
            caller.start();
            callers.add(caller);
        }
        try {
            for (int swap = 0; swap < 10; swap++) {
                publish(swap % 2 == 0 ? odd : even);
                assertThat(engine.pollNow()).as("swap %d: %s", swap, engine.lastLoadError()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.LOADED);
                long seen = evenDecisions.get() + oddDecisions.get();
                Eventually.within(Duration.ofSeconds(30), "another 100 decisions",
                        () -> evenDecisions.get() + oddDecisions.get() > seen + 100);
            }
        } finally {
            running.set(false);
            for (Thread caller : callers) {
                caller.join(Duration.ofSeconds(30).toMillis());
            }
        }

        assertThat(violations).isEmpty();
        assertThat(evenDecisions.get()).isPositive();
        assertThat(oddDecisions.get()).isPositive();
        assertThat(engine.currentRevision()).contains("even");
    }
}
