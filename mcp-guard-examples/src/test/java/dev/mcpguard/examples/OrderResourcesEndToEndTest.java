package dev.mcpguard.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.modelcontextprotocol.client.McpSyncClient;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.RegisterExtension;

/**
 * The example's resources, template, prompts and completions, through the real SDK client over Streamable HTTP:
 * what the server offers, and that its handlers serve only the verified caller's tenant (their own check, before
 * any policy is applied to these methods).
 */
class OrderResourcesEndToEndTest {

    @RegisterExtension
    static final OrdersServerFixture fixture = new OrdersServerFixture();

    @Test
    void listsEveryOrderAsAResourceTheTemplateAndBothPrompts() {
        McpSyncClient alice = fixture.connectedClientFor(DemoUser.ALICE);

        assertThat(alice.listResources().resources()).extracting(McpSchema.Resource::uri)
                .contains("orders://acme/1001", "orders://acme/1002", "orders://globex/2001");
        assertThat(alice.listResourceTemplates().resourceTemplates()).extracting(McpSchema.ResourceTemplate::uriTemplate)
                .containsExactly(OrderResources.ORDER_TEMPLATE);
        assertThat(alice.listPrompts().prompts()).extracting(McpSchema.Prompt::name)
                .containsExactlyInAnyOrder(OrderResources.SUMMARIZE_ORDER, OrderResources.EXPORT_ALL_CUSTOMERS);
    }

    @Test
    void readsAnOrderOfTheCallersTenantAsJson() {
        McpSyncClient alice = fixture.connectedClientFor(DemoUser.ALICE);

        McpSchema.ReadResourceResult result = alice.readResource(new McpSchema.ReadResourceRequest("orders://acme/1001"));

        assertThat(result.contents()).singleElement().satisfies(content -> {
            assertThat(content).isInstanceOf(McpSchema.TextResourceContents.class);
            McpSchema.TextResourceContents text = (McpSchema.TextResourceContents) content;
            assertThat(text.uri()).isEqualTo("orders://acme/1001");
            assertThat(text.mimeType()).isEqualTo("application/json");
            assertThat(text.text()).contains("\"order_id\":\"acme-1001\"");
        });
    }

    @Test
    void theHandlerRefusesAnotherTenantsOrderAndUrisThatAreNotExactlyTheCallersOwn() {
        McpSyncClient alice = fixture.connectedClientFor(DemoUser.ALICE);
        int readsBefore = fixture.server().resourceExecutionsForTests(OrderResources.READ);

        for (String uri : List.of("orders://globex/2001", "orders://acme/../globex/2001", "orders://acme%2F2001",
                "orders://ACME/1001", "orders://acme/9999")) {
            assertThatThrownBy(() -> alice.readResource(new McpSchema.ReadResourceRequest(uri)))
                    .as(uri).isInstanceOf(McpError.class);
        }
        // Some of these reached the handler (the template matched them) and it refused them itself.
        assertThat(fixture.server().resourceExecutionsForTests(OrderResources.READ)).isGreaterThan(readsBefore);
    }

    @Test
    void theSummaryPromptSummarizesAnOrderOfTheCallersTenantWithoutContactDetails() {
        McpSyncClient alice = fixture.connectedClientFor(DemoUser.ALICE);

        McpSchema.GetPromptResult prompt = alice.getPrompt(new McpSchema.GetPromptRequest(
                OrderResources.SUMMARIZE_ORDER, Map.of("order_id", "acme-1001")));

        String text = ((McpSchema.TextContent) prompt.messages().get(0).content()).text();
        assertThat(text).contains("acme-1001").doesNotContain("@");
        assertThatThrownBy(() -> alice.getPrompt(new McpSchema.GetPromptRequest(OrderResources.SUMMARIZE_ORDER,
                Map.of("order_id", "globex-2001")))).isInstanceOf(McpError.class);
    }

    @Test
    void completesOrderIdsOfTheCallersTenantOnly() {
        McpSyncClient grace = fixture.connectedClientFor(DemoUser.GRACE);

        McpSchema.CompleteResult result = grace.completeCompletion(new McpSchema.CompleteRequest(
                new McpSchema.PromptReference(OrderResources.SUMMARIZE_ORDER),
                new McpSchema.CompleteRequest.CompleteArgument("order_id", "")));

        assertThat(result.completion().values()).containsExactly("globex-2001", "globex-2002");
    }
}
