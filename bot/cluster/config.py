"""What the production topology on one machine is made of, and the config files that say so.

`make cluster` (bot/cluster/run.py) runs, all on 127.0.0.1 and under one supervisord:

    haproxy  public port ──► gateway ×2   (sticky cookie for socket.io long-polling; websockets pass)
             rasa port   ──► Rasa ×2      (the gateways' RASA_URL)
             actions port──► actions ×2   (Rasa's ACTION_ENDPOINT_URL)
    PostgreSQL: two databases, Rasa's tracker store and the project's own store
    Redis: Rasa's lock store (db 1) and the gateways' REDIS_URL (db 0)

Ports come from the environment (CLUSTER_*_PORT, CLUSTER_*_PORTS for the replicas) with defaults, or
are all free ports (`Ports.free`, for the tests). This module only writes text; run.py starts things.
"""

from __future__ import annotations

import glob
import os
from dataclasses import dataclass, field
from pathlib import Path

from bot.launcher import free_port

HOST = "127.0.0.1"
TRACKER_DATABASE = "rasa"  # Rasa's tracker store (table `events`)
STORE_DATABASE = "scheidingspunt"  # the project's own store (has an `events` table too)
REDIS_GATEWAY_DB, REDIS_LOCK_DB = 0, 1
# A Rasa killed while it held a conversation's lock leaves its ticket in Redis until the lifetime
# ends; the conversation's next message waits that long. Rasa's default is 60 s; one message takes a
# few seconds here, so 20 s is ample and a replica's crash costs a conversation at most 20 s.
DEFAULT_LOCK_LIFETIME = 20
# haproxy's health checks: every 2 s (every 0.5 s once one failed), out after 3 failures. A check may
# take 10 s: a Rasa server busy with a message answers its check late, which is not dead (with a
# 1 s timeout both Rasa servers were marked down under load). A killed server refuses the connection
# at once, and until it is out, `retry-on conn-failure` sends its requests to the other one.
HEALTH_CHECKS = "inter 2s fastinter 500ms downinter 1s fall 3 rise 2"


def _ports(variable: str, default: str) -> list[int]:
    return [int(p) for p in os.environ.get(variable, default).split(",") if p.strip()]


@dataclass(frozen=True)
class Ports:
    public: int  # haproxy -> gateways: what a municipality's site and Telegram's webhook reach
    rasa: int  # haproxy -> Rasa servers
    actions: int  # haproxy -> action servers
    postgres: int
    redis: int
    rasa_replicas: tuple[int, ...]
    actions_replicas: tuple[int, ...]
    gateway_replicas: tuple[int, ...]

    @classmethod
    def from_env(cls) -> Ports:
        env = os.environ.get
        return cls(
            public=int(env("CLUSTER_PUBLIC_PORT", "8080")), rasa=int(env("CLUSTER_RASA_PORT", "5005")),
            actions=int(env("CLUSTER_ACTIONS_PORT", "5055")),
            postgres=int(env("CLUSTER_POSTGRES_PORT", "5433")),
            redis=int(env("CLUSTER_REDIS_PORT", "6380")),
            rasa_replicas=tuple(_ports("CLUSTER_RASA_PORTS", "5006,5007")),
            actions_replicas=tuple(_ports("CLUSTER_ACTIONS_PORTS", "5056,5057")),
            gateway_replicas=tuple(_ports("CLUSTER_GATEWAY_PORTS", "8081,8082")),
        )

    @classmethod
    def free(cls, replicas: int = 2) -> Ports:
        return cls(free_port(), free_port(), free_port(), free_port(), free_port(),
                   tuple(free_port() for _ in range(replicas)), tuple(free_port() for _ in range(replicas)),
                   tuple(free_port() for _ in range(replicas)))


@dataclass(frozen=True)
class Secrets:
    rasa_token: str  # Rasa's HTTP API, the same on every Rasa server
    gateway_secret: str  # sender ids are derived from it: every gateway must have the same one
    fernet_key: str  # callback phone numbers: the gateways and action servers must share it


def postgres_bin() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: run scripts/ensure_postgres.sh")
    return Path(found[-1])


@dataclass
class Topology:
    home: Path  # the repository
    var: Path  # everything the cluster writes: configs, logs, data, the control socket
    venv: Path
    model: Path
    ports: Ports
    secrets: Secrets
    lock_lifetime: int = DEFAULT_LOCK_LIFETIME
    run_as_postgres: bool = field(default_factory=lambda: os.geteuid() == 0)

    @property
    def pgdata(self) -> Path:
        return self.var / "postgres"

    @property
    def pgsockets(self) -> Path:
        return self.var / "pgsockets"

    @property
    def logs(self) -> Path:
        return self.var / "log"

    @property
    def supervisor_socket(self) -> Path:
        return self.var / "supervisor.sock"

    @property
    def haproxy_socket(self) -> Path:
        return self.var / "haproxy.sock"

    def database_url(self, database: str = STORE_DATABASE) -> str:
        return f"postgresql://postgres@{HOST}:{self.ports.postgres}/{database}"

    @property
    def redis_url(self) -> str:
        return f"redis://{HOST}:{self.ports.redis}/{REDIS_GATEWAY_DB}"

    def common_env(self) -> dict[str, str]:
        """What every project process gets: the store, the shared secrets, quiet libraries."""
        return {
            "DATABASE_URL": self.database_url(), "SCHEIDINGSPUNT_FERNET_KEY": self.secrets.fernet_key,
            "RASA_TELEMETRY_ENABLED": "false", "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "TF_CPP_MIN_LOG_LEVEL": "2",
        }

    def rasa_env(self) -> dict[str, str]:
        return {
            **self.common_env(),
            "ACTION_ENDPOINT_URL": f"http://{HOST}:{self.ports.actions}/webhook",
            "TRACKER_HOST": HOST, "TRACKER_PORT": str(self.ports.postgres), "TRACKER_DB": TRACKER_DATABASE,
            "TRACKER_USER": "postgres", "TRACKER_PASSWORD": "",
            "REDIS_HOST": HOST, "REDIS_PORT": str(self.ports.redis), "REDIS_LOCK_DB": str(REDIS_LOCK_DB),
            "TICKET_LOCK_LIFETIME": str(self.lock_lifetime), "SANIC_REQUEST_MAX_SIZE": "1048576",
        }

    def gateway_env(self, port: int) -> dict[str, str]:
        return {
            **self.common_env(),
            "GATEWAY_HOST": HOST, "GATEWAY_PORT": str(port), "RASA_URL": f"http://{HOST}:{self.ports.rasa}",
            "RASA_TOKEN": self.secrets.rasa_token, "GATEWAY_SECRET": self.secrets.gateway_secret,
            "REDIS_URL": self.redis_url,
            # The hourly retention also deletes old conversations from Rasa's tracker store.
            "TRACKER_DIALECT": "postgresql", "TRACKER_HOST": self.database_url(TRACKER_DATABASE),
        }

    # --- supervisord --------------------------------------------------------------------------

    def _program(self, name: str, command: str, env: dict[str, str], *, startsecs: int, extra: str = "",
                 autostart: bool = False) -> str:
        environment = ",".join(f'{key}="{value}"' for key, value in sorted(env.items()))
        return f"""
[program:{name}]
command={command}
directory={self.home}
autostart={str(autostart).lower()}
autorestart=true
startsecs={startsecs}
startretries=5
stopsignal=TERM
stopwaitsecs=20
stopasgroup=true
killasgroup=true
stdout_logfile={self.logs}/{name}.log
stdout_logfile_maxbytes=20MB
stdout_logfile_backups=3
redirect_stderr=true
environment={environment}
{extra}"""

    def supervisord_conf(self) -> str:
        """Only PostgreSQL, Redis and haproxy start on their own: run.py starts the rest once the
        databases are there and migrated (supervisord knows no order between programs)."""
        bin_dir, venv = postgres_bin(), self.venv / "bin"
        postgres_user = "user=postgres\n" if self.run_as_postgres else ""
        parts = [f"""; Generated by bot/cluster (make cluster): written anew at every start.
[supervisord]
nodaemon=true
logfile={self.logs}/supervisord.log
pidfile={self.var}/supervisord.pid
directory={self.home}
childlogdir={self.logs}
umask=077

[unix_http_server]
file={self.supervisor_socket}
chmod=0700

[rpcinterface:supervisor]
supervisor.rpcinterface_factory = supervisor.rpcinterface:make_main_rpcinterface

[supervisorctl]
serverurl=unix://{self.supervisor_socket}
"""]
        # PostgreSQL: SIGINT is its "fast" shutdown (SIGTERM would wait for every pooled client to leave).
        parts.append(self._program(
            "postgres", f"{bin_dir}/postgres -D {self.pgdata} -p {self.ports.postgres} -k {self.pgsockets} "
                        f"-c listen_addresses={HOST} -c max_connections=200", {},
            startsecs=3, autostart=True, extra=postgres_user + "priority=1\n").replace("stopsignal=TERM",
                                                                                      "stopsignal=INT"))
        # Redis holds only locks and live events: nothing to keep on disk.
        parts.append(self._program(
            "redis", f"/usr/bin/redis-server --bind {HOST} --port {self.ports.redis} --save '' "
                     f"--appendonly no --dir {self.var}", {}, startsecs=2, autostart=True,
            extra="priority=2\n"))
        parts.append(self._program(
            "haproxy", f"/usr/sbin/haproxy -db -f {self.var}/haproxy.cfg", {}, startsecs=2, autostart=True,
            extra="priority=3\n"))
        for number, port in enumerate(self.ports.actions_replicas, 1):
            parts.append(self._program(
                f"actions-{number}", f"{venv}/python -m rasa_sdk --actions actions --port {port}",
                self.common_env(), startsecs=10))
        for number, port in enumerate(self.ports.rasa_replicas, 1):
            parts.append(self._program(
                f"rasa-{number}",
                f"{venv}/rasa run --model {self.model} --interface {HOST} --port {port} "
                f"--endpoints ops/cluster/endpoints.yml --credentials credentials.yml --enable-api "
                f"--auth-token {self.secrets.rasa_token}", self.rasa_env(), startsecs=30))
        for number, port in enumerate(self.ports.gateway_replicas, 1):
            parts.append(self._program(
                f"gateway-{number}", f"{venv}/python -m bot.gateway", self.gateway_env(port), startsecs=5))
        return "".join(parts)

    # --- haproxy ------------------------------------------------------------------------------

    @staticmethod
    def _servers(prefix: str, ports: tuple[int, ...], cookie: bool = False) -> str:
        return "".join(f"    server {prefix}-{number} {HOST}:{port} check"
                       + (f" cookie {prefix}-{number}" if cookie else "") + "\n"
                       for number, port in enumerate(ports, 1))

    def haproxy_cfg(self) -> str:
        return f"""# Generated by bot/cluster (make cluster): do not edit, it is written anew at every start.
global
    maxconn 4096
    log stdout format raw local0 notice
    stats socket {self.haproxy_socket} mode 600 level admin

defaults
    mode http
    log global
    option dontlognull
    timeout connect 2s
    timeout client 90s
    timeout server 90s
    timeout http-request 10s
    timeout check 10s
    # socket.io over websocket: an upgraded connection lives as long as the chat is open.
    timeout tunnel 1h
    # Only a connection that never reached a server is tried again, on another server (redispatch):
    # a request that may have reached Rasa or an action server is never sent twice.
    retries 3
    retry-on conn-failure
    option redispatch 1
    default-server {HEALTH_CHECKS}

# The web chat, the widget, the console and Telegram's webhook: the public port.
frontend public
    bind {HOST}:{self.ports.public}
    option forwardfor
    default_backend gateways

# socket.io's long-polling sends each request anew: the cookie keeps a browser on the gateway that
# holds its socket.io session. A websocket is one connection and passes the upgrade unchanged.
backend gateways
    balance roundrobin
    cookie SCHEIDINGSPUNT_GW insert indirect nocache httponly
    option httpchk GET /health
    http-check expect status 200
{self._servers("gateway", self.ports.gateway_replicas, cookie=True)}
# Rasa: the gateways' RASA_URL. Any Rasa server can answer any conversation (tracker in PostgreSQL,
# lock in Redis); the least busy one gets the next message.
frontend rasa
    bind {HOST}:{self.ports.rasa}
    default_backend rasa

backend rasa
    balance leastconn
    option httpchk GET /
    http-check expect status 200
{self._servers("rasa", self.ports.rasa_replicas)}
# The action servers: Rasa's ACTION_ENDPOINT_URL.
frontend actions
    bind {HOST}:{self.ports.actions}
    default_backend actions

backend actions
    balance leastconn
    option httpchk GET /health
    http-check expect status 200
{self._servers("actions", self.ports.actions_replicas)}"""

    def programs(self) -> dict[str, list[str]]:
        """The application programs by kind, in the order run.py starts them."""
        return {
            "actions": [f"actions-{n}" for n in range(1, len(self.ports.actions_replicas) + 1)],
            "rasa": [f"rasa-{n}" for n in range(1, len(self.ports.rasa_replicas) + 1)],
            "gateway": [f"gateway-{n}" for n in range(1, len(self.ports.gateway_replicas) + 1)],
        }
