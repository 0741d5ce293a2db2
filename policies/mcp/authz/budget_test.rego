package mcp.authz_test

import data.mcp.authz

# Cumulative approval limits (approval_budget): the policy hands the throttle a "budget" obligation.

transfer(arguments) := call_of("transfer_credit", arguments)

test_budgeted_call_carries_a_budget_keyed_by_tool_argument_and_key_value if {
	decision := decision_for(transfer({"account": "acct-7", "amount": 40}))
	decision.allow == true
	decision.obligations == {"budget": {"key": "transfer_credit:amount:acct-7", "amount": 40, "window": "PT1H", "limit": 100}}
}

test_budget_amount_is_rounded_up_so_fractions_cannot_slip_under_the_limit if {
	decision_for(transfer({"account": "acct-7", "amount": 33.01})).obligations.budget.amount == 34
}

test_amounts_round_up_and_limits_round_down_to_whole_numbers if {
	every x, want in {-2.5: -2, -0.5: 0, -0.1: 0, 0: 0, 0.1: 1, 2.5: 3, 3: 3, 33.01: 34, 9223372036854775809: 9223372036854775809} {
		authz.rounded_up(x) == want
	}
	every x, want in {-2.5: -3, -0.5: -1, -0.1: -1, 0: 0, 0.1: 0, 2.5: 2, 3: 3, 499.99: 499, 9223372036854775809: 9223372036854775809} {
		authz.rounded_down(x) == want
	}
}

test_budget_of_a_zero_amount_spends_nothing if {
	decision_for(transfer({"account": "acct-7", "amount": 0})).obligations.budget.amount == 0
}

test_approver_spends_no_budget if {
	decision := decision_for(as_caller(transfer({"account": "acct-7", "amount": 400}), {"roles": ["support", "refund_approver"]}))
	decision.allow == true
	decision.obligations == {}
}

test_budgeted_call_without_its_key_argument_is_invalid if {
	denied_with(transfer({"amount": 40}), "invalid_argument")
	denied_with(transfer({"account": "", "amount": 40}), "invalid_argument")
	denied_with(transfer({"account": 7, "amount": 40}), "invalid_argument")
}

test_budget_is_not_asked_for_when_listing if {
	decision := decision_for(list_of("transfer_credit"))
	decision.allow == true
	decision.obligations == {}
}

test_per_call_approval_limit_still_applies_with_a_budget if {
	denied_with(transfer({"account": "acct-7", "amount": 101}), "approval_required")
}

test_budget_with_a_malformed_window_denies if {
	broken := json.patch(fixture_config, [{"op": "replace", "path": "/servers/orders/tools/transfer_credit/arguments/amount/approval_budget/window", "value": 24}])
	decision := authz.decision with input as transfer({"account": "acct-7", "amount": 40}) with data.mcp.authz.config as broken
	decision.allow == false
	decision.reason == "invalid_argument"
}
