"""A throw-away PostgreSQL server for the storage tests (Debian's binaries, loopback only)."""

from __future__ import annotations

import glob
import os
import shutil
import subprocess
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import pytest

from bot.launcher import free_port


@dataclass(frozen=True)
class Postgres:
    host: str
    port: int
    user: str = "postgres"


def _bin_dir() -> Path:
    found = sorted(glob.glob("/usr/lib/postgresql/*/bin"), key=lambda p: int(Path(p).parent.name))
    if not found:
        raise RuntimeError("PostgreSQL is not installed: run scripts/ensure_postgres.sh (make test does)")
    return Path(found[-1])


def _as_postgres_user(args: list[str]) -> list[str]:
    # initdb and the server refuse to run as root.
    if os.geteuid() == 0:
        return ["runuser", "-u", "postgres", "--", *args]
    return args


@contextmanager
def running_postgres() -> Iterator[Postgres]:
    # Not under pytest's tmp_path: its parents are private to root, and the server runs as postgres.
    workdir = Path(tempfile.mkdtemp(prefix="scheidingspunt-pg-"))
    bin_dir, data, sockets = _bin_dir(), workdir / "data", workdir / "sockets"
    sockets.mkdir(parents=True)
    if os.geteuid() == 0:
        shutil.chown(workdir, "postgres")
        shutil.chown(sockets, "postgres")
    port = free_port()
    subprocess.run(
        _as_postgres_user([str(bin_dir / "initdb"), "-D", str(data), "-U", "postgres",
                           "--auth=trust", "--no-sync"]),
        check=True, capture_output=True,
    )
    options = f"-p {port} -k {sockets} -c listen_addresses=127.0.0.1 -c fsync=off"
    subprocess.run(
        _as_postgres_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-o", options,
                           "-l", str(workdir / "server.log"), "-w", "start"]),
        check=True, capture_output=True,
    )
    try:
        yield Postgres(host="127.0.0.1", port=port)
    finally:
        subprocess.run(
            _as_postgres_user([str(bin_dir / "pg_ctl"), "-D", str(data), "-m", "immediate", "stop"]),
            capture_output=True,
        )
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.fixture(scope="session")
def postgres() -> Iterator[Postgres]:
    with running_postgres() as server:
        yield server
