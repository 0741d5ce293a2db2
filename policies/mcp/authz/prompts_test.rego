# Prompts: the allow-list, scopes and roles, and tenant isolation on their arguments.
package mcp.authz_test

import data.mcp.authz

test_an_allowed_prompt_is_listed_and_got if {
	allowed(listed_prompt("summarize_order"))
	allowed(get_prompt("summarize_order", {"order_id": "acme-1001"}))
}

test_a_prompt_carries_its_obligations if {
	decision_for(get_prompt("draft_refund_reply", {})).obligations == {"redact_fields": ["customer.phone"]}
	decision_for(get_prompt("summarize_order", {"order_id": "acme-1001"})).obligations == {}
}

test_a_prompt_not_on_the_allow_list_is_hidden_and_refused if {
	denied_with(listed_prompt("export_all_customers"), "unknown_prompt")
	denied_with(get_prompt("export_all_customers", {}), "unknown_prompt")
	decision_for(get_prompt("export_all_customers", {})).message == "Prompt 'export_all_customers' is not allowed for server 'orders'."
}

test_prompt_names_compare_exactly if {
	denied_with(get_prompt("Summarize_Order", {"order_id": "acme-1001"}), "unknown_prompt")
	denied_with(get_prompt("summarize_order ", {"order_id": "acme-1001"}), "unknown_prompt")
	denied_with(get_prompt("summarize_\u043erder", {"order_id": "acme-1001"}), "unknown_prompt")
}

test_a_tool_name_is_not_a_prompt if {
	denied_with(get_prompt("get_order", {"order_id": "acme-1001"}), "unknown_prompt")
}

test_a_prompt_of_an_unknown_server_is_unknown if {
	denied_with(object.union(listed_prompt("summarize_order"), {"server": "payments"}), "unknown_prompt")
}

test_a_prompt_needs_its_scope if {
	denied_with(as_caller(get_prompt("summarize_order", {"order_id": "acme-1001"}), {"scopes": []}), "insufficient_scope")
	denied_with(as_caller(listed_prompt("summarize_order"), {"scopes": []}), "insufficient_scope")
}

test_a_prompt_with_roles_needs_one_of_them if {
	allowed(listed_prompt("draft_refund_reply"))
	denied_with(as_caller(listed_prompt("draft_refund_reply"), {"roles": ["viewer"]}), "insufficient_role")
	denied_with(as_caller(get_prompt("draft_refund_reply", {}), {"roles": []}), "insufficient_role")
	allowed(as_caller(get_prompt("summarize_order", {"order_id": "acme-1001"}), {"roles": []}))
}

test_a_tenant_scoped_prompt_needs_a_tenant if {
	denied_with(as_caller(listed_prompt("summarize_order"), {"tenant": null}), "tenant_required")
	allowed(as_caller(listed_prompt("draft_refund_reply"), {"tenant": null}))
}

test_a_prompt_argument_naming_another_tenant_is_denied if {
	denied_with(get_prompt("summarize_order", {"order_id": "globex-2001"}), "cross_tenant")
	denied_with(get_prompt("draft_refund_reply", {"tenant": "globex"}), "cross_tenant")
	denied_with(get_prompt("summarize_order", {"order_id": "ACME-1001"}), "cross_tenant")
	not contains(decision_for(get_prompt("summarize_order", {"order_id": "globex-2001"})).message, "globex")
}

test_a_malformed_tenant_referencing_prompt_argument_is_invalid if {
	denied_with(get_prompt("summarize_order", {"order_id": "1001"}), "invalid_argument")
	denied_with(get_prompt("summarize_order", {"order_id": "-1001"}), "invalid_argument")
	denied_with(get_prompt("summarize_order", {"order_id": 1001}), "invalid_argument")
}

test_listing_a_prompt_ignores_its_arguments if {
	allowed(object.union(listed_prompt("summarize_order"), {"arguments": {"order_id": "globex-2001"}}))
}

test_malformed_prompt_inputs_are_invalid if {
	denied_with(request_of("prompts/get", {}), "invalid_input")
	denied_with(request_of("prompts/get", {"prompt": {"name": 7}}), "invalid_input")
	denied_with(request_of("prompts/get", {"prompt": {"name": "summarize_order"}, "arguments": null}), "invalid_input")
	denied_with(object.union(listed_prompt("summarize_order"), {"operation": "get"}), "invalid_input")
	denied_with(object.union(get_prompt("summarize_order", {}), {"version": 1}), "invalid_input")
	denied_with(object.union(get_prompt("summarize_order", {}), {"version": 3}), "invalid_input")
}
