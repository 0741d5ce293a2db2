package mcp.authz

# Prompts (prompts/list, prompts/get) and completions of a prompt's argument.
#
# servers.<server>.prompts is the allow-list: a prompt not named there is neither listed nor got, whatever the
# caller holds, so a prompt a server adds (or swaps in under a new name) stays hidden until security reviews it.
# Per prompt: required_scopes (every one needed), allowed_roles (optional: one of them needed), tenant_scoped
# (the caller needs a tenant), obligations (carried on an allow; redact_fields applies to the prompt's
# messages). The prompt's arguments follow the tools' tenant convention (tenancy.* in data.json).

prompt_targeted if prompt_request

prompt_targeted if completing("ref/prompt")

prompt_name := input.prompt.name if prompt_request

prompt_name := input.completion.ref if completing("ref/prompt")

prompt_config := settings.servers[input.server].prompts[prompt_name]

prompt_known if is_object(prompt_config)

prompt_tenant_present if not prompt_config.tenant_scoped == true

prompt_tenant_present if {
	is_string(input.caller.tenant)
	input.caller.tenant != ""
}

prompt_scopes_granted if {
	every scope in object.get(prompt_config, "required_scopes", []) {
		scope in input.caller.scopes
	}
}

prompt_role_granted if not "allowed_roles" in object.keys(prompt_config)

prompt_role_granted if {
	some role in prompt_config.allowed_roles
	role in input.caller.roles
}

# prompts/get only: tenant-referencing arguments are well formed and name the caller's tenant, as for tools.
getting_prompt if request_method == "prompts/get"

invalid_prompt_arguments contains name if {
	getting_prompt
	some name in tenant_reference_arguments
	not tenant_reference(name, input.arguments[name])
}

foreign_prompt_arguments contains name if {
	getting_prompt
	some name in tenant_reference_arguments
	tenant := tenant_reference(name, input.arguments[name])
	tenant != input.caller.tenant
}

prompt_arguments_valid if count(invalid_prompt_arguments) == 0

prompt_tenants_match if not getting_prompt

prompt_tenants_match if {
	getting_prompt
	every name in tenant_reference_arguments {
		tenant_reference(name, input.arguments[name]) == input.caller.tenant
	}
}

prompt_permitted if {
	prompt_known
	prompt_tenant_present
	prompt_scopes_granted
	prompt_role_granted
	prompt_arguments_valid
	prompt_tenants_match
	completion_arguments_match
}

denials contains [2, "unknown_prompt", concat("", ["Prompt '", prompt_name, "' is not allowed for server '", input.server, "'."])] if {
	input_well_formed
	prompt_targeted
	not prompt_known
}

denials contains [5, "tenant_required", "This prompt serves tenant data; the caller belongs to no tenant."] if {
	prompt_known
	not prompt_tenant_present
}

denials contains [6, "insufficient_scope", "The caller lacks a scope this prompt requires."] if {
	prompt_known
	not prompt_scopes_granted
}

denials contains [7, "insufficient_role", "The caller holds no role allowed to use this prompt."] if {
	prompt_known
	not prompt_role_granted
}

denials contains [9, "invalid_argument", concat("", ["Argument '", name, "' is missing or invalid."])] if {
	prompt_known
	some name in invalid_prompt_arguments
}

denials contains [10, "cross_tenant", concat("", ["Argument '", name, "' refers to another tenant's data."])] if {
	prompt_known
	some name in foreign_prompt_arguments
}
