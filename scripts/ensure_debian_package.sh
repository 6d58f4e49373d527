#!/usr/bin/env bash
# Installs a Debian package that the tests need when it is missing (a fresh machine); idempotent.
# Usage: scripts/ensure_debian_package.sh <package> <file glob present once installed> <what it is for>
set -euo pipefail
package=$1 installed=$2 purpose=$3
if compgen -G "$installed" >/dev/null; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ERROR: $package is needed for $purpose. Install it: sudo apt-get install $package" >&2
  exit 1
fi
echo "Installing $package (Debian package) for $purpose ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends "$package" >/dev/null
