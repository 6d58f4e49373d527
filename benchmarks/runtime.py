"""Runtime figures: training time and memory, start-up time, memory of Rasa + action server,
and latency / throughput over the REST channel at 1 and 8 concurrent conversations.

All traffic goes to 127.0.0.1; request counts are bounded. Goals (issue 4): p50 <= 40 ms and
p95 <= 120 ms at 8 concurrent, >= 50 msg/s, training <= 3 min, RSS <= 1.5 GB, start-up <= 30 s.

Usage: python -m benchmarks.runtime [--train] [--messages 200]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import tempfile
import time
import uuid
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

from bot.launcher import RasaProcesses
from bot.rasa_client import RasaClient
from language.concurrent_training import train_command

REPO = Path(__file__).resolve().parent.parent
MODEL = REPO / "models" / "scheidingspunt.tar.gz"
MESSAGES = [
    "hoe wordt kinderalimentatie berekend",
    "hoi",
    "moet ik een advocaat nemen om te scheiden",
    "wie blijft er in het huurhuis",
    "krijg ik huurtoeslag",
    "dank je wel",
    "hoe vertel ik het de kinderen",
    "is dit anoniem",
]


def measure_training() -> None:
    with tempfile.TemporaryDirectory() as out:
        env = {**os.environ, "RASA_TELEMETRY_ENABLED": "false", "PYTHONHASHSEED": "0"}
        started = time.time()
        subprocess.run(
            [*train_command(), "--force", "--out", out],
            cwd=REPO, env=env, check=True, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
        )
        seconds = time.time() - started
    peak = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss / 1024
    print(f"training (full, forced): {seconds:.0f} s, peak RSS {peak:.0f} MB")


def latencies(client: RasaClient, concurrency: int, total: int) -> tuple[list[float], float]:
    def conversation(index: int) -> list[float]:
        sender = f"bench-{uuid.uuid4().hex[:8]}"
        times = []
        for n in range(total // concurrency):
            started = time.perf_counter()
            client.send(sender, MESSAGES[(index + n) % len(MESSAGES)])
            times.append(time.perf_counter() - started)
        return times

    started = time.perf_counter()
    with ThreadPoolExecutor(concurrency) as pool:
        results = [t for times in pool.map(conversation, range(concurrency)) for t in times]
    return results, len(results) / (time.perf_counter() - started)


def percentile(values: list[float], q: float) -> float:
    return statistics.quantiles(values, n=100)[int(q) - 1] * 1000


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--train", action="store_true", help="also time a full forced training")
    parser.add_argument("--messages", type=int, default=200)
    args = parser.parse_args()
    if args.train:
        measure_training()
    with tempfile.TemporaryDirectory() as work:
        processes = RasaProcesses(MODEL, Path(work))
        started = time.time()
        with processes:
            client = RasaClient(processes.url)
            client.send("warm-up", "hoi")
            print(f"start-up until the first answer: {time.time() - started:.1f} s")
            latencies(client, 1, 16)  # warm every code path once
            print(f"memory (RSS) Rasa + action server: {processes.rss() / 2**20:.0f} MB")
            for concurrency in (1, 8):
                times, rate = latencies(client, concurrency, args.messages)
                print(
                    f"{concurrency} concurrent: p50 {percentile(times, 50):.0f} ms, "
                    f"p95 {percentile(times, 95):.0f} ms, {rate:.1f} msg/s ({len(times)} messages)"
                )
            print(f"memory (RSS) after the load: {processes.rss() / 2**20:.0f} MB")


if __name__ == "__main__":
    main()
