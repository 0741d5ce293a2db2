package mcp.authz

# Parses the one timestamp form the policy data uses, "YYYY-MM-DDTHH:MM:SSZ" (UTC, whole seconds), into
# nanoseconds since the epoch. Anything else is undefined, so a malformed window never grants anything.
#
# The form is checked here; the date itself by time.parse_rfc3339_ns (Go's time.Parse: month 1-12, a day that
# exists in that month and year, hour <= 23, minute and second <= 59), which both engines supply (the embedded one
# as a host builtin with Go's semantics). Before 1970 is refused. Go's range ends at 2262-04-11T23:47:16Z (the
# largest int64 of nanoseconds); a later timestamp is undefined, so a window past it never grants.

rfc3339_utc_ns(timestamp) := ns if {
	is_string(timestamp)
	regex.match(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$`, timestamp)
	ns := time.parse_rfc3339_ns(timestamp)
	ns >= 0
}
