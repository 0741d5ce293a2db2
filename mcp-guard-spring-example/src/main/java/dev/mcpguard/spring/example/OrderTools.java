package dev.mcpguard.spring.example;

import java.math.BigDecimal;
import java.util.List;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicInteger;
import org.springframework.ai.mcp.annotation.McpTool;
import org.springframework.ai.mcp.annotation.McpToolParam;
import org.springframework.stereotype.Component;

/**
 * The orders team's tools, as plain {@code @McpTool} methods with the business logic only: who may call which
 * tool with which arguments (scopes, roles, tenant isolation through the {@code acme-} prefix of ids, refund
 * limits) is decided by security's reference policy, outside this class.
 *
 * <p>Counts how often each method actually ran, so tests can prove a denied call never reached it. Thread-safe.
 */
@Component
public class OrderTools {

    private final Map<String, AtomicInteger> executions = new ConcurrentHashMap<>();
    private final Map<String, Map<String, Object>> orders = new ConcurrentHashMap<>(Map.of(
            "acme-1001", Map.of("order_id", "acme-1001", "status", "paid", "total", 129.90,
                    "customer", Map.of("id", "acme-100", "name", "Ada", "email", "ada@acme.example")),
            "acme-1002", Map.of("order_id", "acme-1002", "status", "shipped", "total", 45.00,
                    "customer", Map.of("id", "acme-101", "name", "Bert", "email", "bert@acme.example")),
            "globex-2001", Map.of("order_id", "globex-2001", "status", "paid", "total", 990.00,
                    "customer", Map.of("id", "globex-200", "name", "Gus", "email", "gus@globex.example"))));

    @McpTool(name = "get_order", description = "Returns one order of your tenant.",
            annotations = @McpTool.McpAnnotations(readOnlyHint = true, idempotentHint = true, openWorldHint = false))
    public Map<String, Object> getOrder(@McpToolParam(description = "e.g. acme-1001") String order_id) {
        ran("get_order");
        Map<String, Object> order = orders.get(order_id);
        if (order == null) {
            throw new IllegalArgumentException("no order " + order_id);
        }
        return order;
    }

    @McpTool(name = "list_orders", description = "Lists the orders of your tenant.",
            annotations = @McpTool.McpAnnotations(readOnlyHint = true, idempotentHint = true, openWorldHint = false))
    public Map<String, Object> listOrders(@McpToolParam(description = "your tenant, e.g. acme") String tenant) {
        ran("list_orders");
        List<Map<String, Object>> mine = orders.values().stream()
                .filter(order -> ((String) order.get("order_id")).startsWith(tenant + "-")).toList();
        return Map.of("orders", mine);
    }

    @McpTool(name = "refund_order", description = "Refunds part or all of an order of your tenant.",
            annotations = @McpTool.McpAnnotations(readOnlyHint = false, destructiveHint = false,
                    idempotentHint = false, openWorldHint = true))
    public Map<String, Object> refundOrder(@McpToolParam(description = "e.g. acme-1001") String order_id,
                                           @McpToolParam(description = "amount to refund") BigDecimal amount,
                                           @McpToolParam(description = "why") String reason) {
        ran("refund_order");
        return Map.of("order_id", order_id, "refunded", amount, "status", "refund_requested");
    }

    @McpTool(name = "delete_customer", description = "Deletes a customer of your tenant and all of their orders.",
            annotations = @McpTool.McpAnnotations(readOnlyHint = false, destructiveHint = true,
                    idempotentHint = true, openWorldHint = false))
    public Map<String, Object> deleteCustomer(@McpToolParam(description = "e.g. acme-100") String customer_id) {
        ran("delete_customer");
        return Map.of("customer_id", customer_id, "deleted", true);
    }

    /** How many times the method of {@code tool} has run. */
    public int executions(String tool) {
        AtomicInteger count = executions.get(tool);
        return count == null ? 0 : count.get();
    }

    private void ran(String tool) {
        executions.computeIfAbsent(tool, t -> new AtomicInteger()).incrementAndGet();
    }
}
