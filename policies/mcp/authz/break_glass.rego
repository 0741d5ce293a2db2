package mcp.authz

# Break-glass: a time-boxed, named exception that lets one person use one destructive tool in production.
# An exception grants only while all of these hold:
#   - it names the caller's subject, the server and the tool (and the issuer, when it names one);
#   - it carries a ticket (why it exists, for the audit trail);
#   - not_before <= request time < expires, both "YYYY-MM-DDTHH:MM:SSZ";
#   - its window is no longer than break_glass.max_window_hours.
# It lifts only the production ban on destructive tools: the caller still needs an allowed role.
# The request time is input.time_ns (the guard's clock), never the policy engine's clock.

break_glass_grants contains exception if {
	some exception in settings.break_glass.exceptions
	exception.server == input.server
	exception.tool == input.tool.name
	exception.subject == input.caller.subject
	_issuer_matches(exception)
	is_string(exception.ticket)
	exception.ticket != ""
	not_before := rfc3339_utc_ns(exception.not_before)
	expires := rfc3339_utc_ns(exception.expires)
	not_before < expires
	expires - not_before <= (settings.break_glass.max_window_hours * 3600) * 1000000000
	not_before <= input.time_ns
	input.time_ns < expires
}

_issuer_matches(exception) if not "issuer" in object.keys(exception)

_issuer_matches(exception) if exception.issuer == input.caller.issuer
