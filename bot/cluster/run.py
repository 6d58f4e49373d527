"""Start and stop the production topology on this machine (`make cluster`, the cluster tests).

Order: write the configs; initdb once; supervisord with PostgreSQL, Redis and haproxy; create the two
databases; `python -m bot.startup` once (data files checked, the store migrated); then the action
servers, the Rasa servers and the gateways under the same supervisord, which restarts any that stops.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
import xmlrpc.client
from dataclasses import dataclass, field
from pathlib import Path

from bot.cluster.config import HOST, STORE_DATABASE, TRACKER_DATABASE, Ports, Secrets, Topology, postgres_bin

REPO = Path(__file__).resolve().parents[2]
# Rasa loads its model in 30-60 s on 2 cores, both replicas at once a little longer.
READY_SECONDS = 300
INFRASTRUCTURE = ("postgres", "redis", "haproxy")
DEFAULT_MODEL = REPO / "models" / "scheidingspunt.tar.gz"
# What of the caller's environment the programs must not inherit (each gets its own in config.py).
_DROPPED = ("TELEGRAM_", "RASA_URL", "RASA_TOKEN", "GATEWAY_", "DATABASE_URL", "REDIS_URL",
            "PYTEST_CURRENT_TEST", "TRACKER_", "ACTION_ENDPOINT_URL")


def load_secrets(var: Path) -> Secrets:
    """From the environment (production: kept elsewhere), else made once and kept in var/ (mode 0600)."""
    from cryptography.fernet import Fernet

    def kept(name: str, variable: str, make) -> str:
        if os.environ.get(variable):
            return os.environ[variable]
        path = var / "secrets" / name
        if not path.exists():
            path.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
            path.touch(mode=0o600)
            path.write_text(make())
        return path.read_text().strip()

    return Secrets(
        rasa_token=kept("rasa_token", "RASA_TOKEN", lambda: secrets.token_hex(24)),
        gateway_secret=kept("gateway_secret", "GATEWAY_SECRET", lambda: secrets.token_hex(32)),
        fernet_key=kept("fernet_key", "SCHEIDINGSPUNT_FERNET_KEY", lambda: Fernet.generate_key().decode()),
    )


def _answers(url: str, timeout: float = 3) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=timeout) as response:
            return response.status == 200
    except (urllib.error.URLError, ConnectionError, OSError):
        return False


@dataclass
class Cluster:
    topology: Topology
    process: subprocess.Popen | None = None
    started_seconds: dict[str, float] = field(default_factory=dict)

    @classmethod
    def create(cls, var: Path, *, ports: Ports | None = None, model: Path | None = None) -> Cluster:
        var.mkdir(parents=True, exist_ok=True)
        var = var.resolve()
        return cls(Topology(
            home=REPO, var=var, venv=Path(sys.prefix), ports=ports or Ports.from_env(),
            model=(model or Path(os.environ.get("MODEL", DEFAULT_MODEL))).resolve(),
            secrets=load_secrets(var),
        ))

    # --- control ------------------------------------------------------------------------------

    def ctl(self, *args: str, timeout: float = 60) -> str:
        result = subprocess.run([str(self.topology.venv / "bin" / "supervisorctl"), "-s",
                                 f"unix://{self.topology.supervisor_socket}", *args],
                                capture_output=True, text=True, timeout=timeout)
        return result.stdout

    def rpc(self) -> xmlrpc.client.ServerProxy:
        """supervisord's XML-RPC interface, over its unix socket."""
        from supervisor.xmlrpc import SupervisorTransport

        transport = SupervisorTransport(None, None, f"unix://{self.topology.supervisor_socket}")
        return xmlrpc.client.ServerProxy("http://127.0.0.1", transport=transport)

    def pid(self, program: str) -> int:
        text = self.ctl("pid", program).strip()
        return int(text) if text.isdigit() else 0

    def running(self, program: str) -> bool:
        return " RUNNING " in self.ctl("status", program)

    def haproxy_stats(self) -> list[dict[str, str]]:
        """haproxy's `show stat`: one row per frontend, backend and server (pxname, svname, stot, ...)."""
        with socket.socket(socket.AF_UNIX) as sock:
            sock.connect(str(self.topology.haproxy_socket))
            sock.sendall(b"show stat\n")
            data = b""
            while chunk := sock.recv(65536):
                data += chunk
        lines = data.decode().strip().splitlines()
        header = lines[0].lstrip("# ").split(",")
        return [dict(zip(header, line.split(","), strict=False)) for line in lines[1:]]

    def server_status(self, backend: str) -> dict[str, str]:
        return {row["svname"]: row["status"] for row in self.haproxy_stats()
                if row["pxname"] == backend and row["svname"] not in ("FRONTEND", "BACKEND")}

    # --- start --------------------------------------------------------------------------------

    def _environment(self) -> dict[str, str]:
        return {key: value for key, value in os.environ.items() if not key.startswith(_DROPPED)}

    def _initdb(self) -> None:
        top = self.topology
        top.pgsockets.mkdir(exist_ok=True)
        if top.run_as_postgres:
            # The server runs as `postgres`: it must reach its directory (execute only, no listing).
            for path in (top.var, *top.var.parents):
                if path.stat().st_mode & 0o001:
                    continue
                if path != top.var and REPO not in (path, *path.parents):
                    raise RuntimeError(f"PostgreSQL runs as `postgres` and cannot reach {top.var} through "
                                       f"{path}: choose a CLUSTER_VAR it can reach")
                path.chmod(path.stat().st_mode | 0o011)
            shutil.chown(top.pgsockets, "postgres")
        if (top.pgdata / "PG_VERSION").exists():
            return
        top.pgdata.mkdir(mode=0o700, exist_ok=True)
        command = [str(postgres_bin() / "initdb"), "-D", str(top.pgdata), "-U", "postgres", "--auth=trust",
                   "--encoding=UTF8", "--locale=C.UTF-8"]
        if top.run_as_postgres:
            shutil.chown(top.pgdata, "postgres")
            command = ["runuser", "-u", "postgres", "--", *command]
        subprocess.run(command, check=True, capture_output=True)

    def _create_databases(self, seconds: float = 60) -> None:
        import psycopg2

        deadline = time.monotonic() + seconds
        while True:
            try:
                connection = psycopg2.connect(host=HOST, port=self.topology.ports.postgres, user="postgres",
                                              dbname="postgres", connect_timeout=3)
                break
            except psycopg2.OperationalError:
                if time.monotonic() > deadline:
                    raise
                time.sleep(0.3)
        connection.autocommit = True  # CREATE DATABASE runs outside a transaction
        try:
            with connection.cursor() as cursor:
                for name in (TRACKER_DATABASE, STORE_DATABASE):
                    cursor.execute("SELECT 1 FROM pg_database WHERE datname = %s", (name,))
                    if cursor.fetchone() is None:
                        cursor.execute(f'CREATE DATABASE "{name}"')
        finally:
            connection.close()

    def start(self, *, wait: bool = True) -> None:
        top = self.topology
        started = time.monotonic()
        top.logs.mkdir(parents=True, exist_ok=True)
        if not top.model.exists():
            raise RuntimeError(f"no trained model at {top.model}: run `make train` first")
        self._initdb()
        (top.var / "supervisord.conf").write_text(top.supervisord_conf())
        (top.var / "haproxy.cfg").write_text(top.haproxy_cfg())
        env = self._environment()
        self.process = subprocess.Popen(
            [str(top.venv / "bin" / "supervisord"), "--nodaemon", "-c", str(top.var / "supervisord.conf")],
            cwd=REPO, env=env, stdout=(top.logs / "supervisord.out").open("w"), stderr=subprocess.STDOUT,
            start_new_session=True)
        self._create_databases()
        subprocess.run([str(top.venv / "bin" / "python"), "-m", "bot.startup"], cwd=REPO, check=True,
                       env={**env, **top.common_env()}, stdout=(top.logs / "startup.log").open("w"),
                       stderr=subprocess.STDOUT)
        self.started_seconds["infrastructure"] = time.monotonic() - started
        # All at once (supervisorctl would wait for each one's `startsecs` in turn); wait_ready waits.
        for programs in top.programs().values():
            for program in programs:
                self.rpc().supervisor.startProcess(program, False)
        if wait:
            self.wait_ready()
        self.started_seconds["total"] = time.monotonic() - started

    def checks(self) -> dict[str, str]:
        """Every replica's own health URL, and haproxy's public port."""
        ports = self.topology.ports
        urls = {f"actions-{n}": f"http://{HOST}:{p}/health" for n, p in enumerate(ports.actions_replicas, 1)}
        urls |= {f"rasa-{n}": f"http://{HOST}:{p}/" for n, p in enumerate(ports.rasa_replicas, 1)}
        urls |= {f"gateway-{n}": f"http://{HOST}:{p}/health" for n, p in enumerate(ports.gateway_replicas, 1)}
        urls["public"] = f"http://{HOST}:{ports.public}/health"
        return urls

    def wait_ready(self, seconds: float = READY_SECONDS) -> None:
        deadline = time.monotonic() + seconds
        for name, url in self.checks().items():
            while not _answers(url):
                if self.process is not None and self.process.poll() is not None:
                    raise RuntimeError(f"supervisord ended while waiting for {name}:\n{self.tail()}")
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{name} not ready within {seconds:.0f} s:\n{self.tail()}")
                time.sleep(0.5)
        # haproxy sees every server up (its checks run every second), so no request meets a dead one.
        while any(status != "UP" for backend in ("gateways", "rasa", "actions")
                  for status in self.server_status(backend).values()):
            if time.monotonic() > deadline:
                raise RuntimeError(f"haproxy does not see every server up:\n{self.haproxy_stats()}")
            time.sleep(0.5)

    def tail(self, characters: int = 1500) -> str:
        return "\n".join(f"--- {log.name} ---\n{log.read_text(errors='replace')[-characters:]}"
                         for log in sorted(self.topology.logs.glob("*.log")))

    # --- stop ---------------------------------------------------------------------------------

    def stop(self, seconds: float = 90) -> None:
        """SIGTERM to supervisord: it stops every program (SIGKILL after stopwaitsecs), then itself."""
        if self.process is None:
            return
        if self.process.poll() is None:
            # supervisord stops its programs one after the other when it ends; the replicas may stop
            # together (SIGTERM, SIGKILL after stopwaitsecs), and the databases and haproxy after them.
            try:
                rpc = self.rpc()
                for programs in self.topology.programs().values():
                    for program in programs:
                        with contextlib.suppress(xmlrpc.client.Fault):
                            rpc.supervisor.stopProcess(program, False)
                deadline = time.monotonic() + seconds / 2
                while time.monotonic() < deadline and any(
                        info["statename"] in ("RUNNING", "STOPPING", "STARTING", "BACKOFF")
                        for info in rpc.supervisor.getAllProcessInfo()
                        if info["group"] not in INFRASTRUCTURE):
                    time.sleep(0.5)
            except (OSError, xmlrpc.client.Error):
                pass  # supervisord is not answering: SIGTERM below, SIGKILL after that
            self.process.send_signal(signal.SIGTERM)
            try:
                self.process.wait(timeout=seconds)
            except subprocess.TimeoutExpired:
                os.killpg(self.process.pid, signal.SIGKILL)
                self.process.wait()
        self.process = None

    def __enter__(self) -> Cluster:
        try:
            self.start()
        except BaseException:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
