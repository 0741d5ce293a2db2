#!/usr/bin/env bash
# Makes sure PostgreSQL server binaries (initdb, pg_ctl, postgres) are installed; prints their directory as the
# LAST line of stdout. Idempotent and fast when already present. Installs Debian's `postgresql` package if not.
set -euo pipefail

find_bindir() {
  local d
  for d in "${MCP_GUARD_PG_BIN:-}" /usr/local/bin /usr/lib/postgresql/*/bin /usr/local/pgsql/bin; do
    if [[ -n "$d" && -x "$d/initdb" && -x "$d/pg_ctl" && -x "$d/postgres" ]]; then
      echo "$d"
      return 0
    fi
  done
  if command -v initdb >/dev/null 2>&1 && command -v pg_ctl >/dev/null 2>&1; then
    dirname "$(command -v initdb)"
    return 0
  fi
  return 1
}

if bindir="$(find_bindir)"; then
  echo "$bindir"
  exit 0
fi

SUDO=""
if [[ "$(id -u)" -ne 0 ]]; then SUDO="sudo"; fi
export DEBIAN_FRONTEND=noninteractive
if ! apt-cache show postgresql >/dev/null 2>&1; then
  $SUDO apt-get update -q >&2
fi
$SUDO apt-get install -y -q postgresql >&2

if bindir="$(find_bindir)"; then
  echo "$bindir"
  exit 0
fi
echo "ensure-postgres: postgresql was installed but initdb/pg_ctl were not found" >&2
exit 1
