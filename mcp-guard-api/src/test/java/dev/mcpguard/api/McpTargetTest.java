package dev.mcpguard.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.api.spi.PolicyEngine.Operation;
import java.time.Instant;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class McpTargetTest {

    @Test
    void eachMethodAsksItsOperation() {
        assertThat(McpTarget.TOOL_CALL.operation()).isEqualTo(Operation.CALL);
        assertThat(McpTarget.TOOL_LIST.operation()).isEqualTo(Operation.LIST);
        assertThat(McpTarget.resource("resources/read", new McpTarget.Resource("a://b", null, null, null)).operation())
                .isEqualTo(Operation.READ);
        assertThat(new McpTarget("resources/templates/list", null, null, null).isListing()).isTrue();
        assertThat(McpTarget.prompt("prompts/get", new McpTarget.Prompt("p")).operation()).isEqualTo(Operation.GET);
        assertThat(McpTarget.completion(new McpTarget.Completion("ref/prompt", "p", "arg")).operation())
                .isEqualTo(Operation.COMPLETE);
        assertThat(McpTarget.TOOL_CALL.isTool()).isTrue();
    }

    @Test
    void anItemMustFitItsMethodAndUnknownMethodsAreRejected() {
        assertThatThrownBy(() -> McpTarget.resource("prompts/get", new McpTarget.Resource("a://b", null, null, null)))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> McpTarget.prompt("resources/read", new McpTarget.Prompt("p")))
                .isInstanceOf(IllegalArgumentException.class);
        assertThatThrownBy(() -> new McpTarget("logging/setLevel", null, null, null))
                .isInstanceOf(IllegalArgumentException.class).hasMessageNotContaining("logging");
        assertThatThrownBy(() -> new McpTarget.Completion("ref/tool", "p", "a"))
                .isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void aRequestThatIsNoToolCallCarriesAStandInToolNamedAfterItsMethodAndNoItemInItsToString() {
        McpTarget read = McpTarget.resource("resources/read",
                new McpTarget.Resource("orders://acme/secret-order-77", null, null, null));

        ToolCall call = ToolCall.of(read, "c-1", "orders", Map.of(), Optional.empty(), Optional.empty(),
                Instant.EPOCH);

        assertThat(call.toolName()).isEqualTo("resources/read");
        assertThat(call.target()).isSameAs(read);
        assertThat(call.withAttribute(GuardKeys.MISSING_CALLER_EXPLANATION, "x").target()).isSameAs(read);
        assertThat(read.itemName()).isEqualTo("orders://acme/secret-order-77");
        assertThat(call.toString()).contains("resources/read").doesNotContain("secret-order-77");
        assertThat(read.toString()).doesNotContain("secret-order-77");
    }
}
