# Completions: allowed only when the caller could get the prompt or read the resource they refer to.
package mcp.authz_test

import data.mcp.authz

prompt_completion(value) := complete("ref/prompt", "summarize_order", "order_id", value)

template_completion(argument, value) := complete("ref/resource", "orders://{tenant}/{order_id}", argument, value)

test_completing_an_argument_of_an_allowed_prompt_is_allowed_without_obligations if {
	decision := decision_for(prompt_completion("acme-10"))
	decision.allow == true
	decision.obligations == {}
	allowed(prompt_completion(""))
	allowed(prompt_completion("ac"))
	allowed(prompt_completion("acme-"))
}

test_completing_a_prompt_the_caller_could_not_get_is_denied if {
	denied_with(complete("ref/prompt", "export_all_customers", "scope", "a"), "unknown_prompt")
	denied_with(as_caller(prompt_completion("acme-10"), {"scopes": []}), "insufficient_scope")
	denied_with(as_caller(prompt_completion("acme-10"), {"tenant": null}), "tenant_required")
	denied_with(as_caller(complete("ref/prompt", "draft_refund_reply", "tone", "f"), {"roles": []}), "insufficient_role")
}

test_a_partial_value_of_another_tenant_is_denied if {
	denied_with(prompt_completion("globex-"), "cross_tenant")
	denied_with(prompt_completion("globex-20"), "cross_tenant")
	denied_with(prompt_completion("acmeX-1"), "cross_tenant")
	denied_with(prompt_completion(7), "cross_tenant")
}

test_completing_an_argument_of_the_reviewed_template_is_allowed if {
	allowed(template_completion("order_id", "10"))
	allowed(template_completion("tenant", "ac"))
	allowed(template_completion("tenant", "acme"))
	allowed(complete("ref/resource", "orders://acme/{order_id}", "order_id", "1"))
}

test_completing_the_tenant_of_a_template_offers_only_the_callers_own if {
	denied_with(template_completion("tenant", "g"), "cross_tenant")
	denied_with(template_completion("tenant", "acme-eu"), "cross_tenant")
	denied_with(as_caller(template_completion("tenant", ""), {"tenant": null}), "tenant_required")
}

test_completing_a_resource_the_caller_could_not_read_is_denied if {
	denied_with(as_caller(template_completion("order_id", "1"), {"scopes": []}), "insufficient_scope")
	denied_with(complete("ref/resource", "orders://globex/{order_id}", "order_id", "1"), "unknown_resource")
	denied_with(complete("ref/resource", "orders://globex/2001", "x", "1"), "cross_tenant")
	denied_with(complete("ref/resource", "orders://acme/../globex/2001", "x", "1"), "invalid_resource_uri")
	denied_with(complete("ref/resource", "reports://daily/{date}", "date", "2026"), "insufficient_role")
	denied_with(complete("ref/resource", "feeds://{name}", "name", "n"), "operation_not_permitted")
	denied_with(complete("ref/resource", "ORDERS://{tenant}/{order_id}", "order_id", "1"), "unknown_resource")
}

test_a_completion_reference_is_not_read_as_the_other_kind if {
	denied_with(complete("ref/prompt", "orders://{tenant}/{order_id}", "order_id", "1"), "unknown_prompt")
	denied_with(complete("ref/resource", "summarize_order", "order_id", "1"), "unknown_resource")
}

test_malformed_completion_inputs_are_invalid if {
	denied_with(complete("ref/tool", "get_order", "order_id", "1"), "invalid_input")
	denied_with(request_of("completion/complete", {}), "invalid_input")
	denied_with(request_of("completion/complete", {"completion": {"ref_type": "ref/prompt", "ref": "summarize_order", "argument": null}}), "invalid_input")
	denied_with(object.union(prompt_completion("a"), {"operation": "get"}), "invalid_input")
}
