"""Two gateways behind one load balancer, sharing one PostgreSQL store and one Redis (REDIS_URL): the real
gateway app twice in this process, each on its own port, with a fake Rasa. The parent's web chat is on
gateway A, the expert's console on gateway B (or on both)."""

from __future__ import annotations

import asyncio
import json
import logging

import pytest
import redis.asyncio
from aiohttp.test_utils import TestClient, TestServer

from bot.gateway import bus as gateway_bus
from bot.gateway.app import Settings, build_app
from bot.gateway.texts import texts
from bot.gateway.webchat import SOCKETIO_CHANNEL
from bot.store.db import session_scope
from bot.store.models import HandoffRequest
from tests.console.harness import add_account, logged_in
from tests.support.fakes import SECRET, FakeRasa, handoff_replies
from tests.support.store import postgres_database
from tests.support.waiting import eventually
from tests.support.webchat import client as webchat_client

WAIT_SECONDS = 10.0
PHONE = "0612345678"


class Gateway:
    """One gateway process: the real app on a port of its own."""

    def __init__(self, redis_url: str, handoff_timeout: float = 300.0) -> None:
        self.app = build_app(Settings(secret=SECRET, handoff_timeout=handoff_timeout, redis_url=redis_url),
                             with_telegram=False)
        self.rasa = FakeRasa(handoff_replies())
        self.router = self.app["router"]
        self.router.rasa = self.app["rasa"] = self.rasa
        # The test client long-polls; closing it waits for the current poll.
        self.app["webchat"].sio.eio.ping_interval, self.app["webchat"].sio.eio.ping_timeout = 0.2, 1
        self.server = TestServer(self.app)
        self.clients: list[TestClient] = []

    @property
    def url(self) -> str:
        return str(self.server.make_url("")).rstrip("/")

    async def start(self) -> Gateway:
        await self.server.start_server()
        return self

    async def close(self) -> None:
        for client in self.clients:
            await client.close()
        await self.server.close()

    async def expert(self, username: str) -> Expert:
        client = TestClient(self.server)
        await client.start_server()
        self.clients.append(client)
        return await Expert(client, await logged_in(client, username)).open()

    def expired_count(self) -> float:
        return self.router.metrics.registry.get_sample_value(
            "scheidingspunt_handoff_events_total", {"event": "expired"}) or 0.0


class Expert:
    """A logged-in console, its live stream (GET /console/events) read in the background."""

    def __init__(self, client: TestClient, csrf: str) -> None:
        self.client, self.csrf = client, csrf
        self.events: list[dict] = []
        self._reader: asyncio.Task | None = None

    async def open(self) -> Expert:
        response = await self.client.get("/console/events")
        assert response.status == 200
        assert await asyncio.wait_for(response.content.readuntil(b"\n\n"), WAIT_SECONDS) == b"retry: 3000\n\n"
        self._reader = asyncio.create_task(self._read(response))
        return self

    async def _read(self, response) -> None:
        while True:
            block = await response.content.readuntil(b"\n\n")
            if not block:
                return
            fields = dict(line.split(": ", 1) for line in block.decode().strip().split("\n")
                          if ": " in line and not line.startswith(":"))
            if "event" in fields:
                self.events.append({"event": fields["event"], **json.loads(fields["data"])})

    def seen(self, **match) -> list[dict]:
        return [e for e in self.events if match.items() <= e.items()]

    async def sees(self, **match) -> dict:
        await eventually(lambda: self.seen(**match))
        return self.seen(**match)[0]

    async def post(self, path: str, **data) -> int:
        response = await self.client.post(path, data={"csrf": self.csrf, **data}, allow_redirects=False)
        return response.status


class Parent:
    """A browser's web chat on one gateway."""

    def __init__(self, sio, received: asyncio.Queue, session_id: str) -> None:
        self.sio, self.received, self.session_id = sio, received, session_id
        self.messages: list[dict] = []

    @classmethod
    async def on(cls, gateway: Gateway, session_id: str | None = None) -> Parent:
        return cls(*await webchat_client(gateway.url, session_id))

    async def says(self, message: str) -> None:
        await self.sio.emit("user_uttered", {"message": message, "session_id": self.session_id})

    async def hears(self, text: str) -> dict:
        """Wait for the message with `text`; everything received on the way is kept in `messages`."""
        while True:
            message = await asyncio.wait_for(self.received.get(), WAIT_SECONDS)
            self.messages.append(message)
            if message.get("text") == text:
                return message

    async def settle(self, seconds: float = 0.3) -> list[str]:
        """Everything received so far (after a short wait), as texts."""
        await asyncio.sleep(seconds)
        while not self.received.empty():
            self.messages.append(self.received.get_nowait())
        return [m.get("text", "") for m in self.messages]

    async def leave(self) -> None:
        await self.sio.disconnect()


async def subscribers(url: str, channel: str) -> int:
    client = redis.asyncio.Redis.from_url(url)
    try:
        return dict(await client.pubsub_numsub(channel)).get(channel.encode(), 0)
    finally:
        await client.close()


async def all_listening(url: str, count: int) -> None:
    """Wait until `count` gateways listen on both Redis channels (the bus and the web chat's rooms)."""
    loop = asyncio.get_running_loop()
    deadline = loop.time() + WAIT_SECONDS
    while (await subscribers(url, gateway_bus.CHANNEL), await subscribers(url, SOCKETIO_CHANNEL)) != (count, count):
        assert loop.time() < deadline, "the gateways did not subscribe"
        await asyncio.sleep(0.05)


@pytest.fixture
def store(postgres, monkeypatch):
    with postgres_database(postgres) as url:
        monkeypatch.setenv("DATABASE_URL", url)
        add_account("anne")
        add_account("bert")
        yield url


def run(redis_url: str, scenario, *, handoff_timeout: float = 300.0) -> None:
    """`await scenario(a, b)` with two running gateways."""

    async def main() -> None:
        a, b = Gateway(redis_url, handoff_timeout), Gateway(redis_url, handoff_timeout)
        await a.start()
        await b.start()
        try:
            await all_listening(redis_url, 2)
            await scenario(a, b)
        finally:
            await a.close()
            await b.close()

    asyncio.run(main())


def status_of(handoff_id: str) -> str:
    with session_scope() as session:
        return session.get(HandoffRequest, handoff_id).status


# --- the tests --------------------------------------------------------------------------------------


def test_a_parent_on_gateway_a_and_an_expert_on_gateway_b(store, redis_url):
    heard_on_redis: list[str] = []

    async def scenario(a: Gateway, b: Gateway) -> None:
        listener = redis.asyncio.Redis.from_url(redis_url).pubsub()
        await listener.subscribe(gateway_bus.CHANNEL)
        anne = await b.expert("anne")
        parent = await Parent.on(a)
        await parent.says("ik wil een mens")
        await parent.hears(texts()["queued"].format(position=1))
        handoff_id = (await anne.sees(event="queue", type="queued"))["handoff_id"]

        # Anne takes it on B: the parent hears it on A.
        assert await anne.post(f"/console/overnemen/{handoff_id}") == 303
        await parent.hears(texts()["expert_joined"])
        await anne.sees(event="queue", type="taken")
        assert await anne.post(f"/console/gesprek/{handoff_id}/bericht", tekst="Hallo, ik ben Anne.") == 303
        assert (await parent.hears("Hallo, ik ben Anne."))["from"] == "expert"

        # The parent's reply reaches the console on B, redacted.
        await parent.says(f"Fijn. Bel me op {PHONE}")
        said = await anne.sees(event="message", author="user")
        assert said["text"].startswith("Fijn. Bel me op") and PHONE not in said["text"]

        # A safety signal on A, and Anne answers on B within the minute: A gives no helplines.
        a.router.safety_reply_seconds = 0.5
        await parent.says("ik wil niet meer leven")
        await anne.sees(event="message", author="system")
        assert await anne.post(f"/console/gesprek/{handoff_id}/bericht", tekst="Ik ben er. Ben je veilig?") == 303
        await parent.hears("Ik ben er. Ben je veilig?")
        assert texts()["helplines_suicide"] not in await parent.settle(1.0)

        # Anne hands it back on B: the bot (on B's Rasa) says so to the parent on A.
        assert await anne.post(f"/console/gesprek/{handoff_id}/teruggeven") == 303
        await parent.hears("uitgevoerd: utter_back_to_bot")
        await anne.sees(event="ended", reason="handed_back")
        assert status_of(handoff_id) == "closed"
        await parent.says("en nu?")
        await parent.hears("antwoord op en nu?")
        assert ("en nu?" in [text for _, text in a.rasa.sent]) and not b.rasa.sent
        await parent.leave()

        # Every event once: none repeated, none lost.
        kinds = [(e["event"], e.get("type") or e.get("author") or e.get("reason")) for e in anne.events]
        assert kinds == [("queue", "queued"), ("queue", "taken"), ("message", "expert"), ("message", "user"),
                         ("message", "user"), ("queue", "safety"), ("message", "system"), ("message", "expert"),
                         ("queue", "handed_back"), ("ended", "handed_back")]
        while (message := await listener.get_message(timeout=0.1)) is not None:
            if message["type"] == "message":
                heard_on_redis.append(message["data"].decode())
        await listener.close()

    run(redis_url, scenario)
    # What went over the bus: ids and the redacted live chat, never the phone number.
    assert heard_on_redis and not any(PHONE in m or PHONE[1:] in m for m in heard_on_redis)


def test_an_erased_conversation_reaches_the_consoles_of_both_gateways(store, redis_url):
    async def scenario(a: Gateway, b: Gateway) -> None:
        anne, bert = await b.expert("anne"), await a.expert("bert")
        parent = await Parent.on(a)
        await parent.says("ik wil een mens")
        handoff_id = (await anne.sees(event="queue", type="queued"))["handoff_id"]
        await bert.sees(event="queue", type="queued")
        await parent.sio.emit("erase_session", {"session_id": parent.session_id})
        await parent.hears("uitgevoerd: action_delete_conversation")
        for expert in (anne, bert):
            assert await expert.sees(event="queue", type="erased") == {
                "event": "queue", "type": "erased", "handoff_id": handoff_id}
        await asyncio.sleep(0.2)
        assert len(anne.seen(type="erased")) == len(bert.seen(type="erased")) == 1
        await parent.leave()

    run(redis_url, scenario)


def test_a_handoff_expires_once_and_the_parent_hears_it_once(store, redis_url):
    expired = texts()["expired"].format(minutes=1)

    async def scenario(a: Gateway, b: Gateway) -> None:
        anne, bert = await b.expert("anne"), await a.expert("bert")
        parent = await Parent.on(a)
        await parent.says("ik wil een mens")
        handoff_id = (await anne.sees(event="queue", type="queued"))["handoff_id"]
        assert a.router._timers and b.router._timers  # both gateways wait for the expert
        await parent.hears(expired)
        await anne.sees(event="queue", type="expired")
        await bert.sees(event="queue", type="expired")
        assert (await parent.settle(1.0)).count(expired) == 1
        assert len(anne.seen(type="expired")) == len(bert.seen(type="expired")) == 1
        assert a.expired_count() + b.expired_count() == 1
        assert status_of(handoff_id) == "expired"
        assert not a.router._timers and not b.router._timers
        await parent.leave()

    run(redis_url, scenario, handoff_timeout=1.0)


def test_a_waiting_handoff_expires_when_its_gateway_died(store, redis_url):
    """Gateway A queued it and went away; the load balancer sends the parent to B, whose timer ends it."""
    expired = texts()["expired"].format(minutes=1)

    async def main() -> None:
        # B's timer starts when it hears "queued": long enough for the parent to be back (on a busy machine
        # closing A took longer than 1.5 s, and the expiry went to a page that was not connected).
        a, b = Gateway(redis_url, 4), Gateway(redis_url, 4)
        await a.start()
        await b.start()
        try:
            await all_listening(redis_url, 2)
            anne = await b.expert("anne")
            parent = await Parent.on(a)
            await parent.says("ik wil een mens")
            handoff_id = (await anne.sees(event="queue", type="queued"))["handoff_id"]
            await parent.leave()
            back = await Parent.on(b, parent.session_id)  # the widget reconnects, now to B
            await a.close()  # A dies; its timer goes with it
            await back.hears(expired)
            await anne.sees(event="queue", type="expired")
            assert status_of(handoff_id) == "expired" and b.expired_count() == 1  # B ended it
            await back.leave()
        finally:
            await b.close()

    asyncio.run(main())


def test_the_gateways_get_over_a_redis_restart(store, redis_server, redis_url, caplog):
    caplog.set_level(logging.INFO)

    async def scenario(a: Gateway, b: Gateway) -> None:
        anne = await b.expert("anne")
        await asyncio.to_thread(redis_server.restart, 0.3)
        await all_listening(redis_url, 2)  # both buses and both web chats subscribed again by themselves
        parent = await Parent.on(a)
        await parent.says("ik wil een mens")
        handoff_id = (await anne.sees(event="queue", type="queued"))["handoff_id"]
        assert await anne.post(f"/console/overnemen/{handoff_id}") == 303
        await parent.hears(texts()["expert_joined"])
        await parent.leave()

    run(redis_url, scenario)
    lost = [r for r in caplog.records if r.name == "bot.gateway.bus" and r.levelno == logging.WARNING]
    assert len(lost) == 2  # one per gateway
    ours = [r for r in caplog.records if r.name.startswith("bot.")]
    assert any(r.name == "bot.gateway.webchat.redis" for r in ours)  # python-socketio's, through our filter
    for record in ours:  # no error text from Redis in any line (it names hosts and ports)
        assert "127.0.0.1" not in record.getMessage() and not hasattr(record, "redis_exception")
