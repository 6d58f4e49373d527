#!/usr/bin/env bash
# The cluster (`make cluster`), its tests and the tests of several gateways use Redis (Rasa's lock store,
# the gateways' REDIS_URL); this makes sure Debian's redis-server is installed.
exec "$(dirname "$0")/ensure_debian_package.sh" redis-server "/usr/bin/redis-server" "the cluster (make cluster) and the tests of several gateways"
