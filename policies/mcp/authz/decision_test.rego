package mcp.authz_test

import data.mcp.authz

# --- read-only tools: scope -----------------------------------------------------------------------------

test_read_tool_is_allowed_for_a_caller_with_the_read_scope if {
	allowed(call_of("get_order", {"order_id": "acme-1001"}))
}

test_read_tool_carries_its_redaction_obligation if {
	decision_for(call_of("get_order", {"order_id": "acme-1001"})).obligations == {"redact_fields": ["customer.email"]}
}

test_read_tool_is_denied_without_the_read_scope if {
	denied_with(as_caller(call_of("get_order", {"order_id": "acme-1001"}), {"scopes": []}), "insufficient_scope")
}

test_read_tool_needs_no_role if {
	allowed(as_caller(call_of("list_orders", {}), {"roles": []}))
}

test_tool_the_server_no_longer_marks_read_only_is_denied_as_an_annotation_mismatch if {
	request := object.union(call_of("get_order", {"order_id": "acme-1001"}), {"tool": {"read_only": false}})
	denied_with(request, "tool_annotation_mismatch")
}

test_write_tool_the_server_marks_read_only_is_denied_as_an_annotation_mismatch if {
	request := object.union(call_of("refund_order", {"amount": 10}), {"tool": {"read_only": true}})
	denied_with(request, "tool_annotation_mismatch")
}

# --- writes: roles --------------------------------------------------------------------------------------

test_write_tool_is_allowed_for_an_allowed_role if {
	allowed(call_of("refund_order", {"order_id": "acme-1001", "amount": 120}))
}

test_refund_carries_credential_and_rate_limit_obligations if {
	decision := decision_for(call_of("refund_order", {"order_id": "acme-1001", "amount": 120}))
	decision.obligations == {"credential": "payments-api", "rate_limit": {"per_minute": 10}}
}

test_write_tool_is_denied_without_an_allowed_role if {
	denied_with(as_caller(call_of("refund_order", {"amount": 120}), {"roles": ["viewer"]}), "insufficient_role")
}

test_write_tool_without_configured_roles_is_callable_by_nobody if {
	denied_with(as_caller(call_of("export_report", {}), {"roles": ["support", "admin"]}), "insufficient_role")
}

test_scopes_do_not_replace_roles_for_writes if {
	request := as_caller(call_of("refund_order", {"amount": 120}), {"roles": [], "scopes": ["orders.read", "orders.write"]})
	denied_with(request, "insufficient_role")
}

# --- destructive tools in production --------------------------------------------------------------------

test_destructive_tool_is_denied_in_prod_even_for_an_allowed_role if {
	denied_with(as_caller(call_of("delete_customer", {"customer_id": "acme-7"}), {"roles": ["admin"]}), "destructive_in_prod")
}

test_destructive_tool_is_allowed_outside_prod_for_an_allowed_role if {
	request := in_environment(as_caller(call_of("delete_customer", {"customer_id": "acme-7"}), {"roles": ["admin"]}), "staging")
	allowed(request)
}

test_destructive_tool_still_needs_its_role_outside_prod if {
	denied_with(in_environment(call_of("delete_customer", {"customer_id": "acme-7"}), "staging"), "insufficient_role")
}

test_unnamed_environment_is_treated_as_prod if {
	request := json.remove(as_caller(call_of("delete_customer", {"customer_id": "acme-7"}), {"roles": ["admin"]}), ["environment"])
	denied_with(request, "destructive_in_prod")
}

test_null_environment_name_is_treated_as_prod if {
	request := as_caller(object.union(call_of("delete_customer", {}), {"environment": {"name": null}}), {"roles": ["admin"]})
	denied_with(request, "destructive_in_prod")
}

test_server_destructive_hint_makes_a_tool_destructive_even_when_the_policy_does_not_say_so if {
	request := object.union(call_of("archive_order", {}), {"tool": {"destructive": true}})
	denied_with(request, "destructive_in_prod")
}

test_non_destructive_write_is_allowed_in_prod if {
	allowed(call_of("archive_order", {"order_id": "acme-1"}))
}

# --- unknown tools and description pins ----------------------------------------------------------------

test_unknown_tool_is_denied if {
	denied_with(call_of("drop_database", {}), "unknown_tool")
}

test_tool_of_an_unknown_server_is_denied if {
	denied_with(object.union(call_of("get_order", {}), {"server": "payments"}), "unknown_tool")
}

test_unknown_tool_message_names_tool_and_server if {
	decision_for(call_of("drop_database", {})).message == "Tool 'drop_database' is not registered for server 'orders'."
}

test_pinned_tool_with_the_reviewed_description_is_allowed if {
	allowed(call_of("pinned_tool", {}))
}

test_pinned_tool_with_a_changed_description_is_denied if {
	request := object.union(call_of("pinned_tool", {}), {"tool": {"description_sha256": "bbbb"}})
	denied_with(request, "tool_description_changed")
}

# --- tenant isolation -----------------------------------------------------------------------------------

test_order_of_the_callers_own_tenant_is_allowed if {
	allowed(call_of("get_order", {"order_id": "acme-1001"}))
}

test_order_of_another_tenant_is_denied if {
	denied_with(call_of("get_order", {"order_id": "globex-1001"}), "cross_tenant")
}

test_customer_of_another_tenant_is_denied if {
	denied_with(call_of("refund_order", {"customer_id": "globex-7", "amount": 1}), "cross_tenant")
}

test_tenant_argument_naming_another_tenant_is_denied if {
	denied_with(call_of("list_orders", {"tenant": "globex"}), "cross_tenant")
}

test_tenant_argument_naming_the_callers_tenant_is_allowed if {
	allowed(call_of("list_orders", {"tenant": "acme"}))
}

test_tenant_codes_compare_exactly if {
	denied_with(call_of("get_order", {"order_id": "ACME-1001"}), "cross_tenant")
}

test_cross_tenant_message_does_not_echo_the_argument_value if {
	decision := decision_for(call_of("get_order", {"order_id": "globex-1001"}))
	not contains(decision.message, "globex")
}

test_order_id_without_a_tenant_prefix_is_an_invalid_argument if {
	denied_with(call_of("get_order", {"order_id": "1001"}), "invalid_argument")
}

test_order_id_with_an_empty_tenant_prefix_is_an_invalid_argument if {
	denied_with(call_of("get_order", {"order_id": "-1001"}), "invalid_argument")
}

test_non_string_order_id_is_an_invalid_argument if {
	denied_with(call_of("get_order", {"order_id": 1001}), "invalid_argument")
}

test_caller_without_tenant_may_not_reference_tenant_data if {
	request := as_caller(call_of("list_orders", {"tenant": "acme"}), {"tenant": null})
	denied_with(request, "cross_tenant")
}

test_tenant_scoped_tool_is_denied_to_a_caller_without_tenant if {
	denied_with(as_caller(call_of("get_order", {}), {"tenant": null}), "tenant_required")
}

test_tenant_scoped_tool_is_hidden_from_a_caller_without_tenant if {
	denied_with(as_caller(list_of("get_order"), {"tenant": null}), "tenant_required")
}

# --- argument constraints -------------------------------------------------------------------------------

test_refund_at_the_limit_is_allowed if {
	allowed(call_of("refund_order", {"order_id": "acme-1", "amount": 500}))
}

test_refund_just_above_the_limit_needs_an_approver if {
	denied_with(call_of("refund_order", {"order_id": "acme-1", "amount": 500.01}), "refund_limit_exceeded")
}

test_refund_above_the_limit_is_allowed_for_an_approver if {
	request := as_caller(call_of("refund_order", {"order_id": "acme-1", "amount": 5000}), {"roles": ["support", "refund_approver"]})
	allowed(request)
}

test_approver_role_alone_does_not_allow_a_refund if {
	request := as_caller(call_of("refund_order", {"order_id": "acme-1", "amount": 5000}), {"roles": ["refund_approver"]})
	denied_with(request, "insufficient_role")
}

test_refund_of_zero_is_allowed if {
	allowed(call_of("refund_order", {"order_id": "acme-1", "amount": 0}))
}

test_negative_refund_is_an_invalid_argument if {
	denied_with(call_of("refund_order", {"order_id": "acme-1", "amount": -0.01}), "invalid_argument")
}

test_numeric_string_refund_is_an_invalid_argument if {
	denied_with(call_of("refund_order", {"order_id": "acme-1", "amount": "120"}), "invalid_argument")
}

test_refund_without_amount_is_an_invalid_argument if {
	denied_with(call_of("refund_order", {"order_id": "acme-1"}), "invalid_argument")
}

test_refund_with_null_amount_is_an_invalid_argument if {
	denied_with(call_of("refund_order", {"order_id": "acme-1", "amount": null}), "invalid_argument")
}

test_invalid_argument_message_names_the_argument if {
	decision_for(call_of("refund_order", {"amount": "x"})).message == "Argument 'amount' is missing or invalid."
}

# --- operation list -------------------------------------------------------------------------------------

test_listing_a_write_tool_ignores_its_argument_rules if {
	allowed(list_of("refund_order"))
}

test_listing_shows_no_obligation_free_pass_for_a_caller_without_the_role if {
	denied_with(as_caller(list_of("refund_order"), {"roles": []}), "insufficient_role")
}

test_listing_hides_read_tools_without_the_scope if {
	denied_with(as_caller(list_of("get_order"), {"scopes": []}), "insufficient_scope")
}

test_listing_hides_destructive_tools_in_prod if {
	denied_with(as_caller(list_of("delete_customer"), {"roles": ["admin"]}), "destructive_in_prod")
}

test_listing_shows_destructive_tools_outside_prod if {
	allowed(in_environment(as_caller(list_of("delete_customer"), {"roles": ["admin"]}), "dev"))
}

test_listing_hides_unknown_tools if {
	denied_with(list_of("drop_database"), "unknown_tool")
}

test_list_and_call_agree_for_a_call_with_valid_arguments if {
	every tool in ["get_order", "list_orders", "refund_order", "delete_customer", "export_report"] {
		decision_for(list_of(tool)).allow == decision_for(call_of(tool, {"order_id": "acme-1", "amount": 1})).allow
	}
}

# --- input contract and result shape --------------------------------------------------------------------

test_unsupported_input_version_is_denied if {
	denied_with(object.union(call_of("get_order", {}), {"version": 3}), "invalid_input")
	denied_with(object.union(call_of("get_order", {}), {"version": 0}), "invalid_input")
	denied_with(object.union(call_of("get_order", {}), {"version": "2"}), "invalid_input")
	denied_with(json.remove(call_of("get_order", {}), ["version"]), "invalid_input")
}

test_version_2_tool_input_without_a_method_is_denied if {
	denied_with(json.remove(call_of("get_order", {"order_id": "acme-1001"}), ["method"]), "invalid_input")
}

test_version_2_method_and_operation_must_agree if {
	denied_with(object.union(call_of("get_order", {"order_id": "acme-1001"}), {"method": "tools/list"}), "invalid_input")
	denied_with(object.union(call_of("get_order", {"order_id": "acme-1001"}), {"method": "tools/delete"}), "invalid_input")
}

test_version_2_tool_input_without_a_tool_is_denied if {
	denied_with(object.union(call_of("get_order", {"order_id": "acme-1001"}), {"tool": null}), "invalid_input")
}

# Version 1 stays accepted for tools (same decisions) until the next minor release; nothing else can be asked in it.
test_version_1_tool_inputs_are_decided_as_version_2 if {
	every tool in sort(object.keys(hints) | {"no_such_tool"}) {
		every fields in [{}, {"roles": []}, {"roles": ["admin"]}, {"scopes": []}, {"tenant": null}, {"subject": "oncall-bob", "roles": ["admin"]}] {
			every environment in ["prod", "staging"] {
				call := in_environment(as_caller(call_of(tool, {"order_id": "acme-1", "amount": 1}), fields), environment)
				decision_for(v1_of(call)) == decision_for(call)
				listed := in_environment(as_caller(list_of(tool), fields), environment)
				decision_for(v1_of(listed)) == decision_for(listed)
			}
		}
	}
}

test_version_1_input_is_for_tools_only if {
	denied_with(v1_of(read_of("orders://acme/1001")), "invalid_input")
	denied_with(object.union(v1_of(read_of("orders://acme/1001")), {"operation": "read"}), "invalid_input")
	denied_with(v1_of(get_prompt("summarize_order", {})), "invalid_input")
	denied_with(object.union(v1_of(call_of("get_order", {"order_id": "acme-1"})), {"operation": "get"}), "invalid_input")
}

test_unknown_operation_is_denied if {
	denied_with(object.union(call_of("get_order", {}), {"operation": "delete"}), "invalid_input")
}

test_input_without_caller_is_denied if {
	denied_with(json.remove(call_of("get_order", {}), ["caller"]), "invalid_input")
}

test_input_with_string_time_is_denied if {
	denied_with(object.union(call_of("get_order", {}), {"time_ns": "1795341600000000000"}), "invalid_input")
}

test_empty_input_still_yields_a_denial_object if {
	decision := authz.decision with input as {} with data.mcp.authz.config as fixture_config
	decision == {"allow": false, "reason": "invalid_input", "message": "The policy input does not follow contract version 2 (or version 1, for tools)."}
}

test_missing_tenancy_config_denies_everything if {
	decision := authz.decision with input as call_of("get_order", {"order_id": "globex-1"})
		with data.mcp.authz.config as json.remove(fixture_config, ["tenancy"])
	decision.allow == false
	decision.reason == "policy_misconfigured"
}

test_missing_config_denies_everything if {
	decision := authz.decision with input as call_of("get_order", {}) with data.mcp.authz.config as {}
	decision.reason == "policy_misconfigured"
}

test_the_first_failed_check_is_the_reported_reason if {
	# lacks the role AND references another tenant AND exceeds the limit: the role is reported
	request := as_caller(call_of("refund_order", {"order_id": "globex-1", "amount": 9000}), {"roles": []})
	denied_with(request, "insufficient_role")
}

test_allow_rule_mirrors_the_decision if {
	authz.allow with input as call_of("get_order", {"order_id": "acme-1"}) with data.mcp.authz.config as fixture_config
	not authz.allow with input as call_of("get_order", {"order_id": "globex-1"}) with data.mcp.authz.config as fixture_config
}

test_denials_carry_no_obligations if {
	not "obligations" in object.keys(decision_for(call_of("get_order", {"order_id": "globex-1"})))
}

test_every_reason_is_a_valid_reason_code if {
	denials := authz.denials with input as {} with data.mcp.authz.config as {}
	count(denials) > 0
	every denial in denials {
		regex.match(`^[a-z][a-z0-9_]{0,63}$`, denial[1])
	}
}
