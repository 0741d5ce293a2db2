package dev.mcpguard.examples;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.core.policy.ResilientPolicyEngine;
import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.lang.management.ManagementFactory;
import java.net.http.HttpResponse;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * Issue 8, item 1, from outside: one caller (a token with no scope and no role) floods the server over raw
 * Streamable HTTP, from two concurrent sessions, with arguments no policy engine can take (strings and names with
 * lone UTF-16 surrogates, a number JSON cannot represent). Before the fix each such call made the embedded OPA
 * abort ({@code policy_error}, a policy instance rebuilt at about 0.8 s of CPU) and five of them opened the shared
 * circuit breaker, so every caller of every tenant was denied {@code policy_unavailable}. Now each is that call's
 * own denial ({@code invalid_arguments}) decided before evaluation, and a caller of another tenant calling at the
 * same time is allowed every time. (Since issue 11 the lone surrogates are evaluated as OPA evaluates them, with
 * U+FFFD, so the policy denies them; the number is still denied before evaluation.)
 */
@Timeout(value = 120, unit = TimeUnit.SECONDS) // a safety net, not a latency assertion
class HostileInputPolicyEndToEndTest {

    /** The attacker: a valid token of its own tenant, no scope, no role. */
    static final DemoUser MALLORY = new DemoUser("mallory", "initech", List.of(), List.of());

    private static final int BAD_CALLS_PER_STREAM = 60;
    private static final int MINIMUM_VICTIM_CALLS = 30;
    private static final Pattern REASON = Pattern.compile("\\\\?\"reason\\\\?\"\\s*:\\s*\\\\?\"([a-z0-9_]+)");

    @RegisterExtension
    static final OrdersServerFixture fixture = new OrdersServerFixture();

    /** Raw bodies a well-behaved client would never send (the JSON escapes reach the server as lone surrogates). */
    private static final List<String> BAD_CALLS = List.of(
            OrdersServerFixture.toolsCall(7, "get_order", "{\"order_id\": \"acme-1\\ud800\"}"),
            OrdersServerFixture.toolsCall(7, "get_order", "{\"order_id\": \"\\udc00acme-1001\"}"),
            OrdersServerFixture.toolsCall(7, "get_order", "{\"order_id\": \"acme-\\udfff\\ud800-1\"}"),
            OrdersServerFixture.toolsCall(7, "list_orders", "{\"status\": \"open\\ud83d\"}"),
            OrdersServerFixture.toolsCall(7, "refund_order",
                    "{\"order_id\": \"initech-1\", \"amount\": 1e400, \"reason\": \"x\"}"));

    @Test
    void oneCallerFloodingUnrepresentableArgumentsIsDeniedAloneWhileAnotherTenantKeepsBeingAllowed() throws Exception {
        String attackerToken = fixture.tokenFor(MALLORY);
        List<String> attackerSessions = List.of(fixture.openRawSession(attackerToken),
                fixture.openRawSession(attackerToken));
        McpSyncClient grace = fixture.connectedClientFor(DemoUser.GRACE);
        ResilientPolicyEngine policy = fixture.server().policyEngine();
        long openedBefore = policy.metrics().snapshot().breakerOpened();

        Map<String, AtomicInteger> attackerReasons = new ConcurrentHashMap<>();
        ConcurrentLinkedQueue<Long> badCallNanos = new ConcurrentLinkedQueue<>();
        ExecutorService threads = Executors.newFixedThreadPool(2);
        long cpuBefore = processCpuNanos();
        List<Future<?>> streams = new ArrayList<>();
        try {
            for (String session : attackerSessions) {
                streams.add(threads.submit(() -> {
                    for (int i = 0; i < BAD_CALLS_PER_STREAM; i++) {
                        long started = System.nanoTime();
                        HttpResponse<String> response = fixture.rawPost(attackerToken, session,
                                BAD_CALLS.get(i % BAD_CALLS.size()));
                        badCallNanos.add(System.nanoTime() - started);
                        attackerReasons.computeIfAbsent(reasonOf(response), r -> new AtomicInteger()).incrementAndGet();
                    }
                }));
            }
            int victimCalls = 0;
            int victimAllowed = 0;
            List<String> victimDenials = new ArrayList<>();
            while (victimCalls < MINIMUM_VICTIM_CALLS || streams.stream().anyMatch(f -> !f.isDone())) {
                CallToolResult result = grace.callTool(new CallToolRequest("get_order", Map.of("order_id", "globex-2001")));
                victimCalls++;
                if (!Boolean.TRUE.equals(result.isError())) {
                    victimAllowed++;
                } else {
                    victimDenials.add(String.valueOf(((Map<?, ?>) result.structuredContent()).get("reason")));
                }
            }
            for (Future<?> stream : streams) {
                stream.get();
            }
            long cpu = processCpuNanos() - cpuBefore;
            List<Long> sorted = badCallNanos.stream().sorted().toList();
            int badCalls = sorted.size();

            System.out.printf("Issue 8 item 1 figure: victim (grace@globex) calls allowed during the flood: %d of %d "
                            + "(%.1f%%); attacker's %d bad calls denied with %s; bad call median %.2f ms, p95 %.2f ms; "
                            + "process CPU over the flood %.0f ms (%.2f ms per call, victim calls included); "
                            + "shared breaker %s%n",
                    victimAllowed, victimCalls, 100.0 * victimAllowed / victimCalls, badCalls,
                    new TreeMap<>(attackerReasons), sorted.get(badCalls / 2) / 1e6,
                    sorted.get((int) (badCalls * 0.95)) / 1e6, cpu / 1e6, cpu / 1e6 / (badCalls + victimCalls),
                    policy.circuitState());

            assertThat(victimDenials).as("victim calls denied during the flood").isEmpty();
            assertThat(victimAllowed).isEqualTo(victimCalls);
            // Lone surrogates are evaluated as OPA does (U+FFFD), so the policy itself denies this scopeless caller;
            // the unrepresentable number is denied before evaluation. Never an engine failure.
            assertThat(attackerReasons.keySet()).as("the attacker's denial reasons").contains("invalid_arguments")
                    .doesNotContain("policy_error", "policy_unavailable", "guard_error");
            assertThat(policy.circuitState()).isEqualTo(ResilientPolicyEngine.CircuitState.CLOSED);
            assertThat(policy.metrics().snapshot().breakerOpened()).isEqualTo(openedBefore);
            assertThat(grace.listTools().tools()).as("tools/list after the flood").isNotEmpty();
        } finally {
            threads.shutdownNow();
        }
    }

    private static String reasonOf(HttpResponse<String> response) {
        Matcher matcher = REASON.matcher(response.body());
        return matcher.find() ? matcher.group(1) : "http_" + response.statusCode() + "_without_reason";
    }

    private static long processCpuNanos() {
        return ManagementFactory.getOperatingSystemMXBean() instanceof com.sun.management.OperatingSystemMXBean os
                ? os.getProcessCpuTime() : 0;
    }
}
