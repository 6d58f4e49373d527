"""Runtime figures of two versions side by side, in one run: a git revision from before a change ("before":
its own code, config.yml, domain and data, checked out in a temporary worktree) and this working tree
("after"), on the same machine at the same time.

- training (--train): a full forced training in each checkout, one after the other: wall time, peak RSS.
- start-up until the first answer, one side after the other (the second while the first idles).
- memory (RSS) of Rasa + action server after a warm-up and after the load.
- latency and throughput over the REST channel at 1 and 8 concurrent conversations: both sides' servers
  run at once; in rounds that alternate which side goes first, one side is under load at a time. Each
  figure is the median of the rounds.
- answers: the same conversation to both sides; how many answers differ in text, and empty answers.

Both sides run in this venv and are started by this checkout's bot/launcher.py: a change to how the
servers are started counts for both. Goals (issue 15 part 4): at 8 concurrent >= 1.5x before and
>= 50 msg/s, training <= 3 min, RSS <= 1.5 GB. Results go to benchmarks/results/speed.json.

Usage: python -m benchmarks.speed [--before a43601d] (--train | --before-model PATH [--after-model PATH])
       [--rounds 3] [--messages 200]
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import NamedTuple

from benchmarks.runtime import MESSAGES, latencies, percentile
from benchmarks.turn_cost import texts
from bot.launcher import RasaProcesses
from bot.rasa_client import RasaClient
from language.concurrent_training import train_command

REPO = Path(__file__).resolve().parent.parent
MODEL = REPO / "models" / "scheidingspunt.tar.gz"
RESULTS = REPO / "benchmarks" / "results"
PIPELINE = Path("build") / "nl_pipeline"  # config.yml names it relative to the checkout
BEFORE = "a43601d"  # the last commit before issue 15 part 4
SIDES = ("before", "after")
CONCURRENCY = (1, 8)
# As the Makefile exports them: no telemetry, reproducible training.
TRAIN_ENV = {"RASA_TELEMETRY_ENABLED": "false", "PYTHONHASHSEED": "0", "TF_DETERMINISTIC_OPS": "1",
             "TF_CPP_MIN_LOG_LEVEL": "2"}
RSS_GOAL_MB = 1500


class Row(NamedTuple):
    key: str
    label: str
    digits: int
    goal: str = ""
    met: Callable[[float, float], bool] | None = None  # (before, after) -> goal met


ROWS = (
    Row("training_s", "training time s", 0, "<= 180", lambda b, a: a <= 180),
    Row("training_peak_rss_mb", "training peak RSS MB", 0, f"<= {RSS_GOAL_MB}",
        lambda b, a: a <= RSS_GOAL_MB),
    Row("startup_s", "start-up s (first answer)", 1),
    Row("rss_mb", "RSS Rasa+actions MB, warm", 0, f"<= {RSS_GOAL_MB}", lambda b, a: a <= RSS_GOAL_MB),
    Row("rss_after_load_mb", "RSS Rasa+actions MB, after load", 0, f"<= {RSS_GOAL_MB}",
        lambda b, a: a <= RSS_GOAL_MB),
    Row("p50_ms_1", "p50 ms at 1", 0),
    Row("p50_ms_8", "p50 ms at 8", 0),
    Row("p95_ms_8", "p95 ms at 8", 0),
    Row("msg_s_1", "msg/s at 1", 1),
    Row("msg_s_8", "msg/s at 8", 1, ">= 1.5x before and >= 50", lambda b, a: a >= 1.5 * b and a >= 50),
)


# --- checkouts and models --------------------------------------------------------------------------

def git(*args: str) -> str:
    return subprocess.run(["git", *args], cwd=REPO, check=True, capture_output=True, text=True).stdout.strip()


@contextlib.contextmanager
def worktree(revision: str, parent: Path) -> Iterator[Path]:
    path = parent / "before"
    git("worktree", "add", "--detach", str(path), revision)
    try:
        yield path
    finally:
        git("worktree", "remove", "--force", str(path))


def checked(process: subprocess.Popen | subprocess.CompletedProcess, log: Path) -> None:
    if process.returncode:
        raise RuntimeError(f"{' '.join(map(str, process.args))} failed:\n{log.read_text()[-3000:]}")


def home_env(home: Path) -> dict[str, str]:
    return {**os.environ, **TRAIN_ENV, "PYTHONPATH": str(home)}


def ensure_pipeline(home: Path, logs: Path) -> None:
    """The spaCy pipeline is not in git: build it from the checkout's own inputs when it is missing."""
    if (home / PIPELINE / "meta.json").exists():
        return
    log = logs / f"pipeline-{home.name}.log"
    with log.open("w") as out:
        checked(subprocess.run([sys.executable, "-m", "language.build_pipeline", str(PIPELINE)], cwd=home,
                               env=home_env(home), stdout=out, stderr=subprocess.STDOUT), log)


def train(home: Path, out: Path) -> tuple[Path, dict[str, float]]:
    """A full forced training in `home`; its wall time and peak RSS (the kernel's high-water mark of the
    process and what it waited for, from wait4: RUSAGE_CHILDREN would mix both trainings)."""
    out.mkdir(parents=True)
    log = out / "train.log"
    # A fresh training cache per side, outside the checkout.
    env = {**home_env(home), "RASA_CACHE_DIRECTORY": str(out / "cache")}
    args = [*train_command(home), "--force", "--fixed-model-name", "m", "--out", str(out)]
    started = time.perf_counter()
    with log.open("w") as output:
        process = subprocess.Popen(args, cwd=home, env=env, stdout=output, stderr=subprocess.STDOUT)
        _, status, usage = os.wait4(process.pid, 0)
    seconds = time.perf_counter() - started
    process.returncode = os.waitstatus_to_exitcode(status)
    checked(process, log)
    return out / "m.tar.gz", {"training_s": seconds, "training_peak_rss_mb": usage.ru_maxrss / 1024}


# --- runtime ---------------------------------------------------------------------------------------

def started_up(processes: RasaProcesses, stack: contextlib.ExitStack) -> float:
    """Seconds from starting Rasa and the action server to the first answer; both stay up until the
    stack closes."""
    started = time.perf_counter()
    stack.enter_context(processes)
    RasaClient(processes.url).send("warm-up", "hoi")
    return time.perf_counter() - started


def answers(client: RasaClient, messages: list[str]) -> list[list[str]]:
    sender = f"same-{uuid.uuid4().hex[:8]}"
    return [texts(client.send(sender, text)) for text in messages]


def compare_answers(clients: dict[str, RasaClient], count: int) -> dict:
    """The 1-concurrent conversation of the timing, replayed on both sides: a faster side that answers
    differently must show."""
    messages = [MESSAGES[n % len(MESSAGES)] for n in range(count)]
    said = {side: answers(client, messages) for side, client in clients.items()}
    return {"turns": count,
            "differing": sum(a != b for a, b in zip(*said.values(), strict=True)),
            "empty": {side: sum(not any(reply) for reply in replies) for side, replies in said.items()}}


def timed_rounds(clients: dict[str, RasaClient], rounds: int, messages: int) -> dict:
    """Per side and concurrency, one (p50, p95, msg/s) per round; the sides take turns, the first of a
    round alternating, so a drift in the machine's load hits both."""
    runs = {side: {c: [] for c in CONCURRENCY} for side in clients}
    for number in range(rounds):
        order = list(clients) if number % 2 == 0 else list(reversed(clients))
        for concurrency in CONCURRENCY:
            for side in order:
                times, rate = latencies(clients[side], concurrency, messages)
                runs[side][concurrency].append(
                    {"p50_ms": percentile(times, 50), "p95_ms": percentile(times, 95), "msg_s": rate})
    return runs


def medians(runs: dict[int, list[dict]]) -> dict[str, float]:
    return {f"{name}_{concurrency}": statistics.median(run[name] for run in rounds)
            for concurrency, rounds in runs.items() for name in ("p50_ms", "p95_ms", "msg_s")}


def measure_runtime(homes: dict[str, Path], models: dict[str, Path], work: Path, args: argparse.Namespace,
                    figures: dict[str, dict]) -> dict:
    with contextlib.ExitStack() as stack:
        servers = {side: RasaProcesses(models[side], work / side, home=homes[side]) for side in SIDES}
        clients = {side: RasaClient(p.url) for side, p in servers.items()}
        for side, processes in servers.items():
            figures[side]["startup_s"] = started_up(processes, stack)
        for side, processes in servers.items():
            latencies(clients[side], 1, 16)  # every code path once
            figures[side]["rss_mb"] = processes.rss() / 2**20
        compared = compare_answers(clients, args.messages)
        runs = timed_rounds(clients, args.rounds, args.messages)
        for side, processes in servers.items():
            figures[side]["rss_after_load_mb"] = processes.rss() / 2**20
            figures[side].update(medians(runs[side]))
    return {"answers": compared, "rounds": runs}


# --- report ----------------------------------------------------------------------------------------

def goals(before: dict[str, float], after: dict[str, float]) -> dict[str, bool]:
    return {row.key: row.met(before[row.key], after[row.key])
            for row in ROWS if row.met and row.key in before and row.key in after}


def table(before: dict[str, float], after: dict[str, float]) -> list[str]:
    met = goals(before, after)
    lines = [f"{'figure':<33}{'before':>9}{'after':>9}{'after/before':>14}  goal"]
    for row in ROWS:
        if row.key not in before or row.key not in after:
            continue
        old, new = before[row.key], after[row.key]
        ratio = f"{new / old:.2f}x" if old else "-"
        goal = f"{row.goal}: {'met' if met[row.key] else 'NOT met'}" if row.key in met else ""
        figures = f"{old:>9.{row.digits}f}{new:>9.{row.digits}f}"
        lines.append(f"{row.label:<33}{figures}{ratio:>14}  {goal}".rstrip())
    return lines


def report(results: dict) -> list[str]:
    settings, compared = results["settings"], results["answers"]
    empty = ", ".join(f"{side} {n}" for side, n in compared["empty"].items())
    return [
        f"before: {settings['before']} (worktree), after: {settings['after']} (this working tree); "
        f"models {'trained here' if settings['trained'] else 'given'}",
        "",
        *table(results["before"], results["after"]),
        "",
        f"latency and throughput: median of {settings['rounds']} rounds of {settings['messages']} messages "
        f"per side and concurrency, alternating which side goes first",
        f"answers: {compared['differing']} of {compared['turns']} turns differ in text between the sides; "
        f"turns without an answer: {empty}",
        "RSS is Rasa + action server; the gateway's memory is measured by benchmarks/gateway.py.",
    ]


# --- main ------------------------------------------------------------------------------------------

def absolute(value: str) -> Path:
    # Each side's servers run in their own checkout, so a relative path would change its meaning.
    return Path(value).resolve()


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--before", default=BEFORE, help="git revision of the 'before' side")
    parser.add_argument("--train", action="store_true", help="train both sides here, one after the other")
    parser.add_argument("--before-model", type=absolute, help="the before side's model (unless --train)")
    parser.add_argument("--after-model", type=absolute, default=MODEL,
                        help="the after side's model (unless --train)")
    parser.add_argument("--rounds", type=int, default=3, help="timed rounds per side")
    parser.add_argument("--messages", type=int, default=200, help="messages per round and concurrency")
    args = parser.parse_args()
    if not args.train:
        if args.before_model is None:
            parser.error("give --train or --before-model")
        for model in (args.before_model, args.after_model):
            if not model.is_file():
                parser.error(f"no model at {model}")
    return args


def run(args: argparse.Namespace, work: Path) -> dict:
    figures = {side: {} for side in SIDES}
    with worktree(args.before, work) as before:
        homes = {"before": before, "after": REPO}
        for home in homes.values():
            ensure_pipeline(home, work)
        models = {"before": args.before_model, "after": args.after_model}
        if args.train:
            for side, home in homes.items():
                models[side], figures[side] = train(home, work / "models" / side)
        measured = measure_runtime(homes, models, work / "run", args, figures)
    settings = {"before": git("rev-parse", "--short", args.before),
                "after": git("describe", "--always", "--dirty"), "trained": args.train,
                "rounds": args.rounds, "messages": args.messages, "cpus": os.cpu_count()}
    return {"settings": settings, **figures, **measured, "goals": goals(figures["before"], figures["after"])}


def main() -> int:
    args = parse_args()
    with tempfile.TemporaryDirectory() as work:
        results = run(args, Path(work))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "speed.json").write_text(json.dumps(results, indent=2))
    print("\n".join(report(results)))
    return 1 if any(results["answers"]["empty"].values()) else 0


if __name__ == "__main__":
    raise SystemExit(main())
