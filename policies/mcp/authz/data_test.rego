package mcp.authz_test

# Checks of the shipped policies/mcp/authz/data.json (the other tests use fixture_config). These fail when
# an edit to the data would weaken or break the policy, before the bundle is built.

import data.mcp.authz

shipped := data.mcp.authz.config

shipped_decision(request) := decision if {
	decision := authz.decision with input as request
}

test_shipped_data_is_complete if {
	authz.config_well_formed
}

test_every_shipped_write_tool_names_its_roles if {
	every server in shipped.servers {
		every tool in server.tools {
			_read_only_or_has_roles(tool)
		}
	}
}

_read_only_or_has_roles(tool) if tool.read_only == true

_read_only_or_has_roles(tool) if count(tool.allowed_roles) > 0

# Issue 8: a write tool without a scope could be called (and listed) by a token granting nothing.
test_every_shipped_tool_requires_a_scope if {
	every server in shipped.servers {
		every tool in server.tools {
			count(tool.required_scopes) > 0
		}
	}
}

test_every_shipped_tool_states_whether_it_is_read_only if {
	every server in shipped.servers {
		every tool in server.tools {
			is_boolean(tool.read_only)
		}
	}
}

test_every_shipped_break_glass_exception_is_well_formed_and_time_boxed if {
	every exception in shipped.break_glass.exceptions {
		is_string(exception.server)
		is_string(exception.tool)
		is_string(exception.subject)
		count(exception.ticket) > 0
		not_before := authz.rfc3339_utc_ns(exception.not_before)
		expires := authz.rfc3339_utc_ns(exception.expires)
		not_before < expires
		expires - not_before <= (shipped.break_glass.max_window_hours * 3600) * 1000000000
	}
}

test_shipped_break_glass_windows_are_at_most_a_day if {
	shipped.break_glass.max_window_hours <= 24
}

test_shipped_prod_environments_include_prod if {
	"prod" in shipped.production_environments
}

# The shipped data asks for these scopes; the fixture's alice holds only orders.read.
shipped_scopes := ["orders.read", "orders.refund", "customers.delete"]

test_shipped_example_exception_grants_nothing_now if {
	request := as_caller(call_of("delete_customer", {"customer_id": "acme-7"}), {"subject": "oncall-example", "roles": ["admin"], "scopes": shipped_scopes})
	shipped_decision(request).reason == "destructive_in_prod"
}

test_shipped_policy_lets_a_support_agent_read_and_refund_small_amounts if {
	shipped_decision(call_of("get_order", {"order_id": "acme-1001"})).allow == true
	shipped_decision(list_of("list_orders")).allow == true
	refund := shipped_decision(as_caller(call_of("refund_order", {"order_id": "acme-1001", "amount": 120}), {"scopes": shipped_scopes}))
	refund.obligations == {
		"credential": "payments-api",
		"rate_limit": {"per_minute": 10},
		"budget": {"key": "refund_order:amount:acme-1001", "amount": 120, "window": "P1D", "limit": 500},
	}
}

test_shipped_policy_needs_an_approver_above_500 if {
	refunder := as_caller(call_of("refund_order", {"order_id": "acme-1001", "amount": 500}), {"scopes": shipped_scopes})
	shipped_decision(refunder).allow == true
	shipped_decision(object.union(refunder, {"arguments": {"amount": 501}})).reason == "refund_limit_exceeded"
	approver := as_caller(call_of("refund_order", {"order_id": "acme-1001", "amount": 501}), {"roles": ["support", "refund_approver"], "scopes": shipped_scopes})
	shipped_decision(approver).allow == true
	not "budget" in object.keys(shipped_decision(approver).obligations)
}

test_shipped_policy_refunds_and_deletes_need_their_own_scope if {
	read_only_support := {"roles": ["support", "admin"], "scopes": ["orders.read"]}
	refund := as_caller(call_of("refund_order", {"order_id": "acme-1001", "amount": 1}), read_only_support)
	shipped_decision(refund).reason == "insufficient_scope"
	shipped_decision(as_caller(list_of("refund_order"), read_only_support)).reason == "insufficient_scope"
	delete := in_environment(as_caller(call_of("delete_customer", {"customer_id": "acme-7"}), read_only_support), "dev")
	shipped_decision(delete).reason == "insufficient_scope"
	shipped_decision(as_caller(list_of("delete_customer"), object.union(read_only_support, {"scopes": shipped_scopes}))).reason == "destructive_in_prod"
}

test_shipped_policy_without_any_scope_lists_and_calls_nothing if {
	nobody := {"roles": ["support", "admin", "refund_approver"], "scopes": []}
	every tool, _ in shipped.servers.orders.tools {
		shipped_decision(in_environment(as_caller(list_of(tool), nobody), "dev")).reason == "insufficient_scope"
	}
}

test_shipped_policy_isolates_tenants if {
	shipped_decision(call_of("get_order", {"order_id": "globex-1001"})).reason == "cross_tenant"
	shipped_decision(call_of("list_orders", {"tenant_id": "globex"})).reason == "cross_tenant"
}

test_shipped_policy_keeps_delete_customer_out_of_prod if {
	admin := as_caller(call_of("delete_customer", {"customer_id": "acme-7"}), {"roles": ["admin"], "scopes": shipped_scopes})
	shipped_decision(admin).reason == "destructive_in_prod"
	shipped_decision(in_environment(admin, "dev")).allow == true
}

# --- shipped resources and prompts ---------------------------------------------------------------------------

test_every_shipped_resource_class_is_well_formed_and_needs_a_scope if {
	every server in shipped.servers {
		every class in object.get(server, "resources", {}) {
			authz.resource_class_well_formed(class)
			count(class.required_scopes) > 0
			every operation in class.operations {
				operation in {"list", "read", "subscribe", "unsubscribe"}
			}
		}
	}
}

test_shipped_resource_prefixes_do_not_overlap if {
	every server in shipped.servers {
		classes := object.get(server, "resources", {})
		every a, first in classes {
			every b, second in classes {
				_same_or_apart(a, b, first.uri_prefix, second.uri_prefix)
			}
		}
	}
}

_same_or_apart(a, b, _, _) if a == b

_same_or_apart(a, b, x, y) if {
	a != b
	not startswith(x, y)
	not startswith(y, x)
}

test_every_shipped_prompt_requires_a_scope if {
	every server in shipped.servers {
		every prompt in object.get(server, "prompts", {}) {
			count(prompt.required_scopes) > 0
		}
	}
}

test_shipped_policy_lets_a_reader_read_her_tenants_orders_only if {
	read := shipped_decision(read_of("orders://acme/1001"))
	read.allow == true
	read.obligations == {"redact_fields": ["customer.email", "customer.phone", "payment.card_last4"]}
	shipped_decision(read_with_template("orders://acme/1001")).allow == true
	shipped_decision(read_of("orders://globex/2001")).reason == "cross_tenant"
	shipped_decision(read_of("orders://acme/../globex/2001")).reason == "invalid_resource_uri"
	shipped_decision(read_of("orders://acme%2F..%2Fglobex%2F2001")).reason == "invalid_resource_uri"
	shipped_decision(read_of("ORDERS://acme/1001")).reason == "unknown_resource"
	shipped_decision(as_caller(read_of("orders://acme/1001"), {"scopes": []})).reason == "insufficient_scope"
	shipped_decision(listed_template("orders://{tenant}/{order_id}")).allow == true
	shipped_decision(subscribe_to("orders://acme/1001")).allow == true
}

test_shipped_policy_allows_the_summary_prompt_and_no_other if {
	shipped_decision(get_prompt("summarize_order", {"order_id": "acme-1001"})).allow == true
	shipped_decision(get_prompt("summarize_order", {"order_id": "globex-2001"})).reason == "cross_tenant"
	shipped_decision(get_prompt("export_all_customers", {})).reason == "unknown_prompt"
	shipped_decision(complete("ref/prompt", "summarize_order", "order_id", "acme-10")).allow == true
	shipped_decision(complete("ref/prompt", "summarize_order", "order_id", "globex-")).reason == "cross_tenant"
	shipped_decision(complete("ref/resource", "orders://{tenant}/{order_id}", "order_id", "10")).allow == true
}

# --- shipped guardrail settings ------------------------------------------------------------------------------

test_shipped_guardrail_settings_are_well_formed_for_every_tool_resource_and_prompt if {
	is_object(shipped.guardrails)
	every server_name, server in shipped.servers {
		every tool, _ in server.tools {
			authz.guardrail_settings_well_formed with input as object.union(call_of(tool, {}), {"server": server_name})
		}
		every prompt, _ in object.get(server, "prompts", {}) {
			authz.guardrail_settings_well_formed with input as object.union(get_prompt(prompt, {}), {"server": server_name})
		}
	}
	authz.guardrail_settings_well_formed with input as read_of("orders://acme/1001")
}

test_shipped_guardrails_keep_the_fail_closed_defaults if {
	shipped.guardrails.arguments.secret_kinds == ["secret.*"]
	shipped.guardrails.arguments.injection_block_confidence <= 0.8
	shipped.guardrails.result.injection_block_confidence <= 0.9
	shipped.guardrails.result.injection_mark_confidence <= 0.5
	"secret.*" in shipped.guardrails.result.redact_kinds
	"pii.*" in shipped.guardrails.result.pii_kinds
}

test_shipped_policy_denies_secrets_and_injections_in_arguments if {
	call := call_of("get_order", {"order_id": "acme-1001"})
	secret := {"kind": "secret.github_token", "rule_id": "secret.github_token.checksum", "path": "$.arguments.note", "confidence": 1}
	shipped_decision(object.union(call, {"guardrails": {"arguments": {"findings": [secret], "complete": true}}})).reason == "secret_in_arguments"
	shipped_decision(object.union(call, {"guardrails": {"arguments": {"findings": [injection(0.8)], "complete": true}}})).reason == "prompt_injection"
	shipped_decision(object.union(call, {"guardrails": {"arguments": {"findings": [], "complete": false}}})).reason == "guardrail_incomplete"
}

test_shipped_policy_redacts_a_card_and_an_email_in_a_result_for_a_support_agent if {
	findings := [
		{"kind": "pii.payment_card", "rule_id": "pii.payment_card.luhn", "path": "$.content[0].text", "confidence": 1},
		{"kind": "pii.email", "rule_id": "pii.email.addr_spec", "path": "$.structuredContent.customer.email", "confidence": 0.9},
	]
	request := result_phase(call_of("get_order", {"order_id": "acme-1001"}), findings)
	decision := shipped_decision(request)
	decision.allow == true
	decision.obligations.redact_findings == ["pii.email", "pii.payment_card"]
	decision.obligations.redact_fields == ["customer.email", "customer.phone", "payment.card_last4"]
	not "redact_findings" in object.keys(shipped_decision(as_caller(request, {"roles": ["support", "pii_reader"]})).obligations)
	shipped_decision(result_phase(call_of("get_order", {"order_id": "acme-1001"}), [injection(0.95)])).reason == "prompt_injection"
	shipped_decision(result_phase(call_of("get_order", {"order_id": "acme-1001"}), [injection(0.6)])).obligations.mark_findings == ["prompt_injection"]
}
