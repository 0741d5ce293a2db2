#!/usr/bin/env bash
# The regex-heavy benchmark policy measured side by side, in one session on one machine: OPA's own evaluator
# (`opa bench`, topdown) and the embedded engine (RegexPolicyBenchmark, JMH), on the same policy
# (mcp-guard-bench/src/main/resources/opa-regex) and the same input document (its input.json). opa bench runs
# before and after the JMH run, so a drift of the machine's load shows.
#
#   scripts/bench-regex-policy.sh              # builds the benchmarks jar first
#   scripts/bench-regex-policy.sh --no-build   # uses mcp-guard-bench/target/benchmarks.jar as it is
#   BENCH_JAR=/tmp/old/benchmarks.jar scripts/bench-regex-policy.sh --no-build   # another build (a before/after)
#
# Prints p50 and mean per decision for both and the ratio embedded / opa bench (goal: at most 2). opa bench's
# figures are its `rego_query_eval` timer (median, mean) and its ns/op; the embedded figures are JMH's sample
# time of OpaWasmPolicyEngine.decide (input document, evaluation, result reading). Needs java, jq and Maven.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
policy="$repo/mcp-guard-bench/src/main/resources/opa-regex"
jar="${BENCH_JAR:-$repo/mcp-guard-bench/target/benchmarks.jar}"
query="data.mcp.authz.decision"

opa="$("$repo/scripts/ensure-opa.sh" | tail -n 1)"
if [[ "${1:-}" != "--no-build" ]]; then
    echo "bench-regex-policy: building $jar" >&2
    (cd "$repo" && mvn -q -pl mcp-guard-bench -am package -DskipTests)
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

# The policy must allow the benchmark's input, on OPA too.
if [[ "$("$opa" eval -b "$policy" -i "$policy/input.json" -f raw "$query.allow")" != "true" ]]; then
    echo "bench-regex-policy: opa does not allow $policy/input.json" >&2
    exit 1
fi

opa_bench() {
    "$opa" bench -b "$policy" -i "$policy/input.json" -f json --count 1 "$query" > "$work/opa-$1.json"
}

echo "bench-regex-policy: opa bench (before), $(uptime)" >&2
opa_bench before
echo "bench-regex-policy: JMH RegexPolicyBenchmark" >&2
(cd "$repo" && java -jar "$jar" 'RegexPolicyBenchmark' -rf json -rff "$work/jmh.json") >&2
echo "bench-regex-policy: opa bench (after), $(uptime)" >&2
opa_bench after

us() { awk -v ns="$1" 'BEGIN { printf "%.1f", ns / 1000 }'; }
opa_row() {
    local f="$work/opa-$1.json"
    local median mean nsop
    median="$(jq '.Extra["histogram_timer_rego_query_eval_ns_median"]' "$f")"
    mean="$(jq '.Extra["histogram_timer_rego_query_eval_ns_mean"]' "$f")"
    nsop="$(jq '.T / .N' "$f")"
    printf '%-34s %10s %10s   (ns/op %s us, %s ops)\n' "opa bench ($1)" "$(us "$median")" "$(us "$mean")" \
        "$(us "$nsop")" "$(jq '.N' "$f")"
}
jmh_row() {
    local name="dev.mcpguard.bench.RegexPolicyBenchmark.$1"
    local p50 mean
    p50="$(jq --arg b "$name" '.[] | select(.benchmark == $b) | .primaryMetric.scorePercentiles["50.0"]' "$work/jmh.json")"
    mean="$(jq --arg b "$name" '.[] | select(.benchmark == $b) | .primaryMetric.score' "$work/jmh.json")"
    printf '%-34s %10.1f %10.1f\n' "embedded $1 (JMH)" "$p50" "$mean"
}

echo
printf '%-34s %10s %10s\n' "per decision, microseconds" "p50" "mean"
opa_row before
jmh_row sameCall
jmh_row distinctCalls
jmh_row sameCallTwoThreads
opa_row after
embedded_p50="$(jq '.[] | select(.benchmark | endswith(".sameCall")) | .primaryMetric.scorePercentiles["50.0"]' "$work/jmh.json")"
embedded_mean="$(jq '.[] | select(.benchmark | endswith(".sameCall")) | .primaryMetric.score' "$work/jmh.json")"
opa_median="$(jq -s 'map(.Extra["histogram_timer_rego_query_eval_ns_median"]) | add / length / 1000' "$work"/opa-*.json)"
opa_mean="$(jq -s 'map(.Extra["histogram_timer_rego_query_eval_ns_mean"]) | add / length / 1000' "$work"/opa-*.json)"
awk -v ep="$embedded_p50" -v em="$embedded_mean" -v op="$opa_median" -v om="$opa_mean" 'BEGIN {
    printf "%-34s %10.2f %10.2f   (sameCall / mean of the two opa bench runs; goal <= 2)\n", "ratio embedded / opa bench", ep / op, em / om
}'
