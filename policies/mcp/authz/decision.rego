# METADATA
# title: mcp-guard reference authorization policy
# description: >-
#   Decides whether a caller may call or see an MCP tool, list, read or subscribe to a resource, see or get a
#   prompt, or complete a prompt's or resource template's argument. Input and result follow contract version 2 in
#   docs/policy.md (version 1, tools only, is still accepted until the next minor release). Everything is driven
#   by data.mcp.authz.config (policies/mcp/authz/data.json), so security tunes the data, not the code.
package mcp.authz

# Entry point (wasm: mcp/authz/decision). Always defined: an object {allow, reason, message, obligations}.
# A call is allowed only when every check below is proven to pass; a check that cannot be evaluated
# (missing or mistyped input, missing config) counts as failed, so gaps deny rather than allow.
default decision := {
	"allow": false,
	"reason": "policy_denied",
	"message": "The policy does not allow this call.",
}

# A scanned request's result phase (guardrails.rego) adds redact_findings and mark_findings.
decision := {"allow": true, "obligations": object.union(obligations, guardrail_obligations)} if allow

decision := {"allow": false, "reason": first_denial[1], "message": first_denial[2]} if {
	not allow
	count(denials) > 0
}

# Entry point (wasm: mcp/authz/visible_tools) for tools/list in one evaluation: the names of the tools in
# input.tools (each shaped like input.tool) that the caller may see. A tool is in the set exactly when decision,
# asked about that tool alone (input.tool set to it, operation "list"), allows; visible_tools_test.rego and the
# guard's equivalence test hold the two equal. Always defined (empty when nothing is visible or the input is not
# a list); the guard ignores names it did not offer. The checks are the ones below, as functions of the listed
# tool (see "Visibility of a listed tool"): re-evaluating decision per tool with `with input` would cost as much
# as asking per tool.
default visible_tools := set()

visible_tools := {tool.name |
	listing
	config_well_formed
	list_input_well_formed
	some tool in input.tools
	listable(tool, settings.servers[input.server].tools[tool.name])
}

default allow := false

allow if {
	config_well_formed
	input_well_formed
	tool_request
	tool_known
	description_matches
	annotations_match
	tenant_present
	scopes_granted
	role_granted
	destructive_permitted
	arguments_valid
	tenants_match
	approvals_present
	guardrails_pass
}

allow if {
	config_well_formed
	input_well_formed
	resource_targeted
	resource_permitted
	guardrails_pass
}

allow if {
	config_well_formed
	input_well_formed
	prompt_targeted
	prompt_permitted
	guardrails_pass
}

# ---------------------------------------------------------------------------------------------------------
# Denials: one per failed check, each with an order. The lowest order is reported, so the reason a caller
# sees does not depend on evaluation order, and structural problems are named before permission ones.
# Guardrail findings (guardrails.rego) come after every permission check: orders 12 to 16.

denials contains [0, "policy_misconfigured", "The policy data is incomplete; every call is denied until it is fixed."] if not config_well_formed

denials contains [1, "invalid_input", "The policy input does not follow contract version 2 (or version 1, for tools)."] if not input_well_formed

denials contains [2, "unknown_tool", concat("", ["Tool '", input.tool.name, "' is not registered for server '", input.server, "'."])] if {
	input_well_formed
	tool_request
	not tool_known
}

denials contains [3, "tool_description_changed", "The tool description differs from the one security reviewed."] if {
	tool_known
	not description_matches
}

denials contains [4, "tool_annotation_mismatch", "The server's read-only hint for this tool differs from the policy's."] if {
	tool_known
	not annotations_match
}

denials contains [5, "tenant_required", "This tool serves tenant data; the caller belongs to no tenant."] if {
	tool_known
	not tenant_present
}

denials contains [6, "insufficient_scope", "The caller lacks a scope this tool requires."] if {
	tool_known
	not scopes_granted
}

denials contains [7, "insufficient_role", "The caller holds no role allowed to use this tool."] if {
	tool_known
	not role_granted
}

denials contains [8, "destructive_in_prod", "Destructive tools are disabled in production without a break-glass exception."] if {
	tool_known
	not destructive_permitted
}

denials contains [9, "invalid_argument", concat("", ["Argument '", name, "' is missing or invalid."])] if {
	tool_known
	some name in invalid_arguments
}

denials contains [10, "cross_tenant", concat("", ["Argument '", name, "' refers to another tenant's data."])] if {
	tool_known
	some name in foreign_tenant_arguments
}

denials contains [11, reason, concat("", ["Argument '", name, "' is above the limit the caller may approve."])] if {
	tool_known
	some name, constraint in argument_constraints
	not approval_present(name, constraint)
	reason := object.get(constraint, "approval_reason", "approval_required")
}

first_denial := sort(denials)[0]

# ---------------------------------------------------------------------------------------------------------
# Checks. Each is written as a positive statement that must be proven.

settings := data.mcp.authz.config

calling if input.operation == "call"

listing if input.operation == "list"

# The knobs the checks rely on must exist with the right shape: a missing tenancy section must not
# silently switch tenant isolation off.
config_well_formed if {
	is_object(settings.servers)
	is_array(settings.production_environments)
	is_array(settings.tenancy.tenant_arguments)
	is_array(settings.tenancy.tenant_prefixed_arguments)
	is_string(settings.tenancy.separator)
	settings.tenancy.separator != ""
	is_number(settings.break_glass.max_window_hours)
	is_array(settings.break_glass.exceptions)
}

# The JSON-RPC method a request decides, and the operation each method must come with (contract version 2).
# Version 1 documents name no method: they are tools/call or tools/list by their operation, and nothing else.
v2_operations := {
	"tools/call": "call",
	"tools/list": "list",
	"resources/list": "list",
	"resources/templates/list": "list",
	"resources/read": "read",
	"resources/subscribe": "subscribe",
	"resources/unsubscribe": "unsubscribe",
	"prompts/list": "list",
	"prompts/get": "get",
	"completion/complete": "complete",
}

request_method := input.method if {
	input.version == 2
	is_string(input.method)
	v2_operations[input.method] == input.operation
}

request_method := "tools/call" if {
	input.version == 1
	input.operation == "call"
}

request_method := "tools/list" if {
	input.version == 1
	input.operation == "list"
}

tool_request if request_method in {"tools/call", "tools/list"}

resource_request if request_method in {"resources/list", "resources/templates/list", "resources/read", "resources/subscribe", "resources/unsubscribe"}

prompt_request if request_method in {"prompts/list", "prompts/get"}

completion_request if request_method == "completion/complete"

completing(ref_type) if {
	completion_request
	input.completion.ref_type == ref_type
}

common_input_well_formed if {
	is_string(input.server)
	is_number(input.time_ns)
	is_object(input.caller)
	is_string(input.caller.subject)
	is_array(input.caller.scopes)
	is_array(input.caller.roles)
	is_object(input.arguments)
}

input_well_formed if {
	tool_request
	common_input_well_formed
	is_object(input.tool)
	is_string(input.tool.name)
	is_boolean(input.tool.read_only)
	is_boolean(input.tool.destructive)
}

# A listed template has a template and no URI; everything else about a resource has the URI, and the server's
# matching template or null.
input_well_formed if {
	request_method == "resources/templates/list"
	common_input_well_formed
	is_object(input.resource)
	input.resource.uri == null
	is_string(input.resource.template)
}

input_well_formed if {
	resource_request
	request_method != "resources/templates/list"
	common_input_well_formed
	is_object(input.resource)
	is_string(input.resource.uri)
	string_or_null(input.resource.template)
}

input_well_formed if {
	prompt_request
	common_input_well_formed
	is_object(input.prompt)
	is_string(input.prompt.name)
}

input_well_formed if {
	completion_request
	common_input_well_formed
	is_object(input.completion)
	input.completion.ref_type in {"ref/prompt", "ref/resource"}
	is_string(input.completion.ref)
	is_string(input.completion.argument)
}

string_or_null(x) if is_string(x)

string_or_null(x) if x == null

tool_config := settings.servers[input.server].tools[input.tool.name]

tool_known if {
	tool_request
	is_object(tool_config)
}

# Optional pin: when security records the reviewed description's hash, a changed description (a
# "rug pull": same name, new behaviour) denies until the pin is updated.
description_matches if not "description_sha256" in object.keys(tool_config)

description_matches if tool_config.description_sha256 == input.tool.description_sha256

# The policy and the server must agree on read-only: a tool security classified as a read must not
# quietly become a write (and a write is not relaxed to a read by a server's hint).
annotations_match if object.get(tool_config, "read_only", false) == input.tool.read_only

read_only_tool if {
	tool_config.read_only == true
	input.tool.read_only == true
}

# Destructive when security says so, or when the server says so about a tool that is not read-only
# (a tool without annotations is read by MCP as destructive: the cautious reading wins).
destructive_tool if {
	not read_only_tool
	tool_config.destructive == true
}

destructive_tool if {
	not read_only_tool
	input.tool.destructive == true
}

tenant_present if not tool_config.tenant_scoped == true

tenant_present if {
	is_string(input.caller.tenant)
	input.caller.tenant != ""
}

scopes_granted if {
	every scope in object.get(tool_config, "required_scopes", []) {
		scope in input.caller.scopes
	}
}

# Reads need only their scopes unless roles are configured; anything else needs one of its roles, and a
# non-read-only tool with no roles configured is callable by nobody.
role_granted if {
	read_only_tool
	not "allowed_roles" in object.keys(tool_config)
}

role_granted if {
	some role in tool_config.allowed_roles
	role in input.caller.roles
}

# An environment that is not named is treated as production. (The helper rule matters: OPA evaluates
# `not is_string(x)` with an undefined x as undefined, not true.)
production if not environment_named

environment_named if is_string(input.environment.name)

production if input.environment.name in settings.production_environments

destructive_permitted if not destructive_tool

destructive_permitted if not production

destructive_permitted if count(break_glass_grants) > 0

# ---------------------------------------------------------------------------------------------------------
# Argument checks apply to "call" only: "list" has no arguments, so tools/list shows what a caller could
# call with acceptable arguments.

argument_constraints := object.get(tool_config, "arguments", {})

invalid_arguments contains name if {
	calling
	some name, constraint in argument_constraints
	not argument_valid(name, constraint)
}

invalid_arguments contains name if {
	calling
	some name in tenant_reference_arguments
	not tenant_reference(name, input.arguments[name])
}

arguments_valid if listing

arguments_valid if {
	calling
	count(invalid_arguments) == 0
}

argument_absent(name) if not name in object.keys(input.arguments)

argument_absent(name) if input.arguments[name] == null

argument_valid(name, constraint) if {
	argument_absent(name)
	not constraint.required == true
}

argument_valid(name, constraint) if {
	constraint.type == "number"
	value := input.arguments[name]
	is_number(value)
	value >= object.get(constraint, "minimum", value)
	value <= object.get(constraint, "maximum", value)
}

approval_present(_, constraint) if not "approval_above" in object.keys(constraint)

approval_present(_, _) if listing

approval_present(name, _) if argument_absent(name)

approval_present(name, constraint) if {
	value := input.arguments[name]
	is_number(value)
	value <= constraint.approval_above
}

approval_present(_, constraint) if {
	some role in constraint.approver_roles
	role in input.caller.roles
}

approvals_present if {
	every name, constraint in argument_constraints {
		approval_present(name, constraint)
	}
}

# ---------------------------------------------------------------------------------------------------------
# Cumulative approval limits. A constraint with "approval_budget": {"key_argument": name, "window": ISO-8601}
# makes approval_above a budget too: per caller and value of key_argument, a caller without an approver role may
# move at most approval_above within the window, however it is split across calls. The policy cannot count, so
# it hands the throttle a "budget" obligation (docs/policy.md) that spends each call's value, rounded up.

approver(constraint) if {
	some role in constraint.approver_roles
	role in input.caller.roles
}

budgeted_arguments contains name if {
	calling
	some name, constraint in argument_constraints
	"approval_budget" in object.keys(constraint)
	not approver(constraint)
	not argument_absent(name)
}

# The budget's key argument must be a non-empty string and its window a string, or the call is invalid: a budget
# that cannot be keyed must deny, not silently disappear.
invalid_arguments contains name if {
	some name in budgeted_arguments
	not budget_well_formed(argument_constraints[name])
}

budget_well_formed(constraint) if {
	is_string(constraint.approval_budget.window)
	is_number(constraint.approval_above)
	key := input.arguments[constraint.approval_budget.key_argument]
	is_string(key)
	key != ""
}

budget_obligation := {"budget": {
	"key": concat(":", [input.tool.name, name, input.arguments[constraint.approval_budget.key_argument]]),
	"amount": rounded_up(input.arguments[name]),
	"window": constraint.approval_budget.window,
	"limit": rounded_down(constraint.approval_above),
}} if {
	some name in budgeted_arguments
	constraint := argument_constraints[name]
	is_number(input.arguments[name])
} else := {}

# Whole numbers without ceil and floor, which the embedded engine refuses at load: between -1 and 0 OPA's ceil
# gives 1 and its floor 0, the wasm runtime's 0 and -1 (docs/policy.md). An integer stays itself (x % 1 is
# undefined for a fraction, in both engines); a fraction is below 2^53, where round agrees in both.
rounded_up(x) := x if x % 1 == 0

else := r if {
	r := round(x)
	r >= x
} else := round(x) + 1

rounded_down(x) := x if x % 1 == 0

else := r if {
	r := round(x)
	r <= x
} else := round(x) - 1

# ---------------------------------------------------------------------------------------------------------
# Tenant isolation. Convention (docs/policy.md): a top-level argument named in tenant_arguments holds a
# tenant code ("acme"); one named in tenant_prefixed_arguments holds an id that starts with the tenant
# code and the separator ("acme-1001"). Any such argument must name the caller's own tenant.

tenancy := settings.tenancy

tenant_reference_arguments contains name if {
	some name in tenancy.tenant_arguments
	not argument_absent(name)
}

tenant_reference_arguments contains name if {
	some name in tenancy.tenant_prefixed_arguments
	not argument_absent(name)
}

# The tenant code an argument refers to; undefined when the value does not follow the convention.
tenant_reference(name, value) := value if {
	name in tenancy.tenant_arguments
	is_string(value)
	value != ""
}

tenant_reference(name, value) := tenant if {
	name in tenancy.tenant_prefixed_arguments
	is_string(value)
	at := indexof(value, tenancy.separator)
	at > 0
	tenant := substring(value, 0, at)
}

foreign_tenant_arguments contains name if {
	calling
	some name in tenant_reference_arguments
	tenant := tenant_reference(name, input.arguments[name])
	tenant != input.caller.tenant
}

tenants_match if listing

tenants_match if {
	calling
	every name in tenant_reference_arguments {
		tenant_reference(name, input.arguments[name]) == input.caller.tenant
	}
}

# ---------------------------------------------------------------------------------------------------------
# Obligations: instructions carried on an allow for later controls (credential, rate limit, budget, redaction).

obligations := tool_obligations if tool_request

obligations := object.get(resource_config, "obligations", {}) if {
	resource_request
	is_object(object.get(resource_config, "obligations", {}))
}

obligations := object.get(prompt_config, "obligations", {}) if {
	prompt_request
	is_object(object.get(prompt_config, "obligations", {}))
}

# A completion answers with candidate values, not the prompt's messages or the resource's contents, so none of
# their obligations (a redaction of contents, say) applies to it.
obligations := {} if completion_request

tool_obligations := object.union(object.union(object.get(tool_config, "obligations", {}), break_glass_obligation), budget_obligation)

break_glass_obligation := {"break_glass": {"ticket": grant.ticket, "expires": grant.expires}} if {
	destructive_tool
	production
	grant := sort(break_glass_grants)[0]
} else := {}

# ---------------------------------------------------------------------------------------------------------
# Visibility of a listed tool: allow for operation "list", with the tool and its configuration as arguments.
# Mirrors input_well_formed, tool_known, description_matches, annotations_match, tenant_present, scopes_granted,
# role_granted, destructive_permitted and the obligations an allow carries; arguments_valid, tenants_match and
# approvals_present hold for every "list". Change both together.

list_input_well_formed if {
	list_input_version
	is_string(input.server)
	is_number(input.time_ns)
	is_object(input.caller)
	is_string(input.caller.subject)
	is_array(input.caller.scopes)
	is_array(input.caller.roles)
	is_object(input.arguments)
	is_array(input.tools)
}

list_input_version if input.version == 1

list_input_version if {
	input.version == 2
	input.method == "tools/list"
}

listable(tool, config) if {
	is_object(tool)
	is_string(tool.name)
	is_boolean(tool.read_only)
	is_boolean(tool.destructive)
	is_object(config)
	listed_description_matches(tool, config)
	object.get(config, "read_only", false) == tool.read_only
	listed_tenant_present(config)
	every scope in object.get(config, "required_scopes", []) {
		scope in input.caller.scopes
	}
	listed_role_granted(tool, config)
	listed_destructive_permitted(tool, config)
	every _, _ in object.get(config, "arguments", {}) {
		true
	}
	is_object(object.get(config, "obligations", {}))
}

listed_description_matches(_, config) if not "description_sha256" in object.keys(config)

listed_description_matches(tool, config) if config.description_sha256 == tool.description_sha256

listed_read_only(tool, config) if {
	config.read_only == true
	tool.read_only == true
}

listed_destructive(tool, config) if {
	not listed_read_only(tool, config)
	config.destructive == true
}

listed_destructive(tool, config) if {
	not listed_read_only(tool, config)
	tool.destructive == true
}

listed_tenant_present(config) if not config.tenant_scoped == true

listed_tenant_present(_) if {
	is_string(input.caller.tenant)
	input.caller.tenant != ""
}

listed_role_granted(tool, config) if {
	listed_read_only(tool, config)
	not "allowed_roles" in object.keys(config)
}

listed_role_granted(_, config) if {
	some role in config.allowed_roles
	role in input.caller.roles
}

listed_destructive_permitted(tool, config) if not listed_destructive(tool, config)

listed_destructive_permitted(_, _) if not production

listed_destructive_permitted(tool, _) if {
	count(break_glass_grants) > 0 with input.tool as tool
}
