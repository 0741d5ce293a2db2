package mcp.authz

# Guardrail findings (docs/policy.md, "Guardrail findings"). When a tool, resource or prompt has guardrails
# configured, the guard scans what flows through it and puts the findings into the input:
#   input.guardrails.arguments  {"findings": [F...], "complete": bool}   what the client sent
#   input.guardrails.result     {"findings": [F...], "complete": bool}   only with input.phase == "result"
#   F = {"kind", "rule_id", "path", "confidence"}                       never the matched text
# The request is decided as before, plus the argument rules below. After the handler ran, when the result scan
# found anything or was incomplete, the guard asks the same entry point again with input.phase "result" and
# input.guardrails.result: a denial withholds the result; an allow may carry redact_findings (kinds whose matches
# the guard masks) and mark_findings (kinds the guard warns about in a content item put first).
#
# Knobs: config.guardrails (data.json), overridden per tool, resource class or prompt by its own "guardrails"
# object (objects merge, lists and numbers replace). A kind pattern is a kind ("pii.email") or a family ending in
# ".*" ("secret.*" is every secret.<name>). Built-in defaults, used for a knob the data leaves out:
#   arguments.secret_kinds ["secret.*"]       deny secret_in_arguments
#   arguments.injection_block_confidence 0.8  deny prompt_injection at this confidence or more
#   arguments.deny_kinds []                   deny guardrail_finding (kinds a classifier returns, say)
#   result.injection_block_confidence 0.9     deny prompt_injection at this confidence or more
#   result.injection_mark_confidence 0.5      mark_findings prompt_injection from here up to the block threshold
#   result.redact_kinds ["secret.*"]          redact_findings, for every caller
#   result.pii_kinds ["pii.*"]                redact_findings, unless the caller holds one of pii_reader_roles
#   result.pii_reader_roles []                roles that may see personal data in results
#   result.deny_kinds []                      deny guardrail_finding
# Not tunable, because they are how the guardrails fail closed: a scan a bound stopped (complete false) denies
# guardrail_incomplete, and a guardrail.unavailable finding (a classifier configured fail-closed did not answer)
# denies guardrail_unavailable, in either phase. Findings of kinds no knob names are allowed (and audited).
#
# A request without input.guardrails (absent or null) and without input.phase is decided exactly as before.
# Anything else that is not as above (a mistyped section, a confidence that is not a number in [0, 1], a result
# section outside the result phase, another phase) is invalid_input; a knob of the wrong type is
# policy_misconfigured.

guardrail_defaults := {
	"arguments": {
		"secret_kinds": ["secret.*"],
		"injection_block_confidence": 0.8,
		"deny_kinds": [],
	},
	"result": {
		"injection_block_confidence": 0.9,
		"injection_mark_confidence": 0.5,
		"redact_kinds": ["secret.*"],
		"pii_kinds": ["pii.*"],
		"pii_reader_roles": [],
		"deny_kinds": [],
	},
}

# ---------------------------------------------------------------------------------------------------------
# The input. (`x != null` is defined only when x is, so these read "present and not null".)

guardrails_given if input.guardrails != null

phase_given if input.phase != null

result_phase if input.phase == "result"

guardrails_input_well_formed if {
	not guardrails_given
	not phase_given
}

guardrails_input_well_formed if {
	is_object(input.guardrails)
	optional_guardrail_section(object.get(input.guardrails, "arguments", null))
	result_section_fits_phase
}

# The result section comes with the result phase, and only with it.
result_section_fits_phase if {
	not phase_given
	object.get(input.guardrails, "result", null) == null
}

result_section_fits_phase if {
	result_phase
	guardrail_section_well_formed(input.guardrails.result)
}

optional_guardrail_section(section) if section == null

optional_guardrail_section(section) if guardrail_section_well_formed(section)

guardrail_section_well_formed(section) if {
	is_object(section)
	is_boolean(section.complete)
	is_array(section.findings)
	every finding in section.findings {
		finding_well_formed(finding)
	}
}

finding_well_formed(finding) if {
	is_object(finding)
	is_string(finding.kind)
	is_string(finding.rule_id)
	is_string(finding.path)
	is_number(finding.confidence)
	finding.confidence >= 0
	finding.confidence <= 1
}

argument_findings := input.guardrails.arguments.findings if guardrail_checkable

else := []

result_findings := input.guardrails.result.findings if {
	guardrail_checkable
	result_phase
} else := []

# Kind patterns are matched against each distinct kind, not each finding: a result with a thousand e-mail
# addresses costs one match per pattern (a pattern match is a host call in the embedded engine).
argument_kinds := {finding.kind | some finding in argument_findings}

result_kinds := {finding.kind | some finding in result_findings}

# ---------------------------------------------------------------------------------------------------------
# The knobs for this request: defaults, then config.guardrails, then the target's own guardrails object.

guardrail_target_config := tool_config if tool_request

guardrail_target_config := resource_config if resource_targeted

guardrail_target_config := prompt_config if prompt_targeted

guardrail_target_override := override if {
	override := guardrail_target_config.guardrails
} else := {}

guardrail_settings := object.union(
	object.union(guardrail_defaults, object.get(settings, "guardrails", {})),
	guardrail_target_override,
)

guardrail_settings_well_formed if {
	is_object(object.get(settings, "guardrails", {}))
	is_object(guardrail_target_override)
	arguments := guardrail_settings.arguments
	kind_patterns(arguments.secret_kinds)
	unit_interval(arguments.injection_block_confidence)
	kind_patterns(arguments.deny_kinds)
	result := guardrail_settings.result
	unit_interval(result.injection_block_confidence)
	unit_interval(result.injection_mark_confidence)
	result.injection_mark_confidence <= result.injection_block_confidence
	kind_patterns(result.redact_kinds)
	kind_patterns(result.pii_kinds)
	string_list(result.pii_reader_roles)
	kind_patterns(result.deny_kinds)
}

unit_interval(x) if {
	is_number(x)
	x >= 0
	x <= 1
}

string_list(xs) if {
	is_array(xs)
	every x in xs {
		is_string(x)
	}
}

kind_patterns(patterns) if {
	string_list(patterns)
	every pattern in patterns {
		pattern != ""
		pattern != ".*"
	}
}

kind_matches(kind, pattern) if kind == pattern

kind_matches(kind, pattern) if {
	endswith(pattern, ".*")
	startswith(kind, substring(pattern, 0, count(pattern) - 1))
}

matches_any(kind, patterns) if {
	some pattern in patterns
	kind_matches(kind, pattern)
}

guardrail_checkable if {
	guardrails_given
	guardrails_input_well_formed
	guardrail_settings_well_formed
}

# ---------------------------------------------------------------------------------------------------------
# Decision. The allow rules in decision.rego require guardrails_pass; these denials come after every
# permission check, so a caller who may not call the tool at all learns nothing about the detectors.

guardrails_pass if {
	not guardrails_given
	not phase_given
}

guardrails_pass if {
	guardrail_checkable
	count(guardrail_violations) == 0
}

denials contains [0, "policy_misconfigured", "The guardrail settings in the policy data are malformed; scanned calls are denied until they are fixed."] if {
	guardrails_given
	not guardrail_settings_well_formed
}

denials contains [1, "invalid_input", "The guardrail findings in the policy input do not follow the contract."] if not guardrails_input_well_formed

denials contains violation if some violation in guardrail_violations

guardrail_violations contains [12, "guardrail_incomplete", "The arguments could not be scanned whole (too large, too long or too deeply nested)."] if {
	guardrail_checkable
	input.guardrails.arguments.complete == false
}

guardrail_violations contains [12, "guardrail_incomplete", "The result could not be scanned whole; it is withheld."] if {
	guardrail_checkable
	result_phase
	input.guardrails.result.complete == false
}

guardrail_violations contains [13, "guardrail_unavailable", "A content check could not be completed; the call is denied."] if {
	"guardrail.unavailable" in argument_kinds
}

guardrail_violations contains [13, "guardrail_unavailable", "A content check of the result could not be completed; it is withheld."] if {
	"guardrail.unavailable" in result_kinds
}

guardrail_violations contains [14, "secret_in_arguments", "The arguments hold what looks like a secret (a key, token or password); remove it."] if {
	some kind in argument_kinds
	matches_any(kind, guardrail_settings.arguments.secret_kinds)
}

guardrail_violations contains [15, "prompt_injection", "The arguments hold text that reads as a prompt injection."] if {
	some finding in argument_findings
	finding.kind == "prompt_injection"
	finding.confidence >= guardrail_settings.arguments.injection_block_confidence
}

guardrail_violations contains [15, "prompt_injection", "The result holds text that reads as a prompt injection; it is withheld."] if {
	some finding in result_findings
	finding.kind == "prompt_injection"
	finding.confidence >= guardrail_settings.result.injection_block_confidence
}

guardrail_violations contains [16, "guardrail_finding", "The arguments hold content the policy does not accept for this call."] if {
	some kind in argument_kinds
	matches_any(kind, guardrail_settings.arguments.deny_kinds)
}

guardrail_violations contains [16, "guardrail_finding", "The result holds content the policy does not release; it is withheld."] if {
	some kind in result_kinds
	matches_any(kind, guardrail_settings.result.deny_kinds)
}

# ---------------------------------------------------------------------------------------------------------
# Result-phase obligations, merged into the allow's (the guard ignores the request-phase keys it enforced then).

pii_reader if {
	some role in guardrail_settings.result.pii_reader_roles
	role in input.caller.roles
}

redacted_result_kinds contains kind if {
	some kind in result_kinds
	matches_any(kind, guardrail_settings.result.redact_kinds)
}

redacted_result_kinds contains kind if {
	some kind in result_kinds
	matches_any(kind, guardrail_settings.result.pii_kinds)
	not pii_reader
}

marked_result_kinds contains "prompt_injection" if {
	some finding in result_findings
	finding.kind == "prompt_injection"
	finding.confidence >= guardrail_settings.result.injection_mark_confidence
	finding.confidence < guardrail_settings.result.injection_block_confidence
}

redact_findings_obligation := {"redact_findings": sort(redacted_result_kinds)} if count(redacted_result_kinds) > 0

else := {}

mark_findings_obligation := {"mark_findings": sort(marked_result_kinds)} if count(marked_result_kinds) > 0

else := {}

guardrail_obligations := object.union(redact_findings_obligation, mark_findings_obligation) if result_phase

else := {}
