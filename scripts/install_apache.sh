#!/usr/bin/env bash
# Debian's apache2 for tests/delivery (the vhosts are loaded by the real server there).
# Idempotent: a machine that already has it pays nothing.
set -euo pipefail

if [[ -x /usr/sbin/apache2 ]]; then
  exit 0
fi

SUDO=""
if [[ $(id -u) -ne 0 ]]; then
  SUDO="sudo"
fi
export DEBIAN_FRONTEND=noninteractive
$SUDO apt-get update -q
$SUDO apt-get install -y -q --no-install-recommends apache2
# The package starts a system-wide apache on :80; the tests run their own on loopback high ports.
if command -v systemctl >/dev/null && systemctl is-active --quiet apache2 2>/dev/null; then
  $SUDO systemctl stop apache2 || true
fi
