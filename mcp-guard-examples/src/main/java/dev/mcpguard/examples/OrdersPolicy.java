package dev.mcpguard.examples;

import dev.mcpguard.api.CallerIdentity;
import dev.mcpguard.api.Decision;
import dev.mcpguard.api.ReasonCode;
import dev.mcpguard.api.spi.PolicyEngine;
import java.math.BigDecimal;

/**
 * The orders team's access rules, written in Java as a stand-in until the team's rules move to the OPA policy
 * bundle that security publishes (then this class is replaced by the OPA policy engine and a Rego module; the
 * rules below are the specification for that module).
 *
 * <ul>
 *   <li>every caller must belong to a tenant ({@code tenant_required});</li>
 *   <li>{@code get_order} and {@code list_orders} need scope {@value #READ_SCOPE} ({@code insufficient_scope});</li>
 *   <li>{@code refund_order} needs role {@value #SUPPORT_ROLE} or {@value #ADMIN_ROLE} ({@code policy_denied}),
 *       and a refund above {@link #SUPPORT_REFUND_LIMIT} needs {@value #ADMIN_ROLE}
 *       ({@code refund_limit_exceeded}); an amount that is not a number is denied ({@code invalid_arguments});</li>
 *   <li>{@code delete_customer} needs role {@value #ADMIN_ROLE} ({@code policy_denied});</li>
 *   <li>any other tool is denied ({@code policy_denied}): new tools are invisible until a rule names them.</li>
 * </ul>
 *
 * <p>For {@link Operation#LIST} the same rules apply without the argument checks, so {@code tools/list} shows
 * exactly the tools a caller may call. Pure and thread-safe: the answer depends only on the request.
 */
public final class OrdersPolicy implements PolicyEngine {

    /** The scope that read tools require. */
    public static final String READ_SCOPE = "orders.read";
    /** The role that may refund up to {@link #SUPPORT_REFUND_LIMIT}. */
    public static final String SUPPORT_ROLE = "support";
    /** The role that may refund any amount and delete customers. */
    public static final String ADMIN_ROLE = "admin";
    /** The largest refund the support role may grant. */
    public static final BigDecimal SUPPORT_REFUND_LIMIT = new BigDecimal("100");

    /** A refund above the support limit by a caller without the admin role. */
    public static final ReasonCode REFUND_LIMIT_EXCEEDED = ReasonCode.of("refund_limit_exceeded");
    /** The caller's token names no tenant. */
    public static final ReasonCode TENANT_REQUIRED = ReasonCode.of("tenant_required");
    /** An argument the policy decides on is missing or malformed. */
    public static final ReasonCode INVALID_ARGUMENTS = ReasonCode.of("invalid_arguments");

    @Override
    public Decision decide(PolicyRequest request) {
        String id = request.decisionId();
        CallerIdentity caller = request.caller();
        if (caller.tenant().isEmpty()) {
            return Decision.deny(id, TENANT_REQUIRED, "The caller belongs to no tenant.");
        }
        return switch (request.tool().name()) {
            case "get_order", "list_orders" -> caller.hasScope(READ_SCOPE)
                    ? Decision.allow(id)
                    : Decision.deny(id, ReasonCode.INSUFFICIENT_SCOPE, "Requires scope " + READ_SCOPE + ".");
            case "refund_order" -> decideRefund(request);
            case "delete_customer" -> caller.hasRole(ADMIN_ROLE)
                    ? Decision.allow(id)
                    : Decision.deny(id, ReasonCode.POLICY_DENIED, "Requires role " + ADMIN_ROLE + ".");
            default -> Decision.deny(id, ReasonCode.POLICY_DENIED, "No rule allows this tool.");
        };
    }

    private static Decision decideRefund(PolicyRequest request) {
        String id = request.decisionId();
        CallerIdentity caller = request.caller();
        boolean admin = caller.hasRole(ADMIN_ROLE);
        if (!admin && !caller.hasRole(SUPPORT_ROLE)) {
            return Decision.deny(id, ReasonCode.POLICY_DENIED, "Requires role " + SUPPORT_ROLE + ".");
        }
        if (request.operation() == Operation.LIST || admin) {
            return Decision.allow(id);
        }
        BigDecimal amount = amountOf(request.arguments().get("amount"));
        if (amount == null) {
            return Decision.deny(id, INVALID_ARGUMENTS, "amount must be a number.");
        }
        if (amount.compareTo(SUPPORT_REFUND_LIMIT) > 0) {
            return Decision.deny(id, REFUND_LIMIT_EXCEEDED,
                    "Refunds above " + SUPPORT_REFUND_LIMIT.toPlainString() + " require role " + ADMIN_ROLE + ".");
        }
        return Decision.allow(id);
    }

    /** The amount as a decimal, or null when it is absent or not a finite number. */
    static BigDecimal amountOf(Object value) {
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
}
