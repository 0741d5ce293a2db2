package dev.mcpguard.examples;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.GuardContext;
import dev.mcpguard.api.spi.PolicyEngine.Operation;
import dev.mcpguard.api.spi.PolicyEngine.PolicyRequest;
import dev.mcpguard.api.spi.CredentialProvider.CredentialUnavailableException;
import dev.mcpguard.core.McpGuard;
import dev.mcpguard.core.mcp.GuardedSyncToolHandler;
import dev.mcpguard.core.mcp.McpSdkAdapter;
import io.modelcontextprotocol.json.McpJsonMapper;
import io.modelcontextprotocol.server.McpServerFeatures.SyncToolSpecification;
import io.modelcontextprotocol.server.McpSyncServerExchange;
import io.modelcontextprotocol.spec.McpSchema;
import io.modelcontextprotocol.spec.McpSchema.CallToolRequest;
import io.modelcontextprotocol.spec.McpSchema.CallToolResult;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.math.BigDecimal;
import java.net.http.HttpRequest;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.UnaryOperator;

/**
 * The orders team's tools: plain MCP SDK tool specifications with the team's business logic, which knows
 * nothing about mcp-guard except where to find the verified caller, and, for {@code refund_order}, how to ask
 * for the downstream credential: the refund handler pays the refund out through the payments API with
 * {@code context.authorizeRequest("payments-api")}, so it never holds the token. The tenant always comes from the
 * caller's identity in the transport context, never from the arguments, so one tenant cannot name another's orders.
 *
 * <p>Counts how often each handler actually ran, so tests can prove a denied call never reached it.
 * Thread-safe.
 */
final class OrderTools {

    static final String GET_ORDER = "get_order";
    static final String LIST_ORDERS = "list_orders";
    static final String REFUND_ORDER = "refund_order";
    static final String DELETE_CUSTOMER = "delete_customer";
    static final List<String> NAMES = List.of(GET_ORDER, LIST_ORDERS, REFUND_ORDER, DELETE_CUSTOMER);
    /** The downstream credential refunds are paid out with; the reference policy grants it to {@code refund_order}. */
    static final String PAYMENTS_CREDENTIAL = PaymentsApi.AUDIENCE;

    private final OrderBook book;
    private final McpJsonMapper json;
    private final Optional<PaymentsClient> payments;
    private final Map<String, AtomicInteger> executions = new LinkedHashMap<>();

    /** Tools over {@code book}; refunds are paid out through {@code payments}, or refused when it is empty. */
    OrderTools(OrderBook book, McpJsonMapper json, Optional<PaymentsClient> payments) {
        this.book = book;
        this.json = json;
        this.payments = payments;
        NAMES.forEach(name -> executions.put(name, new AtomicInteger()));
    }

    /** How many times the handler of {@code tool} has run. */
    int executions(String tool) {
        AtomicInteger counter = executions.get(tool);
        if (counter == null) {
            throw new IllegalArgumentException("unknown tool '" + tool + "', expected one of " + NAMES);
        }
        return counter.get();
    }

    /**
     * Every tool, guarded by {@code guard} with {@code McpGuard.guardWithContext}: each handler learns its
     * caller (and so the tenant) from the {@link GuardContext}, and {@code refund_order} also its downstream
     * credential.
     */
    List<SyncToolSpecification> guardedSpecifications(McpGuard guard) {
        List<SyncToolSpecification> guarded = new java.util.ArrayList<>();
        for (ToolWithHandler tool : specifications()) {
            guarded.add(guard.guardWithContext(tool.tool(), counted(tool.tool().name(), tool.handler())));
        }
        guarded.add(2, guard.guardWithContext(refundTool(), counted(REFUND_ORDER, this::refundOrder)));
        return List.copyOf(guarded);
    }

    /**
     * The tools that need no downstream credential ({@code get_order}, {@code list_orders},
     * {@code delete_customer}) with NO guard: each handler runs with {@code caller} as if a guard had verified it.
     * Only for {@link UnguardedOrdersServer}, the baseline that shows what the guard costs; {@code refund_order}
     * is left out because it needs a credential only a guard can grant.
     */
    List<SyncToolSpecification> unguardedSpecifications(CallerIdentity caller) {
        List<SyncToolSpecification> unguarded = new java.util.ArrayList<>();
        for (ToolWithHandler tool : specifications()) {
            String name = tool.tool().name();
            GuardedSyncToolHandler<McpSyncServerExchange> handler = counted(name, tool.handler());
            GuardContext context = new FixedCallerContext(caller, name);
            unguarded.add(new SyncToolSpecification(tool.tool(), (exchange, request) -> {
                try {
                    return handler.handle(exchange, request, context);
                } catch (CredentialUnavailableException e) {
                    // Unreachable: these handlers ask for no credential.
                    throw new IllegalStateException(e.getMessage(), e);
                }
            }));
        }
        return List.copyOf(unguarded);
    }

    /** A context with a fixed caller and no credentials, for the unguarded baseline. */
    private record FixedCallerContext(CallerIdentity caller, String toolName) implements GuardContext {
        @Override
        public String callId() {
            return "unguarded";
        }

        @Override
        public dev.mcpguard.api.spi.CredentialProvider.CredentialLease credential(String name)
                throws CredentialUnavailableException {
            throw new CredentialUnavailableException(dev.mcpguard.api.ReasonCode.CREDENTIAL_NOT_PERMITTED,
                    "an unguarded server grants no credentials");
        }
    }

    /**
     * The typical calls of this server, for the policy engine's warm-up
     * ({@code OpaWasmPolicyEngine.Builder.warmUpRequests}): {@code get_order} and {@code list_orders} by a reader of
     * tenant {@code acme}, and a small {@code refund_order} by a support agent there, each on the tool as this
     * server describes it to policy, at {@code time}. Their callers are synthetic (subject {@value #WARM_UP_SUBJECT}, the given
     * issuer), so no real caller's decision is ever made during the warm-up; the engine discards the decisions,
     * and they never pass the guard chain (no audit record, decision cache entry or throttle token).
     */
    List<PolicyRequest> warmUpRequests(String server, String issuer, Instant time) {
        Map<String, McpSchema.Tool> byName = new LinkedHashMap<>();
        specifications().forEach(tool -> byName.put(tool.tool().name(), tool.tool()));
        byName.put(REFUND_ORDER, refundTool());
        CallerIdentity reader = CallerIdentity.builder(issuer, WARM_UP_SUBJECT).tenant("acme")
                .clientId(WARM_UP_SUBJECT).scopes(Set.of("orders.read")).build();
        CallerIdentity support = CallerIdentity.builder(issuer, WARM_UP_SUBJECT).tenant("acme")
                .clientId(WARM_UP_SUBJECT).scopes(Set.of("orders.read", "orders.refund")).roles(Set.of("support"))
                .build();
        return List.of(
                warmUp(server, reader, byName.get(GET_ORDER), Map.of("order_id", "acme-1001"), time),
                warmUp(server, reader, byName.get(LIST_ORDERS), Map.of("status", "paid"), time),
                warmUp(server, support, byName.get(REFUND_ORDER),
                        Map.of("order_id", "acme-1001", "amount", 5, "reason", "damaged in transit"), time));
    }

    /** The subject (and client id) of the synthetic callers of {@link #warmUpRequests}. */
    static final String WARM_UP_SUBJECT = "mcp-guard-warm-up";

    private static PolicyRequest warmUp(String server, CallerIdentity caller, McpSchema.Tool tool,
                                        Map<String, Object> arguments, Instant time) {
        return new PolicyRequest(Operation.CALL, "warm-up-" + tool.name(), caller, server,
                McpSdkAdapter.describe(tool), arguments, Optional.empty(), time);
    }

    /** Every tool's definition, as {@code tools/list} shows it (for a tool pin file). */
    List<McpSchema.Tool> definitions() {
        List<McpSchema.Tool> definitions = new java.util.ArrayList<>();
        specifications().forEach(spec -> definitions.add(spec.tool()));
        definitions.add(refundTool());
        return definitions;
    }

    /** A tool and its (unguarded) handler. */
    private record ToolWithHandler(McpSchema.Tool tool, GuardedSyncToolHandler<McpSyncServerExchange> handler) {
    }

    /** The {@code refund_order} tool: it pays out through the payments API with the granted credential. */
    McpSchema.Tool refundTool() {
        return McpSchema.Tool.builder()
                .name(REFUND_ORDER)
                .title("Refund order")
                .description("Refunds part or all of an order of your tenant through the payment provider.")
                .inputSchema(json, """
                        {"type": "object",
                         "properties": {"order_id": {"type": "string", "description": "e.g. acme-1001"},
                                        "amount": {"type": "number", "exclusiveMinimum": 0},
                                        "reason": {"type": "string", "maxLength": 200}},
                         "required": ["order_id", "amount", "reason"], "additionalProperties": false}""")
                .annotations(McpSchema.ToolAnnotations.builder()
                        .readOnlyHint(false).destructiveHint(false).idempotentHint(false)
                        .openWorldHint(true).build())
                .build();
    }

    /** The tools that need no downstream credential, with their handlers, unguarded. */
    private List<ToolWithHandler> specifications() {
        return List.of(
                spec(McpSchema.Tool.builder()
                        .name(GET_ORDER)
                        .title("Get order")
                        .description("Returns one order of your tenant.")
                        .inputSchema(json, """
                                {"type": "object",
                                 "properties": {"order_id": {"type": "string", "description": "e.g. acme-1001"}},
                                 "required": ["order_id"], "additionalProperties": false}""")
                        .annotations(McpSchema.ToolAnnotations.builder()
                                .readOnlyHint(true).idempotentHint(true).openWorldHint(false).build())
                        .build(), this::getOrder),
                spec(McpSchema.Tool.builder()
                        .name(LIST_ORDERS)
                        .title("List orders")
                        .description("Lists the orders of your tenant, optionally by status.")
                        .inputSchema(json, """
                                {"type": "object",
                                 "properties": {"status": {"type": "string",
                                   "enum": ["paid", "shipped", "delivered", "cancelled"]}},
                                 "additionalProperties": false}""")
                        .annotations(McpSchema.ToolAnnotations.builder()
                                .readOnlyHint(true).idempotentHint(true).openWorldHint(false).build())
                        .build(), this::listOrders),
                spec(McpSchema.Tool.builder()
                        .name(DELETE_CUSTOMER)
                        .title("Delete customer")
                        .description("Deletes a customer of your tenant and all of their orders.")
                        .inputSchema(json, """
                                {"type": "object",
                                 "properties": {"customer_id": {"type": "string", "description": "e.g. acme-100"}},
                                 "required": ["customer_id"], "additionalProperties": false}""")
                        .annotations(McpSchema.ToolAnnotations.builder()
                                .readOnlyHint(false).destructiveHint(true).idempotentHint(true)
                                .openWorldHint(false).build())
                        .build(), this::deleteCustomer));
    }

    private static ToolWithHandler spec(McpSchema.Tool tool, GuardedSyncToolHandler<McpSyncServerExchange> handler) {
        return new ToolWithHandler(tool, handler);
    }

    private GuardedSyncToolHandler<McpSyncServerExchange> counted(
            String tool, GuardedSyncToolHandler<McpSyncServerExchange> handler) {
        AtomicInteger counter = executions.get(tool);
        return (exchange, request, context) -> {
            counter.incrementAndGet();
            return handler.handle(exchange, request, context);
        };
    }

    // ---------------------------------------------------------------- the team's business logic

    private CallToolResult getOrder(McpSyncServerExchange exchange, CallToolRequest request, GuardContext context) {
        String orderId = stringArgument(request, "order_id");
        // The prose line repeats personal data on purpose: redaction must catch it in text, not only in JSON.
        return book.find(tenantOf(context), orderId)
                .map(order -> success(order.toDetailMap(), "Order " + order.id() + " of "
                        + OrderBook.CONTACTS.getOrDefault(order.customerId(), OrderBook.Contact.UNKNOWN).email()
                        + " is " + order.status() + "."))
                .orElseGet(() -> toolError("not_found", "Order " + orderId + " not found."));
    }

    private CallToolResult listOrders(McpSyncServerExchange exchange, CallToolRequest request, GuardContext context) {
        Optional<String> status = Optional.ofNullable(arguments(request).get("status")).map(Object::toString);
        List<Map<String, Object>> orders = book.list(tenantOf(context), status).stream()
                .map(OrderBook.Order::toMap).toList();
        return success(Map.of("orders", orders));
    }

    private CallToolResult refundOrder(McpSyncServerExchange exchange, CallToolRequest request, GuardContext context)
            throws CredentialUnavailableException {
        String orderId = stringArgument(request, "order_id");
        BigDecimal amount = amountOf(arguments(request).get("amount"));
        if (amount == null) {
            return toolError("invalid_arguments", "amount must be a number.");
        }
        if (payments.isEmpty()) {
            return toolError("payments_unavailable", "No payment provider is configured for refunds.");
        }
        String tenant = tenantOf(context);
        // The guard hands out only what policy granted this call; the token stays inside the decorator.
        UnaryOperator<HttpRequest.Builder> authorization = context.authorizeRequest(PAYMENTS_CREDENTIAL);
        try {
            OrderBook.Refund refund = book.refund(tenant, orderId, amount,
                    order -> payments.get().refund(authorization, order.id(), amount));
            return success(fields("order_id", refund.order().id(), "refunded_now", amount,
                    "refunded_total", refund.order().refunded(), "payment_provider", "accepted",
                    "payment_reference", refund.paymentReference()));
        } catch (IllegalArgumentException e) {
            return toolError("refund_rejected", e.getMessage());
        } catch (PaymentsClient.PaymentRefusedException e) {
            return toolError("payment_refused", e.getMessage());
        }
    }

    private CallToolResult deleteCustomer(McpSyncServerExchange exchange, CallToolRequest request, GuardContext context) {
        String customerId = stringArgument(request, "customer_id");
        int removed = book.deleteCustomer(tenantOf(context), customerId);
        return removed == 0
                ? toolError("not_found", "Customer " + customerId + " not found.")
                : success(fields("customer_id", customerId, "orders_deleted", removed));
    }

    // ---------------------------------------------------------------- helpers

    /**
     * The caller's tenant, from the identity the guard verified. Tokens without a tenant are refused by policy,
     * so its absence here is a wiring bug, not a client error.
     */
    private static String tenantOf(GuardContext context) {
        CallerIdentity caller = context.caller();
        return caller.tenant().orElseThrow(() -> new IllegalStateException("the verified caller has no tenant"));
    }

    /** The amount as a decimal, or null when it is absent or not a finite number. */
    private static BigDecimal amountOf(Object value) {
        if (value instanceof BigDecimal decimal) {
            return decimal;
        }
        if (value instanceof Integer || value instanceof Long || value instanceof Short || value instanceof Byte
                || value instanceof java.math.BigInteger) {
            return new BigDecimal(value.toString());
        }
        if (value instanceof Number number) {
            double d = number.doubleValue();
            return Double.isFinite(d) ? BigDecimal.valueOf(d) : null;
        }
        return null;
    }

    private static Map<String, Object> arguments(CallToolRequest request) {
        return request.arguments() == null ? Map.of() : request.arguments();
    }

    private static String stringArgument(CallToolRequest request, String name) {
        Object value = arguments(request).get(name);
        return value == null ? "" : value.toString();
    }

    private static Map<String, Object> fields(Object... keysAndValues) {
        Map<String, Object> fields = new LinkedHashMap<>();
        for (int i = 0; i < keysAndValues.length; i += 2) {
            fields.put((String) keysAndValues[i], keysAndValues[i + 1]);
        }
        return fields;
    }

    private CallToolResult success(Map<String, Object> content, String... summaries) {
        try {
            CallToolResult.Builder result = CallToolResult.builder()
                    .addTextContent(json.writeValueAsString(content))
                    .structuredContent(content);
            for (String summary : summaries) {
                result.addTextContent(summary);
            }
            return result.build();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static CallToolResult toolError(String error, String message) {
        return CallToolResult.builder()
                .isError(true)
                .addTextContent(message)
                .structuredContent(fields("error", error, "message", message))
                .build();
    }
}
