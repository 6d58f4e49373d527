"""The gateway's Prometheus metrics, served at /metrics in the text exposition format.

Counts and timings only. No label ever holds a message's text, a conversation id, an address, a phone
number or an account name: the labels are fixed words (channel, direction, outcome, kind, ...) and the
municipality key, a bounded set (the files of data/municipalities/ and "onbekend").

What the gateway process sees itself is counted as it happens (messages, Rasa's answers and errors, the
router's hand-over events, safety answers). What other processes write (the action server books
callbacks and creates hand-over requests) is read from the store at scrape time (`StoreCollector`).

Every app has its own `CollectorRegistry`: the tests build many apps in one process.

Who may read /metrics: with `METRICS_TOKEN` set, a caller with `Authorization: Bearer <token>`; without
it, only a caller on this machine (loopback) whose request came through no proxy (no X-Forwarded-For,
Forwarded or X-Real-IP header), so a reverse proxy in front of a municipality site does not publish it.
"""

from __future__ import annotations

import hmac
import ipaddress
import logging
import os
import re
from collections.abc import Iterable
from functools import cache
from pathlib import Path

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.registry import Collector
from sqlalchemy import func, select

from bot.domain.municipalities import KEY_IN_REQUEST
from bot.domain.names import SAFETY_SUICIDE, SAFETY_VIOLENCE, ConversationMode, HandoffStatus
from bot.store.db import read_scope
from bot.store.models import Callback, Conversation, HandoffRequest

log = logging.getLogger(__name__)

PREFIX = "scheidingspunt"
DOMAIN = Path(__file__).resolve().parents[2] / "domain.yml"
CHANNELS = ("web", "telegram")
# The kinds of safety answer, and the responses (domain.yml) that are one.
VIOLENCE, SUICIDE, WORRY = "violence", "suicide", "worry"
SAFETY_RESPONSES = {
    "utter_safety_violence": VIOLENCE,
    "utter_safety_suicide": SUICIDE,
    "utter_share_worry": WORRY,
    "utter_worry_with_answer": WORRY,
    "utter_worry_in_form": WORRY,
}
KIND_OF_INTENT = {SAFETY_VIOLENCE: VIOLENCE, SAFETY_SUICIDE: SUICIDE}
# The router's live events that count as a hand-over's step (README "Rooms"): see Router._notify.
HANDOFF_EVENTS = ("queued", "taken", "expired", "left", "handed_back", "closed", "erased")
# Seconds: a parent waits up to HANDOFF_TIMEOUT_SECONDS (300 by default) for an expert.
WAIT_BUCKETS = (5, 15, 30, 60, 120, 180, 240, 300, 450, 600, 900, 1800)
REPLY_BUCKETS = (0.05, 0.1, 0.25, 0.5, 0.75, 1, 1.5, 2, 3, 5, 10, 30)
_MUNICIPALITY = re.compile(rf"^{KEY_IN_REQUEST}$")
OTHER = "other"


def municipality_label(value: str | None) -> str:
    """A municipality key as a label; anything that is not a key becomes "other" (never free text)."""
    return value if isinstance(value, str) and _MUNICIPALITY.match(value) else OTHER


def channel_label(value: str | None) -> str:
    return value if value in CHANNELS else OTHER


@cache
def safety_texts(path: Path = DOMAIN) -> dict[str, str]:
    """The paragraphs of the safety and worry responses (as Rasa's REST channel sends them) -> kind."""
    import yaml

    responses = yaml.safe_load(path.read_text(encoding="utf-8")).get("responses", {})
    found: dict[str, str] = {}
    for name, kind in SAFETY_RESPONSES.items():
        for variant in responses.get(name) or ():
            for paragraph in str(variant.get("text") or "").strip().split("\n\n"):
                if paragraph.strip():
                    found[paragraph.strip()] = kind
    return found


def safety_kinds(replies: Iterable[dict]) -> list[str]:
    """The kinds of safety answer among Rasa's replies to one message, each kind once, in order."""
    known = safety_texts()
    kinds: list[str] = []
    for reply in replies:
        text = reply.get("text")
        kind = known.get(text.strip()) if isinstance(text, str) else None
        if kind is not None and kind not in kinds:
            kinds.append(kind)
    return kinds


class StoreCollector(Collector):
    """Read at scrape time from the store: hand-overs waiting now, hand-over requests and callbacks by
    status. A store that cannot be read gives none of them (and `scheidingspunt_store_up` 0)."""

    def collect(self) -> Iterable[Metric]:
        up = GaugeMetricFamily(f"{PREFIX}_store_up", "1 when the store could be read at this scrape")
        try:
            waiting, requests, callbacks = _store_counts()
        except Exception as error:  # noqa: BLE001 - a scrape must answer; /ready says what is broken
            log.warning("metrics: the store could not be read (%s)", type(error).__name__)
            up.add_metric([], 0)
            yield up
            return
        up.add_metric([], 1)
        yield up
        gauge = GaugeMetricFamily(f"{PREFIX}_handoffs_waiting", "Hand-overs in the queue now, waiting for an "
                                  "expert", labels=["municipality"])
        for municipality, count in sorted(waiting.items()):
            gauge.add_metric([municipality], count)
        yield gauge
        gauge = GaugeMetricFamily(f"{PREFIX}_handoff_requests", "Hand-over requests in the store, by status",
                                  labels=["municipality", "status"])
        for (municipality, status), count in sorted(requests.items()):
            gauge.add_metric([municipality, status], count)
        yield gauge
        gauge = GaugeMetricFamily(f"{PREFIX}_callbacks",
                                  "Callbacks in the store, by status (pending: booked, not yet closed)",
                                  labels=["municipality", "status"])
        for (municipality, status), count in sorted(callbacks.items()):
            gauge.add_metric([municipality, status], count)
        yield gauge


def _grouped(rows) -> dict:
    out: dict = {}
    for *keys, count in rows:
        key = tuple(municipality_label(k) if i == 0 else str(k) for i, k in enumerate(keys))
        key = key[0] if len(key) == 1 else key
        out[key] = out.get(key, 0) + count
    return out


def _store_counts() -> tuple[dict, dict, dict]:
    with read_scope() as session:
        waiting = session.execute(
            select(HandoffRequest.municipality, func.count())
            .join(Conversation, Conversation.handoff_id == HandoffRequest.id)
            .where(HandoffRequest.status == HandoffStatus.WAITING,
                   Conversation.mode == ConversationMode.HUMAN)
            .group_by(HandoffRequest.municipality)
        ).all()
        requests = session.execute(
            select(HandoffRequest.municipality, HandoffRequest.status, func.count())
            .group_by(HandoffRequest.municipality, HandoffRequest.status)
        ).all()
        callbacks = session.execute(
            select(Callback.municipality, Callback.status, func.count())
            .group_by(Callback.municipality, Callback.status)
        ).all()
    return _grouped(waiting), _grouped(requests), _grouped(callbacks)


class Metrics:
    """The gateway's metrics in their own registry; the router and the app report to it."""

    def __init__(self, *, with_store: bool = True) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.messages = Counter(f"{PREFIX}_messages",
                                "Messages by channel: in from a parent, out to a parent",
                                ["channel", "direction"], registry=r)
        self.rasa_reply = Histogram(f"{PREFIX}_rasa_reply_seconds",
                                    "Time Rasa took to answer a parent's message (REST channel)",
                                    buckets=REPLY_BUCKETS, registry=r)
        self.rasa_errors = Counter(f"{PREFIX}_rasa_errors", "Calls to Rasa that failed, by what was asked",
                                   ["call"], registry=r)
        self.handoff_events = Counter(f"{PREFIX}_handoff_events", "Hand-over steps the router saw, by event",
                                      ["event"], registry=r)
        self.handoff_wait = Histogram(f"{PREFIX}_handoff_wait_seconds",
                                      "Seconds a parent waited for an expert, observed when taken or expired",
                                      ["outcome"], buckets=WAIT_BUCKETS, registry=r)
        self.safety_answers = Counter(f"{PREFIX}_safety_answers",
                                      "Safety answers by kind, and who gave them (bot, gateway, expert_flag)",
                                      ["kind", "source"], registry=r)
        for channel in CHANNELS:  # present from the start, so rate() works from the first message
            for direction in ("in", "out"):
                self.messages.labels(channel, direction)
        if with_store:
            r.register(StoreCollector())

    # --- what the router reports ------------------------------------------------------------------

    def message_in(self, channel: str) -> None:
        self.messages.labels(channel_label(channel), "in").inc()

    def messages_out(self, channel: str, count: int) -> None:
        if count:
            self.messages.labels(channel_label(channel), "out").inc(count)

    def rasa_error(self, call: str) -> None:
        self.rasa_errors.labels(call).inc()

    def safety_answer(self, kind: str, source: str) -> None:
        self.safety_answers.labels(kind, source).inc()

    def bot_replies(self, replies: list[dict]) -> None:
        for kind in safety_kinds(replies):
            self.safety_answer(kind, "bot")

    def handoff_event(self, event: str) -> None:
        if event in HANDOFF_EVENTS:
            self.handoff_events.labels(event).inc()

    def handoff_waited(self, outcome: str, seconds: float | None) -> None:
        if seconds is not None:
            self.handoff_wait.labels(outcome).observe(max(0.0, seconds))

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


# --- /metrics ----------------------------------------------------------------------------------------

PROXY_HEADERS = ("X-Forwarded-For", "Forwarded", "X-Real-IP")


def _loopback(remote: str | None) -> bool:
    try:
        return remote is not None and ipaddress.ip_address(remote.split("%")[0]).is_loopback
    except ValueError:
        return False


def allowed(request: web.Request, token: str | None) -> bool:
    """A bearer token when one is configured; otherwise a direct caller on this machine."""
    if token:
        given = request.headers.get("Authorization", "")
        return given.startswith("Bearer ") and hmac.compare_digest(given[7:].encode(), token.encode())
    return _loopback(request.remote) and not any(h in request.headers for h in PROXY_HEADERS)


def attach(app: web.Application, metrics: Metrics, token: str | None = None) -> None:
    """/metrics on the app; `token` None reads METRICS_TOKEN."""
    token = token if token is not None else (os.environ.get("METRICS_TOKEN") or None)

    async def serve(request: web.Request) -> web.Response:
        if not allowed(request, token):
            raise web.HTTPForbidden(text="forbidden\n")
        body = metrics.exposition()
        return web.Response(body=body, headers={"Content-Type": CONTENT_TYPE_LATEST,
                                                "Cache-Control": "no-store"})

    app["metrics"] = metrics
    app.router.add_get("/metrics", serve)
