# Benchmark policy for RegexPolicyBenchmark and scripts/bench-regex-policy.sh: argument hygiene for a ticket
# tool, 20 regex.match / glob.match calls per decision, all on input strings, all evaluated on an allowed call.
package mcp.authz

import rego.v1

default decision := {"allow": false, "reason": "policy_denied", "message": "No rule allows this call."}

decision := {"allow": false, "reason": "invalid_arguments", "message": concat("; ", sort(violations))} if {
	count(violations) > 0
} else := {"allow": true} if {
	input.tool.name == "create_ticket"
	regex.match(`^[a-z][a-z0-9-]{1,30}$`, input.caller.tenant)
	glob.match("https://issuer.*.example.com", ["."], input.caller.issuer)
}

violations contains "ticket_id" if not regex.match(`^[A-Z]{2,5}-[0-9]{1,8}$`, input.arguments.ticket_id)

violations contains "reporter" if not regex.match(`^[a-zA-Z0-9._%+-]+@[a-zA-Z0-9.-]+\.[a-zA-Z]{2,}$`, input.arguments.reporter)

violations contains "priority" if not regex.match(`^(low|medium|high|critical)$`, input.arguments.priority)

violations contains "due_date" if not regex.match(`^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$`, input.arguments.due_date)

violations contains "title_length" if not regex.match(`^.{3,120}$`, input.arguments.title)

violations contains "title_markup" if regex.match(`<[^>]*>`, input.arguments.title)

violations contains "body_script" if regex.match(`(?i)<script|javascript:|on(load|error|click)=`, input.arguments.body)

violations contains "body_sql" if regex.match(`(?i)\b(union\s+select|drop\s+table|insert\s+into|;\s*delete\s+from)\b`, input.arguments.body)

violations contains "body_shell" if regex.match("[`$]\\(|&&|\\|\\|", input.arguments.body)

violations contains "body_secret" if regex.match(`(?i)(api[_-]?key|secret|password)\s*[:=]\s*\S{8,}`, input.arguments.body)

violations contains "body_card_number" if regex.match(`\b(?:\d[ -]?){13,16}\b`, input.arguments.body)

violations contains "link_host" if not glob.match("https://*.example.com/**", ["/", "."], input.arguments.link)

violations contains "link_traversal" if regex.match(`\.\./|%2e%2e`, input.arguments.link)

violations contains "attachment_path" if not glob.match("/uploads/*/*.{png,jpg,pdf}", ["/"], input.arguments.attachment)

violations contains "attachment_hidden" if glob.match("**/.*", ["/"], input.arguments.attachment)

violations contains "labels" if {
	some label in input.arguments.labels
	not regex.match(`^[a-z0-9][a-z0-9_-]{0,31}$`, label)
}

violations contains "labels_reserved" if {
	some label in input.arguments.labels
	glob.match("internal-*", ["-"], label)
}

violations contains "session" if not regex.match(`^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$`, input.session.id)
