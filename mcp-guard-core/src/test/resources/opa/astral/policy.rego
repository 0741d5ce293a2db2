package mcp.authz

import rego.v1

default decision := false

# U+20000, beyond the BMP: the input must reach the module as that character (not as U+10000, as the module's
# JSON parser decodes the escaped surrogate pair \ud840\udc00).
decision if input.arguments.s == "𠀀"
