"""A throw-away Redis server for the tests of several gateways (Debian's redis-server, loopback only).

Nothing is written to disk (`--save ''`, `--appendonly no`); its working directory is a temporary one,
removed afterwards. `restart()` stops it the hard way (SIGKILL, as a crash) and starts it again on the
same port, for the tests that check the gateways get over a Redis restart.
"""

from __future__ import annotations

import shutil
import socket
import subprocess
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest

from bot.launcher import free_port

SERVER = "/usr/bin/redis-server"
START_SECONDS = 10.0


class RedisServer:
    """One redis-server process on 127.0.0.1:`port`, in `workdir`."""

    def __init__(self, workdir: Path, port: int | None = None) -> None:
        self.workdir = workdir
        self.port = port or free_port()
        self.process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        if not Path(SERVER).exists():
            raise RuntimeError("Redis is not installed: run scripts/ensure_redis.sh (make test does)")
        self.process = subprocess.Popen(
            [SERVER, "--port", str(self.port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.workdir), "--daemonize", "no", "--loglevel", "warning"],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        deadline = time.monotonic() + START_SECONDS
        while not self.answers():
            if self.process.poll() is not None or time.monotonic() > deadline:
                self.stop()
                raise RuntimeError(f"redis-server did not start on port {self.port}")
            time.sleep(0.02)

    def answers(self) -> bool:
        """Whether the server answers PING."""
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as connection:
                connection.sendall(b"PING\r\n")
                return connection.recv(16).startswith(b"+PONG")
        except OSError:
            return False

    def stop(self) -> None:
        """Kill it (SIGKILL: no goodbye to the clients, as when it crashes) and wait until it is gone."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def restart(self, down_seconds: float = 0.0) -> None:
        """Kill it, wait `down_seconds`, start it again on the same port (empty: nothing was saved)."""
        self.stop()
        time.sleep(down_seconds)
        self.start()


@contextmanager
def running_redis() -> Iterator[RedisServer]:
    workdir = Path(tempfile.mkdtemp(prefix="scheidingspunt-redis-"))
    server = RedisServer(workdir)
    server.start()
    try:
        yield server
    finally:
        server.stop()
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def redis_server() -> Iterator[RedisServer]:
    """A Redis server for the whole session. A test that restarts it leaves it running again."""
    with running_redis() as server:
        yield server


@pytest.fixture
def redis_url(redis_server: RedisServer) -> str:
    """The session's Redis, running (started again if a test left it stopped)."""
    if not redis_server.answers():
        redis_server.start()
    return redis_server.url
