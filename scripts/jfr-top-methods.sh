#!/usr/bin/env bash
# Summarises the CPU samples of a profile: the hottest methods by own samples (the top frame) and, for the classes
# matching a pattern, by inclusive samples (anywhere on the stack), each as a share of all samples counted.
# Reads a JFR recording (jdk.ExecutionSample) or async-profiler's collapsed stacks (a text file of
# "frame;frame;... count" lines, recorded with the `threads` option so each stack starts with its thread's name;
# scripts/async-profiler.sh records one).
#
#   scripts/jfr-top-methods.sh PROFILE [TOP] [THREADS] [INCLUSIVE]
#
#   PROFILE    RECORDING.jfr, or collapsed stacks (any other name)
#   TOP        how many methods per list [15]
#   THREADS    an awk regular expression on the sampled thread's name; only those samples count
#              [.: every thread]; e.g. 'http-nio' for Tomcat's request threads only
#   INCLUSIVE  an awk regular expression on "class.method" for the inclusive list [^dev\.mcpguard\.]
#
# Needs the JDK's `jfr` tool (on the PATH or in $JAVA_HOME/bin) for a recording. Method parameters are dropped,
# so overloads count together.
set -euo pipefail

if [[ $# -lt 1 || ! -f "$1" ]]; then
  sed -n '2,18p' "$0" | sed 's/^# \{0,1\}//' >&2
  exit 2
fi
recording="$1"
top="${2:-15}"
threads="${3:-.}"
inclusive="${4:-^dev\\.mcpguard\\.}"

tmp="$(mktemp -d)"
trap 'rm -rf "${tmp}"' EXIT

if [[ "${recording}" != *.jfr ]]; then
  # async-profiler's collapsed stacks: "[thread tid=N];root;...;top count", frames as a/b/C.m with _[j] marks.
  awk -v threads="${threads}" -v inclusive="${inclusive}" -v self_out="${tmp}/self" -v incl_out="${tmp}/incl" \
    -v total_out="${tmp}/total" '
    {
      n = $NF
      line = $0
      sub(/ [0-9]+$/, "", line)
      k = split(line, f, ";")
      thread = f[1]
      sub(/^\[/, "", thread)
      sub(/ tid=[0-9]+\]$/, "", thread)
      if (thread !~ threads) { next }
      total += n
      delete seen
      for (i = 2; i <= k; i++) {
        name = f[i]
        sub(/_\[[a-z0-9]\]$/, "", name)
        gsub(/\//, ".", name)
        seen[name] = 1
      }
      self[name] += n
      for (g in seen) {
        if (g ~ inclusive) { incl[g] += n }
      }
    }
    END {
      for (g in self) { printf "%d\t%s\n", self[g], g > self_out }
      for (g in incl) { printf "%d\t%s\n", incl[g], g > incl_out }
      printf "%d\n", total > total_out
    }' "${recording}"
else
  jfr_tool="jfr"
  if ! command -v jfr >/dev/null 2>&1; then
    if [[ -n "${JAVA_HOME:-}" && -x "${JAVA_HOME}/bin/jfr" ]]; then
      jfr_tool="${JAVA_HOME}/bin/jfr"
    else
      jfr_tool="$(dirname "$(readlink -f "$(command -v java)")")/jfr"
    fi
  fi

  "${jfr_tool}" print --events jdk.ExecutionSample --stack-depth 64 "${recording}" | awk \
    -v threads="${threads}" -v inclusive="${inclusive}" -v self_out="${tmp}/self" -v incl_out="${tmp}/incl" \
    -v total_out="${tmp}/total" '
    function frame_name(line) {
      sub(/^[ \t]+/, "", line)
      sub(/[ \t]+line:.*$/, "", line)
      sub(/\(.*$/, "", line)
      return line
    }
    /^jdk\.ExecutionSample/ { thread = ""; in_stack = 0; next }
    /^[ \t]*sampledThread = "/ {
      thread = $0
      sub(/^[^"]*"/, "", thread)
      sub(/".*$/, "", thread)
      next
    }
    /^[ \t]*stackTrace = \[/ { in_stack = 1; depth = 0; delete seen; next }
    in_stack && /^[ \t]*\]/ {
      in_stack = 0
      if (depth > 0 && thread ~ threads) {
        total++
        self[top_frame]++
        for (f in seen) {
          if (f ~ inclusive) {
            incl[f]++
          }
        }
      }
      next
    }
    in_stack {
      if ($0 ~ /^[ \t]*\.\.\.[ \t]*$/) { next }
      name = frame_name($0)
      if (depth == 0) { top_frame = name }
      depth++
      seen[name] = 1
    }
    END {
      for (f in self) { printf "%d\t%s\n", self[f], f > self_out }
      for (f in incl) { printf "%d\t%s\n", incl[f], f > incl_out }
      printf "%d\n", total > total_out
    }'
fi

total="$(cat "${tmp}/total")"
if [[ "${total}" -eq 0 ]]; then
  echo "no samples in ${recording} for threads matching '${threads}'" >&2
  exit 1
fi

print_top() {
  local file="$1"
  [[ -f "${file}" ]] || return 0
  sort -t$'\t' -k1,1nr "${file}" | head -n "${top}" | while IFS=$'\t' read -r count name; do
    awk -v c="${count}" -v t="${total}" -v n="${name}" 'BEGIN { printf "  %5.1f%%  %7d  %s\n", 100 * c / t, c, n }'
  done
}

echo "${recording}: ${total} samples on threads matching '${threads}'"
echo
echo "Top ${top} methods by own samples (top frame):"
print_top "${tmp}/self"
echo
echo "Top ${top} methods matching '${inclusive}' by inclusive samples (anywhere on the stack):"
print_top "${tmp}/incl"
