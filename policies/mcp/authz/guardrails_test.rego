# Guardrail findings: the argument rules, the result phase and its obligations, the knobs, and inputs that do not
# follow the contract. Most tests use guarded_config (fixture_config with a guardrails section and per-target
# overrides); the built-in defaults are tested with fixture_config, which has no guardrails section.
package mcp.authz_test

import data.mcp.authz

guarded_config := object.union(fixture_config, {
	"guardrails": {
		"arguments": {"secret_kinds": ["secret.*"], "injection_block_confidence": 0.8, "deny_kinds": ["toxicity"]},
		"result": {
			"injection_block_confidence": 0.9,
			"injection_mark_confidence": 0.5,
			"redact_kinds": ["secret.*"],
			"pii_kinds": ["pii.*"],
			"pii_reader_roles": ["pii_reader"],
			"deny_kinds": ["malware"],
		},
	},
	"servers": {"orders": {
		"tools": {
			# Support agents answer customers: they may see the e-mail addresses this tool returns.
			"list_orders": {"guardrails": {"result": {"pii_reader_roles": ["pii_reader", "support"]}}},
			# Takes a token on purpose (a rotation tool, say): secrets in its arguments are not denied.
			"archive_order": {"guardrails": {"arguments": {"secret_kinds": []}}},
		},
		"resources": {"order": {"guardrails": {"result": {"pii_kinds": ["pii.payment_card"]}}}},
	}},
})

guarded(request) := decision if {
	decision := authz.decision with input as request with data.mcp.authz.config as guarded_config
}

guarded_denied_with(request, reason) if {
	decision := guarded(request)
	decision.allow == false
	decision.reason == reason
}

finding(kind, confidence) := {"kind": kind, "rule_id": concat("", [kind, ".rule"]), "path": "$.arguments.note", "confidence": confidence}

injection(confidence) := {"kind": "prompt_injection", "rule_id": "injection.instruction_override", "path": "$.content[0].text", "confidence": confidence}

# The request phase: arguments scanned.
scanned(request, findings) := object.union(request, {"guardrails": {"arguments": {"findings": findings, "complete": true}}})

# The result phase: arguments scanned clean, the result with these findings.
result_phase(request, findings) := result_scan(request, findings, true)

result_scan(request, findings, complete) := object.union(request, {
	"phase": "result",
	"guardrails": {
		"arguments": {"findings": [], "complete": true},
		"result": {"findings": findings, "complete": complete},
	},
})

order_call := call_of("get_order", {"order_id": "acme-1001"})

# --- a request without guardrails is decided as before ------------------------------------------------------

test_a_request_without_guardrails_keeps_its_decision_and_obligations if {
	guarded(order_call) == {"allow": true, "obligations": {"redact_fields": ["customer.email"]}}
	guarded(object.union(order_call, {"guardrails": null})) == guarded(order_call)
	guarded(object.union(order_call, {"guardrails": null, "phase": null})) == guarded(order_call)
}

test_a_clean_scan_is_allowed_with_the_same_obligations if {
	guarded(scanned(order_call, [])) == guarded(order_call)
	guarded(object.union(order_call, {"guardrails": {}})) == guarded(order_call)
	guarded(object.union(order_call, {"guardrails": {"arguments": null}})) == guarded(order_call)
}

test_malformed_guardrail_settings_do_not_touch_unscanned_requests if {
	broken := object.union(fixture_config, {"guardrails": "on"})
	decision := authz.decision with input as order_call with data.mcp.authz.config as broken
	decision.allow == true
}

# --- arguments ----------------------------------------------------------------------------------------------

test_a_secret_in_the_arguments_is_denied if {
	every kind in ["secret.aws_access_key", "secret.github_token", "secret.jwt", "secret.private_key", "secret.generic"] {
		guarded_denied_with(scanned(order_call, [finding(kind, 0.6)]), "secret_in_arguments")
	}
}

test_secret_family_pattern_matches_only_secret_kinds if {
	guarded(scanned(order_call, [finding("secret", 1)])).allow == true
	guarded(scanned(order_call, [finding("secrets.x", 1)])).allow == true
	guarded(scanned(order_call, [finding("pii.secret", 1)])).allow == true
}

test_an_injection_in_the_arguments_is_denied_from_the_threshold_up if {
	guarded_denied_with(scanned(order_call, [injection(0.8)]), "prompt_injection")
	guarded_denied_with(scanned(order_call, [injection(1)]), "prompt_injection")
	guarded(scanned(order_call, [injection(0.79)])).allow == true
	guarded(scanned(order_call, [injection(0)])).allow == true
}

test_one_injection_above_the_threshold_among_weaker_ones_denies if {
	guarded_denied_with(scanned(order_call, [injection(0.3), injection(0.7), injection(0.95)]), "prompt_injection")
}

test_argument_injection_below_the_threshold_is_not_marked_in_the_request_phase if {
	guarded(scanned(order_call, [injection(0.7)])).obligations == {"redact_fields": ["customer.email"]}
}

test_an_incomplete_argument_scan_is_denied_even_without_findings if {
	request := object.union(order_call, {"guardrails": {"arguments": {"findings": [], "complete": false}}})
	guarded_denied_with(request, "guardrail_incomplete")
}

test_an_unavailable_classifier_denies if {
	guarded_denied_with(scanned(order_call, [finding("guardrail.unavailable", 1)]), "guardrail_unavailable")
	guarded_denied_with(scanned(order_call, [finding("guardrail.unavailable", 0)]), "guardrail_unavailable")
}

test_personal_data_in_the_arguments_is_allowed if {
	decision := guarded(scanned(order_call, [finding("pii.email", 0.9), finding("pii.phone", 0.8), finding("pii.payment_card", 1)]))
	decision == guarded(order_call)
}

test_unknown_kinds_are_allowed_unless_the_data_denies_them if {
	guarded(scanned(order_call, [finding("sentiment.negative", 1)])).allow == true
	guarded_denied_with(scanned(order_call, [finding("toxicity", 0.1)]), "guardrail_finding")
}

test_a_kind_pattern_without_a_family_matches_that_kind_only if {
	guarded(scanned(order_call, [finding("toxicity.mild", 1)])).allow == true
	guarded(scanned(order_call, [finding("toxicityx", 1)])).allow == true
	guarded(result_phase(order_call, [finding("malware.eicar", 1)])).allow == true
}

test_permission_checks_are_reported_before_guardrail_findings if {
	guarded_denied_with(as_caller(scanned(order_call, [injection(1)]), {"scopes": []}), "insufficient_scope")
	guarded_denied_with(scanned(call_of("drop_tables", {}), [finding("secret.jwt", 1)]), "unknown_tool")
	guarded_denied_with(scanned(call_of("get_order", {"order_id": "globex-1"}), [injection(1)]), "cross_tenant")
}

test_guardrail_denials_follow_their_order if {
	everything := [finding("toxicity", 1), injection(1), finding("secret.jwt", 1), finding("guardrail.unavailable", 1)]
	guarded_denied_with(object.union(order_call, {"guardrails": {"arguments": {"findings": everything, "complete": false}}}), "guardrail_incomplete")
	guarded_denied_with(scanned(order_call, everything), "guardrail_unavailable")
	guarded_denied_with(scanned(order_call, array.slice(everything, 0, 3)), "secret_in_arguments")
	guarded_denied_with(scanned(order_call, array.slice(everything, 0, 2)), "prompt_injection")
}

test_denial_messages_never_repeat_paths_or_rule_ids if {
	hostile := {"kind": "secret.github_token", "rule_id": "secret.github_token.checksum", "path": "$.arguments['ghp_leaked']", "confidence": 1}
	decision := guarded(scanned(order_call, [hostile]))
	decision.reason == "secret_in_arguments"
	not contains(decision.message, "ghp_")
	not contains(decision.message, "$.")
}

# --- the result phase -----------------------------------------------------------------------------------------

test_a_result_injection_at_the_block_threshold_is_denied if {
	guarded_denied_with(result_phase(order_call, [injection(0.9)]), "prompt_injection")
	guarded_denied_with(result_phase(order_call, [injection(1)]), "prompt_injection")
}

test_a_result_injection_between_mark_and_block_is_marked if {
	every confidence in [0.5, 0.7, 0.89] {
		guarded(result_phase(order_call, [injection(confidence)])).obligations == {
			"redact_fields": ["customer.email"],
			"mark_findings": ["prompt_injection"],
		}
	}
}

test_a_result_injection_below_the_mark_threshold_passes_unmarked if {
	guarded(result_phase(order_call, [injection(0.49)])) == guarded(order_call)
}

test_the_result_phase_uses_its_own_thresholds_not_the_arguments if {
	# 0.85 denies in arguments (0.8) but is only marked in a result (0.9).
	guarded_denied_with(scanned(order_call, [injection(0.85)]), "prompt_injection")
	guarded(result_phase(order_call, [injection(0.85)])).allow == true
}

test_secrets_in_a_result_are_redacted_for_every_caller if {
	findings := [finding("secret.jwt", 1), finding("secret.aws_access_key", 0.9), finding("secret.jwt", 1)]
	expected := {"redact_fields": ["customer.email"], "redact_findings": ["secret.aws_access_key", "secret.jwt"]}
	guarded(result_phase(order_call, findings)).obligations == expected
	guarded(as_caller(result_phase(order_call, findings), {"roles": ["pii_reader"]})).obligations == expected
}

test_personal_data_in_a_result_is_redacted_unless_the_caller_reads_it if {
	findings := [finding("pii.email", 0.9), finding("pii.payment_card", 1), finding("secret.generic", 0.7)]
	guarded(result_phase(order_call, findings)).obligations.redact_findings == ["pii.email", "pii.payment_card", "secret.generic"]
	reader := as_caller(result_phase(order_call, findings), {"roles": ["support", "pii_reader"]})
	guarded(reader).obligations.redact_findings == ["secret.generic"]
}

test_a_per_tool_override_lets_support_agents_see_personal_data if {
	findings := [finding("pii.email", 0.9), finding("pii.phone", 0.8)]
	not "redact_findings" in object.keys(guarded(result_phase(call_of("list_orders", {}), findings)).obligations)
	guarded(result_phase(order_call, findings)).obligations.redact_findings == ["pii.email", "pii.phone"]
	viewer := as_caller(result_phase(call_of("list_orders", {}), findings), {"roles": ["viewer"]})
	guarded(viewer).obligations.redact_findings == ["pii.email", "pii.phone"]
}

test_a_per_tool_override_can_accept_secrets_in_arguments if {
	guarded(scanned(call_of("archive_order", {}), [finding("secret.generic", 1)])).allow == true
	guarded_denied_with(scanned(call_of("refund_order", {"amount": 1}), [finding("secret.generic", 1)]), "secret_in_arguments")
}

test_a_per_tool_override_keeps_the_other_knobs if {
	guarded_denied_with(scanned(call_of("archive_order", {}), [injection(0.8)]), "prompt_injection")
	guarded_denied_with(result_phase(call_of("list_orders", {}), [injection(0.9)]), "prompt_injection")
}

test_redaction_and_marking_come_together if {
	obligations := guarded(result_phase(order_call, [injection(0.6), finding("pii.iban", 1)])).obligations
	obligations == {
		"redact_fields": ["customer.email"],
		"redact_findings": ["pii.iban"],
		"mark_findings": ["prompt_injection"],
	}
}

test_a_denied_result_carries_no_obligations if {
	decision := guarded(result_phase(order_call, [injection(0.95), finding("secret.jwt", 1)]))
	decision.reason == "prompt_injection"
	not "obligations" in object.keys(decision)
}

test_an_incomplete_result_scan_is_withheld if {
	guarded_denied_with(result_scan(order_call, [], false), "guardrail_incomplete")
	guarded_denied_with(result_scan(order_call, [finding("pii.email", 0.9)], false), "guardrail_incomplete")
}

test_an_unavailable_classifier_on_the_result_withholds_it if {
	guarded_denied_with(result_phase(order_call, [finding("guardrail.unavailable", 1)]), "guardrail_unavailable")
}

test_kinds_the_data_denies_in_results_withhold_them if {
	guarded_denied_with(result_phase(order_call, [finding("malware", 0.2)]), "guardrail_finding")
	guarded(result_phase(order_call, [finding("toxicity", 1)])).allow == true
}

test_unknown_kinds_in_a_result_pass_without_obligations if {
	guarded(result_phase(order_call, [finding("tool.poisoning", 1), finding("language.fr", 0.3)])) == guarded(order_call)
}

test_an_empty_result_scan_changes_nothing if {
	guarded(result_phase(order_call, [])) == guarded(order_call)
}

test_the_result_phase_still_checks_the_request if {
	guarded_denied_with(as_caller(result_phase(order_call, []), {"scopes": []}), "insufficient_scope")
	request := object.union(result_phase(order_call, []), {"guardrails": {"arguments": {"findings": [finding("secret.jwt", 1)]}}})
	guarded_denied_with(request, "secret_in_arguments")
}

test_the_result_phase_keeps_the_budget_and_credential_obligations if {
	refund := result_phase(call_of("refund_order", {"order_id": "acme-1001", "amount": 120}), [finding("pii.email", 0.9)])
	guarded(refund).obligations == {
		"credential": "payments-api",
		"rate_limit": {"per_minute": 10},
		"redact_findings": ["pii.email"],
	}
}

# --- resources, prompts, completions -------------------------------------------------------------------------

test_resource_contents_are_redacted_per_the_class_override if {
	findings := [finding("pii.email", 0.9), finding("pii.payment_card", 1), finding("secret.jwt", 1)]
	obligations := guarded(result_phase(read_of("orders://acme/1001"), findings)).obligations
	obligations == {"redact_fields": ["customer.email"], "redact_findings": ["pii.payment_card", "secret.jwt"]}
}

test_an_injection_in_resource_contents_is_denied if {
	guarded_denied_with(result_phase(read_of("orders://acme/1001"), [injection(0.99)]), "prompt_injection")
}

test_prompt_arguments_and_messages_are_guarded if {
	prompt := get_prompt("summarize_order", {"order_id": "acme-1001"})
	guarded_denied_with(scanned(prompt, [injection(0.9)]), "prompt_injection")
	guarded(result_phase(prompt, [injection(0.6)])).obligations == {"mark_findings": ["prompt_injection"]}
	guarded(result_phase(prompt, [finding("pii.phone", 0.8)])).obligations == {"redact_findings": ["pii.phone"]}
}

test_a_completion_value_is_guarded if {
	completion := complete("ref/prompt", "summarize_order", "order_id", "acme-10")
	guarded(scanned(completion, [])).allow == true
	guarded_denied_with(scanned(completion, [finding("secret.slack_token", 1)]), "secret_in_arguments")
}

test_an_unknown_prompt_is_reported_before_its_findings if {
	guarded_denied_with(scanned(get_prompt("export_all_customers", {}), [injection(1)]), "unknown_prompt")
}

# --- inputs that do not follow the contract -------------------------------------------------------------------

test_mistyped_guardrails_are_invalid_input if {
	every value in ["scanned", 1, true, false, [], [{"findings": []}]] {
		guarded_denied_with(object.union(order_call, {"guardrails": value}), "invalid_input")
	}
}

test_mistyped_sections_are_invalid_input if {
	every section in [
		"clean",
		[],
		{"findings": []},
		{"complete": true},
		{"findings": {}, "complete": true},
		{"findings": [], "complete": "true"},
		{"findings": [], "complete": null},
		{"findings": "none", "complete": true},
	] {
		guarded_denied_with(object.union(order_call, {"guardrails": {"arguments": section}}), "invalid_input")
	}
}

test_mistyped_findings_are_invalid_input if {
	every bad in [
		"prompt_injection",
		null,
		object.union(injection(1), {"confidence": "0.99"}),
		object.union(injection(1), {"confidence": null}),
		object.union(injection(1), {"confidence": 1.01}),
		object.union(injection(1), {"confidence": -0.1}),
		object.union(injection(1), {"kind": 7}),
		object.union(injection(1), {"path": ["$", "arguments"]}),
		object.remove(injection(1), ["kind"]),
		object.remove(injection(1), ["rule_id"]),
		object.remove(injection(1), ["path"]),
		object.remove(injection(1), ["confidence"]),
	] {
		guarded_denied_with(scanned(order_call, [finding("pii.email", 0.9), bad]), "invalid_input")
	}
}

test_a_string_confidence_below_the_threshold_still_denies if {
	# Read as text it would compare above every number: it must not be read at all.
	guarded_denied_with(scanned(order_call, [object.union(injection(0), {"confidence": "0.1"})]), "invalid_input")
}

test_a_result_section_outside_the_result_phase_is_invalid_input if {
	request := object.union(scanned(order_call, []), {"guardrails": {"result": {"findings": [], "complete": true}}})
	guarded_denied_with(request, "invalid_input")
}

test_the_result_phase_needs_its_result_section if {
	guarded_denied_with(object.union(scanned(order_call, []), {"phase": "result"}), "invalid_input")
	guarded_denied_with(object.union(order_call, {"phase": "result"}), "invalid_input")
	request := object.union(result_phase(order_call, []), {"guardrails": {"result": {"findings": [injection(0.6)]}}})
	guarded(request).obligations.mark_findings == ["prompt_injection"]
	guarded_denied_with(object.union(result_phase(order_call, []), {"guardrails": {"result": null}}), "invalid_input")
	guarded_denied_with(object.union(result_phase(order_call, []), {"guardrails": {"result": "none"}}), "invalid_input")
}

test_an_unknown_phase_is_invalid_input if {
	every phase in ["request", "Result", "results", 1, true, {}] {
		guarded_denied_with(object.union(result_phase(order_call, []), {"phase": phase}), "invalid_input")
	}
}

test_a_structural_problem_is_reported_before_permissions if {
	guarded_denied_with(as_caller(object.union(order_call, {"guardrails": "x"}), {"scopes": []}), "invalid_input")
}

# --- the built-in defaults and the knobs ------------------------------------------------------------------------

test_the_built_in_defaults_apply_without_a_guardrails_section if {
	denied_with(scanned(order_call, [injection(0.8)]), "prompt_injection")
	denied_with(scanned(order_call, [finding("secret.gcp_api_key", 1)]), "secret_in_arguments")
	allowed(scanned(order_call, [finding("toxicity", 1)]))
	denied_with(result_phase(order_call, [injection(0.9)]), "prompt_injection")
	decision_for(result_phase(order_call, [injection(0.5)])).obligations.mark_findings == ["prompt_injection"]
}

test_by_default_nobody_reads_personal_data_in_results if {
	reader := as_caller(result_phase(order_call, [finding("pii.email", 0.9)]), {"roles": ["pii_reader", "support", "admin"]})
	decision_for(reader).obligations.redact_findings == ["pii.email"]
}

test_thresholds_are_tuned_in_the_data if {
	tuned := object.union(guarded_config, {"guardrails": {
		"arguments": {"injection_block_confidence": 0.95},
		"result": {"injection_block_confidence": 1, "injection_mark_confidence": 0.2},
	}})
	decide(scanned(order_call, [injection(0.9)]), tuned).allow == true
	decide(scanned(order_call, [injection(0.95)]), tuned).reason == "prompt_injection"
	decide(result_phase(order_call, [injection(0.99)]), tuned).obligations.mark_findings == ["prompt_injection"]
	decide(result_phase(order_call, [injection(0.2)]), tuned).obligations.mark_findings == ["prompt_injection"]
	decide(result_phase(order_call, [injection(1)]), tuned).reason == "prompt_injection"
}

test_a_family_pattern_redacts_and_denies_every_kind_in_it if {
	tuned := object.union(guarded_config, {"guardrails": {
		"arguments": {"deny_kinds": ["pii.*"]},
		"result": {"redact_kinds": ["secret.*", "classifier.*"], "pii_kinds": []},
	}})
	decide(scanned(order_call, [finding("pii.iban", 1)]), tuned).reason == "guardrail_finding"
	decide(result_phase(order_call, [finding("classifier.medical", 0.4), finding("pii.iban", 1)]), tuned).obligations.redact_findings == ["classifier.medical"]
}

test_mistyped_knobs_are_policy_misconfigured_for_scanned_requests if {
	every guardrails in [
		"on",
		{"arguments": "strict"},
		{"arguments": {"injection_block_confidence": "0.8"}},
		{"arguments": {"injection_block_confidence": 1.5}},
		{"arguments": {"secret_kinds": "secret.*"}},
		{"arguments": {"secret_kinds": [".*"]}},
		{"arguments": {"deny_kinds": [""]}},
		{"result": {"injection_mark_confidence": 0.95}},
		{"result": {"injection_block_confidence": null}},
		{"result": {"pii_reader_roles": "pii_reader"}},
		{"result": {"pii_reader_roles": [1]}},
		{"result": {"redact_kinds": {"secret.*": true}}},
		{"result": {"pii_kinds": null}},
		{"result": {"deny_kinds": [null]}},
	] {
		decide(scanned(order_call, []), object.union(guarded_config, {"guardrails": guardrails})).reason == "policy_misconfigured"
	}
}

test_a_mistyped_override_misconfigures_only_its_tool if {
	broken := object.union(guarded_config, {"servers": {"orders": {"tools": {"archive_order": {"guardrails": ["off"]}}}}})
	decide(scanned(call_of("archive_order", {}), []), broken).reason == "policy_misconfigured"
	decide(scanned(order_call, []), broken).allow == true
}

decide(request, config) := decision if {
	decision := authz.decision with input as request with data.mcp.authz.config as config
}

# --- listings are unaffected ---------------------------------------------------------------------------------------

test_visible_tools_ignore_guardrail_settings if {
	request := object.union(list_of("get_order"), {"tools": [object.union(list_of("get_order").tool, {})]})
	visible := authz.visible_tools with input as request with data.mcp.authz.config as guarded_config
	visible == {"get_order"}
}
