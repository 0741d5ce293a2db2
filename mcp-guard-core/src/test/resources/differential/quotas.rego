# Data-driven quotas: per tenant plan and tool, a budget obligation whose amount comes from the arguments; the
# page cursor is base64url of "offset:limit" and counts against the plan's page size; plans and overrides are data.
package diff.quotas

import rego.v1

plan := object.get(data.tenant_plans, input.caller.tenant, "free")

limits := object.union(data.plans[plan], object.get(data.overrides, input.caller.tenant, {}))

cost := object.get(data.tool_costs, input.tool.name, 1)

# Quantities are bounded before any arithmetic, so that OPA's and the wasm runtime's arithmetic agree.
requested := input.arguments.quantity if is_number(input.arguments.quantity) else := 1

valid_quantity if {
	requested >= 1
	requested <= 1000000
}

cursor := split(base64url.decode(input.arguments.cursor), ":")

page_size := to_number(cursor[1]) if count(cursor) == 2

amount := round_up(requested * cost) if valid_quantity

# ceil without ceil, which the embedded engine refuses (OPA's ceil is 1 between -1 and 0, the wasm runtime's 0):
# round agrees in both below 2^63, and is one short when it rounded down.
round_up(x) := r if {
	r := round(x)
	r >= x
} else := round(x) + 1

default decision := {"allow": false, "reason": "quota_plan_unknown", "message": "The tenant's plan does not cover this tool."}

decision := {"allow": false, "reason": "quota_exceeded", "message": sprintf("A single call may use %v of %v units (plan %s).", [amount, limits.max_per_call, plan])} if {
	input.tool.name in limits.tools
	amount > limits.max_per_call
}

decision := {"allow": false, "reason": "page_too_large", "message": sprintf("Page size %v is over %d.", [page_size, limits.max_page])} if {
	input.tool.name in limits.tools
	amount <= limits.max_per_call
	page_size > limits.max_page
}

decision := {"allow": true, "obligations": {"budget": {"key": sprintf("%s:%s", [input.caller.tenant, input.tool.name]), "amount": amount, "window": limits.window, "limit": limits.daily}, "rate_limit": {"per_minute": limits.per_minute}}} if {
	input.tool.name in limits.tools
	amount <= limits.max_per_call
	amount > 0
	not page_too_large
}

decision := {"allow": false, "reason": "invalid_quantity", "message": "Quantity must be from 1 to 1000000."} if {
	input.tool.name in limits.tools
	not valid_quantity
}

page_too_large if page_size > limits.max_page
