package mcp.authz

import rego.v1

# Support staff may look up orders; the obligation names the downstream credential.
decision := {"allow": true, "obligations": {"credential": data.credentials[input.tool.name]}} if {
	input.tool.name == "lookup_order"
	"support" in input.caller.roles
}

decision := {"allow": false, "reason": "refund_limit_exceeded", "message": "Refunds above 100 need an approver."} if {
	input.tool.name == "refund_order"
	input.arguments.amount > 100
}

decision := true if {
	input.tool.name == "refund_order"
	input.arguments.amount <= 100
}

decision := false if input.tool.name == "delete_everything"

# Any other tool: no rule applies, the decision is undefined.
