"""Form completion over REST: turns and time per completed callback booking (and per screening).

Starts the trained assistant on free loopback ports with a throw-away store, then runs scripted
conversations the way a parent types them and prints turns and wall time per completed form.

Usage: python -m benchmarks.forms [--runs 10]
"""

from __future__ import annotations

import argparse
import re
import statistics
import tempfile
import time
import uuid
from pathlib import Path

from bot.launcher import RasaProcesses
from bot.rasa_client import RasaClient

REPO = Path(__file__).resolve().parent.parent
MODEL = REPO / "models" / "scheidingspunt.tar.gz"
# A booking with one typo in the phone number, as people make them.
CALLBACK = ["kunnen jullie me terugbellen?", "06-1234567", "06-12345678", "Twenterand", "zo snel mogelijk"]
SCREENING_ANSWERS = ["nee", "ja", "nee hoor", "klopt", "nee", "ja", "nee", "nee", "nee"]
_REFERENCE = re.compile(r"referentie is ([A-Z0-9]{3}-\d{2})")


def run_flow(client: RasaClient, messages: list[str], done: re.Pattern[str]) -> tuple[bool, int, float]:
    sender = f"bench-{uuid.uuid4().hex[:10]}"
    started = time.perf_counter()
    for turn, message in enumerate(messages, start=1):
        replies = client.send(sender, message)
        if done.search(" ".join(m.get("text") or "" for m in replies)):
            return True, turn, time.perf_counter() - started
    return False, len(messages), time.perf_counter() - started


def report(name: str, results: list[tuple[bool, int, float]]) -> None:
    completed = [r for r in results if r[0]]
    if not completed:
        print(f"{name}: 0/{len(results)} completed")
        return
    turns = statistics.mean(r[1] for r in completed)
    seconds = [r[2] for r in completed]
    print(f"{name}: {len(completed)}/{len(results)} completed, {turns:.1f} turns, "
          f"{statistics.median(seconds):.2f} s median, {max(seconds):.2f} s max per completed form")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=10)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as workdir, RasaProcesses(MODEL, Path(workdir)) as processes:
        client = RasaClient(processes.url)
        report("callback booking", [run_flow(client, CALLBACK, _REFERENCE) for _ in range(args.runs)])
        screening = ["doe de scan maar", *SCREENING_ANSWERS]
        report("risk screening", [run_flow(client, screening, re.compile("Op basis van je antwoorden"))
                                  for _ in range(args.runs)])


if __name__ == "__main__":
    main()
