package dev.mcpguard.core.policy.opa;

import com.fasterxml.jackson.databind.JsonNode;
import java.nio.file.Path;
import java.time.Clock;
import java.time.Duration;
import java.util.Optional;

/**
 * Test bridge: the real {@link OpaWasmPolicyEngine} on a wasm bundle file, evaluating one rule on arbitrary input
 * documents (not only decision requests). Shared with {@code dev.mcpguard.core.testing.OpaDifferential} through
 * the test-jar. Thread-safe, like the engine.
 */
public final class EmbeddedEvaluator implements AutoCloseable {

    private final OpaWasmPolicyEngine engine;

    private EmbeddedEvaluator(OpaWasmPolicyEngine engine) {
        this.engine = engine;
    }

    /**
     * Loads the unsigned wasm bundle at {@code bundle} with {@code entrypoint} (a slash path) and {@code clock}.
     * Divergent builtins are accepted here, so that probes can measure the divergences; their refusal at load is
     * tested by {@code DivergentBuiltinsTest}. The evaluation deadline is above {@code OpaDifferential}'s own
     * limit for an evaluation (30 s, after which it interrupts it and reports it unfinished), so a batch of probes
     * on a busy machine is never cut short by the engine's default of 1 s.
     */
    public static EmbeddedEvaluator load(Path bundle, String entrypoint, Clock clock) {
        OpaWasmPolicyEngine engine = OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO)
                .bundleSource(BundleSource.file(bundle))
                .verification(BundleVerification.insecureUnsigned())
                .entrypoint(entrypoint)
                .clock(clock)
                .poolSize(1)
                .evaluationDeadline(Duration.ofMinutes(2))
                .acceptDivergentBuiltins(DivergentBuiltins.NAMES)
                .build();
        if (engine.pollNow() != OpaWasmPolicyEngine.LoadOutcome.LOADED) {
            String reason = engine.lastLoadError().orElse("unknown");
            engine.close();
            throw new IllegalStateException("the embedded engine refused the bundle: " + reason);
        }
        return new EmbeddedEvaluator(engine);
    }

    /** The rule's value for {@code input}; empty when undefined; throws when evaluation fails. */
    public Optional<JsonNode> evaluate(JsonNode input) throws Exception {
        return engine.evaluateDocument(input);
    }

    @Override
    public void close() {
        engine.close();
    }
}
