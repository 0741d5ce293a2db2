package mcp.authz

import rego.v1

# A test policy written against input contract version 2 (docs/policy.md): tenant isolation on order URIs,
# an HR-only payroll resource, template and prompt, a completion for one prompt only.

hr if "hr" in input.caller.roles

default decision := false

# Reading one's own tenant's orders is allowed, with the card number redacted.
decision := {"allow": true, "obligations": {"redact_fields": ["card"]}} if own_order_read

decision := true if {
	not own_order_read
	allowed
}

own_order_read if {
	input.version == 2
	input.method == "resources/read"
	input.operation == "read"
	input.tool == null
	input.resource.template == "orders://{tenant}/{order_id}"
	startswith(input.resource.uri, concat("", ["orders://", input.caller.tenant, "/"]))
}

allowed if {
	input.version == 2
	input.method == "tools/call"
	input.tool.name in {"echo", "ask_model"}
}

allowed if {
	input.version == 2
	input.method in {"resources/subscribe", "resources/unsubscribe"}
	input.resource.template == "orders://{tenant}/{order_id}"
	startswith(input.resource.uri, concat("", ["orders://", input.caller.tenant, "/"]))
}

allowed if {
	input.version == 2
	input.method in {"resources/read", "resources/list"}
	input.resource.uri == "docs://handbook"
}

allowed if {
	input.version == 2
	input.method == "resources/read"
	input.resource.uri == "docs://broken"
}

allowed if {
	input.version == 2
	input.method in {"resources/read", "resources/list"}
	input.resource.uri == "docs://payroll"
	hr
}

allowed if {
	input.version == 2
	input.method == "resources/templates/list"
	input.resource.uri == null
	input.resource.template == "orders://{tenant}/{order_id}"
}

allowed if {
	input.version == 2
	input.method in {"resources/templates/list", "resources/read"}
	input.resource.template == "payroll://{employee}"
	hr
}

allowed if {
	input.version == 2
	input.method in {"prompts/list", "prompts/get"}
	input.prompt.name == "summarize_order"
}

allowed if {
	input.version == 2
	input.method in {"prompts/list", "prompts/get"}
	input.prompt.name == "salary_review"
	hr
}

allowed if {
	input.version == 2
	input.method == "completion/complete"
	input.operation == "complete"
	input.completion.ref_type == "ref/prompt"
	input.completion.ref == "summarize_order"
	input.completion.argument == "order_id"
	startswith(input.arguments.order_id, "10")
}
