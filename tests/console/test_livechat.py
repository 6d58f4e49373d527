"""The console needs nothing of the gateway but a `LiveChat`: here a fake one, without a router or Rasa."""

from __future__ import annotations

import asyncio

from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bot.console import app as console_module
from bot.console.livechat import LIVE_CHAT_KEY, LiveChat
from bot.gateway.app import Settings, build_app
from bot.gateway.router import Router
from bot.store import handoffs
from bot.store.db import session_scope
from tests.console.harness import PASSWORD, add_account, logged_in
from tests.support.fakes import SECRET, FakeRasa

CONVERSATION = "web-conversation-1"


class FakeLiveChat:
    """Records what the console asks; the hand-over's status is the store's business, not ours."""

    max_message_chars = 50

    def __init__(self, history: list[dict] | None) -> None:
        self.history = history
        self.calls: list[tuple[str, ...]] = []
        self.listeners: list = []

    async def transcript_events(self, conversation_id: str) -> list[dict] | None:
        self.calls.append(("transcript_events", conversation_id))
        return self.history

    async def expert_took(self, conversation_id: str) -> bool:
        self.calls.append(("expert_took", conversation_id))
        return True

    async def from_expert(self, conversation_id: str, text: str) -> bool:
        self.calls.append(("from_expert", conversation_id, text))
        return True

    async def hand_back(self, conversation_id: str) -> bool:
        self.calls.append(("hand_back", conversation_id))
        return True

    async def close_by_expert(self, conversation_id: str) -> bool:
        self.calls.append(("close_by_expert", conversation_id))
        return True

    def subscribe(self, listener) -> None:
        self.listeners.append(listener)


def queued() -> str:
    with session_scope() as session:
        made = handoffs.request(session, conversation_id=CONVERSATION, municipality="twenterand",
                                topic=None, reason="op verzoek", screening_level=None, screening_domains=[])
        handoffs.enter_queue(session, conversation_id=CONVERSATION, channel="web", address="ouder-1",
                             handoff_id=made.id)
        return made.id


def status_of(handoff_id: str) -> str:
    with session_scope() as session:
        return handoffs.get(session, handoff_id).status


def console_with(chat: FakeLiveChat) -> web.Application:
    app = web.Application()
    console_module.attach(app, chat)
    return app


def test_the_router_is_a_live_chat_and_the_gateway_passes_it_in(sqlite_store):
    router = Router(FakeRasa(), secret=SECRET)
    assert isinstance(router, LiveChat)
    assert isinstance(FakeLiveChat([]), LiveChat)
    app = build_app(Settings(secret=SECRET), with_telegram=False)
    assert app["console"][LIVE_CHAT_KEY] is app["router"]


def test_the_console_works_with_any_live_chat(sqlite_store):
    add_account("anne")
    chat = FakeLiveChat([{"event": "bot", "text": "Waar gaat je vraag over?", "timestamp": 1.0}])
    handoff_id = queued()

    async def scenario() -> None:
        async with TestClient(TestServer(console_with(chat))) as client:
            csrf = await logged_in(client, "anne", PASSWORD)
            assert (await client.get("/console/wachtrij")).status == 200
            assert len(chat.listeners) == 1  # the hub listens from the first page on
            response = await client.post(f"/console/overnemen/{handoff_id}", data={"csrf": csrf},
                                         allow_redirects=False)
            assert (response.status, response.headers["Location"]) == (303, f"/console/gesprek/{handoff_id}")
            assert status_of(handoff_id) == "taken"
            page = await (await client.get(f"/console/gesprek/{handoff_id}")).text()
            assert "Waar gaat je vraag over?" in page and 'maxlength="50"' in page
            response = await client.post(f"/console/gesprek/{handoff_id}/bericht", allow_redirects=False,
                                         data={"csrf": csrf, "tekst": "a" * 51})
            assert response.status == 400  # the live chat's limit, not the gateway's
            response = await client.post(f"/console/gesprek/{handoff_id}/bericht", allow_redirects=False,
                                         data={"csrf": csrf, "tekst": "Hoi"})
            assert response.status == 303
            response = await client.post(f"/console/gesprek/{handoff_id}/teruggeven", data={"csrf": csrf},
                                         allow_redirects=False)
            assert response.headers["Location"] == "/console/wachtrij?klaar=teruggegeven"

    asyncio.run(scenario())
    assert chat.calls == [("expert_took", CONVERSATION), ("transcript_events", CONVERSATION),
                          ("transcript_events", CONVERSATION),  # the page again, with the error
                          ("from_expert", CONVERSATION, "Hoi"), ("hand_back", CONVERSATION)]
    assert status_of(handoff_id) == "closed"  # the fake changed nothing: the console's own close did


def test_the_chat_page_says_when_the_history_is_missing(sqlite_store):
    add_account("anne")
    chat = FakeLiveChat(None)
    handoff_id = queued()

    async def scenario() -> str:
        async with TestClient(TestServer(console_with(chat))) as client:
            csrf = await logged_in(client, "anne", PASSWORD)
            await client.post(f"/console/overnemen/{handoff_id}", data={"csrf": csrf}, allow_redirects=False)
            return await (await client.get(f"/console/gesprek/{handoff_id}")).text()

    page = asyncio.run(scenario())
    assert "nu niet te laden" in page and chat.calls[-1] == ("transcript_events", CONVERSATION)
