"""The tracker store records anonymous counts for the figures while it saves a conversation."""

from __future__ import annotations

import asyncio
import logging

import pytest
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import ActionExecuted, BotUttered, SlotSet, UserUttered
from rasa.shared.core.slots import TextSlot
from rasa.shared.core.trackers import DialogueStateTracker
from sqlalchemy import select

from bot.store.db import session_scope
from bot.store.models import Event
from privacy import tracker_store
from privacy.tracker_store import DELETE_ACTION, PrivateSQLTrackerStore

GEMEENTE = TextSlot("gemeente", mappings=[{"type": "from_entity", "entity": "gemeente"}])
TIME = 1_900_000_000.0  # 2030-03-17 17:46:40 UTC


def faq(text: str, answer: str) -> UserUttered:
    """A user message as Rasa 3.6 makes it after the ResponseSelector chose an FAQ answer."""
    intent = {"name": "faq", "confidence": 0.93}
    return UserUttered(text, intent, parse_data={
        "text": text,
        "intent": intent,
        "entities": [],
        "response_selector": {
            "all_retrieval_intents": ["faq"],
            "faq": {
                "response": {"responses": [{"text": "..."}], "confidence": 0.88,
                             "intent_response_key": answer, "utter_action": f"utter_{answer}"},
                "ranking": [{"id": 1, "confidence": 0.88, "intent_response_key": answer}],
            },
        },
    }, timestamp=TIME)


def said(text: str, intent: str) -> UserUttered:
    prediction = {"name": intent, "confidence": 1.0}
    return UserUttered(text, prediction, parse_data={"text": text, "intent": prediction, "entities": []},
                       timestamp=TIME)


@pytest.fixture
def store(sqlite_store, tmp_path):
    return PrivateSQLTrackerStore(Domain.empty(), dialect="sqlite", db=str(tmp_path / "tracker.db"))


def save(store, sender: str, events: list) -> None:
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, events, slots=[GEMEENTE])))


def recorded() -> list[tuple[str, str | None, str | None]]:
    with session_scope() as session:
        return [(e.kind, e.municipality, e.topic)
                for e in session.execute(select(Event).order_by(Event.id)).scalars()]


def test_a_conversation_starts_once_and_each_question_counts_its_topic(store):
    events = [said("hoi", "greet"), BotUttered("Hoi!")]
    save(store, "s1", events)
    assert recorded() == [("conversation_started", None, None)]
    events += [faq("moet ik een advocaat", "faq/scheiding_advocaat"), BotUttered("Nee, ...")]
    save(store, "s1", events)
    events += [said("ik woon in Twenterand", "inform"), SlotSet("gemeente", "Twenterand"),
               said("hij slaat me", "safety_violence"), said("hoeveel kinderalimentatie", "faq")]
    save(store, "s1", events)
    # A FAQ without a chosen answer counts no topic; the municipality is the slot's at saving time.
    assert recorded() == [("conversation_started", None, None), ("question", None, "scheiding"),
                          ("question", "twenterand", "veiligheid")]
    save(store, "s2", [SlotSet("gemeente", "Zwolle"), faq("alimentatie", "faq/kinderalimentatie_hoogte")])
    assert recorded()[-2:] == [("conversation_started", "zwolle", None),
                               ("question", "zwolle", "kinderalimentatie")]


def test_without_the_slot_the_site_municipality_of_the_widget_counts(store):
    message = said("hoi", "greet")
    message.metadata = {"gemeente": "dordrecht"}
    save(store, "s3", [message, BotUttered("Hoi!")])
    assert recorded() == [("conversation_started", "dordrecht", None)]
    save(store, "s4", [SlotSet("gemeente", "Zwolle"), said("hoi", "greet")])  # the parent's own word wins
    assert recorded()[-1] == ("conversation_started", "zwolle", None)


def test_the_start_is_the_first_message_stored_not_the_first_of_this_save(store):
    save(store, "s3", [ActionExecuted("action_session_start"), ActionExecuted("action_listen")])
    assert recorded() == []  # no message yet, no conversation
    save(store, "s3", [ActionExecuted("action_session_start"), ActionExecuted("action_listen"),
                       said("hoi", "greet"), said("nog een", "greet")])
    assert recorded() == [("conversation_started", None, None)]
    # A new Rasa session of the same sender (the tracker holds only its events) is not a new start.
    save(store, "s3", [ActionExecuted("action_session_start"), said("weer hoi", "greet")])
    assert recorded() == [("conversation_started", None, None)]


def test_opening_the_chat_is_no_conversation_until_the_parent_says_something(store):
    # The widget (and Telegram's /start) asks for the greeting with "/greet": an opened chat, no question.
    events = [said("/greet", "greet"), BotUttered("Hoi! Ik ben de digitale assistent.")]
    save(store, "s5", events)
    events += [said("/greet", "greet")]  # opened again (Telegram's /start twice)
    save(store, "s5", events)
    assert recorded() == []
    events += [faq("moet ik een advocaat", "faq/scheiding_advocaat")]
    save(store, "s5", events)
    assert recorded() == [("conversation_started", None, None), ("question", None, "scheiding")]
    events += [faq("en een mediator?", "faq/scheiding_advocaat")]
    save(store, "s5", events)
    assert recorded()[1:] == [("question", None, "scheiding")] * 2


@pytest.mark.parametrize("gemeente, expected", [
    ("twenterand", "twenterand"), ("Gemeente Zwolle", "zwolle"), ("onbekend", None), ("Amsterdam", None),
    (None, None),
])
def test_municipality_key(gemeente, expected):
    assert tracker_store.municipality_key(gemeente) == expected


def test_counts_survive_deletion_and_the_deletion_counts_nothing(store):
    events = [faq("advocaat?", "faq/scheiding_advocaat")]
    save(store, "s4", events)
    save(store, "s4", [*events, said("verwijder mijn gesprek", "delete_conversation"),
                       ActionExecuted(DELETE_ACTION)])
    assert recorded() == [("conversation_started", None, None), ("question", None, "scheiding")]
    with store.session_scope() as session:
        assert session.query(store.SQLEvent).filter(store.SQLEvent.sender_id == "s4").count() == 0


def test_a_broken_figures_store_never_breaks_saving(store, monkeypatch, caplog):
    monkeypatch.setenv("DATABASE_URL", "sqlite:////nonexistent-dir/store.db")
    text = "bel me op 06-12345678"
    with caplog.at_level(logging.WARNING, logger="privacy.tracker_store"):
        save(store, "s5", [faq(text, "faq/scheiding_advocaat")])
    restored = asyncio.run(store.retrieve("s5"))
    assert restored is not None and restored.latest_message.text == "bel me op [telefoonnummer]"
    assert "Figures not recorded (2 events): OperationalError" in caplog.text
    assert "06-" not in caplog.text and "bel me" not in caplog.text


def test_recorded_at_the_message_time(store):
    save(store, "s6", [faq("advocaat?", "faq/scheiding_advocaat")])
    with session_scope() as session:
        times = set(session.execute(select(Event.created_at)).scalars())
    assert {t.timestamp() for t in times} == {TIME}
