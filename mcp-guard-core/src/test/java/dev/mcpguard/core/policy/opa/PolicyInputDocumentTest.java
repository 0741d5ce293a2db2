package dev.mcpguard.core.policy.opa;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ObjectNode;
import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.ContentScan;
import dev.mcpguard.api.Finding;
import dev.mcpguard.api.GuardrailFindings;
import dev.mcpguard.api.McpTarget;
import dev.mcpguard.api.ToolDescriptor;
import dev.mcpguard.api.spi.PolicyEngine.Operation;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import java.time.Instant;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import org.junit.jupiter.api.Test;

class PolicyInputDocumentTest {

    private final ObjectMapper mapper = new ObjectMapper();

    @Test
    void buildsVersionTwoInputWithCallerToolArgumentsSessionAndEnvironment() {
        CallerIdentity caller = CallerIdentity.builder("https://idp", "alice").tenant("acme").clientId("agent")
                .scopes(Set.of("orders.write", "orders.read")).roles(Set.of("support"))
                .actor(new CallerIdentity.Actor("bot-1", Optional.of("bot-client")))
                .tokenType(CallerIdentity.TOKEN_TYPE_AT_JWT).build();
        PolicyRequest request = new PolicyRequest(Operation.CALL, "d-1", caller, "orders",
                new ToolDescriptor("refund_order", "Refunds", false, false, false, true),
                Map.of("order_id", "A-1", "amount", 120), Optional.of("s-1"), Instant.parse("2026-11-22T10:00:00.000000001Z"));

        ObjectNode input = new PolicyInputDocument(mapper, Map.of("name", "prod")).build(request);

        assertThat(input.get("version").intValue()).isEqualTo(2);
        assertThat(input.get("method").textValue()).isEqualTo("tools/call");
        assertThat(input.get("operation").textValue()).isEqualTo("call");
        assertThat(input.get("resource").isNull()).isTrue();
        assertThat(input.get("prompt").isNull()).isTrue();
        assertThat(input.get("completion").isNull()).isTrue();
        assertThat(input.get("time_ns").longValue()).isEqualTo(1795341600000000001L);
        assertThat(input.at("/environment/name").textValue()).isEqualTo("prod");
        assertThat(input.at("/caller/tenant").textValue()).isEqualTo("acme");
        assertThat(input.at("/caller/scopes").toString()).isEqualTo("[\"orders.read\",\"orders.write\"]");
        assertThat(input.at("/caller/actor/subject").textValue()).isEqualTo("bot-1");
        assertThat(input.at("/caller/auth_method").textValue()).isEqualTo("bearer_jwt");
        assertThat(input.at("/caller/token_type").textValue()).isEqualTo("at+jwt");
        assertThat(input.at("/tool/destructive").booleanValue()).isFalse();
        assertThat(input.at("/tool/description_sha256").textValue()).hasSize(64);
        assertThat(input.at("/arguments/amount").intValue()).isEqualTo(120);
        assertThat(input.at("/session/id").textValue()).isEqualTo("s-1");
    }

    @Test
    void guardrailFindingsAreUnderGuardrailsAndTheResultPhaseSaysSoWhileAnUnscannedRequestHasNeither() {
        PolicyRequest plain = new PolicyRequest(Operation.CALL, "d-4", CallerIdentity.builder("https://idp", "bob").build(),
                "orders", ToolDescriptor.named("get_order"), Map.of("note", "x"), Optional.empty(), Instant.EPOCH);
        ContentScan arguments = new ContentScan(List.of(new Finding("prompt_injection", "injection.instruction_override",
                "$.arguments.note", 0.9)), true);
        ContentScan result = new ContentScan(List.of(new Finding("pii.email", "pii.email.address",
                "$.content[0].text", 0.95)), false);
        PolicyInputDocument document = new PolicyInputDocument(mapper, Map.of());

        ObjectNode unscanned = document.build(plain);
        ObjectNode requestPhase = document.build(plain.withGuardrails(GuardrailFindings.ofArguments(arguments), "d-5",
                Instant.EPOCH));
        ObjectNode resultPhase = document.build(plain.withGuardrails(GuardrailFindings.ofArguments(arguments)
                .withResult(result), "d-6", Instant.EPOCH));

        assertThat(unscanned.has("guardrails")).isFalse();
        assertThat(unscanned.has("phase")).isFalse();
        assertThat(requestPhase.get("guardrails").toString()).isEqualTo("{\"arguments\":{\"findings\":[{\"kind\":"
                + "\"prompt_injection\",\"rule_id\":\"injection.instruction_override\",\"path\":\"$.arguments.note\","
                + "\"confidence\":0.9}],\"complete\":true}}");
        assertThat(requestPhase.has("phase")).isFalse();
        assertThat(resultPhase.get("phase").textValue()).isEqualTo("result");
        assertThat(resultPhase.get("decision_id").textValue()).isEqualTo("d-6");
        assertThat(resultPhase.at("/guardrails/result/findings/0/kind").textValue()).isEqualTo("pii.email");
        assertThat(resultPhase.at("/guardrails/result/complete").booleanValue()).isFalse();
        assertThat(resultPhase.at("/guardrails/arguments/findings/0/path").textValue()).isEqualTo("$.arguments.note");
    }

    @Test
    void listOperationHasNoArgumentsAndNullSessionAndActorWhenAbsent() {
        PolicyRequest request = new PolicyRequest(Operation.LIST, "d-2",
                CallerIdentity.builder("https://idp", "bob").build(), "orders", ToolDescriptor.named("get_order"),
                Map.of(), Optional.empty(), Instant.EPOCH);

        ObjectNode input = new PolicyInputDocument(mapper, Map.of()).build(request);

        assertThat(input.get("operation").textValue()).isEqualTo("list");
        assertThat(input.get("arguments").size()).isZero();
        assertThat(input.at("/session/id").isNull()).isTrue();
        assertThat(input.at("/caller/actor").isNull()).isTrue();
        assertThat(input.at("/caller/tenant").isNull()).isTrue();
        assertThat(input.at("/caller/token_type").isNull()).isTrue();
    }

    @Test
    void aResourceReadHasNoToolAndNamesTheUriItsTemplateNameAndMimeType() {
        McpTarget read = McpTarget.resource("resources/read", new McpTarget.Resource("orders://acme/1001",
                "orders://{tenant}/{order_id}", null, "application/json"));
        PolicyRequest request = new PolicyRequest(Operation.READ, "d-3",
                CallerIdentity.builder("https://idp", "bob").build(), "orders", ToolDescriptor.named("resources/read"),
                Map.of(), Optional.of("s-1"), Instant.EPOCH, read);

        ObjectNode input = new PolicyInputDocument(mapper, Map.of()).build(request);

        assertThat(input.get("version").intValue()).isEqualTo(2);
        assertThat(input.get("method").textValue()).isEqualTo("resources/read");
        assertThat(input.get("operation").textValue()).isEqualTo("read");
        assertThat(input.get("tool").isNull()).isTrue();
        assertThat(input.get("resource").toString()).isEqualTo("{\"uri\":\"orders://acme/1001\","
                + "\"template\":\"orders://{tenant}/{order_id}\",\"name\":null,\"mime_type\":\"application/json\"}");
        assertThat(input.get("prompt").isNull()).isTrue();
        assertThat(input.get("completion").isNull()).isTrue();
        assertThat(input.get("arguments").size()).isZero();
    }

    @Test
    void aPromptGetAndACompletionCarryTheirItemsAndArguments() {
        CallerIdentity bob = CallerIdentity.builder("https://idp", "bob").build();
        PolicyInputDocument documents = new PolicyInputDocument(mapper, Map.of());

        ObjectNode prompt = documents.build(new PolicyRequest(Operation.GET, "d-4", bob, "orders",
                ToolDescriptor.named("prompts/get"), Map.of("order_id", "1001"), Optional.empty(), Instant.EPOCH,
                McpTarget.prompt("prompts/get", new McpTarget.Prompt("summarize_order"))));
        ObjectNode completion = documents.build(new PolicyRequest(Operation.COMPLETE, "d-5", bob, "orders",
                ToolDescriptor.named("completion/complete"), Map.of("order_id", "10"), Optional.empty(), Instant.EPOCH,
                McpTarget.completion(new McpTarget.Completion("ref/prompt", "summarize_order", "order_id"))));

        assertThat(prompt.get("operation").textValue()).isEqualTo("get");
        assertThat(prompt.get("prompt").toString()).isEqualTo("{\"name\":\"summarize_order\"}");
        assertThat(prompt.at("/arguments/order_id").textValue()).isEqualTo("1001");
        assertThat(prompt.get("tool").isNull()).isTrue();
        assertThat(completion.get("operation").textValue()).isEqualTo("complete");
        assertThat(completion.get("completion").toString())
                .isEqualTo("{\"ref_type\":\"ref/prompt\",\"ref\":\"summarize_order\",\"argument\":\"order_id\"}");
        assertThat(completion.at("/arguments/order_id").textValue()).isEqualTo("10");
    }

    @Test
    void anOperationThatDoesNotFitTheMethodIsRejectedWhenTheRequestIsMade() {
        org.assertj.core.api.Assertions.assertThatThrownBy(() -> new PolicyRequest(Operation.CALL, "d-6",
                        CallerIdentity.builder("https://idp", "bob").build(), "orders", ToolDescriptor.named("x"),
                        Map.of(), Optional.empty(), Instant.EPOCH,
                        McpTarget.prompt("prompts/get", new McpTarget.Prompt("p"))))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("prompts/get");
    }
}
