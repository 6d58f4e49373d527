#!/usr/bin/env bash
# The browser tests drive the web chat widget in a real browser (Playwright with the system
# Chromium); this makes sure Debian's chromium package is installed (it is not on a fresh machine).
set -euo pipefail
if [ -x /usr/bin/chromium ]; then
  exit 0
fi
if [ "$(id -u)" -ne 0 ]; then
  echo "ERROR: Chromium is needed for the browser tests. Install it: sudo apt-get install chromium" >&2
  exit 1
fi
echo "Installing Chromium (Debian package) for the browser tests ..."
export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends chromium >/dev/null
