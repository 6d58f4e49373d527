"""The gateway's router: BOT/HUMAN modes in the database, hand-over queue, timeouts, restart recovery."""

from __future__ import annotations

import asyncio

import httpx
import pytest
from sqlalchemy import select

from bot.gateway.router import Router, texts
from bot.store import records
from bot.store.db import session_scope
from bot.store.models import Conversation, HandoffRequest, LiveMessage

SECRET = "test-secret"


class FakeRasa:
    """Scripted replies; records what reached Rasa."""

    def __init__(self, replies=None, fail: bool = False) -> None:
        self.replies = replies or (lambda sender, text: [{"text": f"antwoord op {text}"}])
        self.fail = fail
        self.sent: list[tuple[str, str]] = []
        self.executed: list[tuple[str, str]] = []

    async def send(self, sender: str, text: str) -> list[dict]:
        if self.fail:
            raise httpx.ConnectError("Rasa is down")
        self.sent.append((sender, text))
        return self.replies(sender, text)

    async def execute(self, sender: str, action: str) -> list[dict]:
        self.executed.append((sender, action))
        return [{"text": f"uitgevoerd: {action}"}]


class FakeChannel:
    name = "web"

    def __init__(self) -> None:
        self.delivered: list[tuple[str, dict]] = []
        self.typed: list[str] = []

    async def deliver(self, address: str, messages: list[dict]) -> None:
        self.delivered += [(address, m) for m in messages]

    async def typing(self, address: str) -> None:
        self.typed.append(address)

    def texts(self) -> list[str]:
        return [m.get("text", "") for _, m in self.delivered]


@pytest.fixture
def store(sqlite_store):
    return sqlite_store


def handoff_replies(sender: str, text: str) -> list[dict]:
    """What Rasa answers to "ik wil een mens": the action recorded a request and says so."""
    if text != "ik wil een mens":
        return [{"text": f"antwoord op {text}"}]
    with session_scope() as session:
        request = records.request_handoff(session, conversation_id=sender, municipality="zwolle", topic=None,
                                          reason="op verzoek", screening_level=None, screening_domains=[])
        handoff_id = request.id
    return [{"text": "Ik zet je door naar een medewerker."},
            {"custom": {"handoff": {"id": handoff_id, "reason": "op verzoek"}}}]


def make(rasa: FakeRasa, timeout: float = 300.0) -> tuple[Router, FakeChannel]:
    router = Router(rasa, secret=SECRET, handoff_timeout=timeout)
    channel = FakeChannel()
    router.register(channel)
    return router, channel


def conversation(router: Router, address: str = "session-1") -> Conversation:
    with session_scope() as session:
        return session.get(Conversation, router.conversation_id("web", address))


def test_bot_mode_sends_to_rasa_and_delivers_the_replies(store):
    rasa = FakeRasa()
    router, channel = make(rasa)
    asyncio.run(router.from_user("web", "session-1", "hoi"))
    assert rasa.sent == [(router.conversation_id("web", "session-1"), "hoi")]
    assert channel.typed == ["session-1"] and channel.texts() == ["antwoord op hoi"]
    assert conversation(router).mode == "bot"


def test_sender_ids_do_not_reveal_the_address():
    router, _ = make(FakeRasa())
    first = router.conversation_id("telegram", "123456789")
    assert "123456789" not in first and first.startswith("telegram-")
    assert first == router.conversation_id("telegram", "123456789") != router.conversation_id("web", "123456789")
    assert Router(FakeRasa(), secret="other").conversation_id("telegram", "123456789") != first


def test_handoff_switches_to_human_mode_and_queues(store):
    router, channel = make(FakeRasa(handoff_replies))

    async def scenario():
        await router.from_user("web", "session-1", "ik wil een mens")
        await router.close()

    asyncio.run(scenario())
    assert conversation(router).mode == "human"
    assert not any("custom" in m for _, m in channel.delivered)  # the gateway's message stays internal
    assert channel.texts()[-1] == texts()["queued"].format(position=1)


def test_in_human_mode_the_bot_stays_silent_and_the_expert_hears_it(store):
    rasa = FakeRasa(handoff_replies)
    router, channel = make(rasa)
    heard = []

    async def listener(conversation_id, event):
        heard.append(event)

    router.listeners.append(listener)

    async def scenario():
        await router.from_user("web", "session-1", "ik wil een mens")
        await router.from_user("web", "session-1", "mijn nummer is 0612345678")
        await router.from_user("web", "session-1", "hallo?")
        await router.close()

    asyncio.run(scenario())
    assert [text for _, text in rasa.sent] == ["ik wil een mens"]
    assert channel.texts().count(texts()["waiting_ack"]) == 1  # told once, not after every message
    with session_scope() as session:
        stored = session.execute(select(LiveMessage.text)).scalars().all()
    assert stored == ["mijn nummer is [telefoonnummer]", "hallo?"]
    assert [e["text"] for e in heard if e["type"] == "message"] == stored


def test_back_to_the_bot_leaves_the_queue(store):
    router, channel = make(FakeRasa(handoff_replies))

    async def scenario():
        await router.from_user("web", "session-1", "ik wil een mens")
        await router.from_user("web", "session-1", "Terug naar de bot")
        await router.from_user("web", "session-1", "hoe werkt alimentatie")

    asyncio.run(scenario())
    assert texts()["left_queue"] in channel.texts()
    assert channel.texts()[-1] == "antwoord op hoe werkt alimentatie"
    with session_scope() as session:
        assert session.execute(select(HandoffRequest.status)).scalar_one() == "cancelled"


def test_nobody_in_time_offers_a_callback(store):
    router, channel = make(FakeRasa(handoff_replies), timeout=0.05)

    async def scenario():
        await router.from_user("web", "session-1", "ik wil een mens")
        await asyncio.sleep(0.2)

    asyncio.run(scenario())
    last = channel.delivered[-1][1]
    assert last["buttons"] == [{"title": "Bel me terug", "payload": "/request_callback"}]
    assert conversation(router).mode == "bot"
    with session_scope() as session:
        assert session.execute(select(HandoffRequest.status)).scalar_one() == "expired"


def test_a_restart_resumes_the_waiting_time(store):
    first, _ = make(FakeRasa(handoff_replies), timeout=300)

    async def before_restart():
        await first.from_user("web", "session-1", "ik wil een mens")
        await first.close()  # the process stops; the mode stays in the database

    asyncio.run(before_restart())
    restarted, channel = make(FakeRasa(), timeout=0.05)

    async def after_restart():
        assert await restarted.recover() == 1
        await asyncio.sleep(0.2)

    asyncio.run(after_restart())
    assert conversation(restarted).mode == "bot"
    assert channel.delivered[-1][1]["buttons"][0]["payload"] == "/request_callback"


def test_expert_messages_and_hand_back(store):
    rasa = FakeRasa(handoff_replies)
    router, channel = make(rasa)
    conversation_id = router.conversation_id("web", "session-1")

    async def scenario():
        await router.from_user("web", "session-1", "ik wil een mens")
        await router.expert_took(conversation_id)
        await router.from_expert(conversation_id, "Hoi, ik ben Sanne van het Scheidingspunt. <b>Hoe gaat het?</b>")
        await router.hand_back(conversation_id)
        await router.from_user("web", "session-1", "dank je")

    asyncio.run(scenario())
    from_expert = [m for _, m in channel.delivered if m.get("from") == "expert"]
    assert from_expert[-1]["text"].endswith("<b>Hoe gaat het?</b>")  # the channel renders it as text
    assert rasa.executed == [(conversation_id, "utter_back_to_bot")]
    assert "uitgevoerd: utter_back_to_bot" in channel.texts()
    assert rasa.sent[-1] == (conversation_id, "dank je")
    with session_scope() as session:
        assert session.execute(select(HandoffRequest.status)).scalar_one() == "closed"


def test_too_long_message_is_refused_kindly(store):
    rasa = FakeRasa()
    router, channel = make(rasa)
    asyncio.run(router.from_user("web", "session-1", "a" * 5000))
    assert rasa.sent == [] and "te lang" in channel.texts()[0]


def test_rasa_down_still_answers_and_gives_helplines(store):
    router, channel = make(FakeRasa(fail=True))
    asyncio.run(router.from_user("web", "session-1", "hoe werkt kinderalimentatie"))
    asyncio.run(router.from_user("web", "session-1", "ik wil niet meer leven"))
    assert "0800-2000" in channel.texts()[0]
    assert "113" in channel.texts()[1]


def test_new_conversation_erases_through_rasa(store):
    rasa = FakeRasa()
    router, channel = make(rasa)
    asyncio.run(router.new_conversation("web", "session-1"))
    assert rasa.executed == [(router.conversation_id("web", "session-1"), "action_delete_conversation")]
    assert channel.texts() == ["uitgevoerd: action_delete_conversation"]
