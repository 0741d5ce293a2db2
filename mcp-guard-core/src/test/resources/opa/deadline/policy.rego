package mcp.authz

import rego.v1

default decision := false

# Allowed only before the deadline in data.json, judged by the engine's clock.
decision if time.now_ns() < data.deadline_ns
