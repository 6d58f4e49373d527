"""Start and stop the Rasa server and the action server as child processes.

Used by the conversation tests and the benchmarks (and later by the gateway's run command), so
that there is one place that knows how the two servers are started and when they are ready.
"""

from __future__ import annotations

import contextlib
import os
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

from bot.store.crypto import ensure_local_key

REPO = Path(__file__).resolve().parent.parent
BIN = Path(sys.executable).parent
MAX_REQUEST_BYTES = 1024 * 1024


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def rss_bytes(pid: int) -> int:
    """Resident memory of a process and all its descendants (Linux /proc)."""
    total = 0
    pending = [pid]
    while pending:
        current = pending.pop()
        try:
            for line in Path(f"/proc/{current}/status").read_text().splitlines():
                if line.startswith("VmRSS:"):
                    total += int(line.split()[1]) * 1024
            children = Path(f"/proc/{current}/task/{current}/children").read_text().split()
            pending.extend(int(child) for child in children)
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


@dataclass
class RasaProcesses:
    model: Path
    workdir: Path
    api_token: str | None = None
    # Extra environment for both processes (e.g. SCHEIDINGSPUNT_MUNICIPALITIES_DIR for a test's own data).
    extra_env: dict[str, str] = field(default_factory=dict)
    # The checkout whose code, endpoints and credentials both processes run (benchmarks.speed starts an
    # older revision's in a worktree); its spaCy pipeline (build/nl_pipeline) must be built there.
    home: Path = REPO
    rasa_port: int = field(default_factory=free_port)
    actions_port: int = field(default_factory=free_port)
    processes: list[subprocess.Popen] = field(default_factory=list)
    _by_name: dict[str, subprocess.Popen] = field(default_factory=dict, repr=False)
    _commands: dict[str, tuple[list[str], dict[str, str]]] = field(default_factory=dict, repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.rasa_port}"

    @property
    def database_url(self) -> str:
        """The project's own store (callbacks, hand-overs, figures) for this run."""
        return f"sqlite:///{self.workdir / 'store.db'}"

    @property
    def tracker_db(self) -> Path:
        return self.workdir / "tracker.db"

    def log(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def start(self) -> None:
        self.workdir.mkdir(parents=True, exist_ok=True)
        env = {
            **os.environ,
            "RASA_TELEMETRY_ENABLED": "false",
            "ACTION_ENDPOINT_URL": f"http://127.0.0.1:{self.actions_port}/webhook",
            "TRACKER_DIALECT": "sqlite", "TRACKER_HOST": "", "TRACKER_DB": str(self.tracker_db),
            "TRACKER_USER": "", "TRACKER_PASSWORD": "",
            "DATABASE_URL": self.database_url,
            # This checkout's packages only: an inherited PYTHONPATH may name another one.
            "PYTHONPATH": str(self.home),
            **self.extra_env,
        }
        env.setdefault("SCHEIDINGSPUNT_FERNET_KEY", ensure_local_key(self.workdir / "fernet.key"))
        with self.log("startup").open("w") as log:
            subprocess.run([sys.executable, "-m", "bot.startup"], cwd=self.home, env=env, check=True,
                           stdout=log, stderr=subprocess.STDOUT)
        rasa_args = [
            str(BIN / "rasa"), "run", "--model", str(self.model), "--interface", "127.0.0.1",
            "--port", str(self.rasa_port),
            "--endpoints", "endpoints.yml", "--credentials", "credentials.yml",
        ]
        if self.api_token:
            rasa_args += ["--enable-api", "--auth-token", self.api_token]
        # Sanic's default body limit is 100 MB; Rasa's callers send a few kB (scripts/run.sh too). Not for
        # the action server: Rasa posts it the whole tracker, which a long conversation takes past 1 MiB.
        rasa_env = {**env, "SANIC_REQUEST_MAX_SIZE": str(MAX_REQUEST_BYTES)}
        self._commands = {
            # rasa-sdk's own entry point: `rasa run actions` imports all of Rasa first (60 MB more).
            "actions": ([sys.executable, "-m", "rasa_sdk", "--actions", "actions",
                         "--port", str(self.actions_port)], env),
            "rasa": (rasa_args, rasa_env),
        }
        for name in self._commands:
            self._launch(name)

    def _launch(self, name: str, log_mode: str = "w") -> None:
        args, env = self._commands[name]
        with self.log(name).open(log_mode) as log:  # the child keeps its own copy of the descriptor
            process = subprocess.Popen(args, cwd=self.home, env=env, stdout=log, stderr=subprocess.STDOUT)
        self.processes.append(process)
        self._by_name[name] = process

    @contextlib.contextmanager
    def stopped(self, name: str) -> Iterator[None]:
        """Stop one of the two ("actions" or "rasa") for the block, then start it again and wait until
        it answers: a process that went away, as the tests need it."""
        process = self._by_name[name]
        process.terminate()
        process.wait(timeout=30)
        self.processes.remove(process)
        try:
            yield
        finally:
            self._launch(name, log_mode="a")
            self.wait_ready()

    def wait_ready(self, seconds: float = 300) -> None:
        checks = ((f"http://127.0.0.1:{self.actions_port}/health", "actions"), (self.url + "/", "rasa"))
        for url, name in checks:
            deadline = time.time() + seconds
            while True:
                if any(p.poll() is not None for p in self.processes):
                    raise RuntimeError(f"{name} stopped:\n{self.log(name).read_text()[-3000:]}")
                try:
                    urllib.request.urlopen(url, timeout=5).read()
                    break
                except (urllib.error.URLError, ConnectionError, OSError) as error:
                    if time.time() > deadline:
                        log = self.log(name).read_text()[-3000:]
                        raise RuntimeError(f"{name} not ready:\n{log}") from error
                    time.sleep(0.5)

    def rss(self) -> int:
        return sum(rss_bytes(p.pid) for p in self.processes)

    def stop(self) -> None:
        for process in self.processes:
            process.terminate()
        for process in self.processes:
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                process.kill()
        self.processes.clear()
        self._by_name.clear()

    def __enter__(self) -> RasaProcesses:
        self.start()
        try:
            self.wait_ready()
        except Exception:
            self.stop()
            raise
        return self

    def __exit__(self, *exc: object) -> None:
        self.stop()
