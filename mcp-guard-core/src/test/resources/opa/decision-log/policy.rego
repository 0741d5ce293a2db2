package mcp.authz

import rego.v1

# DecisionLogThroughGuardTest: alice may look up orders; the result phase of that call is allowed too.
default decision := {"allow": false, "reason": "policy_denied", "message": "Not allowed."}

decision := {"allow": true} if {
	input.caller.subject == "alice"
	input.tool.name == "lookup_order"
}
