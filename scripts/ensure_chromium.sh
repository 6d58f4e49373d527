#!/usr/bin/env bash
# The browser tests drive the web chat widget in a real browser (Playwright with the system
# Chromium); this makes sure Debian's chromium package is installed (it is not on a fresh machine).
exec "$(dirname "$0")/ensure_debian_package.sh" chromium /usr/bin/chromium "the browser tests"
