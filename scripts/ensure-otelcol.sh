#!/usr/bin/env bash
# Makes sure the tests' OpenTelemetry Collector is built and prints its absolute path as the last line of stdout.
#
#   scripts/ensure-otelcol.sh        -> /root/.cache/mcp-guard/otelcol-v0.165.0-<hash>/bin/otelcol
#
# Builds scripts/otelcol (an OTLP receiver with the file and debug exporters; every module pinned in its go.mod
# and go.sum) with `go build -trimpath` into ${MCP_GUARD_TOOLS:-$HOME/.cache/mcp-guard}/otelcol-v<version>-<hash>/bin,
# where <hash> covers go.mod, go.sum and main.go, so editing the distribution builds a new binary next to the old
# one. A no-op when that binary exists. Needs Go and the Go module proxy only for the first build: measured on two
# shared cores, 335 s with nothing cached (about 490 MB of modules downloaded), 158 s with the module cache warm,
# 3 s when only the binary is missing (Go's build cache warm).
set -euo pipefail

OTELCOL_VERSION="0.165.0"
src_dir="$(cd "$(dirname "$0")/otelcol" && pwd)"
tools_dir="${MCP_GUARD_TOOLS:-$HOME/.cache/mcp-guard}"
source_hash="$(cat "${src_dir}/go.mod" "${src_dir}/go.sum" "${src_dir}/main.go" | sha256sum | cut -c1-12)"
bin_dir="${tools_dir}/otelcol-v${OTELCOL_VERSION}-${source_hash}/bin"
otelcol="${bin_dir}/otelcol"

if [[ -x "$otelcol" ]]; then
    echo "$otelcol"
    exit 0
fi

if ! command -v go >/dev/null 2>&1; then
    echo "ensure-otelcol: Go is needed to build the OpenTelemetry Collector ${OTELCOL_VERSION} from ${src_dir}" >&2
    exit 1
fi

echo "ensure-otelcol: building the OpenTelemetry Collector ${OTELCOL_VERSION} into ${bin_dir} (go build, once)" >&2
mkdir -p "$bin_dir"
# Build to a temporary name and rename, so a concurrent run never sees (or executes) a half-written binary.
partial="$(mktemp "${bin_dir}/otelcol.partial.XXXXXX")"
trap 'rm -f "$partial"' EXIT
(cd "$src_dir" && GOWORK=off GOFLAGS="-mod=readonly -buildvcs=false" go build -trimpath -o "$partial" .) >&2
mv -f "$partial" "$otelcol"
trap - EXIT

if [[ "$("$otelcol" --version 2>/dev/null)" != "otelcol version ${OTELCOL_VERSION}" ]]; then
    echo "ensure-otelcol: ${otelcol} does not report version ${OTELCOL_VERSION} after building" >&2
    exit 1
fi
echo "$otelcol"
