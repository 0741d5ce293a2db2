package mcp.authz

import rego.v1

# A careless policy: it answers bad input with a code the guard reserves for engine failures.
decision := {"allow": false, "reason": "policy_error", "message": "Bad input."} if not is_number(input.arguments.x)

decision := true if is_number(input.arguments.x)
