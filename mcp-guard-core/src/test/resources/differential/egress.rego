# Time windows and egress control: fetch_url may reach only allow-listed networks, never link-local, loopback or
# private ranges; destructive tools only in business hours (Mon-Fri 08:00-18:00 in the tenant's zone) unless a
# change window covers now.
package diff.egress

import rego.v1

deny_cidrs := ["169.254.0.0/16", "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "0.0.0.0/8", "::1/128", "fe80::/10", "fc00::/7"]

allow_cidrs := ["203.0.113.0/24", "198.51.100.0/24", "2001:db8::/32"]

host := lower(trim_space(input.arguments.host))

# An address, not a network or a name: one that Go's ParseCIDR takes with a /32 suffix (IPv4 and IPv6 alike). The
# CIDR checks are net.cidr_contains_matches (host-provided with OPA's semantics), so an IPv4-mapped IPv6 address
# in either form (::ffff:169.254.169.254, ::ffff:a9fe:a9fe) is in the IPv4 range it maps to; the compiled-in
# net.cidr_contains and net.cidr_intersects compare it as IPv6, and the embedded engine refuses them.
valid_ip if net.cidr_is_valid(concat("/", [host, "32"]))

blocked if {
	valid_ip
	count(net.cidr_contains_matches(deny_cidrs, host)) > 0
}

allowed_net if {
	valid_ip
	count(net.cidr_contains_matches(allow_cidrs, host)) > 0
}

zone := object.get(data.tenant_zones, object.get(input.caller, "tenant", ""), "UTC")

local_clock := time.clock([input.time_ns, zone])

weekday := time.weekday([input.time_ns, zone])

business_hours if {
	not weekday in {"Saturday", "Sunday"}
	local_clock[0] >= 8
	local_clock[0] < 18
}

in_change_window if {
	some w in data.change_windows
	w.tenant == input.caller.tenant
	start := time.parse_rfc3339_ns(w.start)
	input.time_ns >= start
	input.time_ns < start + time.parse_duration_ns(w.duration)
}

default decision := {"allow": false, "reason": "egress_denied", "message": "The destination is not allowed."}

decision := {"allow": true, "obligations": {}} if {
	input.tool.name != "fetch_url"
	not input.tool.destructive
}

decision := {"allow": true, "obligations": {}} if {
	input.tool.name != "fetch_url"
	input.tool.destructive
	time_ok
}

decision := {"allow": false, "reason": "outside_business_hours", "message": sprintf("Destructive tools run Mon-Fri 08-18 %s (now %s %02d:%02d).", [zone, weekday, local_clock[0], local_clock[1]])} if {
	input.tool.name != "fetch_url"
	input.tool.destructive
	not time_ok
}

decision := {"allow": true, "obligations": {"rate_limit": {"per_minute": 30}}} if {
	input.tool.name == "fetch_url"
	not blocked
	allowed_net
}

decision := {"allow": false, "reason": "egress_invalid_address", "message": "The destination is not a well-formed address."} if {
	input.tool.name == "fetch_url"
	not valid_ip
}

decision := {"allow": false, "reason": "egress_blocked", "message": sprintf("Address %s is in a blocked range.", [host])} if {
	input.tool.name == "fetch_url"
	blocked
}

time_ok if business_hours

time_ok if in_change_window
