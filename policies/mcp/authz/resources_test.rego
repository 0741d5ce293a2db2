# Resources: tenant isolation on URIs, scopes and roles, operations, templates, and URI tricks.
package mcp.authz_test

import data.mcp.authz

# --- reads of the caller's own tenant ---------------------------------------------------------------------

test_read_of_an_order_of_the_callers_tenant_is_allowed if {
	allowed(read_of("orders://acme/1001"))
}

test_read_of_an_order_carries_the_class_redaction_obligation if {
	decision_for(read_of("orders://acme/1001")).obligations == {"redact_fields": ["customer.email"]}
}

test_read_through_the_reviewed_template_is_allowed if {
	allowed(read_with_template("orders://acme/1001"))
	allowed(resource_of("resources/read", "orders://acme/1001", "orders://acme/{order_id}"))
}

test_read_through_a_template_security_did_not_review_is_denied if {
	denied_with(resource_of("resources/read", "orders://acme/1001", "orders://{tenant}/{id}"), "unknown_resource_template")
	denied_with(resource_of("resources/read", "orders://acme/1001", "orders://globex/{order_id}"), "unknown_resource_template")
}

test_read_without_the_scope_is_denied if {
	denied_with(as_caller(read_of("orders://acme/1001"), {"scopes": []}), "insufficient_scope")
}

test_read_needs_no_role_unless_the_class_names_roles if {
	allowed(as_caller(read_of("orders://acme/1001"), {"roles": []}))
}

test_read_by_a_caller_without_tenant_is_denied if {
	denied_with(as_caller(read_of("orders://acme/1001"), {"tenant": null}), "tenant_required")
	denied_with(as_caller(read_of("orders://acme/1001"), {"tenant": ""}), "tenant_required")
}

test_read_by_a_caller_whose_tenant_cannot_stand_in_a_uri_is_denied if {
	denied_with(as_caller(read_of("orders://acme/x/1001"), {"tenant": "acme/x"}), "tenant_required")
	denied_with(as_caller(read_of("orders://acme%2Fx/1001"), {"tenant": "acme%2Fx"}), "tenant_required")
}

# --- other tenants ----------------------------------------------------------------------------------------

test_read_of_another_tenants_order_is_denied if {
	denied_with(read_of("orders://globex/2001"), "cross_tenant")
	denied_with(read_with_template("orders://globex/2001"), "cross_tenant")
}

test_tenant_codes_in_uris_compare_exactly if {
	denied_with(read_of("orders://ACME/1001"), "cross_tenant")
	denied_with(read_of("orders://acme-eu/1001"), "cross_tenant")
	denied_with(read_of("orders://acm/1001"), "cross_tenant")
}

test_cross_tenant_resource_message_does_not_echo_the_uri if {
	decision := decision_for(read_of("orders://globex/2001"))
	not contains(decision.message, "globex")
	not contains(decision.message, "2001")
}

test_subscription_to_the_callers_order_is_allowed_and_to_another_tenants_denied if {
	allowed(subscribe_to("orders://acme/1001"))
	denied_with(subscribe_to("orders://globex/2001"), "cross_tenant")
	allowed(resource_of("resources/unsubscribe", "orders://acme/1001", null))
	denied_with(resource_of("resources/unsubscribe", "orders://globex/2001", null), "cross_tenant")
}

test_listing_shows_the_callers_orders_and_hides_other_tenants if {
	allowed(listed_resource("orders://acme/1001"))
	denied_with(listed_resource("orders://globex/2001"), "cross_tenant")
	denied_with(as_caller(listed_resource("orders://acme/1001"), {"scopes": []}), "insufficient_scope")
}

# --- URI tricks: anything but exactly orders://<own tenant>/<digits> is denied ------------------------------

test_percent_encoded_slashes_and_dots_are_not_decoded if {
	denied_with(read_of("orders://acme%2F..%2Fglobex%2F2001"), "invalid_resource_uri")
	denied_with(read_of("orders://acme%2F.."), "invalid_resource_uri")
	denied_with(read_of("orders://acme%2f2001"), "invalid_resource_uri")
	denied_with(read_of("orders://acme/%2E%2E/globex/2001"), "invalid_resource_uri")
	denied_with(read_of("orders://acme/%31001"), "invalid_resource_uri")
}

test_dot_segments_cannot_leave_the_callers_tenant if {
	denied_with(read_of("orders://acme/../globex/2001"), "invalid_resource_uri")
	denied_with(read_of("orders://acme/1001/../../globex/2001"), "invalid_resource_uri")
	denied_with(read_of("orders://acme/./1001"), "invalid_resource_uri")
	denied_with(read_of("orders://globex/../acme/1001"), "invalid_resource_uri")
}

test_scheme_case_and_missing_scheme_match_no_resource if {
	denied_with(read_of("ORDERS://acme/1001"), "unknown_resource")
	denied_with(read_of("Orders://acme/1001"), "unknown_resource")
	denied_with(read_of("acme/1001"), "unknown_resource")
	denied_with(read_of("//acme/1001"), "unknown_resource")
	denied_with(read_of("orders:acme/1001"), "unknown_resource")
	denied_with(read_of(" orders://acme/1001"), "unknown_resource")
	denied_with(read_of(""), "unknown_resource")
}

test_unicode_lookalikes_are_not_the_callers_tenant if {
	# Cyrillic a (U+0430) for the a of acme; a fullwidth o (U+FF4F) in the scheme; Arabic-Indic digits as the id.
	denied_with(read_of("orders://\u0430cme/1001"), "invalid_resource_uri")
	denied_with(read_of("\uff4frders://acme/1001"), "unknown_resource")
	denied_with(read_of("orders://acme/\u0661\u0660\u0660\u0661"), "invalid_resource_uri")
	denied_with(read_of("orders://acme\u2215globex/2001"), "invalid_resource_uri")
}

test_malformed_order_uris_are_denied if {
	every uri in [
		"orders://", "orders://acme", "orders://acme/", "orders:///acme/1001", "orders://acme//1001",
		"orders://acme/1001/", "orders://acme/1001?tenant=globex", "orders://acme/1001#globex",
		"orders://acme/1001 ", "orders://acme/10a1", "orders://acme/1234567890123",
		"orders://user@acme/1001", "orders://acme:443/1001",
	] {
		denied_with(read_of(uri), "invalid_resource_uri")
	}
}

test_invalid_uri_message_does_not_echo_the_uri if {
	not contains(decision_for(read_of("orders://acme/../globex/2001")).message, "globex")
}

# --- templates --------------------------------------------------------------------------------------------

test_the_reviewed_template_is_listed_for_a_caller_with_a_tenant_and_the_scope if {
	allowed(listed_template("orders://{tenant}/{order_id}"))
	allowed(listed_template("orders://acme/{order_id}"))
	denied_with(as_caller(listed_template("orders://{tenant}/{order_id}"), {"scopes": []}), "insufficient_scope")
	denied_with(as_caller(listed_template("orders://{tenant}/{order_id}"), {"tenant": null}), "tenant_required")
}

test_another_tenants_template_and_unknown_templates_are_hidden if {
	denied_with(listed_template("orders://globex/{order_id}"), "unknown_resource")
	denied_with(listed_template("orders://{tenant}/{order_id}/items"), "unknown_resource")
	denied_with(listed_template("ORDERS://{tenant}/{order_id}"), "unknown_resource")
}

# --- classes without tenants, with roles, and their operations ---------------------------------------------

test_a_class_without_tenants_checks_its_roles_and_id if {
	denied_with(read_of("reports://daily/2026-11-22"), "insufficient_role")
	finance := as_caller(read_of("reports://daily/2026-11-22"), {"roles": ["finance"], "tenant": null})
	allowed(finance)
	denied_with(object.union(finance, {"resource": {"uri": "reports://daily/../secret"}}), "invalid_resource_uri")
	denied_with(object.union(finance, {"resource": {"uri": "reports://daily/acme/2026-11-22"}}), "invalid_resource_uri")
}

test_an_operation_the_class_does_not_name_is_denied if {
	finance := {"roles": ["finance"]}
	denied_with(as_caller(listed_resource("reports://daily/2026-11-22"), finance), "operation_not_permitted")
	denied_with(as_caller(subscribe_to("reports://daily/2026-11-22"), finance), "operation_not_permitted")
	allowed(listed_resource("feeds://news"))
	denied_with(read_of("feeds://news"), "operation_not_permitted")
}

# --- unknown resources and bad input ----------------------------------------------------------------------

test_a_uri_of_no_class_is_an_unknown_resource if {
	denied_with(read_of("file:///etc/passwd"), "unknown_resource")
	denied_with(read_of("customers://acme/100"), "unknown_resource")
}

test_a_class_missing_a_key_is_unknown if {
	denied_with(read_of("broken://x"), "unknown_resource")
	denied_with(listed_template("broken://{x}"), "unknown_resource")
}

test_a_resource_of_an_unknown_server_is_unknown if {
	denied_with(object.union(read_of("orders://acme/1001"), {"server": "payments"}), "unknown_resource")
}

test_overlapping_classes_make_their_resources_unknown if {
	overlapping := json.patch(fixture_config, [{"op": "add", "path": "/servers/orders/resources/acme_orders", "value": {
		"uri_prefix": "orders://acme/", "tenant_scoped": false, "id_pattern": "[0-9]+", "templates": [],
		"operations": ["read"], "required_scopes": [],
	}}])
	decision := authz.decision with input as read_of("orders://acme/1001") with data.mcp.authz.config as overlapping
	decision.reason == "unknown_resource"
}

test_a_class_without_resources_config_denies_every_resource if {
	decision := authz.decision with input as read_of("orders://acme/1001")
		with data.mcp.authz.config as json.remove(fixture_config, ["servers/orders/resources"])
	decision.reason == "unknown_resource"
	decision.allow == false
}

test_malformed_resource_inputs_are_invalid if {
	denied_with(resource_of("resources/read", null, null), "invalid_input")
	denied_with(resource_of("resources/read", 7, null), "invalid_input")
	denied_with(resource_of("resources/read", "orders://acme/1001", 7), "invalid_input")
	denied_with(request_of("resources/read", {}), "invalid_input")
	denied_with(resource_of("resources/templates/list", "orders://acme/1001", "orders://{tenant}/{order_id}"), "invalid_input")
	denied_with(resource_of("resources/templates/list", null, null), "invalid_input")
	denied_with(object.union(read_of("orders://acme/1001"), {"operation": "list"}), "invalid_input")
	denied_with(object.union(read_of("orders://acme/1001"), {"version": 3}), "invalid_input")
	denied_with(object.union(read_of("orders://acme/1001"), {"method": "resources/write", "operation": "write"}), "invalid_input")
}

test_a_resource_request_is_not_decided_by_the_tool_it_names if {
	request := object.union(read_of("orders://globex/2001"), {"tool": call_of("get_order", {}).tool})
	denied_with(request, "cross_tenant")
}

test_listing_and_reading_agree_for_every_fixture_uri if {
	every uri in ["orders://acme/1001", "orders://globex/2001", "orders://acme/../globex/1", "ORDERS://acme/1"] {
		decision_for(listed_resource(uri)).allow == decision_for(read_of(uri)).allow
	}
}
