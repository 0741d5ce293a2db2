#!/usr/bin/env bash
# Makes sure an nginx binary is available for the end-to-end benchmark (variant C, the loopback proxy hop) and
# prints its absolute path as the last line. Idempotent and fast when nginx is already installed. Installs
# Debian's `nginx` package otherwise. The benchmark runs its own nginx on a free loopback port with a config of
# its own; it never uses or starts the system service (on a host without a policy-rc.d, Debian's package starts
# that service on port 80 when it is installed; stop it with `service nginx stop` if you do not want it).
set -euo pipefail

find_nginx() {
  local candidate
  for candidate in "${MCP_GUARD_NGINX:-}" "$(command -v nginx 2>/dev/null || true)" /usr/sbin/nginx /usr/local/sbin/nginx; do
    if [[ -n "${candidate}" && -x "${candidate}" ]]; then
      echo "${candidate}"
      return 0
    fi
  done
  return 1
}

if path="$(find_nginx)"; then
  echo "${path}"
  exit 0
fi

SUDO=""
if [[ "$(id -u)" -ne 0 ]]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
apt_install() {
  ${SUDO} apt-get -o DPkg::Lock::Timeout=300 install -y --no-install-recommends nginx >&2
}
if ! apt-cache show nginx >/dev/null 2>&1; then
  ${SUDO} apt-get -o DPkg::Lock::Timeout=300 update >&2
fi
if ! apt_install; then
  ${SUDO} apt-get -o DPkg::Lock::Timeout=300 update >&2
  apt_install
fi

if path="$(find_nginx)"; then
  echo "${path}"
  exit 0
fi
echo "nginx could not be installed" >&2
exit 1
