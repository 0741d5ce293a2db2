package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.PolicyEngine;
import dev.mcpguard.api.spi.PolicyEngine.ToolListRequest;
import dev.mcpguard.core.testing.OpaBinary;
import dev.mcpguard.core.testing.OpaServer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** The remote engine answers tools/list with one request to the list document, or per tool when OPA has none. */
class VisibleToolsRemoteTest {

    private static final List<ToolDescriptor> TOOLS = List.of(
            new ToolDescriptor("get_order", "reads", true, false, false, false),
            new ToolDescriptor("list_orders", "lists", true, false, false, false),
            new ToolDescriptor("refund_order", "refunds", false, false, false, true),
            new ToolDescriptor("delete_customer", "deletes", false, true, false, true),
            ToolDescriptor.named("unknown_tool"));

    private static ToolListRequest list(CallerIdentity caller) {
        return new ToolListRequest("remote-list", caller, "orders", TOOLS, Optional.empty(),
                Instant.parse("2026-11-22T10:00:00Z"));
    }

    @Test
    void asksTheReferencePolicyOnceAndAnswersAsThePerToolDecisions() {
        try (OpaServer opa = OpaServer.startWithFiles(OpaBinary.repositoryRoot().resolve("policies"))) {
            OpaRemotePolicyEngine remote = OpaRemotePolicyEngine.builder(opa.baseUri()).allowPlainHttpOnLoopback()
                    .environment(Map.of("name", "prod")).requestTimeout(Duration.ofSeconds(5)).build();
            PolicyEngine perTool = remote::decide;
            for (CallerIdentity caller : List.of(
                    CallerIdentity.builder("https://login.example.com", "alice").tenant("acme")
                            .scopes(Set.of("orders.read", "orders.refund")).roles(Set.of("support")).build(),
                    CallerIdentity.builder("https://login.example.com", "bob").scopes(Set.of("orders.read")).build(),
                    CallerIdentity.builder("https://login.example.com", "root").tenant("acme")
                            .scopes(Set.of("customers.delete")).roles(Set.of("admin")).build())) {
                assertThat(remote.evaluateToolList(list(caller))).as("one request").isPresent();
                assertThat(remote.visibleTools(list(caller))).as(caller.subject())
                        .isEqualTo(perTool.visibleTools(list(caller)));
            }
            assertThat(remote.visibleTools(list(CallerIdentity.builder("https://login.example.com", "alice")
                    .tenant("acme").scopes(Set.of("orders.read")).build()))).contains("get_order", "list_orders");
        }
    }

    @Test
    void asksPerToolWhenThePolicyHasNoListDocument(@TempDir Path work) throws Exception {
        Path policy = Files.writeString(work.resolve("policy.rego"), """
                package mcp.authz

                decision := input.tool.name == "get_order"
                """);
        try (OpaServer opa = OpaServer.startWithFiles(policy)) {
            OpaRemotePolicyEngine remote = OpaRemotePolicyEngine.builder(opa.baseUri()).allowPlainHttpOnLoopback()
                    .requestTimeout(Duration.ofSeconds(5)).build();
            CallerIdentity caller = CallerIdentity.builder("https://issuer.test", "alice").build();

            assertThat(remote.evaluateToolList(list(caller))).isEmpty();
            assertThat(remote.visibleTools(list(caller))).containsExactly("get_order");
        }
    }

    @Test
    void showsNothingWhenOpaIsUnreachable() throws Exception {
        OpaRemotePolicyEngine remote = OpaRemotePolicyEngine.builder(
                        java.net.URI.create("http://127.0.0.1:" + OpaServer.freePort()))
                .allowPlainHttpOnLoopback().build();
        CallerIdentity caller = CallerIdentity.builder("https://issuer.test", "alice").build();

        assertThat(remote.evaluateToolList(list(caller))).get()
                .satisfies(answer -> assertThat(answer.failed()).isTrue());
        assertThat(remote.visibleTools(list(caller))).isEmpty();
    }
}
