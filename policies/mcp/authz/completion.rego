package mcp.authz

# Completions (completion/complete). A completion is allowed only when the caller could get the referenced prompt
# (prompts.rego) or read the referenced resource, by URI or template (resources.rego): the same checks decide it,
# with these on the partial value (input.arguments is {"<argument name>": "<partial value>"}):
#   - an argument named in tenancy.tenant_arguments must be a prefix of the caller's tenant code;
#   - one named in tenancy.tenant_prefixed_arguments, once it holds the separator, must start with the caller's
#     tenant code and the separator ("acme-10" for a caller of acme, not "globex-").
# Shorter partial values ("ac", "10") pass: the completion handler must still offer only the caller's own data.

completion_arguments_match if not completion_request

completion_arguments_match if {
	completion_request
	count(foreign_completion_arguments) == 0
}

foreign_completion_arguments contains name if {
	completion_request
	some name, value in input.arguments
	name in tenancy.tenant_arguments
	not partial_tenant_code(value)
}

foreign_completion_arguments contains name if {
	completion_request
	some name, value in input.arguments
	name in tenancy.tenant_prefixed_arguments
	not partial_tenant_prefixed_id(value)
}

partial_tenant_code(value) if {
	is_string(value)
	startswith(input.caller.tenant, value)
}

partial_tenant_prefixed_id(value) if {
	is_string(value)
	not contains(value, tenancy.separator)
}

partial_tenant_prefixed_id(value) if {
	is_string(value)
	is_string(input.caller.tenant)
	input.caller.tenant != ""
	startswith(value, concat("", [input.caller.tenant, tenancy.separator]))
}

denials contains [10, "cross_tenant", concat("", ["Argument '", name, "' refers to another tenant's data."])] if {
	input_well_formed
	some name in foreign_completion_arguments
}
