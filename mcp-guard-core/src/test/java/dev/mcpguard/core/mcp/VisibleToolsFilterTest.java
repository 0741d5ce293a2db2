package dev.mcpguard.core.mcp;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.core.http.GuardRequestAttributes;
import dev.mcpguard.core.policy.ToolVisibility;
import dev.mcpguard.core.testing.MutableClock;
import dev.mcpguard.core.testing.PolicyRequests;
import io.modelcontextprotocol.common.McpTransportContext;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicReference;
import org.junit.jupiter.api.Test;

/** The tools/list filter asks policy once per request about every wrapped tool, and never reuses that answer elsewhere. */
class VisibleToolsFilterTest {

    private final MutableClock clock = MutableClock.startingAt("2026-03-02T12:00:00Z");
    private final List<Integer> listSizes = new CopyOnWriteArrayList<>();
    private final List<String> askedAlone = new CopyOnWriteArrayList<>();
    private final AtomicReference<Set<String>> visible = new AtomicReference<>(Set.of("get_order", "ghost"));
    private final PolicyEngine engine = new PolicyEngine() {
        @Override
        public Decision decide(PolicyRequest request) {
            askedAlone.add(request.tool().name());
            return visible.get().contains(request.tool().name()) ? Decision.allow(request.decisionId())
                    : Decision.deny(request.decisionId(), ReasonCode.POLICY_DENIED, "no");
        }

        @Override
        public Set<String> visibleTools(ToolListRequest request) {
            listSizes.add(request.tools().size());
            return visible.get();
        }
    };
    private final VisibleToolsFilter filter = new VisibleToolsFilter(new ToolVisibility(engine, "orders", clock), clock);
    private final CallerIdentity alice = PolicyRequests.caller("alice", "acme", Set.of(), Set.of());
    private final CallerIdentity bob = PolicyRequests.caller("bob", "acme", Set.of(), Set.of());
    private final ToolDescriptor getOrder = ToolDescriptor.named("get_order");
    private final ToolDescriptor refund = ToolDescriptor.named("refund_order");

    VisibleToolsFilterTest() {
        filter.offer(getOrder);
        filter.offer(refund);
    }

    private static McpTransportContext request(CallerIdentity caller) {
        return McpTransportContext.create(Map.of(GuardRequestAttributes.CALLER, caller));
    }

    @Test
    void oneRequestAsksPolicyOnceAboutEveryWrappedTool() {
        McpTransportContext list = request(alice);

        assertThat(filter.isVisible(list, getOrder)).isTrue();
        assertThat(filter.isVisible(list, refund)).isFalse();

        assertThat(listSizes).containsExactly(2);
        assertThat(askedAlone).isEmpty();
    }

    @Test
    void everyNewRequestAsksAgainSoAChangedPolicyIsSeenAtTheNextList() {
        filter.isVisible(request(alice), getOrder);
        visible.set(Set.of("refund_order"));

        McpTransportContext next = request(alice);
        assertThat(filter.isVisible(next, getOrder)).isFalse();
        assertThat(filter.isVisible(next, refund)).isTrue();
        assertThat(listSizes).containsExactly(2, 2);
    }

    @Test
    void anAnswerIsNotKeptPastTheRequestLifetime() {
        McpTransportContext list = request(alice);
        filter.isVisible(list, getOrder);
        visible.set(Set.of());
        clock.advance(VisibleToolsFilter.REQUEST_LIFETIME.plus(Duration.ofMillis(1)));

        assertThat(filter.isVisible(list, getOrder)).isFalse();
        assertThat(listSizes).containsExactly(2, 2);
        assertThat(filter.keptRequests()).isEqualTo(1);
    }

    @Test
    void aContextCarryingAnotherCallerIsAskedForThatCaller() {
        AtomicReference<CallerIdentity> caller = new AtomicReference<>(alice);
        McpTransportContext shared = key -> GuardRequestAttributes.CALLER.equals(key) ? caller.get() : null;
        filter.isVisible(shared, getOrder);
        caller.set(bob);
        visible.set(Set.of());

        assertThat(filter.isVisible(shared, getOrder)).isFalse();
        assertThat(listSizes).containsExactly(2, 2);
    }

    @Test
    void aToolTheGuardDidNotWrapOrWhoseDescriptorChangedIsAskedAlone() {
        McpTransportContext list = request(alice);
        ToolDescriptor changed = new ToolDescriptor("get_order", "now deletes orders", false, true, false, true);

        assertThat(filter.isVisible(list, ToolDescriptor.named("ghost"))).isTrue();
        assertThat(filter.isVisible(list, changed)).isTrue();

        assertThat(askedAlone).containsExactly("ghost", "get_order");
        assertThat(listSizes).isEmpty();
    }

    @Test
    void aNameThePolicyAnsweredButTheGuardDidNotOfferIsNotShownThroughTheList() {
        McpTransportContext list = request(alice);

        assertThat(filter.isVisible(list, refund)).isFalse(); // the list answer names "ghost", which was not offered
        assertThat(listSizes).containsExactly(2);
    }

    @Test
    void aRequestWithoutAVerifiedCallerSeesNothingAndAsksNothing() {
        assertThat(filter.isVisible(McpTransportContext.EMPTY, getOrder)).isFalse();

        assertThat(listSizes).isEmpty();
        assertThat(askedAlone).isEmpty();
    }

    @Test
    void reOfferingAToolReplacesItsDescriptor() {
        ToolDescriptor changed = new ToolDescriptor("get_order", "v2", true, false, true, false);
        filter.offer(changed);

        assertThat(filter.isVisible(request(alice), changed)).isTrue();
        assertThat(listSizes).containsExactly(2);
    }

    @Test
    void theListAnswerIsKnownWithoutAskingOnlyAfterItWasAskedForThisRequestAndCaller() {
        McpTransportContext list = request(alice);
        assertThat(filter.knownVisibility(list, getOrder)).isEmpty();
        assertThat(filter.knownVisibility(McpTransportContext.EMPTY, getOrder)).contains(false);

        filter.isVisible(list, getOrder);

        assertThat(filter.knownVisibility(list, getOrder)).contains(true);
        assertThat(filter.knownVisibility(list, refund)).contains(false);
        assertThat(filter.knownVisibility(request(alice), getOrder)).as("another request").isEmpty();
        assertThat(filter.knownVisibility(list, ToolDescriptor.named("ghost"))).as("not wrapped").isEmpty();
        clock.advance(VisibleToolsFilter.REQUEST_LIFETIME.plus(Duration.ofMillis(1)));
        assertThat(filter.knownVisibility(list, getOrder)).as("past the request lifetime").isEmpty();
    }

    @Test
    void interleavedRequestsAreEachAnsweredFromTheirOwnList() {
        McpTransportContext first = request(alice);
        McpTransportContext second = request(bob);
        assertThat(filter.isVisible(first, getOrder)).isTrue();
        visible.set(Set.of("refund_order"));
        assertThat(filter.isVisible(second, getOrder)).isFalse();

        assertThat(filter.isVisible(first, refund)).as("first request, its own answer").isFalse();
        assertThat(filter.isVisible(second, refund)).isTrue();
        assertThat(filter.isVisible(first, getOrder)).isTrue();
        assertThat(listSizes).containsExactly(2, 2);
    }

    @Test
    void aThousandToolsWithSimilarNamesShowExactlyThoseThePolicyNamed() {
        Set<String> shown = new java.util.HashSet<>();
        List<ToolDescriptor> tools = new java.util.ArrayList<>();
        for (int i = 0; i < 1000; i++) {
            ToolDescriptor tool = ToolDescriptor.named(String.format("tool_%04d", i));
            tools.add(tool);
            filter.offer(tool);
            if (i % 3 == 0) {
                shown.add(tool.name());
            }
        }
        visible.set(Set.copyOf(shown));
        McpTransportContext list = request(alice);

        for (ToolDescriptor tool : tools) {
            assertThat(filter.isVisible(list, tool)).as(tool.name()).isEqualTo(shown.contains(tool.name()));
        }
        assertThat(filter.isVisible(list, refund)).isFalse();
        assertThat(listSizes).containsExactly(1002);
    }
}
