"""The console's live work: the hand-over queue, taking a chat, the two-way chat, hand back, close.

Live updates come from the hub (bot/console/hub.py) over Server-Sent Events; every page also works
without JavaScript (plain forms, reload to update). The parent is reached through the `LiveChat`
(bot/console/livechat.py); a hand-over's status changes in the store (bot/store/handoffs.py).
"""

from __future__ import annotations

import asyncio
from dataclasses import dataclass
from datetime import datetime, timezone

from aiohttp import web

from bot.console import hub
from bot.console.auth import Account, require
from bot.console.common import clock, municipality_name, topic_labels
from bot.console.hub import handoff_view
from bot.console.livechat import live_chat
from bot.console.render import error_page, render, wants_json
from bot.console.texts import labels, text
from bot.domain.names import HandoffStatus, utcnow
from bot.domain.redact import redact
from bot.store import handoffs
from bot.store.db import session_scope
from bot.store.figures import OPENING_MESSAGE
from bot.store.handoffs import HandoffView
from bot.store.models import LiveMessage

PREFIX = "/console"


# --- what an expert reads ------------------------------------------------------------------------


def waiting_text(seconds: int) -> str:
    minutes = max(0, seconds) // 60
    if minutes < 1:
        return text("live.waiting.under_a_minute")
    hours, minutes = divmod(minutes, 60)
    parts = [text("live.waiting.hours", hours=hours)] if hours else []
    if minutes:
        parts.append(text("live.waiting.one_minute") if minutes == 1 else text("live.waiting.minutes",
                                                                                  minutes=minutes))
    return " en ".join(parts)  # the glue of "1 uur en 2 minuten", not a text to review


def describe(view: HandoffView, now: datetime | None = None) -> dict:
    """A hand-over's context in Dutch, for the pages and the JSON API: never a name or an address."""
    seconds = view.waiting_seconds(now)
    if view.screening_level:
        domains = ", ".join(view.screening_domains)
        screening = f"{view.screening_level} ({domains})" if domains else view.screening_level
    else:
        screening = text("live.no_screening")
    channel = labels("live.channels").get(view.channel or "", view.channel or text("live.unknown_channel"))
    return {
        "id": view.id, "status": view.status, "waiting_seconds": seconds, "waiting": waiting_text(seconds),
        "topic": topic_labels().get(view.topic, view.topic) if view.topic else text("live.no_topic"),
        "municipality": municipality_name(view.municipality), "channel": channel, "screening": screening,
        "reason": view.reason or text("live.no_reason"), "taken_at": clock(view.taken_at),
    }


@dataclass(frozen=True)
class Line:
    author: str  # user, bot, expert, system
    text: str
    at: datetime
    buttons: tuple[str, ...] = ()

    @property
    def who(self) -> str:
        return labels("authors").get(self.author, self.author)

    @property
    def time(self) -> str:
        return clock(self.at)


def transcript(events: list[dict], live: list[LiveMessage]) -> list[Line]:
    """Rasa's user and bot messages and the live chat, merged in time order."""
    lines: list[Line] = []
    payloads: dict[str, str] = {}  # the last buttons the bot showed: payload -> title
    channel_buttons = labels("live.channel_buttons")  # the widget's and Telegram's own
    for event in events:
        kind, said = event.get("event"), event.get("text")
        at = datetime.fromtimestamp(float(event.get("timestamp") or 0), tz=timezone.utc)
        if kind == "bot":
            buttons = (event.get("data") or {}).get("buttons") or []
            payloads = {b.get("payload", ""): b.get("title", "") for b in buttons if isinstance(b, dict)}
            if said or buttons:
                lines.append(Line("bot", said or "", at, tuple(payloads.values())))
        elif kind == "user" and said and said != OPENING_MESSAGE:  # the expert sees the greeting it got
            if said.startswith("/"):  # a button: show what the parent saw on it
                title = payloads.get(said) or channel_buttons.get(said) or said.lstrip("/")
                said = text("live.pressed", title=title)
            # The tracker store redacts already; once more costs nothing and guards older rows.
            lines.append(Line("user", redact(said), at))
    lines += [Line(m.author, m.text, m.created_at) for m in live]
    return sorted(lines, key=lambda line: line.at)  # stable: Rasa's lines first on equal times


# --- handlers ------------------------------------------------------------------------------------


@require()
async def index(request: web.Request) -> web.StreamResponse:
    raise web.HTTPSeeOther(f"{PREFIX}/wachtrij")


def _lists(account: Account) -> tuple[list[dict], list[dict]]:
    now = utcnow()
    with session_scope() as session:
        waiting = handoffs.queue(session, account.municipality)
        mine = handoffs.taken_by(session, account.username)
    return [describe(v, now) for v in waiting], [describe(v, now) for v in mine]


async def _queue_page(request: web.Request, *, notice: str | None = None, status: int = 200) -> web.Response:
    hub.hub(request)  # listen from the first page view on
    waiting, mine = await asyncio.to_thread(_lists, request["account"])
    done = labels("live.done")  # ?klaar=...: fixed texts, nothing from the address is shown
    notice = notice or done.get(request.query.get("klaar", ""))
    return render(request, "queue.html", status=status, nav="wachtrij", waiting=waiting, mine=mine,
                  notice=notice, error=status >= 400)


@require()
async def queue_page(request: web.Request) -> web.Response:
    return await _queue_page(request)


@require()
async def queue_api(request: web.Request) -> web.Response:
    waiting, mine = await asyncio.to_thread(_lists, request["account"])
    return web.json_response({"queue": waiting, "mine": mine})


def _take(handoff_id: str, account: Account) -> tuple[bool, HandoffView | None]:
    with session_scope() as session:
        won = handoffs.take(session, handoff_id, account.username, municipality=account.municipality)
    return won, handoff_view(handoff_id)


@require()
async def take(request: web.Request) -> web.StreamResponse:
    account: Account = request["account"]
    handoff_id = request.match_info["handoff_id"]
    won, view = await asyncio.to_thread(_take, handoff_id, account)
    chat = f"{PREFIX}/gesprek/{handoff_id}"
    if view is not None and view.status == HandoffStatus.TAKEN and view.taken_by == account.username:
        if won and not await live_chat(request).expert_took(view.conversation_id):
            await asyncio.to_thread(_close, handoff_id, account.username)  # the parent left meanwhile
            return await _queue_page(request, notice=text("live.not_waiting"), status=409)
        raise web.HTTPSeeOther(chat)  # also a second click of the one who won
    if view is not None and view.status == HandoffStatus.TAKEN and account.may_see(view.municipality):
        return await _queue_page(request, notice=text("live.taken_by_colleague"), status=409)
    return await _queue_page(request, notice=text("live.not_waiting"), status=409)


async def _owned_view(request: web.Request) -> HandoffView | web.Response:
    """The hand-over if this expert took it; otherwise the 404 or 403 page."""
    view = await asyncio.to_thread(handoff_view, request.match_info["handoff_id"])
    if view is None:
        return error_page(request, 404)
    return view if view.taken_by == request["account"].username else error_page(request, 403)


def _live(conversation_id: str) -> list[LiveMessage]:
    with session_scope() as session:
        return handoffs.live_messages(session, conversation_id)


async def _chat_page(request: web.Request, view: HandoffView, *, error: str | None = None,
                     status: int = 200, draft: str = "") -> web.Response:
    context = describe(view)
    chat = live_chat(request)
    if view.status != HandoffStatus.TAKEN:
        ended = labels("live.ended")
        notice = ended.get(view.status, ended["other"])
        return render(request, "chat.html", status=status, nav="wachtrij", handoff=context, ended=notice,
                      lines=[], rasa_missing=False, error=None, draft="", max_chars=chat.max_message_chars)
    history = await chat.transcript_events(view.conversation_id)
    lines = transcript(history or [], await asyncio.to_thread(_live, view.conversation_id))
    return render(request, "chat.html", status=status, nav="wachtrij", handoff=context, ended=None,
                  lines=lines, rasa_missing=history is None, error=error, draft=draft,
                  max_chars=chat.max_message_chars)


@require()
async def chat_page(request: web.Request) -> web.StreamResponse:
    view = await _owned_view(request)
    if isinstance(view, web.Response):
        return view
    hub.hub(request)
    return await _chat_page(request, view)


@require()
async def send(request: web.Request) -> web.StreamResponse:
    view = await _owned_view(request)
    if isinstance(view, web.Response):
        return view
    form = await request.post()
    written = form.get("tekst")
    written = written.strip() if isinstance(written, str) else ""
    error, chat = None, live_chat(request)
    if view.status != HandoffStatus.TAKEN:
        error = text("live.not_sent")
    elif not written:
        error = text("live.empty")
    elif len(written) > chat.max_message_chars:
        error = text("live.too_long", limit=chat.max_message_chars)
    elif not await chat.from_expert(view.conversation_id, written):
        error = text("live.not_sent")
    if wants_json(request):
        return web.json_response({"error": error} if error else {"ok": True}, status=400 if error else 200)
    if error:
        return await _chat_page(request, view, error=error, status=400, draft=written)
    raise web.HTTPSeeOther(f"{PREFIX}/gesprek/{view.id}#bericht")


def _close(handoff_id: str, username: str) -> bool:
    with session_scope() as session:
        return handoffs.close(session, handoff_id, username)


async def _end(request: web.Request, how: str) -> web.StreamResponse:
    view = await _owned_view(request)
    if isinstance(view, web.Response):
        return view
    if view.status == HandoffStatus.TAKEN:
        chat = live_chat(request)
        if how == "teruggegeven":
            await chat.hand_back(view.conversation_id)
        else:
            await chat.close_by_expert(view.conversation_id)
        # The live chat closed it; this also closes one whose conversation is gone or out of step.
        await asyncio.to_thread(_close, view.id, view.taken_by)
    raise web.HTTPSeeOther(f"{PREFIX}/wachtrij?klaar={how}")


@require()
async def hand_back(request: web.Request) -> web.StreamResponse:
    return await _end(request, "teruggegeven")


@require()
async def close(request: web.Request) -> web.StreamResponse:
    return await _end(request, "gesloten")


def setup(console: web.Application) -> None:
    hub.setup(console)
    console.router.add_get("/", index)
    console.router.add_get("/wachtrij", queue_page)
    console.router.add_get("/api/wachtrij", queue_api)
    console.router.add_post("/overnemen/{handoff_id}", take)
    console.router.add_get("/gesprek/{handoff_id}", chat_page)
    console.router.add_post("/gesprek/{handoff_id}/bericht", send)
    console.router.add_post("/gesprek/{handoff_id}/teruggeven", hand_back)
    console.router.add_post("/gesprek/{handoff_id}/sluiten", close)
