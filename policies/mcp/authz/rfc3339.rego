package mcp.authz

# Parses the one timestamp form the policy data uses, "YYYY-MM-DDTHH:MM:SSZ" (UTC, whole seconds), into
# nanoseconds since the epoch. Anything else is undefined, so a malformed window never grants anything.
#
# Why not time.parse_rfc3339_ns: it is not compiled into OPA's WebAssembly runtime (the host would have to
# provide it), and this policy must run unchanged on the embedded engine and on a remote OPA. The tests
# check this function against time.parse_rfc3339_ns.

rfc3339_utc_ns(timestamp) := ns if {
	is_string(timestamp)
	regex.match(`^[0-9]{4}-[0-9]{2}-[0-9]{2}T[0-9]{2}:[0-9]{2}:[0-9]{2}Z$`, timestamp)
	year := _digits(substring(timestamp, 0, 4))
	month := _digits(substring(timestamp, 5, 2))
	day := _digits(substring(timestamp, 8, 2))
	hour := _digits(substring(timestamp, 11, 2))
	minute := _digits(substring(timestamp, 14, 2))
	second := _digits(substring(timestamp, 17, 2))
	year >= 1970
	month >= 1
	month <= 12
	day >= 1
	day <= _days_in_month(year, month)
	hour <= 23
	minute <= 59
	second <= 59
	days := _days_since_epoch(year, month, day)
	ns := ((((((days * 24) + hour) * 60) + minute) * 60) + second) * 1000000000
}

_digit := {"0": 0, "1": 1, "2": 2, "3": 3, "4": 4, "5": 5, "6": 6, "7": 7, "8": 8, "9": 9}

# Only called on strings of ASCII digits (the regex above).
_digits(text) := sum([value |
	some i in numbers.range(0, count(text) - 1)
	value := _digit[substring(text, i, 1)] * _power_of_ten[(count(text) - i) - 1]
])

_power_of_ten := [1, 10, 100, 1000]

_leap(year) if {
	year % 4 == 0
	year % 100 != 0
}

_leap(year) if year % 400 == 0

_days_in_month(year, 2) := 29 if _leap(year)

_days_in_month(year, 2) := 28 if not _leap(year)

_days_in_month(_, month) := 30 if month in {4, 6, 9, 11}

_days_in_month(_, month) := 31 if month in {1, 3, 5, 7, 8, 10, 12}

# Days before the first of each month in a common year.
_days_before_month := [0, 0, 31, 59, 90, 120, 151, 181, 212, 243, 273, 304, 334]

_days_since_epoch(year, month, day) := days if {
	leap_days := _leap_years_before(year) - _leap_years_before(1970)
	leap_extra := _leap_extra(year, month)
	days := (((((year - 1970) * 365) + leap_days) + _days_before_month[month]) + leap_extra) + (day - 1)
}

# Leap years in [1, year - 1]; integer division written as (n - n % k) / k so it stays exact.
_leap_years_before(year) := (_div(year - 1, 4) - _div(year - 1, 100)) + _div(year - 1, 400)

_div(n, k) := (n - (n % k)) / k

_leap_extra(year, month) := 1 if {
	_leap(year)
	month > 2
} else := 0
