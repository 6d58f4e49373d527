"""`python -m bot.cluster` (`make cluster`): start the topology, wait until it answers, keep it up
until Ctrl-C or SIGTERM, then stop every process. Everything it writes goes to CLUSTER_VAR
(default var/cluster/)."""

from __future__ import annotations

import os
import signal
import sys
import time
from pathlib import Path

from bot.cluster.run import REPO, Cluster


def main() -> int:
    cluster = Cluster.create(Path(os.environ.get("CLUSTER_VAR", REPO / "var" / "cluster")))
    top = cluster.topology
    stopping = False

    def stop(signum, frame) -> None:
        nonlocal stopping
        stopping = True

    signal.signal(signal.SIGINT, stop)
    signal.signal(signal.SIGTERM, stop)
    print(f"Scheidingspunt cluster starting (logs in {top.logs}) ...", flush=True)
    try:
        cluster.start()
    except Exception as error:  # noqa: BLE001 - said plainly, then everything is stopped
        print(f"ERROR: the cluster did not start: {error}", file=sys.stderr)
        cluster.stop()
        return 1
    ports = top.ports
    print(f"Ready in {cluster.started_seconds['total']:.0f} s:\n"
          f"  web chat, console  http://127.0.0.1:{ports.public} (haproxy -> {ports.gateway_replicas})\n"
          f"  Rasa               http://127.0.0.1:{ports.rasa} (haproxy -> {ports.rasa_replicas})\n"
          f"  actions            http://127.0.0.1:{ports.actions} (haproxy -> {ports.actions_replicas})\n"
          f"  PostgreSQL :{ports.postgres}, Redis :{ports.redis}\n"
          f"  status: {top.venv}/bin/supervisorctl -s unix://{top.supervisor_socket} status\n"
          "  Ctrl-C stops everything.", flush=True)
    while not stopping and cluster.process is not None and cluster.process.poll() is None:
        time.sleep(0.5)
    print("Stopping the cluster ...", flush=True)
    cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
