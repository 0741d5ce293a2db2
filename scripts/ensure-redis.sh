#!/usr/bin/env bash
# Makes sure a redis-server binary is available for the tests and prints its absolute path as the last line.
# Idempotent and fast when redis-server is already installed. Installs Debian's package otherwise.
set -euo pipefail

find_redis() {
  local candidate
  for candidate in "$(command -v redis-server 2>/dev/null || true)" /usr/bin/redis-server /usr/local/bin/redis-server; do
    if [[ -n "${candidate}" && -x "${candidate}" ]]; then
      # Not readlink -f: redis-server is a symlink to redis-check-rdb and picks its role from argv[0].
      echo "${candidate}"
      return 0
    fi
  done
  return 1
}

if path="$(find_redis)"; then
  echo "${path}"
  exit 0
fi

SUDO=""
if [[ "$(id -u)" -ne 0 ]]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
apt_install() {
  ${SUDO} apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends redis-server >&2
}
if ! apt-cache show redis-server >/dev/null 2>&1; then
  ${SUDO} apt-get -o DPkg::Lock::Timeout=300 update >&2
fi
if ! apt_install; then
  ${SUDO} apt-get -o DPkg::Lock::Timeout=300 update >&2
  apt_install
fi

if path="$(find_redis)"; then
  echo "${path}"
  exit 0
fi
echo "redis-server could not be installed" >&2
exit 1
