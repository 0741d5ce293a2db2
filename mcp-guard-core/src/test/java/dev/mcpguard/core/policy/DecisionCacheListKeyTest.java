package dev.mcpguard.core.policy;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.PolicyEngine.ToolListRequest;
import dev.mcpguard.core.testing.PolicyRequests;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

/** The key of a tools/list: its tools' digest is computed once per list of tools, and follows every change of a tool. */
class DecisionCacheListKeyTest {

    private static final Instant NOON = Instant.parse("2026-03-02T12:00:00Z");

    private final DecisionCache cache = new DecisionCache(DecisionCacheConfig.of(100, Duration.ofSeconds(1)),
            () -> 0L);
    private final CallerIdentity alice = PolicyRequests.caller("alice", "acme", Set.of("orders.read"), Set.of());

    private DecisionCache.Key keyOf(List<ToolDescriptor> tools) {
        return cache.keyOf(new ToolListRequest("list", alice, "orders", tools, Optional.empty(), NOON)).orElseThrow();
    }

    private static List<ToolDescriptor> tools(int count) {
        List<ToolDescriptor> tools = new ArrayList<>();
        for (int i = 0; i < count; i++) {
            tools.add(new ToolDescriptor("tool_" + i, "Tool " + i, i % 2 == 0, true, false, true));
        }
        return List.copyOf(tools);
    }

    @Test
    void theSameListOfToolsAndAnEqualOneGetTheSameKey() {
        List<ToolDescriptor> offered = tools(100);

        DecisionCache.Key first = keyOf(offered);

        assertThat(keyOf(offered)).isEqualTo(first);
        assertThat(keyOf(tools(100))).as("an equal list, another object").isEqualTo(first);
        assertThat(keyOf(offered)).isEqualTo(first);
    }

    @Test
    void everyChangeOfAnyToolChangesTheKeyAndTheFirstListStillGetsItsOwn() {
        List<ToolDescriptor> offered = tools(100);
        DecisionCache.Key first = keyOf(offered);
        ToolDescriptor last = offered.get(99);
        List<ToolDescriptor> variants = List.of(
                new ToolDescriptor(last.name(), last.description() + ".", last.readOnlyHint(), last.destructiveHint(),
                        last.idempotentHint(), last.openWorldHint()),
                new ToolDescriptor(last.name(), last.description(), !last.readOnlyHint(), last.destructiveHint(),
                        last.idempotentHint(), last.openWorldHint()),
                new ToolDescriptor(last.name(), last.description(), last.readOnlyHint(), !last.destructiveHint(),
                        last.idempotentHint(), last.openWorldHint()),
                new ToolDescriptor(last.name(), last.description(), last.readOnlyHint(), last.destructiveHint(),
                        !last.idempotentHint(), last.openWorldHint()),
                new ToolDescriptor(last.name(), last.description(), last.readOnlyHint(), last.destructiveHint(),
                        last.idempotentHint(), !last.openWorldHint()),
                new ToolDescriptor(last.name() + "x", last.description(), last.readOnlyHint(), last.destructiveHint(),
                        last.idempotentHint(), last.openWorldHint()));

        List<DecisionCache.Key> keys = new ArrayList<>();
        for (ToolDescriptor variant : variants) {
            List<ToolDescriptor> changed = new ArrayList<>(offered);
            changed.set(99, variant);
            keys.add(keyOf(List.copyOf(changed)));
        }
        List<ToolDescriptor> reordered = new ArrayList<>(offered);
        reordered.set(0, offered.get(1));
        reordered.set(1, offered.get(0));
        keys.add(keyOf(List.copyOf(reordered)));
        keys.add(keyOf(offered.subList(0, 99)));

        assertThat(keys).doesNotHaveDuplicates().doesNotContain(first);
        assertThat(keyOf(offered)).as("the first list again, after others").isEqualTo(first);
    }

    @Test
    void theSameToolsForAnotherCallerOrServerGetAnotherKey() {
        List<ToolDescriptor> offered = tools(10);
        DecisionCache.Key first = keyOf(offered);
        CallerIdentity bob = PolicyRequests.caller("bob", "acme", Set.of("orders.read"), Set.of());

        assertThat(cache.keyOf(new ToolListRequest("l", bob, "orders", offered, Optional.empty(), NOON)))
                .get().isNotEqualTo(first);
        assertThat(cache.keyOf(new ToolListRequest("l", alice, "billing", offered, Optional.empty(), NOON)))
                .get().isNotEqualTo(first);
        assertThat(cache.keyOf(new ToolListRequest("l", alice, "orders", offered, Optional.of("s"), NOON)))
                .get().isNotEqualTo(first);
    }
}
