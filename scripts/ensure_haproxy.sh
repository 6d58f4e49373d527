#!/usr/bin/env bash
# The cluster (`make cluster`) and its tests put haproxy in front of the gateways, Rasa and the action
# servers; this makes sure Debian's haproxy is installed.
exec "$(dirname "$0")/ensure_debian_package.sh" haproxy "/usr/sbin/haproxy" "the cluster (make cluster) and its tests"
