package dev.mcpguard.api;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.time.Instant;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Optional;
import org.junit.jupiter.api.Test;

class ToolCallTest {

    private static final AttributeKey<String> NOTE = AttributeKey.of("note", String.class);

    private static ToolCall callWith(Map<String, Object> arguments) {
        return new ToolCall("c-1", "orders", ToolDescriptor.named("get_order"), arguments, Optional.empty(),
                Optional.empty(), Instant.EPOCH, ToolCall.Attributes.EMPTY);
    }

    @Test
    void argumentsAreCopiedSoTheCallersMapCannotChangeTheCall() {
        Map<String, Object> source = new HashMap<>(Map.of("order_id", "A-1"));
        ToolCall call = callWith(source);

        source.put("order_id", "B-2");

        assertThat(call.arguments()).containsEntry("order_id", "A-1");
    }

    @Test
    void argumentsAreReadOnlyAndKeepTheirOrderAndNullValues() {
        Map<String, Object> source = new LinkedHashMap<>();
        source.put("z", 1);
        source.put("a", null);
        ToolCall call = callWith(source);

        assertThat(call.arguments().keySet()).containsExactly("z", "a");
        assertThat(call.arguments()).containsEntry("a", null);
        assertThatThrownBy(() -> call.arguments().put("x", 2)).isInstanceOf(UnsupportedOperationException.class);
        assertThatThrownBy(() -> call.arguments().entrySet().clear()).isInstanceOf(UnsupportedOperationException.class);
    }

    @Test
    void copiesMadeByWithAttributeShareTheArgumentsInsteadOfCopyingThemAgain() {
        ToolCall call = callWith(Map.of("order_id", "A-1"));

        ToolCall annotated = call.withAttribute(NOTE, "seen");

        assertThat(annotated.arguments()).isSameAs(call.arguments()).isEqualTo(Map.of("order_id", "A-1"));
        assertThat(annotated.attribute(NOTE)).contains("seen");
        assertThat(call.attribute(NOTE)).isEmpty();
    }
}
