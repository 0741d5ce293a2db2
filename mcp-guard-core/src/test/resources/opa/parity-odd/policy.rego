package mcp.authz

import rego.v1

default decision := false

decision if input.arguments.x % 2 == 1
