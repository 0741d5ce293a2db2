package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.MissingNode;
import dev.mcpguard.api.Decision;
import java.util.Optional;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

class PolicyResultReaderTest {

    private final ObjectMapper mapper = new ObjectMapper();
    private final PolicyResultReader reader = new PolicyResultReader(mapper);

    private Decision read(String json) throws Exception {
        return reader.read(mapper.readTree(json), "d-1", Optional.of("rev-1"));
    }

    @Test
    void trueAllowsAndCarriesTheRevision() throws Exception {
        assertThat(read("true")).isInstanceOfSatisfying(Decision.Allow.class, a -> {
            assertThat(a.decisionId()).isEqualTo("d-1");
            assertThat(a.policyRevision()).contains("rev-1");
        });
    }

    @Test
    void falseDeniesWithPolicyDenied() throws Exception {
        assertThat(read("false")).isInstanceOfSatisfying(Decision.Deny.class,
                d -> assertThat(d.reason().value()).isEqualTo("policy_denied"));
    }

    @Test
    void undefinedDeniesWithPolicyUndefined() {
        assertThat(reader.read(MissingNode.getInstance(), "d-1", Optional.empty()))
                .isInstanceOfSatisfying(Decision.Deny.class, d -> assertThat(d.reason().value()).isEqualTo("policy_undefined"));
        assertThat(reader.read(null, "d-1", Optional.empty())).isInstanceOf(Decision.Deny.class);
    }

    @Test
    void objectAllowCarriesObligations() throws Exception {
        Decision decision = read("{\"allow\": true, \"obligations\": {\"credential\": \"crm\", \"rate_limit\": {\"per_minute\": 30}, \"gone\": null}}");

        assertThat(decision).isInstanceOfSatisfying(Decision.Allow.class, a -> {
            assertThat(a.obligations()).containsEntry("credential", "crm").containsKey("rate_limit").doesNotContainKey("gone");
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"policy_error", "policy_unavailable", "policy_undefined", "policy_not_loaded",
            "policy_input_too_large", "guard_error", "audit_unavailable", "no_policy_configured"})
    void aReasonTheGuardReservesForItsOwnFailuresIsReadAsPolicyDenied(String reserved) throws Exception {
        Decision decision = read("{\"allow\": false, \"reason\": \"" + reserved + "\", \"message\": \"Bad input.\"}");

        assertThat(decision).isInstanceOfSatisfying(Decision.Deny.class, d -> {
            assertThat(d.reason().value()).isEqualTo("policy_denied");
            assertThat(d.message()).isEqualTo("Bad input.");
        });
    }

    @Test
    void objectDenyCarriesThePolicysReasonAndMessage() throws Exception {
        Decision decision = read("{\"allow\": false, \"reason\": \"refund_limit_exceeded\", \"message\": \"Refunds above 100 need an approver.\"}");

        assertThat(decision).isInstanceOfSatisfying(Decision.Deny.class, d -> {
            assertThat(d.reason().value()).isEqualTo("refund_limit_exceeded");
            assertThat(d.message()).isEqualTo("Refunds above 100 need an approver.");
        });
    }

    @Test
    void invalidReasonCodesAndHostileMessagesAreNeutralised() throws Exception {
        Decision decision = read("{\"allow\": false, \"reason\": \"DROP TABLE; <script>\", \"message\": \"line1\\nline2\\u202e" + "x".repeat(500) + "\"}");

        assertThat(decision).isInstanceOfSatisfying(Decision.Deny.class, d -> {
            assertThat(d.reason().value()).isEqualTo("policy_denied");
            assertThat(d.message()).doesNotContain("\n").doesNotContain("\u202e").hasSizeLessThanOrEqualTo(200);
        });
    }

    @ParameterizedTest
    @ValueSource(strings = {"1", "\"yes\"", "[true]", "{}", "{\"allow\": \"true\"}", "{\"allow\": 1}",
            "{\"allow\": true, \"obligations\": [1]}", "{\"allow\": true, \"obligations\": \"x\"}"})
    void anythingElseDeniesWithPolicyError(String json) throws Exception {
        JsonNode node = mapper.readTree(json);

        assertThat(reader.read(node, "d-1", Optional.empty())).isInstanceOfSatisfying(Decision.Deny.class,
                d -> assertThat(d.reason().value()).isEqualTo("policy_error"));
    }
}
