"""The gateway's router: BOT/HUMAN modes in the database, hand-over queue, timeouts, restart recovery."""

from __future__ import annotations

import asyncio

import pytest
from sqlalchemy import select

from bot.domain.names import ACTION_FAILED
from bot.gateway.router import Router
from bot.gateway.texts import texts
from bot.store import handoffs
from bot.store.db import session_scope
from bot.store.models import Conversation, HandoffRequest, LiveMessage
from tests.support.fakes import SECRET, FakeChannel, FakeRasa, handoff_replies
from tests.support.responses import rendered


@pytest.fixture
def store(sqlite_store):
    return sqlite_store


def _listen(router: Router) -> list[dict]:
    heard: list[dict] = []

    async def listener(conversation_id, event):
        heard.append({"conversation_id": conversation_id, **event})

    router.subscribe(listener)
    return heard


def make(rasa: FakeRasa, timeout: float = 300.0, safety_reply: float = 60.0) -> tuple[Router, FakeChannel]:
    router = Router(rasa, secret=SECRET, handoff_timeout=timeout, safety_reply_seconds=safety_reply)
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
    assert conversation(router) is None  # nothing is stored about a conversation with the bot only


def test_sender_ids_do_not_reveal_the_address():
    router, _ = make(FakeRasa())
    first = router.conversation_id("telegram", "123456789")
    assert "123456789" not in first and first.startswith("telegram-")
    assert first == router.conversation_id("telegram", "123456789") != router.conversation_id("web", "123456789")
    assert Router(FakeRasa(), secret="other").conversation_id("telegram", "123456789") != first


def test_handoff_switches_to_human_mode_and_queues(store):
    router, channel = make(FakeRasa(handoff_replies("zwolle")))

    async def scenario():
        await router.from_user("web", "session-1", "ik wil een mens")
        await router.close()

    asyncio.run(scenario())
    assert conversation(router).mode == "human"
    assert not any("custom" in m for _, m in channel.delivered)  # the gateway's message stays internal
    assert channel.texts()[-1] == texts()["queued"].format(position=1)


def test_in_human_mode_the_bot_stays_silent_and_the_expert_hears_it(store):
    rasa = FakeRasa(handoff_replies("zwolle"))
    router, channel = make(rasa)
    heard = _listen(router)

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
    router, channel = make(FakeRasa(handoff_replies("zwolle")))

    async def scenario():
        await router.from_user("web", "session-1", "ik wil een mens")
        await router.from_user("web", "session-1", "Terug naar de bot")
        await router.from_user("web", "session-1", "hoe werkt alimentatie")

    asyncio.run(scenario())
    assert texts()["left_queue"] in channel.texts()
    assert channel.texts()[-1] == "antwoord op hoe werkt alimentatie"
    with session_scope() as session:
        assert session.execute(select(HandoffRequest.status)).scalar_one() == "cancelled"


def test_another_municipality_while_waiting_goes_back_to_the_bot_which_asks_it(store):
    rasa = FakeRasa(handoff_replies("zwolle"))
    router, channel = make(rasa)
    heard = _listen(router)

    async def scenario():
        await router.from_user("web", "session-1", "ik wil een mens")
        await router.from_user("web", "session-1", "/change_gemeente")
        await router.close()

    asyncio.run(scenario())
    assert [text for _, text in rasa.sent] == ["ik wil een mens", "/change_gemeente"]
    assert channel.texts()[-1] == "antwoord op /change_gemeente" and texts()["left_queue"] not in channel.texts()
    assert conversation(router).mode == "bot" and [e["type"] for e in heard][-1] == "left"
    with session_scope() as session:
        assert session.execute(select(HandoffRequest.status)).scalar_one() == "cancelled"


def test_another_municipality_after_an_expert_took_the_chat_is_told_to_the_expert(store):
    rasa = FakeRasa(handoff_replies("zwolle"))
    router, channel = make(rasa)
    heard = _listen(router)

    async def scenario():
        await router.from_user("web", "session-1", "ik wil een mens")
        with session_scope() as session:
            assert handoffs.take(session, _handoff_id(), "expert-1")
        await router.expert_took(router.conversation_id("web", "session-1"))
        await router.from_user("web", "session-1", "/change_gemeente")
        await router.close()

    asyncio.run(scenario())
    assert [text for _, text in rasa.sent] == ["ik wil een mens"]
    assert [e["text"] for e in heard if e["type"] == "message"] == [texts()["change_gemeente_for_expert"]]
    assert conversation(router).mode == "human"


def test_nobody_in_time_offers_a_callback(store):
    router, channel = make(FakeRasa(handoff_replies("zwolle")), timeout=0.05)

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
    first, _ = make(FakeRasa(handoff_replies("zwolle")), timeout=300)

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
    rasa = FakeRasa(handoff_replies("zwolle"))
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
    assert rasa.executed == [(conversation_id, "utter_back_to_bot"), (conversation_id, "action_listen")]
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


def test_an_empty_answer_from_rasa_asks_to_try_again(store):
    """Rasa's REST channel answers [] when it failed on a message (a lock store that restarted, say)."""
    router, channel = make(FakeRasa(replies=lambda sender, text: []))
    asyncio.run(router.from_user("web", "session-1", "hoe werkt kinderalimentatie"))
    asyncio.run(router.from_user("web", "session-1", "ik wil niet meer leven"))
    assert channel.texts()[0] == texts()["unavailable"] and "Probeer het nog eens" in channel.texts()[0]
    assert "113" in channel.texts()[1]
    assert router.metrics.rasa_errors.labels("empty")._value.get() == 2


def test_an_action_that_failed_in_rasa_asks_to_try_again_after_what_rasa_said(store):
    """privacy/rest_channel.py marks an answer whose custom action failed (its events are lost)."""
    failed = {"recipient_id": "x", "custom": ACTION_FAILED}
    helplines = rendered({"response": "utter_safety_suicide"})["text"]
    answers = {"bel me terug": [{"text": "Ik regel dat."}, failed],
               "ik wil niet meer leven": [failed],
               "ik wil er niet meer zijn": [{"text": helplines}, failed]}
    router, channel = make(FakeRasa(replies=lambda sender, text: answers[text]))
    for text in answers:
        asyncio.run(router.from_user("web", "session-1", text))
    assert channel.texts() == ["Ik regel dat.", texts()["unavailable"],  # said, then the try-again
                               texts()["helplines_suicide"],  # a safety signal still gets its helplines
                               helplines, texts()["unavailable"]]  # ... once
    assert router.metrics.rasa_errors.labels("action")._value.get() == 3


def test_new_conversation_erases_through_rasa(store):
    rasa = FakeRasa()
    router, channel = make(rasa)
    heard = _listen(router)
    asyncio.run(router.new_conversation("web", "session-1"))
    assert heard == [{"conversation_id": router.conversation_id("web", "session-1"), "type": "erased",
                      "handoff_id": None}]
    assert rasa.executed == [(router.conversation_id("web", "session-1"), "action_delete_conversation")]
    assert channel.texts() == ["uitgevoerd: action_delete_conversation"]


def _handoff_id() -> str:
    with session_scope() as session:
        return session.execute(select(HandoffRequest.id)).scalar_one()


def test_expert_closes_the_chat(store):
    rasa = FakeRasa(handoff_replies("zwolle"))
    router, channel = make(rasa)
    heard = _listen(router)
    conversation_id = router.conversation_id("web", "session-1")
    results = {}

    async def scenario():
        await router.from_user("web", "session-1", "ik wil een mens")
        results["took"] = await router.expert_took(conversation_id)
        await router.from_user("web", "session-1", "hallo")
        results["sent"] = await router.from_expert(conversation_id, "Hoi!")
        results["closed"] = await router.close_by_expert(conversation_id)
        results["closed_again"] = await router.close_by_expert(conversation_id)
        results["sent_after"] = await router.from_expert(conversation_id, "nog iets")
        await router.from_user("web", "session-1", "dank je")

    asyncio.run(scenario())
    assert results == {"took": True, "sent": True, "closed": True, "closed_again": False, "sent_after": False}
    handoff_id = _handoff_id()
    assert [(e["type"], e.get("author")) for e in heard] == [
        ("queued", None), ("taken", None), ("message", "user"), ("message", "expert"), ("closed", None)]
    assert {e["handoff_id"] for e in heard} == {handoff_id}
    assert {e["conversation_id"] for e in heard} == {conversation_id}
    closing = next(m for _, m in channel.delivered if m.get("text") == texts()["expert_closed"])
    assert closing["buttons"] == [{"title": "Wat kan ik vragen?", "payload": "/help"}]
    assert "nog iets" not in channel.texts()
    assert rasa.executed == []  # closing needs no Rasa; the next message goes to the bot again
    assert rasa.sent[-1] == (conversation_id, "dank je") and conversation(router).mode == "bot"
    with session_scope() as session:
        request = session.get(HandoffRequest, handoff_id)
        assert request.status == "closed" and request.closed_at is not None


def test_taking_a_conversation_the_parent_just_left(store):
    router, channel = make(FakeRasa(handoff_replies("zwolle")))
    heard = _listen(router)
    conversation_id = router.conversation_id("web", "session-1")

    async def scenario():
        await router.from_user("web", "session-1", "ik wil een mens")
        await router.from_user("web", "session-1", "stop met wachten")
        return await router.expert_took(conversation_id), await router.hand_back(conversation_id)

    assert asyncio.run(scenario()) == (False, False)
    assert texts()["expert_joined"] not in channel.texts()
    assert [e["type"] for e in heard] == ["queued", "left"]
    assert heard[-1]["handoff_id"] == _handoff_id()


def test_expiry_and_hand_back_tell_the_listeners_which_handoff_ended(store):
    router, _ = make(FakeRasa(handoff_replies("zwolle")), timeout=0.05)
    heard = _listen(router)

    async def expire():
        await router.from_user("web", "session-1", "ik wil een mens")
        await asyncio.sleep(0.2)

    asyncio.run(expire())
    assert [(e["type"], e["handoff_id"]) for e in heard] == [("queued", _handoff_id()), ("expired", _handoff_id())]

    router, _ = make(FakeRasa(handoff_replies("zwolle")))
    heard = _listen(router)
    conversation_id = router.conversation_id("web", "session-2")

    async def hand_back():
        await router.from_user("web", "session-2", "ik wil een mens")
        await router.expert_took(conversation_id)
        return await router.hand_back(conversation_id)

    assert asyncio.run(hand_back()) is True
    with session_scope() as session:
        second = session.execute(select(HandoffRequest.id).where(
            HandoffRequest.conversation_id == conversation_id)).scalar_one()
    assert [(e["type"], e["handoff_id"]) for e in heard] == [
        ("queued", second), ("taken", second), ("handed_back", second)]


def test_quick_messages_of_one_conversation_are_answered_in_order(store):
    # The first message takes Rasa longest: without the per-conversation turn it would be answered last.
    delays = {"een": 0.06, "twee": 0.03, "drie": 0.0}

    class SlowRasa(FakeRasa):
        async def send(self, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
            await asyncio.sleep(delays.get(text, 0.0))
            return await super().send(sender, text, metadata)

    router, channel = make(SlowRasa())

    async def scenario():
        await asyncio.gather(*(router.from_user("web", "session-1", text) for text in ("een", "twee", "drie")),
                             router.from_user("web", "session-2", "hoi"))

    asyncio.run(scenario())
    first = [m["text"] for address, m in channel.delivered if address == "session-1"]
    assert first == ["antwoord op een", "antwoord op twee", "antwoord op drie"]
    assert ("session-2", {"text": "antwoord op hoi"}) in channel.delivered
    assert router._turns == {} and router._turn_users == {}  # nothing kept once the turns are over


def test_other_conversations_do_not_wait_for_a_slow_one(store):
    started: list[str] = []
    release = None

    class BlockingRasa(FakeRasa):
        async def send(self, sender: str, text: str, metadata: dict | None = None) -> list[dict]:
            started.append(text)
            if text == "traag":
                await release.wait()
            return await super().send(sender, text, metadata)

    router, channel = make(BlockingRasa())

    async def scenario():
        nonlocal release
        release = asyncio.Event()
        slow = asyncio.create_task(router.from_user("web", "session-1", "traag"))
        while "traag" not in started:  # session-1 is now inside Rasa, holding its turn
            await asyncio.sleep(0.005)
        await router.from_user("web", "session-2", "snel")  # finishes while session-1 still waits
        assert channel.texts() == ["antwoord op snel"]
        release.set()
        await slow

    asyncio.run(scenario())
    assert started == ["traag", "snel"]


# --- safety while a person is (to be) in the chat --------------------------------------------------

def _human_mode_signal(rasa: FakeRasa, signal: str, *, expert_writes: bool):
    router, channel = make(rasa, safety_reply=0.05)
    heard = _listen(router)

    async def scenario():
        await router.from_user("web", "session-1", "ik wil een mens")
        await router.from_user("web", "session-1", signal)
        if expert_writes:
            await router.from_expert(router.conversation_id("web", "session-1"), "Ik ben er, ben je veilig?")
        await asyncio.sleep(0.2)
        await router.close()

    asyncio.run(scenario())
    return channel, heard


def test_a_safety_signal_in_human_mode_is_flagged_and_gets_the_helplines_when_nobody_answers(store):
    rasa = FakeRasa(handoff_replies("zwolle"))
    rasa.intents["hij staat elke avond voor mijn deur"] = "safety_violence"
    channel, heard = _human_mode_signal(rasa, "hij staat elke avond voor mijn deur", expert_writes=False)
    assert "hij staat elke avond voor mijn deur" in rasa.parsed  # NLU only: no turn in the bot's conversation
    assert [text for _, text in rasa.sent] == ["ik wil een mens"]
    assert {"type": "safety", "signal": "safety_violence"}.items() <= next(
        e for e in heard if e["type"] == "safety").items()
    assert texts()["expert_safety_flag"] in [e.get("text") for e in heard if e.get("author") == "system"]
    assert channel.texts()[-1] == texts()["helplines_violence"]
    with session_scope() as session:
        authors = session.execute(select(LiveMessage.author)).scalars().all()
    assert "system" in authors


def test_no_gateway_helplines_when_the_expert_answers_in_time(store):
    rasa = FakeRasa(handoff_replies("zwolle"))
    channel, heard = _human_mode_signal(rasa, "ik wil niet meer leven", expert_writes=True)
    assert any(e["type"] == "safety" and e["signal"] == "safety_suicide" for e in heard)
    assert texts()["helplines_suicide"] not in channel.texts()
    assert channel.texts()[-1] == "Ik ben er, ben je veilig?"


def test_an_ordinary_message_in_human_mode_is_not_flagged(store):
    rasa = FakeRasa(handoff_replies("zwolle"))
    channel, heard = _human_mode_signal(rasa, "hoe lang duurt het nog?", expert_writes=False)
    assert not any(e["type"] == "safety" for e in heard)
    assert texts()["helplines_violence"] not in channel.texts()
