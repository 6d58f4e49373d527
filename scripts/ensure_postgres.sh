#!/usr/bin/env bash
# The storage tests run against a real PostgreSQL server that the tests start themselves; this
# makes sure Debian's PostgreSQL server binaries are installed (they are not on a fresh machine).
exec "$(dirname "$0")/ensure_debian_package.sh" postgresql "/usr/lib/postgresql/*/bin/initdb" "the storage tests"
