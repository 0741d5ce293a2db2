# Test-data convention for every *_test.rego file in this package:
#   - Rule tests evaluate against fixture_config below, never the shipped data.json, so security can tune
#     data.json without breaking them; data_test.rego checks the shipped data separately.
#   - Time is pinned: inputs carry now_ns, the policy never reads a clock, so nothing waits or flakes.
#   - Inputs start from a complete, valid input of contract version 2 (call_of / list_of for tools, read_of,
#     get_prompt, complete... for the other methods) and tests override only what they are about, with
#     object.union (objects merge, arrays and scalars replace). v1_of turns a tool input into version 1.
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
	"servers": {"orders": {
		"tools": {
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
		},
		"resources": {
			"order": {
				"uri_prefix": "orders://",
				"id_pattern": "[0-9]{1,12}",
				"templates": ["orders://{tenant}/{order_id}"],
				"operations": ["list", "read", "subscribe", "unsubscribe"],
				"required_scopes": ["orders.read"],
				"obligations": {"redact_fields": ["customer.email"]},
			},
			"report": {
				"uri_prefix": "reports://daily/",
				"tenant_scoped": false,
				"id_pattern": "[0-9]{4}-[0-9]{2}-[0-9]{2}",
				"templates": ["reports://daily/{date}"],
				"operations": ["read"],
				"required_scopes": [],
				"allowed_roles": ["finance"],
			},
			"feed": {
				"uri_prefix": "feeds://",
				"tenant_scoped": false,
				"id_pattern": "[a-z]{1,16}",
				"templates": ["feeds://{name}"],
				"operations": ["list"],
				"required_scopes": [],
			},
			"broken": {"uri_prefix": "broken://", "templates": ["broken://{x}"]},
		},
		"prompts": {
			"summarize_order": {"required_scopes": ["orders.read"], "tenant_scoped": true},
			"draft_refund_reply": {
				"required_scopes": ["orders.read"],
				"allowed_roles": ["support"],
				"obligations": {"redact_fields": ["customer.phone"]},
			},
		},
	}},
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

tool_methods := {"call": "tools/call", "list": "tools/list"}

# A version 2 input about a tool; v1_of gives the same request as contract version 1 wrote it.
input_of(operation, tool, arguments) := {
	"version": 2,
	"method": tool_methods[operation],
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
	"resource": null,
	"prompt": null,
	"completion": null,
	"arguments": arguments,
	"session": {"id": "session-1"},
}

v1_of(request) := object.union(object.remove(request, ["method", "resource", "prompt", "completion"]), {"version": 1})

# A version 2 input about anything but a tool: method, with fields (resource, prompt, completion, arguments).
request_of(method, fields) := object.union(
	{
		"version": 2,
		"method": method,
		"operation": authz.v2_operations[method],
		"decision_id": "dec-test",
		"time": "2026-11-22T10:00:00Z",
		"time_ns": now_ns,
		"server": "orders",
		"environment": {"name": "prod"},
		"caller": alice,
		"tool": null,
		"resource": null,
		"prompt": null,
		"completion": null,
		"arguments": {},
		"session": {"id": "session-1"},
	},
	fields,
)

resource_of(method, uri, template) := request_of(method, {"resource": {"uri": uri, "template": template, "name": null, "mime_type": null}})

read_of(uri) := resource_of("resources/read", uri, null)

read_with_template(uri) := resource_of("resources/read", uri, "orders://{tenant}/{order_id}")

listed_resource(uri) := resource_of("resources/list", uri, null)

listed_template(template) := resource_of("resources/templates/list", null, template)

subscribe_to(uri) := resource_of("resources/subscribe", uri, null)

get_prompt(name, arguments) := request_of("prompts/get", {"prompt": {"name": name}, "arguments": arguments})

listed_prompt(name) := request_of("prompts/list", {"prompt": {"name": name}})

complete(ref_type, ref, argument, value) := request_of("completion/complete", {
	"completion": {"ref_type": ref_type, "ref": ref, "argument": argument},
	"arguments": {argument: value},
})

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
