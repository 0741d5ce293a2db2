package mcp.authz

import rego.v1

default decision := false

# Needs yaml.unmarshal, which the embedded engine withholds (opa-java-wasm's differs from OPA's).
decision if yaml.unmarshal(input.tool.description).allow == true
