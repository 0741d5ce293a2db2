package dev.mcpguard.api;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.spi.ContentClassifier;
import dev.mcpguard.api.spi.PolicyEngine.Operation;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

/** A value logged with {@code log.debug("{}", call)} must not leak argument values, results or secrets. */
class NoValuesInToStringTest {

    private static final CallerIdentity ALICE = CallerIdentity.builder("https://issuer.test", "alice").build();
    private final ToolCall call = new ToolCall("c-1", "orders", ToolDescriptor.named("refund_order"),
            Map.of("card_number", "4111111111111111", "note", "my password is hunter2"), Optional.of("s-1"),
            Optional.of(ALICE), Instant.EPOCH, ToolCall.Attributes.EMPTY);

    @Test
    void toolCallNamesArgumentsButNotTheirValues() {
        assertThat(call.toString()).contains("card_number", "note", "refund_order", "alice")
                .doesNotContain("4111111111111111", "hunter2");
    }

    @Test
    void completedOutcomeNamesTheResultTypeOnly() {
        ToolOutcome outcome = new ToolOutcome.Completed(call, "secret result text", false);

        assertThat(outcome.toString()).doesNotContain("secret result text", "4111111111111111");
    }

    @Test
    void policyRequestNamesArgumentsButNotTheirValues() {
        PolicyRequest request = new PolicyRequest(Operation.CALL, "d-1", ALICE, "orders",
                ToolDescriptor.named("refund_order"), call.arguments(), Optional.empty(), Instant.EPOCH);

        assertThat(request.toString()).contains("card_number").doesNotContain("4111111111111111", "hunter2");
    }

    @Test
    void classifierRequestNamesItsItemsButNotTheirText() {
        ContentClassifier.Request request = new ContentClassifier.Request(ContentClassifier.Request.RESULT, "orders",
                "tools/call", "refund_order", List.of(new ContentClassifier.Item("$.content[0].text",
                        "card 4111111111111111, password hunter2")));

        assertThat(request.toString()).contains("refund_order", "items=1")
                .doesNotContain("4111111111111111", "hunter2");
        assertThat(request.items().get(0).toString()).contains("$.content[0].text")
                .doesNotContain("4111111111111111", "hunter2");
    }

    @Test
    void secretsAreRedacted() {
        assertThat(Secret.ofUtf8("hunter2").toString()).doesNotContain("hunter2");
    }
}
