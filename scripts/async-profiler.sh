#!/usr/bin/env bash
# Prints the path of async-profiler's JVM agent (libasyncProfiler.so for this machine), fetching the
# tools.profiler:async-profiler Maven artifact into the local repository and unpacking it under
# mcp-guard-bench/target/async-profiler on first use. Record a variant of the end-to-end harness with it and
# summarise with scripts/jfr-top-methods.sh (see mcp-guard-bench/README.md, "Profiling a variant"):
#
#   agent="$(scripts/async-profiler.sh)"
#   JAVA_OPTS="-agentpath:${agent}=start,event=itimer,interval=1ms,threads,collapsed,file=mcp-guard-bench/target/b.txt" \
#     scripts/bench-end-to-end.sh --no-build --variants B --audit async --clients 1 --rounds 1 --time 30s
#   scripts/jfr-top-methods.sh mcp-guard-bench/target/b.txt 30 http-nio
#
# event=itimer needs no perf_events permission (containers and VMs usually deny them); interval=1ms samples every
# thread that is on a core once per millisecond of its CPU time, so a sample count reads as milliseconds of CPU.
set -euo pipefail
cd "$(dirname "$0")/.."

version="${ASYNC_PROFILER_VERSION:-3.0}"
case "$(uname -s)-$(uname -m)" in
  Linux-x86_64) platform=linux-x64 ;;
  Linux-aarch64) platform=linux-arm64 ;;
  Darwin-*) platform=macos ;;
  *) echo "async-profiler: no agent for $(uname -s)-$(uname -m)" >&2; exit 1 ;;
esac
dir="mcp-guard-bench/target/async-profiler/${version}"
lib="${dir}/${platform}/libasyncProfiler.so"
if [[ ! -f "${lib}" ]]; then
  jar="${HOME}/.m2/repository/tools/profiler/async-profiler/${version}/async-profiler-${version}.jar"
  if [[ ! -f "${jar}" ]]; then
    mvn -q dependency:get -Dartifact="tools.profiler:async-profiler:${version}" >&2
  fi
  mkdir -p "${dir}"
  (cd "${dir}" && unzip -q -o "${jar}" "${platform}/*")
fi
readlink -f "${lib}"
