package dev.mcpguard.core.obligations;

import dev.mcpguard.core.chain.ToolResultAccess;
import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import dev.mcpguard.core.mcp.McpSdkAdapter;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.util.ArrayList;
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
    void aMatchDeepInsideIsRedactedAndOnlyThePathToItIsCopied() throws Exception {
        List<Object> items = new ArrayList<>(List.of(Map.of("sku", "sku-1", "qty", 2), Map.of("sku", "sku-2", "qty", 1)));
        Map<String, Object> contact = new LinkedHashMap<>(Map.of("email", "jane@acme.example"));
        Map<String, Object> structured = new LinkedHashMap<>();
        structured.put("items", items);
        structured.put("billing", new LinkedHashMap<>(Map.of("to", new ArrayList<>(List.of(Map.of("contact", contact))))));

        Object redacted = redacted(CallToolResult.builder().structuredContent(structured).build(),
                paths("billing.to.contact.email")).structuredContent();

        assertThat(redacted).asString().doesNotContain("jane@").contains("[redacted]");
        assertThat(((Map<?, ?>) redacted).get("items")).as("an untouched subtree is shared, not copied")
                .isSameAs(items);
        assertThat(contact).containsEntry("email", "jane@acme.example");
    }

    @Test
    void aResultWithNothingToRedactIsNeitherCopiedNorChanged() throws Exception {
        List<Object> items = new ArrayList<>(List.of(new LinkedHashMap<>(Map.of("sku", "sku-1"))));
        Map<String, Object> structured = new LinkedHashMap<>(Map.of("items", items, "note", "no e-mail here"));
        CallToolResult result = CallToolResult.builder().structuredContent(structured).addTextContent("hello").build();

        ResultRedactor.Redaction redaction = redact(result, paths("customer.email", "items.*.price", "*.email"));

        assertThat(redaction.result()).isSameAs(result);
        assertThat(((CallToolResult) redaction.result()).structuredContent()).isSameAs(structured);
        assertThat(redaction.matchedPaths()).isEmpty();
        assertThat(structured).isEqualTo(Map.of("items", List.of(Map.of("sku", "sku-1")), "note", "no e-mail here"));
    }

    @Test
    void aHandlerThatCachesItsResultObjectGetsItBackUnchangedAndEveryCallIsRedacted() throws Exception {
        // One result object answered to every call, as a caching handler does; its maps and lists are mutable.
        Map<String, Object> customer = new LinkedHashMap<>(Map.of("name", "Jane Roe", "email", "jane@acme.example"));
        List<Object> orders = new ArrayList<>(List.of(new LinkedHashMap<>(Map.of("id", "o-1", "card", "4242-1111")),
                new LinkedHashMap<>(Map.of("id", "o-2", "card", "4242-2222"))));
        Map<String, Object> structured = new LinkedHashMap<>();
        structured.put("customer", customer);
        structured.put("orders", orders);
        structured.put("note", "Mail jane@acme.example about 4242-2222.");
        CallToolResult cached = CallToolResult.builder().structuredContent(structured)
                .addTextContent("{\"customer\":{\"email\":\"jane@acme.example\"}}").build();
        String before = JSON.writeValueAsString(cached);
        List<RedactionPath> paths = paths("customer.email", "orders.*.card", "orders.card", "customer");

        CallToolResult first = redacted(cached, paths);
        CallToolResult second = redacted(cached, paths);

        assertThat(JSON.writeValueAsString(cached)).as("the cached result object is not modified").isEqualTo(before);
        assertThat(JSON.writeValueAsString(second)).isEqualTo(JSON.writeValueAsString(first))
                .doesNotContain("jane@", "4242-").contains("Mail [redacted] about [redacted].");
        assertThat(first.structuredContent()).isNotSameAs(structured);
    }

    @Test
    void structuredContentOfOtherTypesIsReadAsJsonAndRedactedAsBefore() throws Exception {
        record Customer(String name, String email) {
        }
        CallToolResult result = CallToolResult.builder()
                .structuredContent(Map.of("customer", new Customer("Jane", "jane@acme.example"), "ratio", 0.5f))
                .build();

        Object redacted = redacted(result, paths("customer.email")).structuredContent();

        assertThat(redacted).isEqualTo(Map.of("customer", Map.of("name", "Jane", "email", "[redacted]"),
                "ratio", new java.math.BigDecimal("0.5")));
    }

    @Test
    void aRedactedDoubleIsScrubbedFromTextByTheSameDigitsAsBefore() throws Exception {
        CallToolResult result = CallToolResult.builder().structuredContent(Map.of("total", 100.0, "id", "o-1"))
                .addTextContent("total 100 (100.0)").build();

        CallToolResult redacted = redacted(result, paths("total"));

        assertThat(textOf(redacted.content().get(0))).isEqualTo("total [redacted] ([redacted])");
    }

    /**
     * The copy-on-write redactor against the one that copied everything through JSON first, on random results:
     * same matched paths, same count, same texts, and the same structured content once read as JSON; and the
     * input, built of unmodifiable maps and lists that share subtrees, is never modified.
     */
    @Test
    void redactsRandomResultsExactlyAsTheCopyingRedactorDid() throws Exception {
        java.util.Random random = new java.util.Random(20261203);
        for (int run = 0; run < 3_000; run++) {
            List<Object> shared = new ArrayList<>();
            Object structured = random.nextInt(10) == 0 ? null : randomMap(random, 0, shared);
            CallToolResult.Builder builder = CallToolResult.builder();
            if (structured != null) {
                builder.structuredContent(structured);
            }
            for (int t = random.nextInt(3); t > 0; t--) {
                builder.addTextContent(random.nextBoolean() ? JSON.writeValueAsString(randomMap(random, 0, shared))
                        : String.join(" ", pick(random, WORDS), pick(random, WORDS), "about", pick(random, WORDS)));
            }
            CallToolResult result = builder.build();
            List<RedactionPath> paths = new ArrayList<>();
            for (int p = 1 + random.nextInt(3); p > 0; p--) {
                List<String> segments = new ArrayList<>();
                for (int k = 1 + random.nextInt(3); k > 0; k--) {
                    segments.add(random.nextInt(4) == 0 ? "*" : pick(random, KEYS));
                }
                paths.add(RedactionPath.parse(String.join(".", segments)));
            }
            String before = JSON.writeValueAsString(result);

            ResultRedactor.Redaction now = redact(result, paths);
            CopyingResultRedactor.Redaction then = CopyingResultRedactor.redact(result, paths,
                    McpSdkAdapter.toolResultAccess());

            String what = "run " + run + " of " + before + " with " + paths;
            assertThat(JSON.writeValueAsString(result)).as(what).isEqualTo(before);
            assertThat(now.matchedPaths()).as(what).isEqualTo(then.matchedPaths());
            assertThat(now.redactedValues()).as(what).isEqualTo(then.redactedValues());
            assertThat(now.result() == result).as(what).isEqualTo(then.result() == result);
            CallToolResult nowResult = (CallToolResult) now.result();
            CallToolResult thenResult = (CallToolResult) then.result();
            assertThat(JSON.writeValueAsString(nowResult.content())).as(what)
                    .isEqualTo(JSON.writeValueAsString(thenResult.content()));
            assertThat(JSON.writeValueAsString(JSON.convertValue(nowResult.structuredContent(), Object.class)))
                    .as(what).isEqualTo(JSON.writeValueAsString(JSON.convertValue(thenResult.structuredContent(),
                            Object.class)));
        }
    }

    private static final com.fasterxml.jackson.databind.ObjectMapper JSON = new com.fasterxml.jackson.databind.ObjectMapper()
            .enable(com.fasterxml.jackson.databind.DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS);
    private static final List<String> KEYS = List.of("a", "b", "email", "id", "card");
    private static final List<String> WORDS = List.of("alpha", "Bravo", "ALPHA", "x", "12", "jane@acme.example",
            "say \"hi\"", "100", "12.5", "4242", "[redacted]", "red");

    private static String pick(java.util.Random random, List<String> from) {
        return from.get(random.nextInt(from.size()));
    }

    private static Map<String, Object> randomMap(java.util.Random random, int depth, List<Object> shared) {
        Map<String, Object> map = new LinkedHashMap<>();
        for (int i = random.nextInt(4); i > 0; i--) {
            map.put(pick(random, KEYS), randomValue(random, depth + 1, shared));
        }
        Map<String, Object> frozen = java.util.Collections.unmodifiableMap(map);
        shared.add(frozen);
        return frozen;
    }

    private static Object randomValue(java.util.Random random, int depth, List<Object> shared) {
        int kind = random.nextInt(depth > 3 ? 9 : 12);
        return switch (kind) {
            case 0 -> null;
            case 1 -> random.nextInt(2_000);
            case 2 -> List.of(100.0, 12.5, 1e10, 0.1, -0.0).get(random.nextInt(5));
            case 3 -> random.nextBoolean() ? new java.math.BigDecimal("12.50") : 123456789012L;
            case 4 -> random.nextInt(20) == 0 ? 0.5f : random.nextBoolean();
            case 5, 6, 7, 8 -> pick(random, WORDS) + (random.nextBoolean() ? "" : " and " + pick(random, WORDS));
            case 9 -> shared.isEmpty() ? "x" : shared.get(random.nextInt(shared.size())); // a DAG, as handlers build
            case 10 -> randomMap(random, depth, shared);
            default -> {
                List<Object> list = new ArrayList<>();
                for (int i = random.nextInt(4); i > 0; i--) {
                    list.add(randomValue(random, depth + 1, shared));
                }
                List<Object> frozen = java.util.Collections.unmodifiableList(list);
                shared.add(frozen);
                yield frozen;
            }
        };
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
