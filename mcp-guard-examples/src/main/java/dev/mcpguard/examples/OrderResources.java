package dev.mcpguard.examples;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.core.http.GuardRequestAttributes;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.server.McpServerFeatures.SyncCompletionSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncPromptSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncResourceSpecification;
import io.modelcontextprotocol.server.McpServerFeatures.SyncResourceTemplateSpecification;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpError;
import io.modelcontextprotocol.spec.McpSchema;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The orders team's resources, prompts and completions: plain MCP SDK specifications with the team's logic, as
 * {@link OrderTools} is for tools.
 * <ul>
 *   <li>resources: every order as {@code orders://<tenant>/<number>} (order {@code acme-1001} is
 *       {@code orders://acme/1001}), JSON with the customer's contact (which the reference policy's
 *       {@code redact_fields} obligation for resources removes), and the template {@value #ORDER_TEMPLATE};</li>
 *   <li>prompts: {@value #SUMMARIZE_ORDER} (argument {@code order_id}), on the reference policy's allow-list, and
 *       {@value #EXPORT_ALL_CUSTOMERS}, which is not: a prompt security never reviewed;</li>
 *   <li>completions: the {@code order_id} of {@value #SUMMARIZE_ORDER} and of the template.</li>
 * </ul>
 *
 * <p>Every handler serves only the tenant of the verified caller, which it reads from the transport context
 * ({@link GuardRequestAttributes#CALLER}, set by mcp-guard's HTTP filter), never from the URI or the arguments: a
 * URI of another tenant, or one not exactly {@code orders://<tenant>/<digits>}, is "not found", and a request
 * without a verified caller is refused. The guard chain's policy decides the same before a handler runs (the
 * reference policy's {@code resources.rego}); this check is the handler's own, behind it, as the order book's
 * tenant-first queries are for tools.
 *
 * <p>Counts how often each handler actually ran ({@link #executions}), so tests can prove a denied request never
 * reached it. Thread-safe.
 */
final class OrderResources {

    /** The URI template of an order. */
    static final String ORDER_TEMPLATE = "orders://{tenant}/{order_id}";
    /** The prompt on the reference policy's allow-list. */
    static final String SUMMARIZE_ORDER = "summarize_order";
    /** A prompt the reference policy does not list, so it is hidden and refused once prompts are guarded. */
    static final String EXPORT_ALL_CUSTOMERS = "export_all_customers";
    /** The name {@link #executions} counts resource reads under, static and templated alike. */
    static final String READ = "resources/read";
    /** The name {@link #executions} counts completions under. */
    static final String COMPLETE = "completion/complete";
    static final List<String> PROMPT_NAMES = List.of(SUMMARIZE_ORDER, EXPORT_ALL_CUSTOMERS);

    private static final String URI_PREFIX = "orders://";
    private static final String MIME_TYPE = "application/json";
    // Exactly orders://<tenant>/<number>: no decoding, no dot segments, no query; anything else is not found.
    private static final Pattern ORDER_URI = Pattern.compile("orders://([a-z0-9][a-z0-9_-]{0,63})/([0-9]{1,12})");
    private static final int MAX_COMPLETIONS = 100;

    private final OrderBook book;
    private final McpJsonMapper json;
    private final Map<String, AtomicInteger> executions = new LinkedHashMap<>();

    OrderResources(OrderBook book, McpJsonMapper json) {
        this.book = book;
        this.json = json;
        executions.put(READ, new AtomicInteger());
        PROMPT_NAMES.forEach(name -> executions.put(name, new AtomicInteger()));
        executions.put(COMPLETE, new AtomicInteger());
    }

    /** How many times the handler of {@code name} ({@link #READ}, a prompt name or {@link #COMPLETE}) has run. */
    int executions(String name) {
        AtomicInteger counter = executions.get(name);
        if (counter == null) {
            throw new IllegalArgumentException("unknown handler '" + name + "', expected one of "
                    + executions.keySet());
        }
        return counter.get();
    }

    /** The URI of {@code order} (order {@code acme-1001} is {@code orders://acme/1001}). */
    static String uriOf(OrderBook.Order order) {
        return URI_PREFIX + order.tenant() + "/" + order.id().substring(order.tenant().length() + 1);
    }

    /** One static resource per order of every tenant, in id order. */
    List<SyncResourceSpecification> resourceSpecifications() {
        List<SyncResourceSpecification> specifications = new ArrayList<>();
        for (OrderBook.Order order : book.all()) {
            McpSchema.Resource resource = McpSchema.Resource.builder(uriOf(order), "order " + order.id())
                    .title("Order " + order.id())
                    .description("Order " + order.id() + " of tenant " + order.tenant() + ", as JSON.")
                    .mimeType(MIME_TYPE)
                    .build();
            specifications.add(new SyncResourceSpecification(resource, this::read));
        }
        return List.copyOf(specifications);
    }

    /** The template {@value #ORDER_TEMPLATE}, read by the same handler as the static resources. */
    List<SyncResourceTemplateSpecification> templateSpecifications() {
        McpSchema.ResourceTemplate template = McpSchema.ResourceTemplate.builder(ORDER_TEMPLATE, "order")
                .title("Order")
                .description("An order of your tenant, as JSON: orders://<your tenant>/<order number>.")
                .mimeType(MIME_TYPE)
                .build();
        return List.of(new SyncResourceTemplateSpecification(template, this::read));
    }

    /** {@value #SUMMARIZE_ORDER} and {@value #EXPORT_ALL_CUSTOMERS}. */
    List<SyncPromptSpecification> promptSpecifications() {
        McpSchema.Prompt summarize = new McpSchema.Prompt(SUMMARIZE_ORDER, "Summarize order",
                "Asks for a two-sentence summary of one order of your tenant for a support reply.",
                List.of(new McpSchema.PromptArgument("order_id", "The order, e.g. acme-1001", true)));
        McpSchema.Prompt export = new McpSchema.Prompt(EXPORT_ALL_CUSTOMERS, "Export all customers",
                "Asks to collect every customer's contact details into one CSV.", List.of());
        return List.of(
                new SyncPromptSpecification(summarize, counted(SUMMARIZE_ORDER, this::summarizeOrder)),
                new SyncPromptSpecification(export, counted(EXPORT_ALL_CUSTOMERS, this::exportAllCustomers)));
    }

    /** Order ids of the caller's tenant for {@value #SUMMARIZE_ORDER}, order numbers for the template. */
    List<SyncCompletionSpecification> completionSpecifications() {
        return List.of(
                new SyncCompletionSpecification(new McpSchema.PromptReference(SUMMARIZE_ORDER),
                        (exchange, request) -> complete(exchange, request, false)),
                new SyncCompletionSpecification(new McpSchema.ResourceReference(ORDER_TEMPLATE),
                        (exchange, request) -> complete(exchange, request, true)));
    }

    // ---------------------------------------------------------------- the team's logic

    private McpSchema.ReadResourceResult read(McpSyncServerExchange exchange, McpSchema.ReadResourceRequest request) {
        executions.get(READ).incrementAndGet();
        String tenant = tenantOf(exchange);
        String uri = request.uri();
        Matcher matcher = ORDER_URI.matcher(uri == null ? "" : uri);
        Optional<OrderBook.Order> order = matcher.matches() && matcher.group(1).equals(tenant)
                ? book.find(tenant, tenant + "-" + matcher.group(2))
                : Optional.empty();
        if (order.isEmpty()) {
            throw McpError.RESOURCE_NOT_FOUND.apply(uri);
        }
        return new McpSchema.ReadResourceResult(List.of(
                new McpSchema.TextResourceContents(uri, MIME_TYPE, jsonOf(order.get().toDetailMap()))));
    }

    private McpSchema.GetPromptResult summarizeOrder(McpSyncServerExchange exchange, McpSchema.GetPromptRequest request) {
        String tenant = tenantOf(exchange);
        Object orderId = request.arguments() == null ? null : request.arguments().get("order_id");
        OrderBook.Order order = book.find(tenant, orderId == null ? "" : orderId.toString())
                .orElseThrow(() -> McpError.builder(McpSchema.ErrorCodes.INVALID_PARAMS)
                        .message("No such order in your tenant.").build());
        // Facts only, no contact details: the prompt's text goes to the model as it is.
        String text = "Summarize order " + order.id() + " for the customer in two sentences: it is " + order.status()
                + ", total " + order.total().toPlainString() + ", refunded " + order.refunded().toPlainString() + ".";
        return new McpSchema.GetPromptResult("Summary of order " + order.id(), List.of(new McpSchema.PromptMessage(
                McpSchema.Role.USER, new McpSchema.TextContent(text))));
    }

    private McpSchema.GetPromptResult exportAllCustomers(McpSyncServerExchange exchange,
                                                         McpSchema.GetPromptRequest request) {
        tenantOf(exchange);
        return new McpSchema.GetPromptResult("Export all customers", List.of(new McpSchema.PromptMessage(
                McpSchema.Role.USER, new McpSchema.TextContent("Call list_orders, then write every customer's "
                        + "name, e-mail and phone number into one CSV file."))));
    }

    private McpSchema.CompleteResult complete(McpSyncServerExchange exchange, McpSchema.CompleteRequest request,
                                              boolean numbersOnly) {
        executions.get(COMPLETE).incrementAndGet();
        String tenant = tenantOf(exchange);
        String prefix = request.argument() == null || request.argument().value() == null
                ? "" : request.argument().value();
        List<String> values = new ArrayList<>();
        if (request.argument() != null && "order_id".equals(request.argument().name())) {
            for (OrderBook.Order order : book.list(tenant, Optional.empty())) {
                String value = numbersOnly ? order.id().substring(tenant.length() + 1) : order.id();
                if (value.startsWith(prefix) && values.size() < MAX_COMPLETIONS) {
                    values.add(value);
                }
            }
        }
        return new McpSchema.CompleteResult(new McpSchema.CompleteResult.CompleteCompletion(values, values.size(),
                false));
    }

    // ---------------------------------------------------------------- helpers

    /**
     * The verified caller's tenant from the transport context. A request without one (no HTTP filter in front, or
     * a token without a tenant) is refused: serving it would mean guessing the tenant.
     */
    private static String tenantOf(McpSyncServerExchange exchange) {
        Object caller = exchange.transportContext() == null ? null
                : exchange.transportContext().get(GuardRequestAttributes.CALLER);
        if (caller instanceof CallerIdentity identity && identity.tenant().isPresent()) {
            return identity.tenant().get();
        }
        throw McpError.builder(McpSchema.ErrorCodes.INVALID_REQUEST)
                .message("This server serves only verified callers of a tenant.").build();
    }

    private <R> java.util.function.BiFunction<McpSyncServerExchange, McpSchema.GetPromptRequest, R> counted(
            String name, java.util.function.BiFunction<McpSyncServerExchange, McpSchema.GetPromptRequest, R> handler) {
        AtomicInteger counter = executions.get(name);
        return (exchange, request) -> {
            counter.incrementAndGet();
            return handler.apply(exchange, request);
        };
    }

    private String jsonOf(Map<String, Object> content) {
        try {
            return json.writeValueAsString(content);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }
}
