package mcp.authz

import rego.v1

# The telemetry tests' policy (input contract version 2): orders may be read, small refunds made, and the
# summarize_order prompt fetched; a large refund is denied with a reason of its own.

default decision := false

decision := true if input.tool.name in {"get_order", "crash_order", "flaky_order"}

decision := true if {
	input.tool.name == "refund_order"
	input.arguments.amount <= 100
}

decision := {"allow": false, "reason": "refund_limit_exceeded", "message": "Refunds above 100 need an approver."} if {
	input.tool.name == "refund_order"
	input.arguments.amount > 100
}

decision := true if {
	input.method == "prompts/get"
	input.prompt.name == "summarize_order"
}

decision := true if input.method == "prompts/list"
