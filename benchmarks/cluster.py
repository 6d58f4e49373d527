"""The cluster under load (`python -m benchmarks.cluster`): many web chat conversations at once through
haproxy's public port, over 2 gateways, 2 Rasa servers and 2 action servers (bot/cluster/).

Each conversation is one WebSocket (benchmarks/sio_client.py) that sends its next message when the
answers to the previous one have come. Every turn's answers are compared with the answers the same
script gets in a fresh conversation over Rasa's REST channel (numbers masked, so a callback's reference
and date may differ), so a lost, late, duplicated or misrouted answer shows: "out of order" is a turn
that got the answers of an earlier turn. A turn that got the gateway's friendly "try again" text
counts apart ("friendly"): what a parent sees when a process died under their message.

The cluster tests (tests/cluster/) drive the same conversations, shorter, with faults in between.
Usage: python -m benchmarks.cluster [--conversations 200 --turns 20] [--var DIR]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import re
import shutil
import statistics
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import httpx
from websockets.exceptions import ConnectionClosed, InvalidHandshake

from benchmarks.gateway import SCRIPT as FAQ_QUESTIONS
from benchmarks.sio_client import SocketIOClient
from bot.gateway.texts import texts
from bot.gateway.webchat import to_socketio

STATUSES = ("ok", "friendly", "out_of_order", "wrong", "lost", "interrupted", "offered_again", "after_retry")
TURN_TIMEOUT = 90.0  # a Rasa killed under a conversation's lock holds it for the lock's lifetime (20 s)
# Booking a callback, one message a turn (tests/conversation/test_flows.py books the same way); the
# moment is the first one offered (a full window is not offered).
FIRST_CHOICE = "<the first button>"
CALLBACK_SCRIPT = ["bel me terug", "06 1234 5678", "Twenterand", FIRST_CHOICE]
THINK_SECONDS = 2.0  # after the friendly text, a parent reads it before typing again
QUIET_SECONDS = 2.0  # a loose turn is over when no answer came for this long
REFERENCE = re.compile(r"referentie is ([A-Z0-9]{3}-\d{2})")
_NUMBERS = re.compile(r"[A-Z0-9]{3}-\d{2}|\d+")


def friendly_texts() -> frozenset[str]:
    """What the gateway says when a message could not be handled (data/gateway_texts.yml)."""
    return frozenset(" ".join(texts()[key].split()) for key in ("unavailable", "something_went_wrong"))


def masked(answers: list[dict]) -> str:
    """Answers as comparable text: a callback's reference and its dates and times differ per booking."""
    return _NUMBERS.sub("#", json.dumps(answers, sort_keys=True, ensure_ascii=False))


def faq_script(turns: int, offset: int = 0) -> list[str]:
    return [FAQ_QUESTIONS[(offset + i) % len(FAQ_QUESTIONS)] for i in range(turns)]


def first_choice(answers: list[dict]) -> str:
    """The payload of the first button (quick reply) of a turn's last answer that has buttons."""
    for answer in reversed(answers):
        if answer.get("quick_replies"):
            return answer["quick_replies"][0]["payload"]
    return ""


async def reference_answers(rasa_url: str, script: list[str]) -> list[list[dict]]:
    """Each turn's answers in a fresh conversation over Rasa's REST channel, as the web chat shows them."""
    sender, found = f"reference-{uuid.uuid4().hex[:12]}", []
    async with httpx.AsyncClient(base_url=rasa_url, timeout=120) as http:
        for text in script:
            if text == FIRST_CHOICE:
                text = first_choice(found[-1])
            response = await http.post("/webhooks/rest/webhook", json={"sender": sender, "message": text})
            response.raise_for_status()
            replies = response.json() or []
            found.append([to_socketio(r) for r in replies if "handoff" not in (r.get("custom") or {})])
    return found


@dataclass
class Turn:
    conversation: int
    seq: int
    # ok | friendly | out_of_order | wrong | lost | interrupted (its connection dropped while it waited)
    # | offered_again (a callback moment filled up meanwhile; others offered)
    # | after_retry (sent again after the friendly text and answered otherwise: the first try had counted)
    status: str
    seconds: float | None = None
    got: str = ""


@dataclass
class Conversation:
    """One parent's chat through the public port; reconnects with its session id when the connection
    drops, as the widget does (bot/gateway/static/widget.js)."""

    number: int
    url: str
    script: list[str]
    expected: list[list[dict]]
    retry_friendly: bool = False  # send a message again after the friendly text (the callback flow does)
    delay: float = 0.0  # seconds after the start before the first message
    # Compare only how each turn's first answer begins: a callback's offered moments and booked window
    # depend on what earlier bookings filled.
    loose: bool = False
    session_id: str | None = None
    client: SocketIOClient | None = None
    turns: list[Turn] = field(default_factory=list)
    answers: list[list[dict]] = field(default_factory=list)
    reconnects: int = 0

    async def connect(self, attempts: int = 60) -> None:
        for attempt in range(attempts):
            client = SocketIOClient()
            try:
                await client.connect(self.url, timeout=10)
                await client.emit("session_request", {"session_id": self.session_id})
                confirmed = await client.wait_for("session_confirm", 10)
            except (OSError, asyncio.TimeoutError, ConnectionError, ValueError, InvalidHandshake):
                await client.close()  # e.g. haproxy's 502 for a gateway that died during the handshake
                await asyncio.sleep(min(0.5 * (attempt + 1), 3))
                continue
            self.client, self.session_id = client, confirmed.args[0]
            return
        raise ConnectionError(f"conversation {self.number}: no connection after {attempts} attempts")

    async def _turn(self, seq: int, text: str, friendly: frozenset[str]) -> Turn:
        if self.client is not None and not self.client.open:  # dropped while idle: nothing was in flight
            await self.client.close()
            self.reconnects += 1
            await self.connect()
        assert self.client is not None and self.session_id is not None
        chosen = text == FIRST_CHOICE
        if chosen:
            text = first_choice(self.answers[-1] if self.answers else [])
        expected, started = self.expected[seq], time.perf_counter()
        try:
            await self.client.emit("user_uttered", {"message": text, "session_id": self.session_id})
        except ConnectionClosed:  # nothing was sent, so no answer is due
            return Turn(self.number, seq, "unsent")
        answers: list[dict] = []
        deadline = started + TURN_TIMEOUT
        try:
            while len(answers) < len(expected):
                left = deadline - time.perf_counter()
                if answers and self.loose:  # the flow may have taken another turn: wait for quiet
                    try:
                        event = await self.client.wait_for("bot_uttered", min(QUIET_SECONDS, left))
                    except asyncio.TimeoutError:
                        break
                else:
                    event = await self.client.wait_for("bot_uttered", max(0.0, left))
                answer = event.args[0] if event.args else {}
                answers.append(answer)
                if " ".join(str(answer.get("text") or "").split()) in friendly:
                    self.answers.append(answers)
                    return Turn(self.number, seq, "friendly", event.received_at - started)
        except asyncio.TimeoutError:
            self.answers.append(answers)
            return Turn(self.number, seq, "lost", got=str(answers)[:80])
        except ConnectionError:
            self.answers.append(answers)
            return Turn(self.number, seq, "interrupted")
        self.answers.append(answers)
        seconds = event.received_at - started
        if self._same(answers, expected):
            return Turn(self.number, seq, "ok", seconds)
        if self.loose and self.turns and self.turns[-1].status in ("friendly", "interrupted"):
            # Sent again after the friendly text: the first try may have reached Rasa after all (it died
            # before answering), so the form answers its next question instead. Not wrong.
            return Turn(self.number, seq, "after_retry", seconds, str(answers)[:80])
        if chosen and first_choice(answers):
            # Another conversation took the last place of that moment meanwhile: other moments offered.
            return Turn(self.number, seq, "offered_again", seconds)
        if any(self._same(answers, self.expected[earlier]) for earlier in range(seq)):
            return Turn(self.number, seq, "out_of_order", seconds, str(answers)[:80])
        return Turn(self.number, seq, "wrong", seconds, str(answers)[:80])

    def _same(self, answers: list[dict], expected: list[dict]) -> bool:
        if not self.loose:
            return masked(answers) == masked(expected)
        def start(found: list[dict]) -> str:
            return masked([{"text": str(found[0].get("text"))[:25]}]) if found else ""
        return start(answers) == start(expected)

    async def run(self, start: asyncio.Event | None = None) -> list[Turn]:
        friendly = friendly_texts()
        await self.connect()
        if start is not None:
            await start.wait()
        await asyncio.sleep(self.delay)
        seq = 0
        while seq < len(self.script):
            turn = await self._turn(seq, self.script[seq], friendly)
            if turn.status == "unsent":
                # The connection had just ended. The socket may refuse to send before its reader has
                # seen the end (`open` still true): reconnect here, or this loop never yields.
                await self.client.close()
                self.reconnects += 1
                await self.connect()
                continue
            self.turns.append(turn)
            if turn.status == "interrupted":
                await self.client.close()
                self.reconnects += 1
                await self.connect()
            if turn.status == "offered_again" and len(self.turns) < 3 * len(self.script):
                continue  # the parent picks one of the moments now offered
            if turn.status == "friendly":
                await asyncio.sleep(THINK_SECONDS)
            # The parent sends it again: in the callback flow always, else only its last message, which
            # nothing after it would show answered (bounded, like the moments offered again).
            last = seq == len(self.script) - 1 and len(self.turns) < 3 * len(self.script)
            if turn.status in ("friendly", "interrupted") and (self.retry_friendly or last):
                continue
            seq += 1
        await asyncio.sleep(0)
        return self.turns

    def extra_answers(self) -> int:
        return 0 if self.client is None else sum(1 for e in self.client.pending() if e.name == "bot_uttered")

    async def close(self) -> None:
        if self.client is not None:
            await self.client.close()

    def reference(self) -> str | None:
        """The callback's reference, from the booking's confirmation."""
        for answers in self.answers:
            for answer in answers:
                found = REFERENCE.search(str(answer.get("text") or ""))
                if found:
                    return found.group(1)
        return None


def summary(seconds: list[float]) -> dict:
    if not seconds:
        return {"n": 0}
    ms = sorted(s * 1000 for s in seconds)
    cuts = statistics.quantiles(ms, n=100, method="inclusive") if len(ms) > 1 else [ms[0]] * 99
    return {"n": len(ms), "p50_ms": cuts[49], "p95_ms": cuts[94], "max_ms": ms[-1]}


@dataclass
class Load:
    """Conversations at once; `during` runs (e.g. kills a process) once they have all started talking."""

    conversations: list[Conversation]
    outcome: dict = field(default_factory=dict)

    async def run(self, during: Callable[[], object] | None = None, after_seconds: float = 0) -> dict:
        start = asyncio.Event()
        tasks = [asyncio.create_task(c.run(start)) for c in self.conversations]
        while not all(c.client is not None for c in self.conversations):
            if any(t.done() for t in tasks):
                break
            await asyncio.sleep(0.05)
        started = time.perf_counter()
        start.set()
        fault = None
        if during is not None:
            await asyncio.sleep(after_seconds)
            fault = time.perf_counter() - started
            result = during()
            if asyncio.iscoroutine(result):
                await result
        results = await asyncio.gather(*tasks, return_exceptions=True)
        wall = time.perf_counter() - started
        await asyncio.sleep(2)  # anything still arriving now is an answer too many
        turns = [t for r in results if isinstance(r, list) for t in r]
        errors = [repr(r) for r in results if isinstance(r, BaseException)]
        statuses = Counter(t.status for t in turns)
        self.outcome = {
            "conversations": len(self.conversations), "messages": len(turns), "wall_s": wall,
            "fault_at_s": fault, "errors": errors,
            **{s: statuses.get(s, 0) for s in STATUSES},
            "extra_answers": sum(c.extra_answers() for c in self.conversations),
            "reconnects": sum(c.reconnects for c in self.conversations),
            "latency": summary([t.seconds for t in turns if t.status == "ok" and t.seconds is not None]),
            "throughput_msg_s": statuses.get("ok", 0) / wall if wall else 0.0,
            "examples": [(t.conversation, t.seq, t.status, t.got) for t in turns
                         if t.status in ("wrong", "out_of_order", "lost")][:5],
        }
        await asyncio.gather(*(c.close() for c in self.conversations))
        return self.outcome


def faq_conversations(url: str, expected: list[list[dict]], count: int, first: int = 0) -> list[Conversation]:
    """`expected`: reference_answers(...) of faq_script(len(expected))."""
    script = faq_script(len(expected))
    return [Conversation(first + n, url, script, expected) for n in range(count)]


def report(outcome: dict, label: str = "load") -> str:
    lat = outcome["latency"]
    latency = (f"latency p50 {lat['p50_ms']:.0f} ms, p95 {lat['p95_ms']:.0f} ms, max {lat['max_ms']:.0f} ms"
               if lat["n"] else "no answers")
    return (f"{label}: {outcome['conversations']} conversations, {outcome['messages']} messages in "
            f"{outcome['wall_s']:.1f} s: ok {outcome['ok']}, friendly {outcome['friendly']}, "
            f"lost {outcome['lost']}, out of order {outcome['out_of_order']}, wrong {outcome['wrong']}, "
            f"interrupted {outcome['interrupted']}, moment offered again {outcome['offered_again']}, "
            f"answered otherwise after a retry {outcome['after_retry']}, "
            f"extra answers {outcome['extra_answers']}, reconnects "
            f"{outcome['reconnects']}; {latency}; {outcome['throughput_msg_s']:.1f} msg/s"
            + (f"; errors {outcome['errors'][:3]}" if outcome["errors"] else "")
            + (f"; e.g. {outcome['examples']}" if outcome["examples"] else ""))


async def measure(url: str, rasa_url: str, conversations: int, turns: int) -> dict:
    expected = await reference_answers(rasa_url, faq_script(turns))
    return await Load(faq_conversations(url, expected, conversations)).run()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--conversations", type=int, default=200)
    parser.add_argument("--turns", type=int, default=20)
    parser.add_argument("--var", type=Path, help="the cluster's directory (default: a fresh one)")
    args = parser.parse_args()
    var = args.var or Path(tempfile.mkdtemp(prefix="scheidingspunt-cluster-"))
    try:
        run_benchmark(var, args)
    finally:
        if args.var is None:
            shutil.rmtree(var, ignore_errors=True)


def run_benchmark(var: Path, args: argparse.Namespace) -> None:
    from bot.cluster.config import Ports
    from bot.cluster.run import Cluster

    with Cluster.create(var, ports=Ports.free()) as cluster:
        print(f"cluster ready in {cluster.started_seconds['total']:.0f} s ({var})", flush=True)
        host = "http://127.0.0.1"
        ports = cluster.topology.ports
        outcome = asyncio.run(measure(f"{host}:{ports.public}", f"{host}:{ports.rasa}", args.conversations,
                                      args.turns))
        print(report(outcome, f"{args.conversations} x {args.turns}"))
        spread = {row["svname"]: int(row["stot"]) for row in cluster.haproxy_stats()
                  if row["pxname"] in ("rasa", "gateways") and row["svname"] not in ("FRONTEND", "BACKEND")}
        print(f"connections per server (haproxy): {spread}")


if __name__ == "__main__":
    main()
