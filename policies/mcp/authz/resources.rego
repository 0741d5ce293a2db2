package mcp.authz

# Resources (resources/list, resources/templates/list, resources/read, resources/subscribe and
# resources/unsubscribe) and completions of a resource template's argument.
#
# Security describes each kind of resource of a server as a class under servers.<server>.resources.<class>:
#   uri_prefix      the URI's start, scheme included, compared exactly ("orders://");
#   tenant_scoped   default true: the URI continues with the tenant code, "/" and the id ("orders://acme/1001"),
#                   and the tenant code must be exactly the caller's; false: the URI continues with the id only;
#   id_pattern      a Go regular expression the whole id must match ("[0-9]{1,12}"); it is anchored here;
#   templates       the URI templates the server may declare for the class ("orders://{tenant}/{order_id}"); a
#                   template with "{tenant}" replaced by the caller's tenant code is the caller's template too;
#   operations      which of "list", "read", "subscribe", "unsubscribe" callers may do at all;
#   required_scopes every scope the caller needs; allowed_roles, optional: the caller needs one of them;
#   obligations     carried on an allow (redact_fields applies to the contents read).
# A URI is decided on its text as the client sent it: nothing is decoded or normalised, so anything that is not
# exactly <uri_prefix><tenant>/<id> (a percent-encoded slash, a dot segment, another case, a lookalike letter,
# a query) does not belong to the caller's tenant and is denied. A class that lacks one of its keys is unknown.

# The resource a request is about: its URI, its URI template, or both (each undefined when null). A completion
# refers to a resource by its template (it contains "{") or by a URI.
resource_targeted if resource_request

resource_targeted if completing("ref/resource")

resource_uri := input.resource.uri if {
	resource_request
	is_string(input.resource.uri)
}

resource_uri := input.completion.ref if {
	completing("ref/resource")
	not contains(input.completion.ref, "{")
}

resource_template := input.resource.template if {
	resource_request
	is_string(input.resource.template)
}

resource_template := input.completion.ref if {
	completing("ref/resource")
	contains(input.completion.ref, "{")
}

resource_uri_given if is_string(resource_uri)

resource_template_given if is_string(resource_template)

# Listing either kind is "list"; a completion needs what a read needs.
resource_operation := v2_operations[request_method] if resource_request

resource_operation := "read" if completing("ref/resource")

# The classes the resource belongs to: by URI prefix when there is a URI, else by template. Exactly one must
# match, so two overlapping classes make their resources unknown rather than decided by the wrong one.
resource_classes contains name if {
	some name, class in settings.servers[input.server].resources
	resource_class_well_formed(class)
	resource_in_class(class)
}

resource_in_class(class) if startswith(resource_uri, class.uri_prefix)

resource_in_class(class) if {
	not resource_uri_given
	template_of_class(class, resource_template)
}

resource_class_well_formed(class) if {
	is_string(class.uri_prefix)
	class.uri_prefix != ""
	is_string(class.id_pattern)
	is_array(class.templates)
	is_array(class.operations)
	is_array(class.required_scopes)
	is_boolean(object.get(class, "tenant_scoped", true))
}

resource_known if count(resource_classes) == 1

resource_config := settings.servers[input.server].resources[name] if {
	resource_known
	some name in resource_classes
}

template_of_class(class, template) if {
	some declared in class.templates
	declared == template
}

template_of_class(class, template) if {
	tenant_code(input.caller.tenant)
	some declared in class.templates
	contains(declared, "{tenant}")
	replace(declared, "{tenant}", input.caller.tenant) == template
}

# A template the server matched must be one security reviewed for the class (or none, for a static resource).
resource_template_matches if not resource_template_given

resource_template_matches if template_of_class(resource_config, resource_template)

resource_operation_permitted if resource_operation in resource_config.operations

resource_tenant_scoped if not resource_config.tenant_scoped == false

# A tenant code that can stand in a URI as one segment: ASCII letters, digits, "_" and "-".
tenant_code(tenant) if {
	is_string(tenant)
	regex.match(`^[A-Za-z0-9][A-Za-z0-9_-]{0,63}$`, tenant)
}

resource_tenant_present if not resource_tenant_scoped

resource_tenant_present if tenant_code(input.caller.tenant)

resource_scopes_granted if {
	every scope in resource_config.required_scopes {
		scope in input.caller.scopes
	}
}

resource_role_granted if not "allowed_roles" in object.keys(resource_config)

resource_role_granted if {
	some role in resource_config.allowed_roles
	role in input.caller.roles
}

# The URI after the class prefix, split into [tenant code, id] (tenant code null for a class without tenants).
resource_uri_parts := [substring(rest, 0, at), substring(rest, at + 1, -1)] if {
	resource_tenant_scoped
	rest := substring(resource_uri, count(resource_config.uri_prefix), -1)
	at := indexof(rest, "/")
	at > 0
}

resource_uri_parts := [null, substring(resource_uri, count(resource_config.uri_prefix), -1)] if {
	resource_uri_given
	not resource_tenant_scoped
}

resource_uri_valid if not resource_uri_given

resource_uri_valid if {
	resource_uri_given
	resource_id_valid(resource_uri_parts[1])
	resource_uri_tenant_valid(resource_uri_parts[0])
}

resource_id_valid(id) if regex.match(concat("", ["^(?:", resource_config.id_pattern, ")$"]), id)

resource_uri_tenant_valid(tenant) if {
	not resource_tenant_scoped
	tenant == null
}

resource_uri_tenant_valid(tenant) if {
	resource_tenant_scoped
	tenant_code(tenant)
}

resource_tenant_matches if not resource_tenant_scoped

resource_tenant_matches if not resource_uri_given

resource_tenant_matches if resource_uri_parts[0] == input.caller.tenant

resource_permitted if {
	resource_known
	resource_template_matches
	resource_operation_permitted
	resource_tenant_present
	resource_scopes_granted
	resource_role_granted
	resource_uri_valid
	resource_tenant_matches
	completion_arguments_match
}

# Denials, numbered as the tool checks are (the lowest is reported). Messages never repeat the URI.

denials contains [2, "unknown_resource", concat("", ["No resource of server '", input.server, "' has this URI or template."])] if {
	input_well_formed
	resource_targeted
	not resource_known
}

denials contains [3, "unknown_resource_template", "The resource's URI template is not one security reviewed for it."] if {
	resource_known
	not resource_template_matches
}

denials contains [4, "operation_not_permitted", concat("", ["Operation '", resource_operation, "' is not allowed on this resource."])] if {
	resource_known
	not resource_operation_permitted
}

denials contains [5, "tenant_required", "This resource holds tenant data; the caller belongs to no tenant."] if {
	resource_known
	not resource_tenant_present
}

denials contains [6, "insufficient_scope", "The caller lacks a scope this resource requires."] if {
	resource_known
	not resource_scopes_granted
}

denials contains [7, "insufficient_role", "The caller holds no role allowed to use this resource."] if {
	resource_known
	not resource_role_granted
}

denials contains [9, "invalid_resource_uri", "The resource URI does not have the form this resource requires."] if {
	resource_known
	not resource_uri_valid
}

denials contains [10, "cross_tenant", "The resource URI refers to another tenant's data."] if {
	resource_known
	not resource_tenant_matches
}
