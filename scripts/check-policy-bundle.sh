#!/usr/bin/env bash
# Fails when the committed demo bundle no longer matches policies/ (CI runs this through `mvn verify`).
#
#   scripts/check-policy-bundle.sh [committed.tar.gz]
#
# Rebuilds the bundle into a temporary directory with scripts/build-policy-bundle.sh (which also runs
# `opa test`) and compares it with the committed one by content, file by file: tarball bytes may differ
# (timestamps, gzip) without the policy differing. .signatures.json is compared too: RS256 (PKCS#1 v1.5)
# signatures are deterministic, so the same files and key give the same signature.
#
# Also fails when the example's copy of the demo public key (the one OrdersServer verifies the bundle with)
# differs from policies/demo-signing/public.pem.
set -euo pipefail

repo="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
committed="${1:-$repo/mcp-guard-examples/src/main/resources/policy/orders-bundle.tar.gz}"
mismatch="the committed policy bundle does not match policies/: run scripts/build-policy-bundle.sh"

public_key="$repo/policies/demo-signing/public.pem"
public_key_copy="$repo/mcp-guard-examples/src/main/resources/policy/demo-signing-public.pem"
if ! cmp -s "$public_key" "$public_key_copy"; then
    echo "check-policy-bundle: $public_key_copy is missing or differs from $public_key;" \
        "the example server would verify the bundle with the wrong key: run" \
        "cp policies/demo-signing/public.pem mcp-guard-examples/src/main/resources/policy/demo-signing-public.pem" >&2
    exit 1
fi

if [[ ! -f "$committed" ]]; then
    echo "check-policy-bundle: $committed is missing; $mismatch" >&2
    exit 1
fi

work="$(mktemp -d)"
trap 'rm -rf "$work"' EXIT

"$repo/scripts/build-policy-bundle.sh" "$work/rebuilt.tar.gz" > /dev/null
mkdir -p "$work/rebuilt" "$work/committed"
tar -xzf "$work/rebuilt.tar.gz" -C "$work/rebuilt" 2> /dev/null
tar -xzf "$committed" -C "$work/committed" 2> /dev/null

# The same set of files, each byte-for-byte equal.
if ! diff <(cd "$work/rebuilt" && find . -type f | LC_ALL=C sort) \
          <(cd "$work/committed" && find . -type f | LC_ALL=C sort) > "$work/files.diff"; then
    echo "check-policy-bundle: the bundles hold different files (< rebuilt, > committed):" >&2
    cat "$work/files.diff" >&2
    echo "check-policy-bundle: $mismatch" >&2
    exit 1
fi
differing=()
while IFS= read -r file; do
    cmp -s "$work/rebuilt/$file" "$work/committed/$file" || differing+=("$file")
done < <(cd "$work/rebuilt" && find . -type f | LC_ALL=C sort)
if (( ${#differing[@]} > 0 )); then
    echo "check-policy-bundle: these files differ: ${differing[*]}" >&2
    echo "check-policy-bundle: $mismatch" >&2
    exit 1
fi
echo "check-policy-bundle: $committed matches policies/" >&2
