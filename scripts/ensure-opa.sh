#!/usr/bin/env bash
# Makes sure the pinned OPA CLI is installed and prints its absolute path as the last line of stdout.
#
#   scripts/ensure-opa.sh            -> /root/.cache/mcp-guard/opa-v1.22.2/bin/opa
#
# Installs with `go install github.com/open-policy-agent/opa@<version>` into
# ${MCP_GUARD_TOOLS:-$HOME/.cache/mcp-guard}/opa-v<version>/bin (about two minutes, once); a no-op when that
# binary already reports the pinned version. Needs Go and the Go module proxy only for the first install.
set -euo pipefail

OPA_VERSION="1.22.2"
tools_dir="${MCP_GUARD_TOOLS:-$HOME/.cache/mcp-guard}"
bin_dir="${tools_dir}/opa-v${OPA_VERSION}/bin"
opa="${bin_dir}/opa"

installed_version() {
    "$opa" version 2>/dev/null | sed -n 's/^Version: //p'
}

if [[ -x "$opa" && "$(installed_version)" == "$OPA_VERSION" ]]; then
    echo "$opa"
    exit 0
fi

if ! command -v go >/dev/null 2>&1; then
    echo "ensure-opa: Go is needed to install OPA ${OPA_VERSION} (go install); install Go or put opa ${OPA_VERSION} at ${opa}" >&2
    exit 1
fi

echo "ensure-opa: installing OPA ${OPA_VERSION} into ${bin_dir} (go install, takes a few minutes once)" >&2
mkdir -p "$bin_dir"
GOBIN="$bin_dir" go install -trimpath "github.com/open-policy-agent/opa@v${OPA_VERSION}" >&2

if [[ "$(installed_version)" != "$OPA_VERSION" ]]; then
    echo "ensure-opa: ${opa} does not report version ${OPA_VERSION} after installing" >&2
    exit 1
fi
echo "$opa"
