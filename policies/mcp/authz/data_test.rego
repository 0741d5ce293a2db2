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

test_shipped_example_exception_grants_nothing_now if {
	request := as_caller(call_of("delete_customer", {"customer_id": "acme-7"}), {"subject": "oncall-example", "roles": ["admin"]})
	shipped_decision(request).reason == "destructive_in_prod"
}

test_shipped_policy_lets_a_support_agent_read_and_refund_small_amounts if {
	shipped_decision(call_of("get_order", {"order_id": "acme-1001"})).allow == true
	shipped_decision(list_of("list_orders")).allow == true
	refund := shipped_decision(call_of("refund_order", {"order_id": "acme-1001", "amount": 120}))
	refund.obligations == {"credential": "payments-api", "rate_limit": {"per_minute": 10}}
}

test_shipped_policy_needs_an_approver_above_500 if {
	shipped_decision(call_of("refund_order", {"order_id": "acme-1001", "amount": 500})).allow == true
	shipped_decision(call_of("refund_order", {"order_id": "acme-1001", "amount": 501})).reason == "refund_limit_exceeded"
	approver := as_caller(call_of("refund_order", {"order_id": "acme-1001", "amount": 501}), {"roles": ["support", "refund_approver"]})
	shipped_decision(approver).allow == true
}

test_shipped_policy_isolates_tenants if {
	shipped_decision(call_of("get_order", {"order_id": "globex-1001"})).reason == "cross_tenant"
	shipped_decision(call_of("list_orders", {"tenant_id": "globex"})).reason == "cross_tenant"
}

test_shipped_policy_keeps_delete_customer_out_of_prod if {
	admin := as_caller(call_of("delete_customer", {"customer_id": "acme-7"}), {"roles": ["admin"]})
	shipped_decision(admin).reason == "destructive_in_prod"
	shipped_decision(in_environment(admin, "dev")).allow == true
}
