# Test-data convention for every *_test.rego file in this package:
#   - Rule tests evaluate against fixture_config below, never the shipped data.json, so security can tune
#     data.json without breaking them; data_test.rego checks the shipped data separately.
#   - Time is pinned: inputs carry now_ns, the policy never reads a clock, so nothing waits or flakes.
#   - Inputs start from a complete, valid input (call_of / list_of) and tests override only what they
#     are about, with object.union (objects merge, arrays and scalars replace).
package mcp.authz_test

import data.mcp.authz

# 2026-11-22T10:00:00Z
now_ns := 1795341600000000000

fixture_config := {
	"production_environments": ["prod"],
	"tenancy": {
		"tenant_arguments": ["tenant"],
		"tenant_prefixed_arguments": ["order_id", "customer_id"],
		"separator": "-",
	},
	"break_glass": {
		"max_window_hours": 8,
		"exceptions": [{
			"server": "orders",
			"tool": "delete_customer",
			"subject": "oncall-bob",
			"issuer": "https://login.example.com",
			"ticket": "INC-4711",
			"not_before": "2026-11-22T08:00:00Z",
			"expires": "2026-11-22T12:00:00Z",
		}],
	},
	"servers": {"orders": {"tools": {
		"get_order": {
			"read_only": true,
			"required_scopes": ["orders.read"],
			"tenant_scoped": true,
			"obligations": {"redact_fields": ["customer.email"]},
		},
		"list_orders": {"read_only": true, "required_scopes": ["orders.read"]},
		"refund_order": {
			"read_only": false,
			"allowed_roles": ["support"],
			"tenant_scoped": true,
			"arguments": {"amount": {
				"type": "number",
				"required": true,
				"minimum": 0,
				"approval_above": 500,
				"approver_roles": ["refund_approver"],
				"approval_reason": "refund_limit_exceeded",
			}},
			"obligations": {"credential": "payments-api", "rate_limit": {"per_minute": 10}},
		},
		"delete_customer": {
			"read_only": false,
			"destructive": true,
			"allowed_roles": ["admin"],
			"tenant_scoped": true,
		},
		"transfer_credit": {
			"read_only": false,
			"allowed_roles": ["support"],
			"arguments": {"amount": {
				"type": "number",
				"required": true,
				"minimum": 0,
				"approval_above": 100,
				"approver_roles": ["refund_approver"],
				"approval_budget": {"key_argument": "account", "window": "PT1H"},
			}},
		},
		"export_report": {"read_only": false},
		"archive_order": {"read_only": false, "allowed_roles": ["support"]},
		"pinned_tool": {"read_only": true, "description_sha256": "aaaa"},
	}}},
}

# The hints the orders server declares for each tool (what the MCP annotations say).
hints := {
	"get_order": {"read_only": true, "destructive": false},
	"list_orders": {"read_only": true, "destructive": false},
	"refund_order": {"read_only": false, "destructive": false},
	"delete_customer": {"read_only": false, "destructive": true},
	"transfer_credit": {"read_only": false, "destructive": false},
	"export_report": {"read_only": false, "destructive": false},
	"archive_order": {"read_only": false, "destructive": false},
	"pinned_tool": {"read_only": true, "destructive": false},
}

alice := {
	"issuer": "https://login.example.com",
	"subject": "alice",
	"tenant": "acme",
	"client_id": "support-agent",
	"scopes": ["orders.read"],
	"roles": ["support"],
	"actor": null,
	"auth_method": "bearer_jwt",
}

input_of(operation, tool, arguments) := {
	"version": 1,
	"operation": operation,
	"decision_id": "dec-test",
	"time": "2026-11-22T10:00:00Z",
	"time_ns": now_ns,
	"server": "orders",
	"environment": {"name": "prod"},
	"caller": alice,
	"tool": object.union(
		{"name": tool, "description_sha256": "aaaa", "idempotent": false, "open_world": true},
		object.get(hints, tool, {"read_only": false, "destructive": true}),
	),
	"arguments": arguments,
	"session": {"id": "session-1"},
}

call_of(tool, arguments) := input_of("call", tool, arguments)

list_of(tool) := input_of("list", tool, {})

# Replaces caller fields (roles, scopes, tenant, subject...) of an input.
as_caller(request, fields) := object.union(request, {"caller": fields})

in_environment(request, name) := object.union(request, {"environment": {"name": name}})

at_time(request, ns) := object.union(request, {"time_ns": ns})

decision_for(request) := decision if {
	decision := authz.decision with input as request with data.mcp.authz.config as fixture_config
}

allowed(request) if decision_for(request).allow == true

denied_with(request, reason) if {
	decision := decision_for(request)
	decision.allow == false
	decision.reason == reason
}
