"""Gateway figures: latency added to Rasa, many web-chat sessions at once, the gateway's memory.

Starts the trained assistant (Rasa + action server, throw-away stores) and the gateway as its own
process (`python -m bot.gateway`), all on 127.0.0.1, then measures:
- overhead: the same messages straight to Rasa's REST webhook and through the web chat over a real
  WebSocket, interleaved (alternating which goes first) so load drifts hit both; each pair is a fresh
  conversation on both sides (first message, then a follow-up). A gateway turn runs from emitting
  `user_uttered` to the LAST `bot_uttered` of the turn: the n-th, n being the number of messages the
  REST webhook returns for the same turn (counted beforehand; answers are deterministic), so no quiet
  period is needed.
- load: many sessions at once, each waiting for its answers before the next message. Every turn's
  answers must equal Rasa's for that turn of the script (its answers differ per turn), so a lost,
  duplicated, late or misrouted answer shows up.
- burst: sessions that type the whole script without waiting: answers must come in the order sent.
- memory: the gateway process's RSS idle and during the load (/proc VmRSS, VmHWM); its CPU time.
Goal: the gateway adds <= 5 ms at p50. Results go to benchmarks/results/gateway.json.

Usage: python -m benchmarks.gateway [--sessions 200 --messages 10 --pairs 200 --burst-sessions 20]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.error
import urllib.request
import uuid
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from benchmarks.runtime import MESSAGES as OVERHEAD_MESSAGES
from benchmarks.sio_client import SocketIOClient
from bot.gateway.webchat import to_socketio
from bot.launcher import RasaProcesses, free_port
from bot.store.crypto import ensure_local_key

REPO = Path(__file__).resolve().parent.parent
MODEL = REPO / "models" / "scheidingspunt.tar.gz"
RESULTS = REPO / "benchmarks" / "results"
# One parent's conversation: questions from ten topics, each with its own answer.
SCRIPT = [
    "Is dit gesprek anoniem?",
    "Hoe wordt kinderalimentatie berekend?",
    "Hoe vertel ik mijn kinderen dat we gaan scheiden?",
    "Kan ik bijstand krijgen na de scheiding?",
    "Houden we allebei het gezag na de scheiding?",
    "Is een ouderschapsplan verplicht?",
    "Hoe lang moet ik partneralimentatie betalen?",
    "Heb ik een advocaat nodig om te scheiden?",
    "Wat gebeurt er met onze gezamenlijke schulden na de scheiding?",
    "Wat is het kindgebonden budget en krijg ik het?",
]
TURN_TIMEOUT = 120.0


# --- processes -----------------------------------------------------------------------------------

def proc_status(pid: int) -> dict[str, int]:
    """VmRSS and VmHWM (peak RSS) of one process, in bytes (psutil is not installed)."""
    values = {}
    for line in Path(f"/proc/{pid}/status").read_text().splitlines():
        name, _, rest = line.partition(":")
        if name in ("VmRSS", "VmHWM"):
            values[name] = int(rest.split()[0]) * 1024
    return values


def cpu_seconds(pid: int) -> float:
    # Fields 14 and 15 of /proc/<pid>/stat (after the command name, which may hold spaces).
    fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


def tree_cpu_seconds(pid: int) -> float:
    """CPU time of a process and all its descendants (children of any of its threads)."""
    total, pending = 0.0, [pid]
    while pending:
        current = pending.pop()
        try:
            total += cpu_seconds(current)
            for task in Path(f"/proc/{current}/task").iterdir():
                pending += [int(child) for child in (task / "children").read_text().split()]
        except (FileNotFoundError, ProcessLookupError):
            continue
    return total


def machine_busy_seconds() -> float:
    """CPU time all cores spent not idle, from /proc/stat: shows whether something else ran too."""
    values = [int(v) for v in Path("/proc/stat").read_text().splitlines()[0].split()[1:]]
    return (sum(values[:8]) - values[3] - values[4]) / os.sysconf("SC_CLK_TCK")


@dataclass
class Gateway:
    rasa: RasaProcesses
    token: str
    port: int = field(default_factory=free_port)
    command: list[str] = field(default_factory=lambda: [sys.executable, "-m", "bot.gateway"])
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def __enter__(self) -> Gateway:
        env = {key: value for key, value in os.environ.items() if not key.startswith("TELEGRAM_")}
        env.update({
            "GATEWAY_HOST": "127.0.0.1", "GATEWAY_PORT": str(self.port), "RASA_URL": self.rasa.url,
            "RASA_TOKEN": self.token, "GATEWAY_SECRET": secrets.token_hex(32),
            "DATABASE_URL": self.rasa.database_url, "SQLALCHEMY_SILENCE_UBER_WARNING": "1",
            "SCHEIDINGSPUNT_FERNET_KEY": ensure_local_key(self.rasa.workdir / "fernet.key"),
        })
        log = self.rasa.log("gateway")
        self.process = subprocess.Popen(self.command, cwd=REPO, env=env,
                                        stdout=log.open("w"), stderr=subprocess.STDOUT)
        deadline = time.time() + 60
        while True:
            if self.process.poll() is not None or time.time() > deadline:
                self.__exit__()
                raise RuntimeError(f"gateway did not start:\n{log.read_text()[-3000:]}")
            try:
                urllib.request.urlopen(self.url + "/health", timeout=2).read()
                return self
            except (urllib.error.URLError, OSError):
                time.sleep(0.2)

    def __exit__(self, *exc: object) -> None:
        if self.process is not None:
            self.process.terminate()
            try:
                self.process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self.process.kill()


async def sample_rss(pid: int, peak: list[int], every: float = 0.2) -> None:
    """Keeps the highest RSS seen in peak[0] until cancelled."""
    while True:
        peak[0] = max(peak[0], proc_status(pid)["VmRSS"])
        await asyncio.sleep(every)


# --- talking -------------------------------------------------------------------------------------

def shown(replies: list[dict]) -> list[dict]:
    """Rasa REST replies as the web chat shows them (the router keeps hand-over messages back)."""
    return [to_socketio(r) for r in replies if "handoff" not in (r.get("custom") or {})]


async def direct(http: httpx.AsyncClient, sender: str, text: str) -> tuple[float, list[dict]]:
    started = time.perf_counter()
    response = await http.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
    response.raise_for_status()
    replies = response.json() or []
    return time.perf_counter() - started, shown(replies)


async def open_session(url: str) -> tuple[SocketIOClient, str, float]:
    started = time.perf_counter()
    client = SocketIOClient()
    await client.connect(url)
    await client.emit("session_request", {"session_id": None})
    confirmed = await client.wait_for("session_confirm", 30)
    return client, confirmed.args[0], time.perf_counter() - started


async def replies_of_turn(client: SocketIOClient, count: int, started: float,
                          timeout: float = TURN_TIMEOUT) -> tuple[float, list[dict]]:
    """The next `count` bot_uttered events; seconds from `started` to the last one."""
    answers, last = [], started
    deadline = started + timeout
    while len(answers) < count:
        event = await client.wait_for("bot_uttered", max(0.0, deadline - time.perf_counter()))
        answers.append(event.args[0] if event.args else None)
        last = event.received_at
    return last - started, answers


async def via_gateway(client: SocketIOClient, session_id: str, text: str, count: int) -> tuple[float, list]:
    started = time.perf_counter()
    await client.emit("user_uttered", {"message": text, "session_id": session_id})
    return await replies_of_turn(client, count, started)


def summary(seconds: list[float]) -> dict:
    if not seconds:
        return {"n": 0}
    ms = sorted(s * 1000 for s in seconds)
    cuts = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else [ms[0]] * 99
    return {"n": len(ms), "p50_ms": cuts[49], "p95_ms": cuts[94], "max_ms": ms[-1],
            "mean_ms": statistics.fmean(ms)}


# --- the phases ----------------------------------------------------------------------------------

async def expected_script(http: httpx.AsyncClient, script: list[str]) -> tuple[list[list[dict]], bool]:
    """Each turn's answers in a fresh conversation, twice: are they the same both times?"""
    runs = []
    for _ in range(2):
        sender = f"bench-{uuid.uuid4().hex[:10]}"
        runs.append([(await direct(http, sender, text))[1] for text in script])
    return runs[0], runs[0] == runs[1]


def compared(direct_s: list[float], gateway_s: list[float]) -> dict:
    result = {"direct": summary(direct_s), "gateway": summary(gateway_s)}
    result["added_p50_ms"] = result["gateway"]["p50_ms"] - result["direct"]["p50_ms"]
    result["added_p95_ms"] = result["gateway"]["p95_ms"] - result["direct"]["p95_ms"]
    # Per pair of the same message at nearly the same moment; can be negative.
    result["paired_difference"] = summary([g - d for d, g in zip(direct_s, gateway_s, strict=True)])
    return result


async def measure_overhead(http: httpx.AsyncClient, url: str, pairs: int) -> dict:
    """Per pair: a fresh conversation on each side, two turns (first message, then a follow-up).

    The first message of a conversation also creates its row in the gateway's store; later messages
    only read it, so both are reported.
    """
    conversations = [(text, OVERHEAD_MESSAGES[(i + 1) % len(OVERHEAD_MESSAGES)])
                     for i, text in enumerate(OVERHEAD_MESSAGES)]
    counts = {}
    for conversation in conversations:  # the answers per turn; also warms every code path on both sides
        sender = f"bench-{uuid.uuid4().hex[:10]}"
        counts[conversation] = [len((await direct(http, sender, text))[1]) for text in conversation]
        client, session_id, _ = await open_session(url)
        for text, count in zip(conversation, counts[conversation], strict=True):
            await via_gateway(client, session_id, text, count)
        await client.close()
    times: dict[tuple[str, int], list[float]] = {(side, turn): [] for side in ("direct", "gateway")
                                                 for turn in (0, 1)}
    connects, mismatches = [], 0
    for index in range(pairs):
        conversation = conversations[index % len(conversations)]
        client, session_id, connect = await open_session(url)
        connects.append(connect)
        sender = f"bench-{uuid.uuid4().hex[:10]}"
        for turn, text in enumerate(conversation):
            pair = {}
            for side in (("direct", "gateway") if (index + turn) % 2 == 0 else ("gateway", "direct")):
                if side == "direct":
                    pair[side] = await direct(http, sender, text)
                else:
                    pair[side] = await via_gateway(client, session_id, text, counts[conversation][turn])
                times[side, turn].append(pair[side][0])
            mismatches += pair["direct"][1] != pair["gateway"][1]
        await client.close()
    return {"first_message": compared(times["direct", 0], times["gateway", 0]),
            "follow_up": compared(times["direct", 1], times["gateway", 1]),
            "all": compared([*times["direct", 0], *times["direct", 1]],
                            [*times["gateway", 0], *times["gateway", 1]]),
            "connect": summary(connects), "answer_mismatches": mismatches}


@dataclass
class Turn:
    session: int
    seq: int  # the message's number within its session
    status: str  # ok | wrong (other answers than expected) | lost (not all answers came) | error
    seconds: float | None = None
    got: str = ""  # the start of the first answer, when it was the wrong one


async def run_session(number: int, url: str, script: list[str], expected: list[list[dict]],
                      start: asyncio.Event, clients: list[SocketIOClient]) -> list[Turn]:
    try:
        client, session_id, _ = await open_session(url)
    except (OSError, asyncio.TimeoutError, ConnectionError, ValueError):
        return [Turn(number, seq, "error") for seq in range(len(script))]
    clients.append(client)
    await start.wait()  # every session is connected before the first message goes out
    turns = []
    for seq, text in enumerate(script):
        try:
            seconds, answers = await via_gateway(client, session_id, text, len(expected[seq]))
        except (asyncio.TimeoutError, ConnectionError):
            turns += [Turn(number, s, "lost") for s in range(seq, len(script))]
            break
        if answers == expected[seq]:
            turns.append(Turn(number, seq, "ok", seconds))
        else:
            turns.append(Turn(number, seq, "wrong", seconds, str((answers[0] or {}).get("text"))[:70]))
    return turns


async def measure_load(url: str, pid: int, others: list[int], sessions: int, script: list[str],
                       expected: list[list[dict]]) -> dict:
    """`others`: the Rasa and action server processes, for the CPU accounting."""
    start, clients = asyncio.Event(), []
    cpu_before = cpu_seconds(pid)
    ours = [pid, *others]
    machine_before = machine_busy_seconds()
    ours_before = sum(tree_cpu_seconds(p) for p in ours) + cpu_seconds(os.getpid())
    peak = [0]
    sampler = asyncio.create_task(sample_rss(pid, peak))
    tasks = [asyncio.create_task(run_session(n, url, script, expected, start, clients))
             for n in range(sessions)]
    while len(clients) < sessions and not any(t.done() for t in tasks):
        await asyncio.sleep(0.05)
    connected = len(clients)
    started = time.perf_counter()
    start.set()
    turns = [turn for result in await asyncio.gather(*tasks) for turn in result]
    wall = time.perf_counter() - started
    sampler.cancel()
    machine = machine_busy_seconds() - machine_before
    own = sum(tree_cpu_seconds(p) for p in ours) + cpu_seconds(os.getpid()) - ours_before
    gateway_cpu = cpu_seconds(pid) - cpu_before
    await asyncio.sleep(2)  # anything still arriving now was one answer too many
    extra = sum(1 for c in clients for e in c.pending() if e.name == "bot_uttered")
    await asyncio.gather(*(c.close() for c in clients))
    answered = [t for t in turns if t.status == "ok"]
    statuses = {s: sum(t.status == s for t in turns) for s in ("ok", "wrong", "lost", "error")}
    wrong = Counter(t.got for t in turns if t.status == "wrong").most_common(5)
    return {"sessions": sessions, "connected": connected, "messages": len(turns), **statuses,
            "extra_answers": extra, "wrong_answers": dict(wrong),
            # Time until a turn's answers came, right or wrong (a wrong one is often Rasa timing out).
            "latency": summary([t.seconds for t in turns if t.seconds is not None]),
            "wall_s": wall, "throughput_msg_s": len(answered) / wall,
            "gateway_cpu_s": gateway_cpu,
            "gateway_cpu_ms_per_message": 1000 * gateway_cpu / (len(turns) or 1),
            # Cores busy on average: all of the machine, and what this benchmark's processes used.
            "machine_cores_busy": machine / wall, "benchmark_cores_busy": own / wall,
            "gateway_peak_rss_mb": max(peak[0], proc_status(pid)["VmRSS"]) / 2**20}


async def measure_burst(url: str, sessions: int, script: list[str], expected: list[list[dict]]) -> dict:
    """Sessions that type everything at once: do the answers come back in the order sent?"""
    flat = [answer for turn in expected for answer in turn]
    key = [json.dumps(a, sort_keys=True) for a in flat]
    turn_of = {k: n for n, turn in reversed(list(enumerate(expected))) for k in
               (json.dumps(a, sort_keys=True) for a in turn)}
    example: list[int] = []

    async def one() -> str:
        client, session_id, _ = await open_session(url)
        try:
            started = time.perf_counter()
            for text in script:
                await client.emit("user_uttered", {"message": text, "session_id": session_id})
            try:
                _, answers = await replies_of_turn(client, len(flat), started)
            except (asyncio.TimeoutError, ConnectionError):
                return "lost"
        finally:
            await client.close()
        if answers == flat:
            return "in_order"
        got = [json.dumps(a, sort_keys=True) for a in answers]
        if sorted(got) != sorted(key):
            return "wrong"
        if not example:  # the message numbers in the order their answers came
            example.extend(dict.fromkeys(turn_of[k] for k in got))
        return "out_of_order"

    outcomes = await asyncio.gather(*(one() for _ in range(sessions)))
    return {"sessions": sessions, "messages_each": len(script),
            **{o: outcomes.count(o) for o in ("in_order", "out_of_order", "wrong", "lost")},
            "example_order": example}


# --- report --------------------------------------------------------------------------------------

def print_report(results: dict) -> None:
    over, load, burst, memory = results["overhead"], results["load"], results["burst"], results["memory"]

    def line(label: str, row: dict) -> None:
        print(f"  {label:<47}{row['p50_ms']:>8.1f}{row['p95_ms']:>9.1f}{row['max_ms']:>9.1f}")

    print(f"\noverhead: {over['all']['direct']['n'] // 2} pairs of fresh conversations, 2 turns each, "
          f"one message at a time\n  {'':<47}{'p50 ms':>8}{'p95 ms':>9}{'max ms':>9}")
    for label, key in (("first message", "first_message"), ("follow-up", "follow_up"), ("all turns", "all")):
        part = over[key]
        line(f"{label:<14}Rasa REST direct", part["direct"])
        line(f"{'':<14}through the gateway (WebSocket)", part["gateway"])
        line(f"{'':<14}paired difference", part["paired_difference"])
        verdict = "meets" if part["added_p50_ms"] <= 5 else "misses"
        print(f"  {'':<14}added {part['added_p50_ms']:.1f} ms at p50 ({verdict} the 5 ms goal), "
              f"{part['added_p95_ms']:.1f} ms at p95")
    line("connect + session_request (not in the above)", over["connect"])
    print(f"  answers differing between the two ways: {over['answer_mismatches']}")
    lat = load["latency"]
    print(f"\nload: {load['sessions']} sessions ({load['connected']} connected) x "
          f"{results['settings']['messages']} messages, each sent after the previous answer\n"
          f"  answered {load['ok']}/{load['messages']}, wrong {load['wrong']}, lost {load['lost']}, "
          f"errors {load['error']}, extra answers {load['extra_answers']}")
    for text, count in load["wrong_answers"].items():
        print(f"    {count} x instead: {text}")
    if lat["n"]:
        print(f"  latency p50 {lat['p50_ms']:.0f} ms, p95 {lat['p95_ms']:.0f} ms, "
              f"max {lat['max_ms']:.0f} ms; {load['throughput_msg_s']:.1f} msg/s over {load['wall_s']:.0f} s")
    print(f"  gateway CPU {load['gateway_cpu_s']:.1f} s ({load['gateway_cpu_ms_per_message']:.1f} ms per "
          f"message); cores busy: {load['benchmark_cores_busy']:.2f} by this benchmark's "
          f"processes, {load['machine_cores_busy']:.2f} in all")
    print(f"\nburst: {burst['sessions']} sessions typing {burst['messages_each']} messages without waiting: "
          f"in order {burst['in_order']}, out of order {burst['out_of_order']}, wrong {burst['wrong']}, "
          f"lost {burst['lost']}" + (f"; e.g. answers came for messages {burst['example_order']}"
                                     if burst["example_order"] else ""))
    print(f"\ngateway memory: idle {memory['idle_rss_mb']:.0f} MB, peak during the load "
          f"{memory['load_peak_rss_mb']:.0f} MB, high-water mark {memory['hwm_mb']:.0f} MB, "
          f"after {memory['after_rss_mb']:.0f} MB")


async def run(args: argparse.Namespace, rasa: RasaProcesses, gateway: Gateway) -> dict:
    pid = gateway.process.pid
    script = [SCRIPT[i % len(SCRIPT)] for i in range(args.messages)]
    async with httpx.AsyncClient(base_url=rasa.url, timeout=60) as http:
        idle = proc_status(pid)
        expected, deterministic = await expected_script(http, script)
        if not deterministic:
            print("warning: the script's answers differ between two runs; 'wrong' counts are not reliable")
        overhead = await measure_overhead(http, gateway.url, args.pairs)
    load = await measure_load(gateway.url, pid, [p.pid for p in rasa.processes], args.sessions, script,
                              expected)
    burst = await measure_burst(gateway.url, args.burst_sessions, script, expected)
    after = proc_status(pid)
    memory = {"idle_rss_mb": idle["VmRSS"] / 2**20, "load_peak_rss_mb": load.pop("gateway_peak_rss_mb"),
              "hwm_mb": after["VmHWM"] / 2**20, "after_rss_mb": after["VmRSS"] / 2**20}
    return {"settings": {"sessions": args.sessions, "messages": args.messages, "pairs": args.pairs,
                         "burst_sessions": args.burst_sessions, "cpus": os.cpu_count(),
                         "answers_deterministic": deterministic},
            "overhead": overhead, "load": load, "burst": burst, "memory": memory}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sessions", type=int, default=200, help="concurrent web-chat sessions")
    parser.add_argument("--messages", type=int, default=10, help="messages per session")
    parser.add_argument("--pairs", type=int, default=200, help="message pairs for the overhead")
    parser.add_argument("--burst-sessions", type=int, default=20)
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as work:
        token = secrets.token_hex(24)
        with RasaProcesses(MODEL, Path(work), api_token=token) as rasa, Gateway(rasa, token) as gateway:
            results = asyncio.run(run(args, rasa, gateway))
    RESULTS.mkdir(exist_ok=True)
    (RESULTS / "gateway.json").write_text(json.dumps(results, indent=2))
    print_report(results)


if __name__ == "__main__":
    main()
