package mcp.authz

import rego.v1

default decision := false

# Parity from the last digit: % (rem) is refused by the embedded engine unless accepted (DivergentBuiltins).
decision if {
	some digit in {"0", "2", "4", "6", "8"}
	endswith(sprintf("%d", [input.arguments.x]), digit)
}
