package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import dev.mcpguard.core.testing.OpaServer;
import dev.mcpguard.core.testing.PolicyRequests;
import java.net.URI;
import java.nio.file.Path;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

/** The remote engine against a real {@code opa run --server} serving the test bundle. */
class OpaRemotePolicyEngineTest {

    static final String REVISION = "orders-policy-7";

    private static OpaServer opa;

    static Path bundleDir() throws Exception {
        return Path.of(OpaRemotePolicyEngineTest.class.getResource("/opa-remote/bundle").toURI());
    }

    @BeforeAll
    static void startOpa() throws Exception {
        opa = OpaServer.startWithBundle(bundleDir());
    }

    @AfterAll
    static void stopOpa() {
        if (opa != null) {
            opa.close();
        }
    }

    private static OpaRemotePolicyEngine.Builder engineFor(URI base) {
        return OpaRemotePolicyEngine.builder(base).allowPlainHttpOnLoopback();
    }

    @Test
    void allowsWhenThePolicyAllowsAndKeepsOurDecisionId() {
        PolicyRequest request = PolicyRequests.allowedCall();

        Decision decision = engineFor(opa.baseUri()).build().decide(request);

        assertThat(decision).isInstanceOf(Decision.Allow.class);
        assertThat(decision.decisionId()).isEqualTo(request.decisionId());
    }

    @Test
    void capturesTheBundleRevisionFromProvenance() {
        Decision decision = engineFor(opa.baseUri()).build().decide(PolicyRequests.allowedCall());

        assertThat(decision.policyRevision()).contains(REVISION);
    }

    @Test
    void deniesWithThePolicysReasonAndMessage() {
        var support = PolicyRequests.caller("bob", "acme", Set.of("orders.refund"), Set.of("support"));

        Decision decision = engineFor(opa.baseUri()).build()
                .decide(PolicyRequests.call(support, "refund_order", Map.of("order_id", "A-1", "amount", 900)));

        assertThat(decision).isInstanceOfSatisfying(Decision.Deny.class, deny -> {
            assertThat(deny.reason()).isEqualTo(ReasonCode.of("refund_limit_exceeded"));
            assertThat(deny.message()).isEqualTo("Refunds above the limit need an admin.");
            assertThat(deny.policyRevision()).contains(REVISION);
        });
    }

    @Test
    void carriesTheObligationsOfAnAllow() {
        var support = PolicyRequests.caller("bob", "acme", Set.of("orders.refund"), Set.of("support"));

        Decision decision = engineFor(opa.baseUri()).build()
                .decide(PolicyRequests.call(support, "refund_order", Map.of("order_id", "A-1", "amount", 120)));

        assertThat(decision).isInstanceOfSatisfying(Decision.Allow.class, allow ->
                assertThat(allow.obligations()).containsEntry("audit_level", "high"));
    }

    @Test
    void aPathWithNoRuleIsUndefinedAndDenied() {
        Decision decision = engineFor(opa.baseUri()).decisionPath("mcp/authz/no_such_rule").build()
                .decide(PolicyRequests.allowedCall());

        assertThat(decision).isInstanceOfSatisfying(Decision.Deny.class, deny -> {
            assertThat(deny.reason()).isEqualTo(ReasonCode.POLICY_UNDEFINED);
            assertThat(deny.policyRevision()).contains(REVISION);
        });
    }

    @Test
    void aResultOfTheWrongTypeIsAPolicyError() {
        Decision decision = engineFor(opa.baseUri()).decisionPath("mcp/authz/wrong_type").build()
                .decide(PolicyRequests.allowedCall());

        assertThat(decision).isInstanceOfSatisfying(Decision.Deny.class,
                deny -> assertThat(deny.reason()).isEqualTo(ReasonCode.POLICY_ERROR));
    }

    @Test
    void serverWithoutBundlesGivesNoRevision() throws Exception {
        try (OpaServer plain = OpaServer.startWithFiles(bundleDir().resolve("mcp"))) {
            Decision decision = engineFor(plain.baseUri()).build().decide(PolicyRequests.allowedCall());

            assertThat(decision.allowed()).isTrue();
            assertThat(decision.policyRevision()).isEqualTo(Optional.empty());
        }
    }

    @Test
    void basePathPrefixAndTrailingSlashAreHandled() {
        OpaRemotePolicyEngine engine = engineFor(URI.create(opa.baseUri() + "/")).build();

        assertThat(engine.decisionUri().toString())
                .isEqualTo(opa.baseUri() + "/v1/data/mcp/authz/decision?provenance=true");
        assertThat(engine.decide(PolicyRequests.allowedCall()).allowed()).isTrue();
    }

    @Test
    void plainHttpToAnotherHostIsRefusedEvenWithTheLoopbackFlag() {
        assertThatThrownBy(() -> OpaRemotePolicyEngine.builder(URI.create("http://opa.internal:8181"))
                .allowPlainHttpOnLoopback().build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("http://opa.internal:8181");
    }

    @Test
    void plainHttpToLoopbackNeedsTheExplicitFlag() {
        assertThatThrownBy(() -> OpaRemotePolicyEngine.builder(URI.create("http://127.0.0.1:8181")).build())
                .isInstanceOf(IllegalStateException.class).hasMessageContaining("allowPlainHttpOnLoopback");
        assertThat(OpaRemotePolicyEngine.builder(URI.create("http://[::1]:8181")).allowPlainHttpOnLoopback().build())
                .isNotNull();
        assertThat(OpaRemotePolicyEngine.builder(URI.create("http://localhost:8181")).allowPlainHttpOnLoopback().build())
                .isNotNull();
    }

    @Test
    void httpsNeedsNoFlag() {
        assertThat(OpaRemotePolicyEngine.builder(URI.create("https://opa.internal:8181")).build().decisionUri())
                .hasToString("https://opa.internal:8181/v1/data/mcp/authz/decision?provenance=true");
    }

    @Test
    void userInfoInTheBaseUriIsRefusedWithoutEchoingIt() {
        assertThatThrownBy(() -> OpaRemotePolicyEngine.builder(URI.create("https://admin:hunter2@opa.internal")))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageNotContaining("hunter2");
    }

    @Test
    void badSettingsAreRejectedShowingTheValue() {
        var builder = OpaRemotePolicyEngine.builder(URI.create("https://opa.internal"));

        assertThatThrownBy(() -> builder.decisionPath("../v1/policies")).hasMessageContaining("../v1/policies");
        assertThatThrownBy(() -> builder.requestTimeout(java.time.Duration.ZERO)).hasMessageContaining("PT0S");
        assertThatThrownBy(() -> builder.maxResponseBytes(10)).hasMessageContaining("10");
    }
}
