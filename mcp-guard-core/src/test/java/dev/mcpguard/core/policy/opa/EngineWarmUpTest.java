package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.PolicyEngine.Operation;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import dev.mcpguard.core.testing.Callers;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.Collections;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.stream.IntStream;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The warm-up a new bundle gets before it serves calls ({@link OpaWasmPolicyEngine.Builder#warmUp}). */
class EngineWarmUpTest {

    @TempDir
    static Path buildDir;
    static TestBundles bundles;
    static TestBundles.SigningKey key;
    static byte[] authz;

    @TempDir
    Path serveDir;
    OpaWasmPolicyEngine engine;

    @BeforeAll
    static void buildBundles() {
        bundles = new TestBundles(buildDir);
        key = bundles.rsaKey("warm-up");
        authz = bundles.build("authz", "authz-1", key);
    }

    @AfterEach
    void closeEngine() {
        if (engine != null) {
            engine.close();
        }
    }

    private OpaWasmPolicyEngine engineServing(OpaWasmPolicyEngine.Builder builder) throws Exception {
        Path bundleFile = serveDir.resolve("bundle.tar.gz");
        Files.write(bundleFile, authz);
        engine = builder.bundleSource(BundleSource.file(bundleFile))
                .verification(BundleVerification.publicKey(key.publicPem()))
                .poolSize(2)
                .build();
        return engine;
    }

    private static PolicyRequest refund(Map<String, Object> arguments) {
        return new PolicyRequest(Operation.CALL, "d-1", Callers.user("alice", "acme", "support"), "orders",
                ToolDescriptor.named("refund_order"), arguments, Optional.empty(), Instant.parse("2026-01-01T00:00:00Z"));
    }

    @Test
    void warmsUpANewBundleUntilTheEvaluationCountAndLeavesEveryInstanceInThePool() throws Exception {
        // A budget of a minute is never reached by 40 evaluations: the count ends the warm-up.
        engineServing(OpaWasmPolicyEngine.builder().warmUp(Duration.ofMinutes(1)).warmUpEvaluations(40)
                .warmUpRequests(List.of(refund(Map.of("amount", 5)))));

        assertThat(engine.pollNow()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.LOADED);

        assertThat(engine.lastWarmUpEvaluations()).isEqualTo(40);
        assertThat(engine.idleInstances()).isEqualTo(2);
        assertThat(engine.replacedInstances()).isZero();
        assertThat(engine.pendingDeadlines()).isZero();
        assertThat(engine.decide(refund(Map.of("amount", 50)))).isInstanceOf(Decision.Allow.class);
    }

    @Test
    void warmsUpByDefault() throws Exception {
        engineServing(OpaWasmPolicyEngine.builder().warmUpEvaluations(10));

        engine.pollNow();

        assertThat(engine.lastWarmUpEvaluations()).isEqualTo(10);
    }

    @Test
    void aZeroBudgetOrCountDisablesTheWarmUp() throws Exception {
        engineServing(OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO));
        assertThat(engine.pollNow()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.LOADED);
        assertThat(engine.lastWarmUpEvaluations()).isZero();
        engine.close();

        engineServing(OpaWasmPolicyEngine.builder().warmUpEvaluations(0));
        assertThat(engine.pollNow()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.LOADED);
        assertThat(engine.lastWarmUpEvaluations()).isZero();
    }

    @Test
    void refusesABundleWhoseWarmUpEvaluationFailsAsTheSmokeTestDoes() throws Exception {
        // Too big for a 4 MiB module memory: this warm-up request traps, while the smoke test's probe passes.
        List<Integer> manyNumbers = IntStream.range(0, 600_000).boxed().toList();
        PolicyRequest traps = refund(Map.of("amount", 50, "numbers", manyNumbers));
        OpaWasmPolicyEngine.Builder limited = OpaWasmPolicyEngine.builder().maxWasmMemoryMiB(4)
                .maxInputBytes(8 * 1024 * 1024).warmUpEvaluations(10);
        engineServing(limited.warmUpRequests(List.of(traps)));

        assertThat(engine.pollNow()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.REJECTED);

        assertThat(engine.currentRevision()).isEmpty();
        assertThat(engine.lastLoadError()).hasValueSatisfying(
                reason -> assertThat(reason).contains("authz-1", "fails to evaluate a test input"));
        assertThat(engine.decide(refund(Map.of("amount", 50)))).isInstanceOf(Decision.Deny.class);
        engine.close();

        // The same engine without that request loads the bundle: the warm-up refused it, not the smoke test.
        engineServing(limited.warmUpRequests(List.of()));
        assertThat(engine.pollNow()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.LOADED);
    }

    @Test
    void warmUpSettingsOutsideTheirRangeAreRefusedNamingTheValue() {
        OpaWasmPolicyEngine.Builder builder = OpaWasmPolicyEngine.builder();
        assertThatThrownBy(() -> builder.warmUp(Duration.ofMillis(-1)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT-0.001S");
        assertThatThrownBy(() -> builder.warmUp(Duration.ofMinutes(2)))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("PT2M");
        assertThatThrownBy(() -> builder.warmUpEvaluations(-1))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("-1");
        assertThatThrownBy(() -> builder.warmUpRequests(Collections.nCopies(101, refund(Map.of()))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("101");
    }
}
