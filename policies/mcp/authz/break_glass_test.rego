package mcp.authz_test

# The fixture exception names oncall-bob for delete_customer on orders, 2026-11-22T08:00:00Z to
# 2026-11-22T12:00:00Z (ticket INC-4711); now_ns is 10:00 that day.

window_start_ns := 1795334400000000000

window_end_ns := 1795348800000000000

bob_deletes_in_prod := as_caller(
	call_of("delete_customer", {"customer_id": "acme-7"}),
	{"subject": "oncall-bob", "roles": ["admin"]},
)

with_exceptions(exceptions) := object.union(fixture_config, {"break_glass": {"exceptions": exceptions}})

exception_with(fields) := object.union(fixture_config.break_glass.exceptions[0], fields)

decision_with_exceptions(request, exceptions) := decision if {
	decision := data.mcp.authz.decision with input as request with data.mcp.authz.config as with_exceptions(exceptions)
}

test_fixture_window_bounds_are_the_documented_times if {
	window_start_ns == time.parse_rfc3339_ns("2026-11-22T08:00:00Z")
	window_end_ns == time.parse_rfc3339_ns("2026-11-22T12:00:00Z")
}

test_named_caller_may_use_the_destructive_tool_in_prod_inside_the_window if {
	allowed(bob_deletes_in_prod)
}

test_break_glass_allow_carries_the_ticket_and_expiry if {
	decision_for(bob_deletes_in_prod).obligations == {"break_glass": {"ticket": "INC-4711", "expires": "2026-11-22T12:00:00Z"}}
}

test_break_glass_is_valid_from_its_first_nanosecond if {
	allowed(at_time(bob_deletes_in_prod, window_start_ns))
}

test_break_glass_is_not_valid_one_nanosecond_before_it_starts if {
	denied_with(at_time(bob_deletes_in_prod, window_start_ns - 1), "destructive_in_prod")
}

test_break_glass_is_valid_until_one_nanosecond_before_it_expires if {
	allowed(at_time(bob_deletes_in_prod, window_end_ns - 1))
}

test_break_glass_is_not_valid_at_its_expiry if {
	denied_with(at_time(bob_deletes_in_prod, window_end_ns), "destructive_in_prod")
}

test_break_glass_does_not_cover_another_caller if {
	denied_with(as_caller(bob_deletes_in_prod, {"subject": "mallory"}), "destructive_in_prod")
}

test_break_glass_does_not_cover_the_same_subject_at_another_issuer if {
	denied_with(as_caller(bob_deletes_in_prod, {"issuer": "https://evil.example.com"}), "destructive_in_prod")
}

test_break_glass_without_issuer_covers_the_subject_at_any_issuer if {
	exception := json.remove(exception_with({}), ["issuer"])
	decision := decision_with_exceptions(as_caller(bob_deletes_in_prod, {"issuer": "api-key"}), [exception])
	decision.allow == true
}

test_break_glass_does_not_cover_another_tool if {
	decision := decision_with_exceptions(bob_deletes_in_prod, [exception_with({"tool": "refund_order"})])
	decision.reason == "destructive_in_prod"
}

test_break_glass_does_not_cover_another_server if {
	decision := decision_with_exceptions(bob_deletes_in_prod, [exception_with({"server": "crm"})])
	decision.reason == "destructive_in_prod"
}

test_break_glass_does_not_replace_the_role if {
	denied_with(as_caller(bob_deletes_in_prod, {"roles": ["support"]}), "insufficient_role")
}

test_break_glass_without_ticket_grants_nothing if {
	exception := json.remove(exception_with({}), ["ticket"])
	decision_with_exceptions(bob_deletes_in_prod, [exception]).reason == "destructive_in_prod"
	decision_with_exceptions(bob_deletes_in_prod, [exception_with({"ticket": ""})]).reason == "destructive_in_prod"
}

test_break_glass_window_longer_than_the_maximum_grants_nothing if {
	too_long := exception_with({"not_before": "2026-11-22T01:59:59Z", "expires": "2026-11-22T10:00:00Z"})
	decision_with_exceptions(at_time(bob_deletes_in_prod, window_start_ns), [too_long]).reason == "destructive_in_prod"
}

test_break_glass_window_of_exactly_the_maximum_grants if {
	eight_hours := exception_with({"not_before": "2026-11-22T02:00:00Z", "expires": "2026-11-22T10:00:00Z"})
	decision_with_exceptions(at_time(bob_deletes_in_prod, window_start_ns), [eight_hours]).allow == true
}

test_break_glass_with_inverted_window_grants_nothing if {
	inverted := exception_with({"not_before": "2026-11-22T12:00:00Z", "expires": "2026-11-22T08:00:00Z"})
	decision_with_exceptions(bob_deletes_in_prod, [inverted]).reason == "destructive_in_prod"
}

test_break_glass_with_a_malformed_time_grants_nothing if {
	every bad in ["2026-11-22T12:00:00+02:00", "2026-11-22 12:00:00Z", "2026-11-22T12:00:00.000Z", "tomorrow", 1795348800000000000] {
		decision_with_exceptions(bob_deletes_in_prod, [exception_with({"expires": bad})]).reason == "destructive_in_prod"
	}
}

test_one_matching_exception_among_several_grants if {
	exceptions := [exception_with({"subject": "someone-else"}), exception_with({}), exception_with({"ticket": "INC-9"})]
	decision := decision_with_exceptions(bob_deletes_in_prod, exceptions)
	decision.allow == true
	decision.obligations.break_glass.ticket == "INC-4711"
}

test_break_glass_is_not_needed_outside_prod if {
	decision := decision_for(in_environment(bob_deletes_in_prod, "dev"))
	decision.allow == true
	not "break_glass" in object.keys(decision.obligations)
}

test_break_glass_also_shows_the_tool_in_tools_list if {
	allowed(as_caller(list_of("delete_customer"), {"subject": "oncall-bob", "roles": ["admin"]}))
}
