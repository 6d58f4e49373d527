"""Understanding on words it never saw: three configurations side by side on the held-out TEST halves.

  before   the configuration before issue 11 (sparse word and character counts; the guards without
           meaning), kept in benchmarks/config_before_meaning.yml
  ours     config.yml (the sentence encoder next to the sparse features; guards that use meaning)
  default  Rasa's default configuration (benchmarks/default_config.yml)

All three train on the same data (data/, domain.yml) with fixed seeds. Printed per configuration:
training time; NLU FAQ top-1/top-3, out-of-scope recall and in-scope refused, safety recall (alarm)
and false alarms, municipality questions recognised, ms per parse (in process); and with the running
assistant (Rasa + actions over REST, SQLite) in every state (idle, each form slot, the deletion question,
the feedback comment): the share of signals answered with the safety answer, the share that got the
helplines in any answer, false alarms on harmless messages, and municipality questions answered with
that municipality's data.

Usage: python -m benchmarks.heldout [--only ours] [--reuse] [--skip-states]
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from benchmarks import understanding
from bot.launcher import RasaProcesses
from bot.rasa_client import RasaClient
from language.concurrent_training import train_command
from tests import heldout
from tests.conversation.states import STATES, enter, new_sender

REPO = Path(__file__).resolve().parent.parent
OUT = REPO / "build" / "bench-heldout"
CONFIGS = {
    "before": REPO / "benchmarks" / "config_before_meaning.yml",
    "ours": REPO / "config.yml",
    "default": REPO / "benchmarks" / "default_config.yml",
}
SAFETY_ANSWER = {"safety_violence": "Veilig Thuis: 0800-2000", "safety_suicide": "113 Zelfmoordpreventie"}
HELPLINES = {"safety_violence": ("0800-2000", "112"), "safety_suicide": ("113", "112")}
TOKEN = "bench"


def train(name: str, reuse: bool) -> tuple[Path, float | None]:
    model = OUT / name / f"{name}.tar.gz"
    if reuse and model.exists():
        return model, None
    env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONHASHSEED": "0",
           "TF_DETERMINISTIC_OPS": "1"}
    started = time.perf_counter()
    subprocess.run([*train_command(), "--config", str(CONFIGS[name]),
                    "--out", str(model.parent), "--fixed-model-name", name, "--force"],
                   cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    return model, time.perf_counter() - started


def joined(messages: list[dict]) -> str:
    return "\n".join(m.get("text") or "" for m in messages)


def in_every_state(client: RasaClient) -> dict[str, float]:
    signals, calm = heldout.safety("test"), heldout.harmless("test")

    def run(state, items, kind):
        sender = new_sender("bench")
        enter(client.send, state, sender)
        out = []
        for item in items:
            text = joined(client.send(sender, item.text))
            if kind == "signal":
                out.append((SAFETY_ANSWER[item.label] in text,
                            all(n in text for n in HELPLINES[item.label])))
            else:
                out.append((any(a in text for a in SAFETY_ANSWER.values()), False))
        return kind, state.form, out

    jobs = [(s, items[i:i + 20], kind) for s in STATES
            for kind, items in (("signal", signals), ("calm", calm)) for i in range(0, len(items), 20)]
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda job: run(*job), jobs))
    figures: dict[str, float] = {"states": len(STATES)}
    # Idle beside all states: the harmless set alone (the NLU false-alarm figure also counts FAQ questions).
    for where, keep in (("idle", lambda form: not form), ("all states", lambda form: True)):
        sig = [r for kind, form, rows in results if kind == "signal" and keep(form) for r in rows]
        calm_rows = [r for kind, form, rows in results if kind == "calm" and keep(form) for r in rows]
        figures[f"safety answer, {where}"] = sum(a for a, _ in sig) / len(sig)
        figures[f"helplines named, {where}"] = sum(h for _, h in sig) / len(sig)
        figures[f"false alarms (harmless), {where}"] = sum(a for a, _ in calm_rows) / len(calm_rows)
    return figures


def municipality_answers(client: RasaClient) -> float:
    from bot.domain import municipalities

    good = 0
    for item in heldout.municipality("test"):
        text = joined(client.send(new_sender("muni"), item.text))
        ours = municipalities.find(item.label)
        good += (ours.team.name in text) if ours else (f"de gemeente {item.label}" in text)
    return good / len(heldout.municipality("test"))


def rest_latency(client: RasaClient) -> float:
    times = []
    for item in heldout.faq("test")[:100]:
        started = time.perf_counter()
        client.send(new_sender("lat"), item.text)
        times.append(time.perf_counter() - started)
    return 1000 * statistics.median(times)


def measure(name: str, model: Path, skip_states: bool) -> dict[str, float]:
    figures = dict(understanding.evaluate(understanding.load_parser(model), "test").figures)
    with tempfile.TemporaryDirectory() as work, \
            RasaProcesses(model, Path(work), api_token=TOKEN) as processes:
        client = RasaClient(processes.url, token=TOKEN)
        figures["municipality answered locally"] = municipality_answers(client)
        figures["REST ms per message (p50)"] = rest_latency(client)
        if not skip_states:
            figures.update(in_every_state(client))
    return figures


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--only", choices=sorted(CONFIGS), action="append")
    parser.add_argument("--reuse", action="store_true", help="use models trained by an earlier run")
    parser.add_argument("--skip-states", action="store_true", help="NLU and idle figures only")
    args = parser.parse_args()
    table: dict[str, dict[str, float]] = {}
    for name in args.only or list(CONFIGS):
        model, seconds = train(name, args.reuse)
        figures = measure(name, model, args.skip_states)
        if seconds is not None:
            figures["training seconds"] = seconds
        table[name] = figures
        print(f"# {name} done", flush=True)
    names = list(table)
    rows = dict.fromkeys(k for f in table.values() for k in f)
    print(f"\n{'held-out TEST halves':34s}" + "".join(f"{n:>12s}" for n in names))
    for row in rows:
        print(f"{row:34s}" + "".join(f"{table[n].get(row, float('nan')):12.3f}" for n in names))


if __name__ == "__main__":
    main()
