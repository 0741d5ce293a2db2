package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.PolicyEngine.ToolListRequest;
import dev.mcpguard.core.policy.ToolListEvaluation;
import dev.mcpguard.core.testing.OpaBinary;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * How the embedded engine reads a bundle's list entrypoint ({@code mcp/authz/visible_tools}): the names it answers
 * among the offered tools, once each; nothing on a result of the wrong shape (a failure) or an undefined one; the
 * per-tool decisions when the bundle has no such entrypoint; and a bundle whose list entrypoint cannot answer the
 * smoke test is refused.
 */
class VisibleToolsEntrypointTest {

    private static final String DECISION = """
            package mcp.authz

            import rego.v1

            decision := input.tool.name in {"a", "b"}
            """;
    private static final String SHAPES = DECISION + """

            visible_tools := [t.name | some t in input.tools; t.name in {"a", "b"}] if input.caller.subject == "alice"

            visible_tools := ["a", "a", "ghost"] if input.caller.subject == "dup"

            visible_tools := {"a": true} if input.caller.subject == "object"

            visible_tools := ["a", 7] if input.caller.subject == "mixed"
            """;

    @TempDir
    Path work;
    private final List<OpaWasmPolicyEngine> engines = new ArrayList<>();

    @AfterEach
    void close() {
        engines.forEach(OpaWasmPolicyEngine::close);
    }

    @Test
    void showsTheNamedOfferedToolsOnceAndNoOtherName() throws Exception {
        OpaWasmPolicyEngine engine = serving(SHAPES, true);

        assertThat(engine.visibleTools(list("alice", "a", "b", "c"))).isEqualTo(Set.of("a", "b"));
        assertThat(engine.visibleTools(list("dup", "a", "b"))).isEqualTo(Set.of("a"));
        assertThat(engine.evaluateToolList(list("alice", "a"))).get()
                .satisfies(answer -> assertThat(answer.policyRevision()).contains("list-1"));
    }

    @Test
    void showsNothingAndReportsAFailureForAResultThatIsNotAnArrayOfNames() throws Exception {
        OpaWasmPolicyEngine engine = serving(SHAPES, true);

        for (String subject : List.of("object", "mixed")) {
            assertThat(engine.visibleTools(list(subject, "a", "b"))).as(subject).isEmpty();
            assertThat(engine.evaluateToolList(list(subject, "a", "b"))).get()
                    .extracting(ToolListEvaluation.Answer::failed).as(subject).isEqualTo(true);
        }
    }

    @Test
    void showsNothingWithoutAFailureWhenTheListIsUndefined() throws Exception {
        OpaWasmPolicyEngine engine = serving(SHAPES, true);

        assertThat(engine.evaluateToolList(list("nobody", "a", "b"))).get()
                .isEqualTo(new ToolListEvaluation.Answer(Set.of(), false, Optional.of("list-1")));
    }

    @Test
    void asksPerToolWhenTheBundleHasNoListEntrypoint() throws Exception {
        OpaWasmPolicyEngine engine = serving(DECISION, false);

        assertThat(engine.evaluateToolList(list("alice", "a", "b", "c"))).isEmpty();
        assertThat(engine.visibleTools(list("anyone", "a", "b", "c"))).isEqualTo(Set.of("a", "b"));
    }

    @Test
    void showsNothingBeforeABundleHasLoaded() {
        OpaWasmPolicyEngine engine = OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO)
                .bundleSource(BundleSource.file(work.resolve("absent.tar.gz")))
                .verification(BundleVerification.insecureUnsigned()).build();
        engines.add(engine);

        assertThat(engine.visibleTools(list("alice", "a"))).isEmpty();
    }

    @Test
    void refusesABundleWhoseListEntrypointDoesNotAnswerTheSmokeTestWithNames() throws Exception {
        Path bundle = build(DECISION + "\nvisible_tools := 7\n", true);
        OpaWasmPolicyEngine engine = OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO).bundleSource(BundleSource.file(bundle))
                .verification(BundleVerification.insecureUnsigned()).poolSize(1).build();
        engines.add(engine);

        assertThat(engine.pollNow()).isEqualTo(OpaWasmPolicyEngine.LoadOutcome.REJECTED);
        assertThat(engine.lastLoadError()).get().asString().contains("mcp/authz/visible_tools");
    }

    private OpaWasmPolicyEngine serving(String policy, boolean withListEntrypoint) throws Exception {
        OpaWasmPolicyEngine engine = OpaWasmPolicyEngine.builder().warmUp(Duration.ZERO)
                .bundleSource(BundleSource.file(build(policy, withListEntrypoint)))
                .verification(BundleVerification.insecureUnsigned()).poolSize(1).build();
        engines.add(engine);
        assertThat(engine.pollNow()).as("loads: %s", engine.lastLoadError())
                .isEqualTo(OpaWasmPolicyEngine.LoadOutcome.LOADED);
        return engine;
    }

    private Path build(String policy, boolean withListEntrypoint) throws Exception {
        Path dir = Files.createTempDirectory(work, "policy");
        Files.writeString(dir.resolve("policy.rego"), policy);
        Path out = work.resolve(dir.getFileName() + ".tar.gz");
        List<String> args = new ArrayList<>(List.of("build", "-t", "wasm", "-e", "mcp/authz/decision"));
        if (withListEntrypoint) {
            args.addAll(List.of("-e", "mcp/authz/visible_tools"));
        }
        args.addAll(List.of("--revision", "list-1", "-b", dir.toString(), "-o", out.toString()));
        OpaBinary.run(work, args);
        return out;
    }

    private static ToolListRequest list(String subject, String... tools) {
        return new ToolListRequest("list-test", CallerIdentity.builder("https://issuer.test", subject).build(),
                "orders", java.util.Arrays.stream(tools).map(ToolDescriptor::named).toList(), Optional.empty(),
                Instant.parse("2026-01-01T00:00:00Z"));
    }
}
