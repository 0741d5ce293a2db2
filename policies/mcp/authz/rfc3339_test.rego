package mcp.authz_test

import data.mcp.authz

test_parser_agrees_with_opa_time_parsing if {
	every timestamp in [
		"1970-01-01T00:00:00Z", "1970-01-01T00:00:01Z", "1999-12-31T23:59:59Z", "2000-01-01T00:00:00Z",
		"2000-02-29T12:34:56Z", "2000-03-01T00:00:00Z", "2024-02-29T23:59:59Z", "2024-03-01T00:00:00Z",
		"2025-02-28T23:59:59Z", "2025-03-01T00:00:00Z", "2026-11-22T10:00:00Z", "2026-12-31T23:59:59Z",
		"2100-02-28T00:00:00Z", "2100-03-01T00:00:00Z", "2262-04-11T23:47:16Z",
	] {
		authz.rfc3339_utc_ns(timestamp) == time.parse_rfc3339_ns(timestamp)
	}
}

test_parser_rejects_everything_but_whole_second_utc if {
	every timestamp in [
		"2026-11-22T10:00:00+00:00", "2026-11-22T10:00:00.5Z", "2026-11-22t10:00:00z", "2026-11-22 10:00:00Z",
		"2026-11-22T10:00Z", "26-11-22T10:00:00Z", " 2026-11-22T10:00:00Z", "", 0, null, true,
	] {
		not authz.rfc3339_utc_ns(timestamp)
	}
}

test_parser_rejects_impossible_dates_and_times if {
	every timestamp in [
		"2026-02-29T00:00:00Z", "2100-02-29T00:00:00Z", "2026-04-31T00:00:00Z", "2026-13-01T00:00:00Z",
		"2026-00-10T00:00:00Z", "2026-01-00T00:00:00Z", "2026-01-01T24:00:00Z", "2026-01-01T00:60:00Z",
		"2026-01-01T00:00:60Z", "1969-12-31T23:59:59Z",
	] {
		not authz.rfc3339_utc_ns(timestamp)
	}
}

test_parser_leaves_timestamps_past_the_int64_range_undefined if {
	authz.rfc3339_utc_ns("2262-04-11T23:47:16Z") == 9223372036000000000
	every timestamp in ["2262-04-11T23:47:17Z", "2263-01-01T00:00:00Z", "9999-12-31T23:59:59Z"] {
		not authz.rfc3339_utc_ns(timestamp)
	}
}
