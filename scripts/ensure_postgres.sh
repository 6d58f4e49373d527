#!/usr/bin/env bash
# The storage tests run against a real PostgreSQL server that the tests start themselves; this
# makes sure Debian's PostgreSQL server binaries are installed (they are not on a fresh machine).
set -euo pipefail
if compgen -G "/usr/lib/postgresql/*/bin/initdb" >/dev/null; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ERROR: PostgreSQL is needed for the tests. Install it: sudo apt-get install postgresql" >&2
  exit 1
fi
echo "Installing PostgreSQL (Debian package) for the storage tests ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends postgresql >/dev/null
