"""The bus between gateway processes (bot/gateway/bus.py) on a real Redis: each message reaches every
other process once and never its sender, it gets over a Redis restart by itself, and a message for a
channel another gateway runs (Telegram) is delivered there."""

from __future__ import annotations

import asyncio
import json
import logging

from bot.gateway import bus
from bot.gateway.router import Router
from bot.store import handoffs
from bot.store.db import session_scope
from tests.support.fakes import SECRET, FakeChannel, FakeRasa
from tests.support.waiting import eventually

WAIT_SECONDS = 10.0




class Heard:
    """A bus that records what it hears."""

    def __init__(self, url: str) -> None:
        self.bus = bus.RedisBus(url, retry_seconds=0.2)
        self.messages: list[dict] = []

    async def __aenter__(self) -> Heard:
        async def handler(message: dict) -> None:
            self.messages.append(message)

        await self.bus.start(handler)
        await asyncio.wait_for(self.bus.subscribed.wait(), WAIT_SECONDS)
        return self

    async def __aexit__(self, *exc) -> None:
        await self.bus.close()


def test_without_redis_the_bus_is_the_process_itself():
    assert isinstance(bus.from_url(None), bus.LocalBus) and not bus.from_url("").shared
    assert isinstance(bus.from_url("redis://127.0.0.1:1/0"), bus.RedisBus)


def test_a_message_reaches_every_other_process_once_and_not_its_sender(redis_url):
    async def scenario():
        async with Heard(redis_url) as a, Heard(redis_url) as b, Heard(redis_url) as c:
            for number in range(3):
                a.bus.publish({"kind": "event", "conversation_id": "web-1", "event": {"type": "n", "n": number}})
            await eventually(lambda: len(b.messages) == 3 and len(c.messages) == 3)
            await asyncio.sleep(0.2)  # nothing more comes
            return a.messages, b.messages, c.messages

    from_a, at_b, at_c = asyncio.run(scenario())
    assert from_a == []
    assert at_b == at_c == [{"kind": "event", "conversation_id": "web-1", "event": {"type": "n", "n": n}}
                            for n in range(3)]  # in order, without the sender's id


def test_the_bus_gets_over_a_redis_restart_with_one_warning(redis_server, redis_url, caplog):
    caplog.set_level(logging.INFO, logger="bot.gateway.bus")

    async def scenario():
        async with Heard(redis_url) as a, Heard(redis_url) as b:
            a.bus.publish({"kind": "event", "event": {"type": "before"}})
            await eventually(lambda: len(b.messages) == 1)
            await asyncio.to_thread(redis_server.restart, 0.5)  # killed, down for half a second, back
            await eventually(lambda: a.bus.subscribed.is_set() and b.bus.subscribed.is_set())
            a.bus.publish({"kind": "event", "event": {"type": "after"}})
            b.bus.publish({"kind": "event", "event": {"type": "the other way"}})
            await eventually(lambda: [m["event"]["type"] for m in b.messages][-1:] == ["after"]
                             and [m["event"]["type"] for m in a.messages] == ["the other way"])

    asyncio.run(scenario())
    warnings = [r for r in caplog.records if r.levelno == logging.WARNING]
    assert len(warnings) == 2  # one per bus, however many attempts it took
    assert {r.getMessage() for r in warnings} == {
        "bus: Redis cannot be reached; trying again (ConnectionError)"}
    assert sum("can be reached again" in r.getMessage() for r in caplog.records) == 2


def test_what_waits_while_redis_is_away_is_sent_in_order_once_it_is_back(redis_server, redis_url):
    async def scenario():
        async with Heard(redis_url) as a:
            listener = Heard(redis_url)
            async with listener:
                await asyncio.to_thread(redis_server.stop)
                for number in range(5):
                    a.bus.publish({"kind": "event", "event": {"n": number}})
                # The listener must subscribe again before the sender's next attempt (Redis keeps no
                # messages for later subscribers): the sender now waits longer between attempts.
                a.bus.retry_seconds = 1.5
                await asyncio.sleep(0.5)  # its last short pause is over, and that attempt failed
                await asyncio.to_thread(redis_server.start)
                await asyncio.wait_for(listener.bus.subscribed.wait(), WAIT_SECONDS)
                await eventually(lambda: len(listener.messages) == 5)
                return [m["event"]["n"] for m in listener.messages]

    assert asyncio.run(scenario()) == [0, 1, 2, 3, 4]


def test_the_payload_is_json_with_the_senders_id(redis_url):
    import redis

    client = redis.Redis.from_url(redis_url)
    pubsub = client.pubsub(ignore_subscribe_messages=True)
    pubsub.subscribe(bus.CHANNEL)
    pubsub.get_message(timeout=1)  # the confirmation

    async def scenario():
        sender = bus.RedisBus(redis_url)

        async def ignore(message: dict) -> None:
            return None

        await sender.start(ignore)
        sender.publish({"kind": "event", "conversation_id": "web-1", "event": {"type": "queued"}})
        await eventually(lambda: sender._outbox.empty())
        await sender.close()
        return sender.origin

    origin = asyncio.run(scenario())
    message = pubsub.get_message(timeout=5)
    client.close()
    assert json.loads(message["data"]) == {"kind": "event", "conversation_id": "web-1",
                                           "event": {"type": "queued"}, "origin": origin}


# --- through the router -------------------------------------------------------------------------------


def test_an_expert_message_for_telegram_is_delivered_by_the_gateway_that_runs_telegram(sqlite_store, redis_url):
    """Telegram runs on one gateway; an expert on another writes to a Telegram parent."""
    telegram = FakeChannel()
    telegram.name = "telegram"
    with_telegram = Router(FakeRasa(), secret=SECRET, bus=bus.RedisBus(redis_url))
    with_telegram.register(telegram)
    without = Router(FakeRasa(), secret=SECRET, bus=bus.RedisBus(redis_url))
    without.register(FakeChannel())  # the web chat only
    conversation_id = with_telegram.conversation_id("telegram", "4242")
    with session_scope() as session:
        made = handoffs.request(session, conversation_id=conversation_id, municipality="zwolle", topic=None,
                                reason=None, screening_level=None, screening_domains=None)
        handoffs.enter_queue(session, conversation_id=conversation_id, channel="telegram", address="4242",
                             handoff_id=made.id)

    async def scenario():
        for router in (with_telegram, without):
            await router.start()
            await asyncio.wait_for(router.bus.subscribed.wait(), WAIT_SECONDS)
        try:
            assert await without.from_expert(conversation_id, "Ik ben er.")
            await eventually(lambda: telegram.delivered)
            await asyncio.sleep(0.2)  # and only once
        finally:
            for router in (with_telegram, without):
                await router.close()

    asyncio.run(scenario())
    assert telegram.delivered == [("4242", {"text": "Ik ben er.", "from": "expert"})]
