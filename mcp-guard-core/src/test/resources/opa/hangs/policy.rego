package mcp.authz

import rego.v1

# Ordinary calls: decided at once.
decision := true if input.tool.name == "lookup_order"

# Three nested iterations over the argument "xs", comparing each element with a string it never equals (nothing
# allocated): n elements take n^3 steps, so a few are decided at once and ten thousand take hours (a policy that
# never returns, in practice).
decision := {"allow": true} if {
	input.tool.name == "spin"
	not spun_into_a_string
}

spun_into_a_string if {
	some a in input.arguments.xs
	some b in input.arguments.xs
	some c in input.arguments.xs
	c == "never"
}
