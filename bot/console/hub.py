"""The live updates behind the console: the live chat's events, fanned out over Server-Sent Events.

The `LiveChat` (the gateway's router) tells the `Hub` about every live event; GET /console/events
streams to each open console only what that account may see: "queue" (a waiting list changed; the
page re-fetches /console/api/wachtrij) for its municipalities, "message" and "ended" only for the
expert who took the conversation.
"""

from __future__ import annotations

import asyncio
import json
import logging
import secrets
from collections import deque
from dataclasses import dataclass, field

from aiohttp import web

from bot.console.auth import COOKIE, Account, require, session_alive
from bot.console.common import clock
from bot.console.livechat import LiveChat, live_chat
from bot.console.texts import labels
from bot.domain.names import HandoffStatus, utcnow
from bot.store import handoffs
from bot.store.db import session_scope
from bot.store.handoffs import HandoffView

log = logging.getLogger(__name__)

HUB_KEY = "live_hub"
QUEUE_EVENTS = frozenset({"queued", "taken", "left", "expired", "handed_back", "closed", "safety"})
END_EVENTS = frozenset({"left", "expired", "handed_back", "closed"})


@dataclass(eq=False)
class Subscriber:
    account: Account
    queue: asyncio.Queue = field(default_factory=lambda: asyncio.Queue(maxsize=256))

    def put(self, item: tuple[str, str, dict] | None) -> None:
        try:
            self.queue.put_nowait(item)
        except asyncio.QueueFull:
            log.warning("console: a live stream is not reading; an event was dropped")


class Hub:
    """Fans the live chat's events out to the open consoles, each getting only what it may see.

    Recent events are kept, so a browser that reconnects (EventSource sends Last-Event-ID) gets
    what it missed in between: no parent's message is lost in the expert's view.
    """

    def __init__(self, heartbeat: float = 15.0, max_stream: float = 300.0, keep: int = 500) -> None:
        self.heartbeat = heartbeat
        self.max_stream = max_stream  # then the browser reconnects, and the login is checked again
        self.subscribers: set[Subscriber] = set()
        self._chats: set[int] = set()
        self._boot = secrets.token_hex(4)  # ids of an earlier process are not replayed
        self._seq = 0
        self._recent: deque[tuple[int, HandoffView, dict]] = deque(maxlen=keep)

    def attach(self, chat: LiveChat) -> None:
        if id(chat) not in self._chats:
            self._chats.add(id(chat))
            chat.subscribe(self.on_event)

    def subscribe(self, account: Account, last_event_id: str | None = None) -> Subscriber:
        subscriber = Subscriber(account)
        boot, _, seq = (last_event_id or "").partition("-")
        if boot == self._boot and seq.isdigit():
            for number, view, event in self._recent:
                if number > int(seq):
                    for name, data in outgoing(account, view, event):
                        subscriber.put((f"{self._boot}-{number}", name, data))
        self.subscribers.add(subscriber)
        return subscriber

    def unsubscribe(self, subscriber: Subscriber) -> None:
        self.subscribers.discard(subscriber)

    async def on_event(self, conversation_id: str, event: dict) -> None:
        if event.get("type") == "erased":
            self._forget(conversation_id)
            return
        handoff_id = event.get("handoff_id")
        if not handoff_id:
            return  # recorded even with no console open: a reconnecting browser must get it
        view = await asyncio.to_thread(handoff_view, handoff_id)
        if view is None:
            return
        self._seq += 1
        event = {**event, "at": utcnow()}  # a replayed message keeps the time it was written
        self._recent.append((self._seq, view, event))
        for subscriber in list(self.subscribers):
            for name, data in outgoing(subscriber.account, view, event):
                subscriber.put((f"{self._boot}-{self._seq}", name, data))

    def _forget(self, conversation_id: str) -> None:
        """The parent erased the conversation: drop what is kept of it; a live chat ends."""
        mine = [view for _, view, _ in self._recent if view.conversation_id == conversation_id]
        kept = [item for item in self._recent if item[1].conversation_id != conversation_id]
        self._recent = deque(kept, maxlen=self._recent.maxlen)
        last = mine[-1] if mine else None
        if last is None or last.status not in (HandoffStatus.WAITING, HandoffStatus.TAKEN):
            return
        for subscriber in list(self.subscribers):
            if subscriber.account.may_see(last.municipality):
                subscriber.put(("", "queue", {"type": "erased", "handoff_id": last.id}))
            if last.status == HandoffStatus.TAKEN and subscriber.account.username == last.taken_by:
                subscriber.put(("", "ended", {"handoff_id": last.id, "reason": "erased"}))

    async def close(self, _app: web.Application | None = None) -> None:
        for subscriber in list(self.subscribers):
            while subscriber.queue.full():  # the end must arrive even at a stream that does not read
                subscriber.queue.get_nowait()
            subscriber.put(None)


def outgoing(account: Account, view: HandoffView, event: dict) -> list[tuple[str, dict]]:
    """The SSE events (name, data) one account gets for one live chat event."""
    kind, out = event.get("type"), []
    if kind in QUEUE_EVENTS and account.may_see(view.municipality):
        out.append(("queue", {"type": kind, "handoff_id": view.id}))
    if view.taken_by == account.username:
        if kind == "message" and event.get("author") in ("user", "expert", "system"):
            out.append(("message", {"handoff_id": view.id, "author": event["author"],
                                    "who": labels("authors")[event["author"]], "text": event.get("text", ""),
                                    "time": clock(event.get("at") or utcnow())}))
        elif kind in END_EVENTS:
            out.append(("ended", {"handoff_id": view.id, "reason": kind}))
    return out


def handoff_view(handoff_id: str) -> HandoffView | None:
    with session_scope() as session:
        return handoffs.get(session, handoff_id)


def hub(request: web.Request) -> Hub:
    """The console's hub, listening to the live chat from the first request on."""
    found: Hub = request.config_dict[HUB_KEY]
    found.attach(live_chat(request))
    return found


@require()
async def events(request: web.Request) -> web.StreamResponse:
    live_hub = hub(request)
    token = request.cookies.get(COOKIE, "")
    response = web.StreamResponse(headers={"Content-Type": "text/event-stream", "Cache-Control": "no-cache",
                                           "X-Accel-Buffering": "no"})
    try:
        await response.prepare(request)
    except ConnectionResetError:
        return response  # the browser left before the stream began
    subscriber = live_hub.subscribe(request["account"], request.headers.get("Last-Event-ID"))
    loop = asyncio.get_running_loop()
    ends_at, check_at = loop.time() + live_hub.max_stream, loop.time() + live_hub.heartbeat
    try:
        await response.write(b"retry: 3000\n\n")  # written after subscribing: from here nothing is missed
        while loop.time() < ends_at:
            try:
                item = await asyncio.wait_for(subscriber.queue.get(), max(0.0, check_at - loop.time()))
            except asyncio.TimeoutError:
                if not await asyncio.to_thread(session_alive, token):
                    break  # logged out or expired: the browser's reconnect meets the login check
                await response.write(b": heartbeat\n\n")
                check_at = loop.time() + live_hub.heartbeat
                continue
            if item is None:
                break
            event_id, name, data = item
            line = f"id: {event_id}\n" if event_id else ""  # without one the browser keeps its last id
            await response.write(f"{line}event: {name}\ndata: {json.dumps(data)}\n\n".encode())
    except ConnectionResetError:
        pass  # the browser went away
    finally:
        live_hub.unsubscribe(subscriber)
    return response


def setup(console: web.Application) -> None:
    """The hub and its stream, GET /console/events (bot.console.live calls this)."""
    console[HUB_KEY] = Hub()
    console.on_shutdown.append(console[HUB_KEY].close)
    console.router.add_get("/events", events)
