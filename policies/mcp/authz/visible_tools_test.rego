# visible_tools (the tools/list entry point) must equal the per-tool "list" decisions, for every caller and tool.
package mcp.authz_test

import data.mcp.authz

# Every tool of the fixture, plus one no server declares and one whose description differs from its pin.
candidate_tools := [list_of(name).tool | some name in sort(object.keys(hints) | {"no_such_tool"})]

# The same tools with the server's hints flipped: annotation mismatches, and destructive by hint.
flipped_tools := [object.union(tool, {"read_only": tool.read_only == false, "destructive": tool.destructive == false}) |
	some tool in candidate_tools
]

list_input(request, tools) := object.union(object.remove(request, ["tool"]), {"tool": null, "tools": tools})

visible_for(request, tools) := names if {
	names := authz.visible_tools with input as list_input(request, tools) with data.mcp.authz.config as fixture_config
}

per_tool_visible(request, tools) := {tool.name |
	some tool in tools
	allowed(object.union(request, {"tool": tool}))
}

callers := [
	{},
	{"roles": []},
	{"roles": ["admin"]},
	{"roles": ["support", "refund_approver"]},
	{"scopes": []},
	{"tenant": null},
	{"tenant": ""},
	{"subject": "oncall-bob", "roles": ["admin"]},
	{"scopes": ["orders.read", "orders.write"], "roles": ["viewer"]},
]

environments := ["prod", "staging"]

test_visible_tools_equal_the_per_tool_list_decisions_for_every_caller_and_environment if {
	every fields in callers {
		every environment in environments {
			request := in_environment(as_caller(list_of("get_order"), fields), environment)
			visible_for(request, candidate_tools) == per_tool_visible(request, candidate_tools)
			visible_for(request, flipped_tools) == per_tool_visible(request, flipped_tools)
		}
	}
}

test_visible_tools_show_reads_and_writes_the_caller_may_use if {
	visible_for(list_of("get_order"), candidate_tools) == {
		"archive_order", "get_order", "list_orders", "pinned_tool", "refund_order", "transfer_credit",
	}
}

test_visible_tools_hide_a_tool_whose_description_changed if {
	changed := object.union(list_of("pinned_tool").tool, {"description_sha256": "bbbb"})
	visible_for(list_of("get_order"), [changed]) == set()
}

test_visible_tools_of_the_break_glass_subject_include_the_destructive_tool if {
	request := as_caller(list_of("get_order"), {"subject": "oncall-bob", "roles": ["admin"]})
	"delete_customer" in visible_for(request, candidate_tools)
}

test_visible_tools_are_empty_for_a_call if {
	request := object.union(list_input(list_of("get_order"), candidate_tools), {"operation": "call"})
	names := authz.visible_tools with input as request with data.mcp.authz.config as fixture_config
	names == set()
}

test_visible_tools_are_empty_without_a_tool_list if {
	names := authz.visible_tools with input as list_of("get_order") with data.mcp.authz.config as fixture_config
	names == set()
}

test_visible_tools_skip_entries_that_are_not_tools if {
	visible_for(list_of("get_order"), ["get_order", 7, null, list_of("list_orders").tool]) == {"list_orders"}
}

test_visible_tools_name_a_duplicated_tool_once if {
	tool := list_of("get_order").tool
	visible_for(list_of("get_order"), [tool, tool]) == {"get_order"}
}

test_visible_tools_deny_everything_on_an_unknown_input_version if {
	request := object.union(list_of("get_order"), {"version": 3})
	visible_for(request, candidate_tools) == set()
}

test_visible_tools_of_a_version_1_list_equal_those_of_version_2 if {
	every fields in callers {
		request := as_caller(list_of("get_order"), fields)
		names := authz.visible_tools with input as v1_of(list_input(request, candidate_tools)) with data.mcp.authz.config as fixture_config
		names == visible_for(request, candidate_tools)
	}
}

test_visible_tools_are_for_tools_list_only if {
	request := object.union(list_input(list_of("get_order"), candidate_tools), {"method": "resources/list"})
	names := authz.visible_tools with input as request with data.mcp.authz.config as fixture_config
	names == set()
}
