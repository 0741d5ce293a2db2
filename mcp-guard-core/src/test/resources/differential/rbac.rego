# RBAC with role inheritance: roles inherit permissions from the roles they extend (transitively, cycles
# tolerated), permissions name tools by glob, tenant admins are limited to their own tenant.
package diff.rbac

import rego.v1

role_graph[role] := object.get(spec, "inherits", []) if some role, spec in data.roles

effective_roles contains r if {
	some r in graph.reachable(role_graph, {x | some x in input.caller.roles})
	data.roles[r]
}

granted contains perm if {
	some r in effective_roles
	some perm in data.roles[r].permissions
}

tool_granted if {
	some perm in granted
	glob.match(perm.tool, ["_"], input.tool.name)
	perm.operations[_] == input.operation
}

tenant_ok if not data.tenant_scoped_tools[input.tool.name]

tenant_ok if {
	data.tenant_scoped_tools[input.tool.name]
	input.caller.tenant != null
	input.arguments.tenant == input.caller.tenant
}

tenant_ok if {
	data.tenant_scoped_tools[input.tool.name]
	"platform-admin" in effective_roles
}

default decision := {"allow": false, "reason": "role_not_granted", "message": "No role of the caller grants this tool."}

decision := {"allow": false, "reason": "unsupported_version", "message": "Unknown input version."} if not input.version in {1, 2}

decision := {"allow": false, "reason": "tenant_mismatch", "message": sprintf("Roles %v may not act on this tenant.", [sort([r | some r in effective_roles])])} if {
	input.version in {1, 2}
	tool_granted
	not tenant_ok
}

decision := {"allow": true, "obligations": obligations} if {
	input.version in {1, 2}
	tool_granted
	tenant_ok
}

obligations := {"redact_fields": ["customer.email"]} if {
	not "pii-reader" in effective_roles
} else := {}
