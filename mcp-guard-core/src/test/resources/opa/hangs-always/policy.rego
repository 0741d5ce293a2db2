package mcp.authz

import rego.v1

# Every evaluation iterates three times nested over data.xs (2,000 elements: 8 billion steps, minutes at least),
# the smoke test's included: a bundle that cannot serve.
decision := true if not spun_into_a_string

spun_into_a_string if {
	some a in data.xs
	some b in data.xs
	some c in data.xs
	c == "never"
}
