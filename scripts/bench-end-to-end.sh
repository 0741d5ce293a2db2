#!/usr/bin/env bash
# End-to-end latency of one MCP tools/call over Streamable HTTP on loopback: A (unguarded MCP SDK server),
# B (the example server guarded as it ships: async and durable audit), C (A behind a loopback nginx), interleaved
# in rounds in one run; prints a Markdown table (p50, p99, calls/s, ratios to A) and the machine facts.
# Details: mcp-guard-bench/README.md ("End to end").
#
#   scripts/bench-end-to-end.sh                                  # build the jar, default run (~5 min)
#   scripts/bench-end-to-end.sh --no-build --rounds 3 --time 2s  # a short run with the jar already built
#   JAVA_OPTS='-XX:StartFlightRecording=...' scripts/bench-end-to-end.sh --no-build --variants B --clients 8
#
# Options after --no-build go to the harness (--help lists them). The harness finds nginx with
# scripts/ensure-nginx.sh (installing Debian's package if needed) unless --nginx PATH is given; when nginx is
# absent and cannot be installed, variant C is skipped with a message and the rest runs.
set -euo pipefail
cd "$(dirname "$0")/.."

build=1
if [[ "${1:-}" == "--no-build" ]]; then
  build=0
  shift
fi
if [[ "${1:-}" == "--help" ]]; then
  exec java -cp mcp-guard-bench/target/benchmarks.jar dev.mcpguard.bench.EndToEndBenchmark --help
fi

jar=mcp-guard-bench/target/benchmarks.jar
if [[ ${build} -eq 1 || ! -f ${jar} ]]; then
  echo "== building ${jar}" >&2
  mvn -q -o -pl mcp-guard-bench -am package -DskipTests >&2 || mvn -q -pl mcp-guard-bench -am package -DskipTests >&2
fi

# The audit files go under mcp-guard-bench/target/, on the disk being measured (not /tmp, often a tmpfs).
# shellcheck disable=SC2086 # JAVA_OPTS is a list of JVM options
exec java ${JAVA_OPTS:-} -cp "${jar}" dev.mcpguard.bench.EndToEndBenchmark \
  --work-dir mcp-guard-bench/target/end-to-end "$@"
