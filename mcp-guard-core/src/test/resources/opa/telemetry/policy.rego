package mcp.authz

import rego.v1

# The policy of OpenTelemetryCollectorEndToEndTest: anyone may look an order up; refunds above 100 are denied
# with a reason of their own, so the collector's output must name it.

default decision := false

decision := true if input.tool.name == "get_order"

decision := {"allow": false, "reason": "refund_limit_exceeded", "message": "Refunds above 100 need an approver."} if {
	input.tool.name == "refund_order"
	input.arguments.amount > 100
}
