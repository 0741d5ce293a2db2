package mcp.authz

import rego.v1

default decision := false

decision if data.labels[input.tool.name] == "ok"
