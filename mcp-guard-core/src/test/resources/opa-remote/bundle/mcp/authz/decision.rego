# Test policy for the remote-engine and differential tests: the shape of the reference policy
# (data.mcp.authz.decision = {allow, reason, message, obligations}) with rules on tenant, scopes, roles,
# amount and time. Only string, set and comparison built-ins, so the embedded (wasm) engine can run it too.
package mcp.authz

import rego.v1

tool_scopes := {
	"get_order": "orders.read",
	"list_orders": "orders.read",
	"refund_order": "orders.refund",
	"delete_order": "orders.write",
	"export_orders": "orders.read",
}

refund_limit := 500

default decision := {"allow": false, "reason": "policy_denied", "message": "No rule allows this call."}

decision := deny("tenant_required", "The caller has no tenant.") if {
	not is_string(input.caller.tenant)
} else := deny("unknown_tool", "This tool is not in the catalog.") if {
	not tool_scopes[input.tool.name]
} else := deny("insufficient_scope", "The caller lacks the scope this tool needs.") if {
	not tool_scopes[input.tool.name] in input.caller.scopes
} else := {"allow": true} if {
	input.operation == "list"
} else := deny("cross_tenant", "The caller may not act on another tenant.") if {
	is_string(input.arguments.tenant)
	input.arguments.tenant != input.caller.tenant
} else := deny("role_required", "Refunds need the support or admin role.") if {
	input.tool.name == "refund_order"
	not has_any_role({"support", "admin"})
} else := deny("invalid_amount", "The refund amount must be a positive number.") if {
	input.tool.name == "refund_order"
	not valid_amount
} else := deny("refund_limit_exceeded", "Refunds above the limit need an admin.") if {
	input.tool.name == "refund_order"
	input.arguments.amount > refund_limit
	not "admin" in input.caller.roles
} else := deny("role_required", "Deleting orders needs the admin role.") if {
	input.tool.name == "delete_order"
	not "admin" in input.caller.roles
} else := deny("outside_business_hours", "Exports are allowed from 08:00 to 18:00 UTC.") if {
	input.tool.name == "export_orders"
	not "admin" in input.caller.roles
	not business_hours
} else := {"allow": true, "obligations": {"audit_level": "high", "approver_role": "support"}} if {
	input.tool.name == "refund_order"
} else := {"allow": true} if {
	has_any_role({"support", "admin", "viewer"})
}

deny(reason, message) := {"allow": false, "reason": reason, "message": message}

has_any_role(roles) if {
	some role in roles
	role in input.caller.roles
}

valid_amount if {
	is_number(input.arguments.amount)
	input.arguments.amount > 0
}

business_hours if {
	hour := to_number(substring(input.time, 11, 2))
	hour >= 8
	hour < 18
}

# Wrong result types, for the failure-mode tests against a real server.
wrong_type := 42
