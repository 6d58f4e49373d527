"""Does a message cost more late in a conversation? A first message against one at turn ~100, side by
side: Rasa loading the whole session (TRACKER_WINDOW_TURNS=0, as before issue 15) and loading only the
last turns (privacy/tracker_window.py, the default), both servers running in this one run.

Per server, a few long conversations are first brought to `--turns` turns; then, in interleaved rounds
(order shuffled with a fixed seed), each server gets a first message of a new conversation and the next
message of a long one. Latency is the REST round trip, one request at a time. The long conversations of
both servers get the same messages, so their answers must be the same: the windowed loading may not
change what the assistant says. Goal (issue 15): turn ~100 costs at most 1.2x a first message (p50).

All traffic goes to 127.0.0.1. Usage: python -m benchmarks.turn_cost [--turns 100] [--rounds 60]
"""

from __future__ import annotations

import argparse
import random
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from bot.launcher import RasaProcesses
from bot.rasa_client import RasaClient

REPO = Path(__file__).resolve().parent.parent
MODEL = REPO / "models" / "scheidingspunt.tar.gz"
# Questions and small talk that start no form, so a conversation can go on for a hundred turns.
MESSAGES = [
    "hoe wordt kinderalimentatie berekend",
    "moet ik een advocaat nemen om te scheiden",
    "wie blijft er in het huurhuis",
    "krijg ik huurtoeslag",
    "hoe vertel ik het de kinderen",
    "is dit anoniem",
    "wat is een ouderschapsplan",
    "wat kost een mediator",
    "hoi",
    "dank je",
]
SETUPS = {"whole session (before)": "0", "last turns only (now)": ""}


def texts(reply: list[dict]) -> list[str]:
    return [m.get("text") or str(m.get("custom") or m.get("buttons") or "") for m in reply]


def timed(client: RasaClient, sender: str, text: str) -> tuple[float, list[str]]:
    started = time.perf_counter()
    reply = client.send(sender, text)
    return time.perf_counter() - started, texts(reply)


def p50(values: list[float]) -> float:
    return statistics.median(values) * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--turns", type=int, default=100, help="turns before the measured late messages")
    parser.add_argument("--rounds", type=int, default=60)
    parser.add_argument("--long", type=int, default=3, help="long conversations per server")
    args = parser.parse_args()
    rng = random.Random(15)
    with tempfile.TemporaryDirectory() as work:
        servers = {
            name: RasaProcesses(MODEL, Path(work) / f"s{i}", extra_env={"TRACKER_WINDOW_TURNS": value})
            for i, (name, value) in enumerate(SETUPS.items())
        }
        for processes in servers.values():
            processes.start()
        try:
            for processes in servers.values():
                processes.wait_ready()
            clients = {name: RasaClient(p.url) for name, p in servers.items()}
            long_ids = [f"long-{n}" for n in range(args.long)]
            started = time.time()
            for turn in range(args.turns):
                for client in clients.values():
                    for sender in long_ids:
                        client.send(sender, MESSAGES[turn % len(MESSAGES)])
            print(f"{len(long_ids)} conversations per server brought to {args.turns} turns "
                  f"in {time.time() - started:.0f} s")

            first = {name: [] for name in clients}
            late = {name: [] for name in clients}
            answers = {name: [] for name in clients}
            for round_number in range(args.rounds):
                text = MESSAGES[round_number % len(MESSAGES)]
                sender = long_ids[round_number % len(long_ids)]
                jobs = [(name, kind) for name in clients for kind in ("first", "late")]
                rng.shuffle(jobs)
                for name, kind in jobs:
                    if kind == "first":
                        seconds, _ = timed(clients[name], f"new-{uuid.uuid4().hex[:12]}", text)
                        first[name].append(seconds)
                    else:
                        seconds, said = timed(clients[name], sender, text)
                        late[name].append(seconds)
                        answers[name].append(said)

            print(f"\n{'':<26}{'first msg p50':>15}{'turn ~' + str(args.turns) + ' p50':>16}{'ratio':>8}")
            for name in clients:
                ratio = p50(late[name]) / p50(first[name])
                print(f"{name:<26}{p50(first[name]):>12.1f} ms{p50(late[name]):>13.1f} ms{ratio:>7.2f}x")
            names = list(clients)
            same = sum(a == b for a, b in zip(answers[names[0]], answers[names[1]], strict=True))
            print(f"\nsame answers in the long conversations: {same}/{len(answers[names[0]])} "
                  f"(goal: all; turn ~{args.turns} at most 1.2x a first message)")
        finally:
            for processes in servers.values():
                processes.stop()


if __name__ == "__main__":
    main()
