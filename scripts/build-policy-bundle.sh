#!/usr/bin/env bash
# Tests the reference policy, then builds it into a signed WebAssembly bundle.
#
#   scripts/build-policy-bundle.sh [out.tar.gz]
#
# Default output: mcp-guard-examples/src/main/resources/policy/orders-bundle.tar.gz (committed, so the demo
# runs without OPA; scripts/check-policy-bundle.sh fails CI when it no longer matches policies/).
#
# The bundle holds /policy.wasm (entrypoints mcp/authz/decision, for each call, and mcp/authz/visible_tools, for
# tools/list in one evaluation), /data.json, the policy's .rego sources,
# /.manifest (revision "orders-<first 12 hex of a sha256 over the bundled files>") and /.signatures.json
# (RS256, signed with POLICY_SIGNING_KEY, default the DEMO key in policies/demo-signing/; see its README).
# Tests (*_test.rego) are not bundled. The same inputs always give the same bundle contents.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
out="${1:-$repo/mcp-guard-examples/src/main/resources/policy/orders-bundle.tar.gz}"
signing_key="${POLICY_SIGNING_KEY:-$repo/policies/demo-signing/private.pem}"
verification_key="${POLICY_VERIFICATION_KEY:-$repo/policies/demo-signing/public.pem}"
entrypoints=(mcp/authz/decision mcp/authz/visible_tools)

opa="$("$repo/scripts/ensure-opa.sh" | tail -n 1)"

echo "build-policy-bundle: opa test policies/" >&2
"$opa" test --timeout 120s "$repo/policies" >&2

stage="$(mktemp -d)"
trap 'rm -rf "$stage"' EXIT

# Stage exactly what ships: the policy's .rego files and data.json, at their data paths, no tests.
(
    cd "$repo/policies"
    find mcp -type f \( -name '*.rego' ! -name '*_test.rego' -o -name 'data.json' \) | LC_ALL=C sort
) > "$stage/files"
mkdir -p "$stage/bundle"
while IFS= read -r file; do
    mkdir -p "$stage/bundle/$(dirname "$file")"
    cp "$repo/policies/$file" "$stage/bundle/$file"
done < "$stage/files"
printf '{"roots":["mcp/authz"]}\n' > "$stage/bundle/.manifest"

# Revision: a hash over the bundled files' paths and contents, so it changes exactly when the policy does.
revision="orders-$(cd "$stage/bundle" && xargs sha256sum < "$stage/files" | sha256sum | cut -c1-12)"

mkdir -p "$(dirname "$out")"
out="$(cd "$(dirname "$out")" && pwd)/$(basename "$out")"
(
    cd "$stage/bundle"
    "$opa" build --bundle . \
        --target wasm "${entrypoints[@]/#/--entrypoint=}" \
        --revision "$revision" \
        --signing-key "$signing_key" --signing-alg RS256 \
        --output "$out"
)

# The bundle must hold what the embedded engine loads, and its signature must verify with the public key.
contents="$(tar -tPzf "$out")"
for required in /.manifest /data.json /policy.wasm /.signatures.json; do
    if ! grep -qx -- "$required" <<< "$contents"; then
        echo "build-policy-bundle: $out lacks $required" >&2
        exit 1
    fi
done
"$opa" build --bundle "$out" --verification-key "$verification_key" --signing-alg RS256 \
    --output "$stage/verified.tar.gz" >&2

echo "build-policy-bundle: built $out (revision $revision)" >&2
echo "$out"
