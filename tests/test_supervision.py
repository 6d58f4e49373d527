"""`make run` under supervisord (scripts/run.sh, ops/supervisord.conf): each of the three processes,
killed with SIGKILL, is started again and answers again while the other two run on; SIGINT to
scripts/run.sh (what Ctrl-C sends) then leaves no process behind.

Slow: it starts Rasa with the trained model three times (a few minutes on 2 cores)."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Callable
from pathlib import Path

import pytest
from cryptography.fernet import Fernet

from bot.launcher import free_port

pytestmark = pytest.mark.slow

REPO = Path(__file__).resolve().parent.parent
RUN = REPO / "scripts" / "run.sh"
START_SECONDS = 300  # the first start: the start-up check, then Rasa loads its model (30-60 s here)
RESTART_SECONDS = 180  # one process killed until it answers again
STOP_SECONDS = 90  # SIGINT until supervisord and every program have ended
PROGRAMS = ("actions", "rasa", "gateway")


def _answers(url: str, body: dict | None = None) -> bool:
    data = None if body is None else json.dumps(body).encode()
    request = urllib.request.Request(url, data=data, headers={"Content-Type": "application/json"})
    try:
        with urllib.request.urlopen(request, timeout=15) as response:
            payload = response.read()
    except (urllib.error.URLError, ConnectionError, OSError):
        return False
    return body is None or isinstance(json.loads(payload), list)


def _alive(pid: int) -> bool:
    """Running (a zombie waiting for its parent counts as gone)."""
    try:
        stat = Path(f"/proc/{pid}/stat").read_text()
    except (FileNotFoundError, ProcessLookupError):
        return False
    return stat.rsplit(")", 1)[1].split()[0] != "Z"


def _descendants(pid: int) -> set[int]:
    found: set[int] = set()
    pending = [pid]
    while pending:
        current = pending.pop()
        for children in Path(f"/proc/{current}/task").glob("*/children"):
            try:
                for child in children.read_text().split():
                    if int(child) not in found:
                        found.add(int(child))
                        pending.append(int(child))
            except (FileNotFoundError, ProcessLookupError):
                continue
    return found


class Service:
    """scripts/run.sh on free loopback ports with everything it writes in `workdir`."""

    def __init__(self, workdir: Path, model: Path) -> None:
        self.workdir = workdir
        self.var = workdir / "var"
        self.ports = {"rasa": free_port(), "actions": free_port(), "gateway": free_port()}
        self.env = {
            **{k: v for k, v in os.environ.items() if k not in ("TELEGRAM_TOKEN", "RASA_URL", "PYTEST_CURRENT_TEST")},
            "RASA_PORT": str(self.ports["rasa"]), "ACTIONS_PORT": str(self.ports["actions"]),
            "GATEWAY_PORT": str(self.ports["gateway"]), "RASA_INTERFACE": "127.0.0.1", "GATEWAY_HOST": "127.0.0.1",
            "MODEL": str(model), "SCHEIDINGSPUNT_VENV": sys.prefix, "SCHEIDINGSPUNT_VAR": str(self.var),
            "TRACKER_DIALECT": "sqlite", "TRACKER_DB": str(workdir / "tracker.db"),
            "DATABASE_URL": f"sqlite:///{workdir / 'store.db'}",
            "SCHEIDINGSPUNT_FERNET_KEY": Fernet.generate_key().decode(), "GATEWAY_SECRET": "supervision-test",
        }
        self.output = workdir / "run.out"
        self.process: subprocess.Popen | None = None
        self.seen: set[int] = set()  # every process of ours seen while running, to check they all end

    def start(self) -> None:
        self.process = subprocess.Popen(["bash", str(RUN)], cwd=REPO, env=self.env, stdout=self.output.open("w"),
                                        stderr=subprocess.STDOUT, start_new_session=True)

    def tail(self) -> str:
        parts = [f"--- run.sh ---\n{self.output.read_text()[-3000:]}"]
        parts += [f"--- {log.name} ---\n{log.read_text()[-2000:]}" for log in sorted((self.var / "log").glob("*.log"))]
        return "\n".join(parts)

    def pid(self, program: str) -> int:
        """The program's pid as supervisord reports it; 0 while it is not running."""
        socket = self.var / "supervisor.sock"
        if not socket.exists():
            return 0
        result = subprocess.run([str(Path(sys.prefix) / "bin" / "supervisorctl"), "-s", f"unix://{socket}",
                                 "pid", program], capture_output=True, text=True, timeout=30)
        text = result.stdout.strip()
        return int(text) if text.isdigit() else 0

    def answers(self, program: str) -> bool:
        port = self.ports[program]
        if program == "rasa":
            return _answers(f"http://127.0.0.1:{port}/webhooks/rest/webhook",
                            {"sender": "supervision-test", "message": "hallo"})
        return _answers(f"http://127.0.0.1:{port}/health")

    def wait_until(self, condition: Callable[[], bool], seconds: float, what: str) -> float:
        started = time.monotonic()
        while not condition():
            if self.process is not None and self.process.poll() is not None:
                pytest.fail(f"scripts/run.sh ended ({self.process.returncode}) while waiting for {what}\n{self.tail()}")
            if time.monotonic() - started > seconds:
                pytest.fail(f"{what}: not within {seconds:.0f} s\n{self.tail()}")
            time.sleep(1)
        return time.monotonic() - started

    def remember(self) -> None:
        if self.process is not None and _alive(self.process.pid):
            self.seen |= {self.process.pid} | _descendants(self.process.pid)

    def left_over(self) -> list[str]:
        """Our processes still running: the ones seen, and any whose command line names our ports."""
        pids = {pid for pid in self.seen if _alive(pid)}
        for port in self.ports.values():
            found = subprocess.run(["pgrep", "-f", "--", f"--port {port}( |$)"], capture_output=True, text=True)
            pids |= {int(pid) for pid in found.stdout.split() if _alive(int(pid))}
        left = []
        for pid in sorted(pids):
            try:
                command = Path(f"/proc/{pid}/cmdline").read_bytes().replace(b"\0", b" ").decode()
                left.append(f"{pid}: {command}")
            except (FileNotFoundError, ProcessLookupError):
                continue
        return left

    def kill_everything(self) -> None:
        """Clean-up after a failure: SIGTERM to run.sh (supervisord), then SIGKILL to whatever of ours is left."""
        if self.process is None:
            return
        self.remember()
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=STOP_SECONDS)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        for line in self.left_over():
            pid = int(line.split(":", 1)[0])
            if str(REPO) in line or "supervision-test" in line or any(str(p) in line for p in self.ports.values()):
                try:
                    os.kill(pid, signal.SIGKILL)
                except ProcessLookupError:
                    pass


def test_each_process_is_started_again_and_ctrl_c_stops_everything(tmp_path: Path, trained_model: Path) -> None:
    service = Service(tmp_path, trained_model)
    timings: dict[str, float] = {}
    try:
        service.start()
        timings["start"] = service.wait_until(
            lambda: (all(service.pid(program) for program in PROGRAMS)
                     and _answers(f"http://127.0.0.1:{service.ports['gateway']}/health")
                     and _answers(f"http://127.0.0.1:{service.ports['rasa']}/")),
            START_SECONDS, "the first start (gateway /health, Rasa /)")
        pids = {program: service.pid(program) for program in PROGRAMS}
        service.remember()

        for program in PROGRAMS:
            old = pids[program]
            os.kill(old, signal.SIGKILL)
            timings[program] = service.wait_until(
                lambda program=program, old=old: service.pid(program) not in (0, old) and service.answers(program),
                RESTART_SECONDS, f"{program} started again after SIGKILL")
            new = {name: service.pid(name) for name in PROGRAMS}
            assert new[program] != old
            assert {name: pid for name, pid in new.items() if name != program} == \
                   {name: pid for name, pid in pids.items() if name != program}, f"killing {program} restarted others"
            assert all(service.answers(name) for name in PROGRAMS)
            pids = new
            service.remember()

        service.process.send_signal(signal.SIGINT)  # what Ctrl-C sends (supervisord took run.sh's place)
        stop_started = time.monotonic()
        try:
            service.process.wait(timeout=STOP_SECONDS)
        except subprocess.TimeoutExpired:
            pytest.fail(f"scripts/run.sh still running {STOP_SECONDS} s after SIGINT\n{service.tail()}")
        # The programs were stopped before supervisord ended; give the kernel a moment to reap them.
        deadline = time.monotonic() + 10
        while service.left_over() and time.monotonic() < deadline:
            time.sleep(0.5)
        timings["stop"] = time.monotonic() - stop_started
        assert service.left_over() == [], "processes left after SIGINT"
        print("supervision timings (s):", {name: round(seconds, 1) for name, seconds in timings.items()})
    finally:
        service.kill_everything()
