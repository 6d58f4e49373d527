#!/usr/bin/env bash
# The tests of several gateways share a real Redis server that the tests start themselves; this makes
# sure Debian's redis-server is installed (it is not on a fresh machine).
exec "$(dirname "$0")/ensure_debian_package.sh" redis-server /usr/bin/redis-server "the tests of several gateways"
