package dev.mcpguard.core.obligations;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.core.mcp.McpSdkAdapter;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;
import org.junit.jupiter.api.Test;

class ResultRedactorTest {

    /** Redacts through the SDK's result access, as the chain does. */
    static ResultRedactor.Redaction redact(Object result, List<RedactionPath> paths)
            throws ToolResultAccess.UnredactableResultException {
        return ResultRedactor.redact(result, paths, McpSdkAdapter.toolResultAccess());
    }

    static CallToolResult redacted(Object result, List<RedactionPath> paths)
            throws ToolResultAccess.UnredactableResultException {
        return (CallToolResult) redact(result, paths).result();
    }

    static List<RedactionPath> paths(String... texts) {
        return java.util.Arrays.stream(texts).map(RedactionPath::parse).toList();
    }

    static Map<String, Object> order(String email, String card) {
        Map<String, Object> customer = new LinkedHashMap<>();
        customer.put("name", "Jane Roe");
        customer.put("email", email);
        Map<String, Object> order = new LinkedHashMap<>();
        order.put("order_id", "acme-1001");
        order.put("customer", customer);
        order.put("payment", Map.of("card_last4", card));
        return order;
    }

    @Test
    void replacesWhatEachPathReachesInStructuredContentAndReportsTheMatchedPaths() throws Exception {
        CallToolResult result = CallToolResult.builder().structuredContent(order("jane@acme.example", "4242")).build();

        ResultRedactor.Redaction redaction = redact(result,
                paths("customer.email", "payment.card_last4", "customer.phone"));

        assertThat(((CallToolResult) redaction.result()).structuredContent()).isEqualTo(Map.of("order_id", "acme-1001",
                "customer", Map.of("name", "Jane Roe", "email", "[redacted]"),
                "payment", Map.of("card_last4", "[redacted]")));
        assertThat(redaction.matchedPaths()).containsExactly("customer.email", "payment.card_last4");
        assertThat(result.structuredContent()).as("the handler's object is not modified")
                .isEqualTo(order("jane@acme.example", "4242"));
    }

    @Test
    void removedValuesStartingWithAnyCharacterAreScrubbedFromText() throws Exception {
        // The index of first characters is sized to the highest one present: values above and below it still match.
        Map<String, Object> order = order("\uFFEEjane@acme.example", "Ωmega-4242");
        CallToolResult result = CallToolResult.builder().structuredContent(order)
                .addTextContent("card Ωmega-4242 for \uFFEEjane@acme.example, not \uFFEDjane@acme.example").build();

        CallToolResult redacted = redacted(result, paths("customer.email", "payment.card_last4"));

        assertThat(((McpSchema.TextContent) redacted.content().get(0)).text())
                .isEqualTo("card [redacted] for [redacted], not \uFFEDjane@acme.example");
    }

    @Test
    void arraysAreTraversedByNamesAndWildcardsReachEveryMember() throws Exception {
        Map<String, Object> list = Map.of("orders", List.of(order("a@x.example", "1111"), order("b@x.example", "2222")),
                "contacts", Map.of("primary", Map.of("phone", "555-0100"), "backup", Map.of("phone", "555-0101")));
        CallToolResult result = CallToolResult.builder().structuredContent(list).build();

        CallToolResult redacted = redacted(result,
                paths("orders.customer.email", "orders.*.payment", "contacts.*.phone"));

        assertThat(redacted.structuredContent()).asString()
                .doesNotContain("a@x.example", "b@x.example", "1111", "2222", "555-01")
                .contains("Jane Roe", "acme-1001");
    }

    @Test
    void redactsTextThatHoldsTheSameJsonAndScrubsTheValuesFromProse() throws Exception {
        CallToolResult result = CallToolResult.builder()
                .addTextContent("{\"order_id\":\"acme-1001\",\"customer\":{\"email\":\"Jane@Acme.example\"}}")
                .addTextContent("Order acme-1001 of JANE@ACME.EXAMPLE is shipped.")
                .addContent(new McpSchema.EmbeddedResource(null,
                        new McpSchema.TextResourceContents("mem://note", "text/plain", "mail jane@acme.example")))
                .build();

        CallToolResult redacted = redacted(result, paths("customer.email"));

        List<String> texts = redacted.content().stream().map(ResultRedactorTest::textOf).toList();
        assertThat(texts).containsExactly("{\"order_id\":\"acme-1001\",\"customer\":{\"email\":\"[redacted]\"}}",
                "Order acme-1001 of [redacted] is shipped.", "mail [redacted]");
    }

    @Test
    void aValueWithCharactersJsonEscapesIsScrubbedInItsEscapedFormToo() throws Exception {
        CallToolResult result = CallToolResult.builder()
                .structuredContent(Map.of("note", "say \"hi\" to bob"))
                .addTextContent("not json: {\"note\": \"say \\\"hi\\\" to bob\"")
                .build();

        CallToolResult redacted = redacted(result, paths("note"));

        assertThat(textOf(redacted.content().get(0))).isEqualTo("not json: {\"note\": \"[redacted]\"");
    }

    @Test
    void theRemovedValuesAreAlsoScrubbedFromOtherStringsOfTheStructuredContent() throws Exception {
        Map<String, Object> structured = new LinkedHashMap<>(order("jane@acme.example", "4242"));
        structured.put("note", "Call back JANE@acme.example about card 4242.");

        Object redacted = redacted(CallToolResult.builder().structuredContent(structured).build(),
                paths("customer.email", "payment.card_last4")).structuredContent();

        assertThat(redacted).asString().doesNotContain("jane@", "JANE@", "4242")
                .contains("Call back [redacted] about card [redacted].");
    }

    @Test
    void aShortRemovedValueNeverEatsIntoAMarker() throws Exception {
        CallToolResult result = CallToolResult.builder()
                .structuredContent(Map.of("a", "red", "b", "acted", "c", "redacted red"))
                .build();

        Object redacted = redacted(result, paths("a", "b")).structuredContent();

        assertThat(redacted).isEqualTo(Map.of("a", "[redacted]", "b", "[redacted]", "c", "[redacted][redacted] [redacted]"));
    }

    @Test
    void manyRedactedValuesInALongListAreAllRemovedAndNumbersKeepTheirDigits() throws Exception {
        List<Map<String, Object>> orders = new java.util.ArrayList<>();
        StringBuilder prose = new StringBuilder();
        for (int i = 0; i < 2_000; i++) {
            Map<String, Object> order = order("customer" + i + "@x.example", String.format("%04d", i));
            order.put("total", new java.math.BigDecimal("12345678901234567.10"));
            orders.add(order);
            prose.append("customer").append(i).append("@x.example; ");
        }
        CallToolResult result = CallToolResult.builder().structuredContent(Map.of("orders", orders))
                .addTextContent(prose.toString()).build();

        CallToolResult redacted = redacted(result, paths("orders.customer.email"));

        assertThat(redacted.structuredContent()).asString().doesNotContain("@x.example")
                .contains("12345678901234567.10");
        assertThat(textOf(redacted.content().get(0))).doesNotContain("@x.example").startsWith("[redacted]; [redacted];");
    }

    @Test
    void shortValuesAreRedactedByPathOnlyAndNullsAreLeftAlone() throws Exception {
        CallToolResult result = CallToolResult.builder()
                .structuredContent(Map.of("pin", "12", "email", Map.of()))
                .addTextContent("12 items")
                .build();
        Map<String, Object> withNull = new LinkedHashMap<>();
        withNull.put("email", null);

        assertThat(textOf(redacted(result, paths("pin")).content().get(0))).isEqualTo("12 items");
        assertThat(redact(CallToolResult.builder().structuredContent(withNull).build(), paths("email"))
                .matchedPaths()).isEmpty();
    }

    @Test
    void aResultWithNothingToRedactIsReturnedAsItWas() throws Exception {
        CallToolResult result = CallToolResult.builder().addTextContent("hello").structuredContent(Map.of("a", 1)).build();

        assertThat(redacted(result, paths("customer.email"))).isSameAs(result);
    }

    @Test
    void contentThatCannotBeInspectedMakesTheResultUnredactable() {
        CallToolResult image = CallToolResult.builder()
                .addContent(new McpSchema.ImageContent(null, "aGVsbG8=", "image/png")).build();
        CallToolResult blob = CallToolResult.builder().addContent(new McpSchema.EmbeddedResource(null,
                new McpSchema.BlobResourceContents("mem://b", "application/octet-stream", "aGVsbG8="))).build();

        for (Object result : List.of(image, blob, "a string result")) {
            assertThatThrownBy(() -> redact(result, paths("customer.email")))
                    .isInstanceOf(ToolResultAccess.UnredactableResultException.class);
        }
    }

    @ParameterizedTest
    @ValueSource(strings = {"", ".", "a.", ".a", "a..b", "a b", "a[0]", "$.a", "a/b", "ä"})
    void malformedPathsAreRejected(String path) {
        assertThatThrownBy(() -> RedactionPath.parse(path)).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void pathsAreBoundedInLengthAndDepthAndTheErrorDoesNotRepeatThePath() {
        assertThatThrownBy(() -> RedactionPath.parse("a".repeat(257))).hasMessageNotContaining("aaaa");
        assertThatThrownBy(() -> RedactionPath.parse(String.join(".", java.util.Collections.nCopies(33, "a"))))
                .isInstanceOf(IllegalArgumentException.class);
        assertThat(RedactionPath.parse("orders.*.customer-info.e_mail2").segments())
                .containsExactly("orders", "*", "customer-info", "e_mail2");
    }

    static String textOf(McpSchema.Content content) {
        if (content instanceof McpSchema.TextContent text) {
            return text.text();
        }
        return ((McpSchema.TextResourceContents) ((McpSchema.EmbeddedResource) content).resource()).text();
    }
}
