# Argument hygiene: identifiers by regex, paths by glob with deny-lists, free text bounded and free of control
# characters, amounts by type and range; the deny message is built with sprintf.
package diff.hygiene

import rego.v1

violations contains sprintf("order_id %q is not a valid order id", [id]) if {
	id := input.arguments.order_id
	not regex.match(`^[a-z]{2,10}-[0-9]{1,9}$`, id)
}

violations contains sprintf("order_id has type %s", [type_name(id)]) if {
	id := input.arguments.order_id
	not is_string(id)
}

violations contains sprintf("path %s is outside the workspace", [p]) if {
	p := input.arguments.path
	is_string(p)
	not glob.match("/workspace/**", ["/"], p)
}

violations contains sprintf("path %s is denied by %s", [p, pattern]) if {
	p := input.arguments.path
	is_string(p)
	some pattern in ["**/.git/**", "**/*.pem", "**/.env", "/workspace/secrets/**"]
	glob.match(pattern, ["/"], p)
}

violations contains sprintf("path %v has a traversal", [p]) if {
	p := input.arguments.path
	is_string(p)
	regex.match(`(^|/)\.\.(/|$)`, p)
}

violations contains sprintf("note is %d characters, more than %d", [n, 64]) if {
	n := count(input.arguments.note)
	n > 64
}

violations contains "note holds control characters" if {
	regex.match(`[\x00-\x1f\x7f]`, input.arguments.note)
}

violations contains sprintf("amount %v is out of range [%d, %.2f]", [a, 0, 5000.5]) if {
	a := input.arguments.amount
	is_number(a)
	not in_range(a)
}

violations contains sprintf("amount %v is not a number", [a]) if {
	a := input.arguments.amount
	not is_number(a)
}

violations contains sprintf("email %s is not an allowed address", [e]) if {
	e := input.arguments.email
	not glob.match("*@{example.com,example.org}", [], e)
}

in_range(a) if {
	a >= 0
	a <= 5000.5
}

default decision := {"allow": true}

decision := {"allow": false, "reason": "invalid_argument", "message": sprintf("%d problem(s): %s", [count(violations), concat("; ", sort(violations))])} if {
	input.operation == "call"
	count(violations) > 0
}
