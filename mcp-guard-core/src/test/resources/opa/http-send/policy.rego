package mcp.authz

import rego.v1

default decision := false

# Needs http.send, which the embedded engine does not provide.
decision if http.send({"method": "get", "url": "https://example.invalid/allow"}).status_code == 200
