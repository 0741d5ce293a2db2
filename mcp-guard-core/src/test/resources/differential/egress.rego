# Time windows and egress control: fetch_url may reach only allow-listed networks, never link-local, loopback or
# private ranges (IPv4-mapped IPv6 normalised first, since the SSRF deny-list is written in IPv4); destructive
# tools only in business hours (Mon-Fri 08:00-18:00 in the tenant's zone) unless a change window covers now.
package diff.egress

import rego.v1

deny_cidrs := ["169.254.0.0/16", "127.0.0.0/8", "10.0.0.0/8", "172.16.0.0/12", "192.168.0.0/16", "0.0.0.0/8", "::1/128", "fe80::/10", "fc00::/7"]

allow_cidrs := ["203.0.113.0/24", "198.51.100.0/24", "2001:db8::/32"]

host := lower(trim_space(input.arguments.host))

ip := trim_prefix(host, "::ffff:") if {
	startswith(host, "::ffff:")
	regex.match(`^[0-9]{1,3}(\.[0-9]{1,3}){3}$`, trim_prefix(host, "::ffff:"))
} else := host

# Only well-formed addresses reach the CIDR checks: dotted IPv4 with octets 0-255, or lower-hex IPv6 with no
# ffff: group (a mapped IPv4 left in hex form). net.cidr_intersects of the embedded engine differs from OPA on
# those and on a value that is itself a CIDR (docs/policy-embedded-builtins.md); anything else is denied.
valid_ip if regex.match(`^(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])(\.(25[0-5]|2[0-4][0-9]|1[0-9][0-9]|[1-9]?[0-9])){3}$`, ip)

valid_ip if {
	contains(ip, ":")
	regex.match(`^[0-9a-f:]{2,39}$`, ip)
	not regex.match(`(^|:)ffff(:|$)`, ip)
}

blocked if {
	valid_ip
	some c in deny_cidrs
	net.cidr_intersects(c, ip_cidr)
}

ip_cidr := concat("/", [ip, "32"]) if not contains(ip, ":")

ip_cidr := concat("/", [ip, "128"]) if contains(ip, ":")

allowed_net if {
	valid_ip
	some c in allow_cidrs
	net.cidr_intersects(c, ip_cidr)
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

# seconds since midnight UTC, with integer arithmetic where OPA's and the wasm runtime's division agree
seconds_of_day := (input.time_ns - (floor(input.time_ns / 86400000000000) * 86400000000000)) / 1000000000

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

decision := {"allow": false, "reason": "egress_blocked", "message": sprintf("Address %s is in a blocked range.", [ip])} if {
	input.tool.name == "fetch_url"
	blocked
}

time_ok if business_hours

time_ok if in_change_window
