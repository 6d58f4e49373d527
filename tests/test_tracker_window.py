"""A long session is loaded with only what the policies and actions need (privacy/tracker_window.py):
the policies see the same recent states, the slots and the active form are the same, an early safety
signal is still there for the actions, and saving writes each new event once."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

import pytest
import sqlalchemy as sa
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.domain import Domain
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    AllSlotsReset,
    BotUttered,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)
from rasa.shared.core.trackers import DialogueStateTracker, EventVerbosity

from bot.domain.names import SAFETY_VIOLENCE
from privacy import tracker_window
from privacy.tracker_store import PrivateSQLTrackerStore, window_turns_from_env
from tests.support.store import DATABASES, tracker_store_options

DOMAIN = Domain.load(Path(__file__).resolve().parents[1] / "domain.yml")
TURNS = 3


@pytest.fixture(params=DATABASES)
def stores(request, tmp_path, sqlite_store, monkeypatch):
    """The same database through a windowed store and through one that loads everything."""
    options = tracker_store_options(request, tmp_path, "window")
    monkeypatch.setenv("TRACKER_WINDOW_TURNS", str(TURNS))
    windowed = PrivateSQLTrackerStore(DOMAIN, **options)
    monkeypatch.setenv("TRACKER_WINDOW_TURNS", "0")
    whole = PrivateSQLTrackerStore(DOMAIN, **options)
    return windowed, whole


def user(text: str, intent: str = "greet") -> UserUttered:
    return UserUttered(text, intent={"name": intent, "confidence": 1.0})


def turn(text: str, intent: str = "greet", action: str = "utter_greet", *extra) -> list:
    return [user(text, intent), *extra, ActionExecuted(action), BotUttered(text.upper()),
            ActionExecuted(ACTION_LISTEN_NAME)]


def opening() -> list:
    return [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted(), ActionExecuted(ACTION_LISTEN_NAME)]


def long_conversation() -> list:
    """Eleven turns: a safety message early, slots set and changed, a callback form done, then questions."""
    return [
        *opening(),
        *turn("ik ben bang voor mijn ex", SAFETY_VIOLENCE, "utter_safety_violence"),
        *turn("ik woon in zwolle", "inform", "utter_greet", SlotSet("gemeente", "Zwolle")),
        *turn("toch in kampen", "inform", "utter_greet", SlotSet("gemeente", "Kampen")),
        *form_turns(),
        *turn("ja", "affirm", "callback_form", ActiveLoop(None), SlotSet("requested_slot", None)),
        *turn("hoi"),
        *turn("morgenochtend", "faq"),
        *turn("of middag", "faq"),
        *turn("ja", "affirm"),
    ]


def form_turns() -> list:
    return [
        *turn("bel me terug", "request_callback", "callback_form", ActiveLoop("callback_form"),
              SlotSet("requested_slot", "callback_phone")),
        *turn("0612345678", "inform", "callback_form", SlotSet("callback_phone", "[telefoonnummer]"),
              SlotSet("requested_slot", "callback_moment")),
        *turn("morgen", "inform", "callback_form", SlotSet("requested_slot", "callback_moment")),
        *turn("morgenochtend", "inform", "callback_form"),
    ]


def saved(store, sender: str, events: list) -> None:
    asyncio.run(store.save(DialogueStateTracker.from_events(sender, events, DOMAIN.slots)))


def load(store, sender: str) -> DialogueStateTracker:
    """As a process loads it that did not save it last (privacy/recent_trackers.py)."""
    store.recent.forget(sender)
    return asyncio.run(store.retrieve(sender))


def row_count(store, sender: str) -> int:
    with store.session_scope() as session:
        return session.query(store.SQLEvent).filter(store.SQLEvent.sender_id == sender).count()


def test_a_long_session_loads_the_same_state_from_fewer_events(stores):
    windowed, whole = stores
    saved(windowed, "long", long_conversation())
    small, full = load(windowed, "long"), load(whole, "long")

    assert len(small.events) < len(full.events) - 20
    assert small.current_slot_values() == full.current_slot_values()
    assert small.current_slot_values()["gemeente"] == "Kampen"
    assert small.active_loop_name is full.active_loop_name is None
    assert small.latest_message.text == full.latest_message.text == "ja"
    assert small.latest_action_name == full.latest_action_name == ACTION_LISTEN_NAME
    # What the policies featurise: the last states (max_history 4 in config.yml; 6 checked) are the same.
    assert small.past_states(DOMAIN)[-6:] == full.past_states(DOMAIN)[-6:]
    # The parent's last TURNS messages, nothing older, reach the policies.
    assert [e.text for e in small.applied_events() if isinstance(e, UserUttered)] == ["morgenochtend", "of middag", "ja"]


def test_while_a_form_runs_the_window_reaches_back_to_before_it_started(stores):
    windowed, whole = stores
    events = [*opening(), *turn("ik woon in zwolle", "inform", "utter_greet", SlotSet("gemeente", "Zwolle")),
              *turn("a"), *turn("b"), *turn("c"), *turn("d"), *form_turns(), *turn("middag", "inform", "callback_form")]
    saved(windowed, "form", events)
    small, full = load(windowed, "form"), load(whole, "form")
    assert small.active_loop_name == full.active_loop_name == "callback_form"
    assert small.past_states(DOMAIN)[-6:] == full.past_states(DOMAIN)[-6:]
    assert small.current_slot_values() == full.current_slot_values()
    texts = [e.text for e in small.applied_events() if isinstance(e, UserUttered)]
    assert texts[:3] == ["c", "d", "bel me terug"]  # TURNS messages up to the one that started the form
    assert "ik woon in zwolle" not in texts and small.get_slot("gemeente") == "Zwolle"


def test_an_early_safety_signal_stays_for_the_actions_but_not_for_the_policies(stores):
    windowed, _ = stores
    saved(windowed, "safe", long_conversation())
    tracker = load(windowed, "safe")
    safety = [e for e in tracker.events if isinstance(e, UserUttered) and e.intent_name == SAFETY_VIOLENCE]
    assert [e.text for e in safety] == ["ik ben bang voor mijn ex"]
    assert safety[0] not in tracker.applied_events()
    # The action server gets every event (EventVerbosity.ALL), the safety message among them.
    sent = tracker.current_state(EventVerbosity.ALL)["events"]
    assert any(e.get("parse_data", {}).get("intent", {}).get("name") == SAFETY_VIOLENCE for e in sent)


def test_saving_a_windowed_tracker_writes_only_the_new_events_once(stores):
    windowed, whole = stores
    saved(windowed, "grow", long_conversation())
    before = row_count(windowed, "grow")
    tracker = load(windowed, "grow")
    for event in turn("nog een vraag", "faq", "utter_faq"):
        tracker.update(event)
    asyncio.run(windowed.save(tracker))
    assert row_count(windowed, "grow") == before + 4
    asyncio.run(windowed.save(tracker))  # Rasa may save a tracker twice: nothing is written again
    assert row_count(windowed, "grow") == before + 4
    with windowed.session_scope() as session:
        types = [json.loads(d)["event"] for (d,) in session.query(windowed.SQLEvent.data)
                 .filter(windowed.SQLEvent.sender_id == "grow").order_by(windowed.SQLEvent.id)]
    assert types.count("session_started") == 1  # the rebuilt opening is never written back
    assert load(whole, "grow").latest_message.text == "nog een vraag"
    assert load(windowed, "grow").latest_message.text == "nog een vraag"


def test_a_short_session_is_loaded_whole(stores):
    windowed, whole = stores
    events = [*opening(), *turn("hoi"), *turn("hoe gaat het"), *turn("ok")]  # exactly TURNS messages
    saved(windowed, "short", events)
    tracker = load(windowed, "short")
    assert getattr(tracker, tracker_window.LOADED) == len(tracker.events)  # all of it was stored
    assert [e.as_dict() for e in tracker.events] == [e.as_dict() for e in load(whole, "short").events]


def test_a_restart_or_slot_reset_before_the_window_clears_the_state(stores):
    windowed, whole = stores
    base = [*opening(), *turn("in zwolle", "inform", "utter_greet", SlotSet("gemeente", "Zwolle")),
            *turn("bel me", "request_callback", "callback_form", ActiveLoop("callback_form"))]
    tail = [*turn("a"), *turn("b"), *turn("c"), *turn("d")]
    saved(windowed, "restarted", [*base, Restarted(), *tail])
    saved(windowed, "reset", [*base, AllSlotsReset(), *tail])
    for sender in ("restarted", "reset"):
        small, full = load(windowed, sender), load(whole, sender)
        assert small.current_slot_values() == full.current_slot_values()
        assert small.get_slot("gemeente") is None
    assert load(windowed, "restarted").active_loop_name is None
    assert load(windowed, "reset").active_loop_name == load(whole, "reset").active_loop_name == "callback_form"


def test_only_the_latest_session_counts(stores):
    windowed, whole = stores
    old = [*opening(), *turn("ik ben bang", SAFETY_VIOLENCE, "utter_safety_violence"),
           *turn("in zwolle", "inform", "utter_greet", SlotSet("gemeente", "Zwolle"))]
    new = [ActionExecuted(ACTION_SESSION_START_NAME), SessionStarted(), SlotSet("gemeente", "Zwolle"),
           ActionExecuted(ACTION_LISTEN_NAME), *turn("a"), *turn("b"), *turn("c"), *turn("d")]
    saved(windowed, "sessions", [*old, *new])
    small = load(windowed, "sessions")
    assert small.get_slot("gemeente") == "Zwolle"
    assert not any(isinstance(e, UserUttered) and e.intent_name == SAFETY_VIOLENCE for e in small.events)
    assert small.current_slot_values() == load(whole, "sessions").current_slot_values()


@pytest.mark.parametrize("value, expected", [("", tracker_window.DEFAULT_TURNS), ("0", 0), ("12", 12), ("-3", 0)])
def test_window_size_from_the_environment(monkeypatch, value, expected):
    monkeypatch.setenv("TRACKER_WINDOW_TURNS", value)
    assert window_turns_from_env() == expected


def test_a_window_size_that_is_not_a_number_is_refused(monkeypatch):
    monkeypatch.setenv("TRACKER_WINDOW_TURNS", "acht")
    with pytest.raises(ValueError, match="TRACKER_WINDOW_TURNS"):
        window_turns_from_env()


def test_the_window_queries_have_an_index_on_sender_and_type(stores):
    """Created once per database, also when a second store (a replica) starts on it."""
    windowed, _whole = stores
    indexes = sa.inspect(windowed.engine).get_indexes("events")
    found = [index for index in indexes if index["name"] == tracker_window.INDEX]
    assert found and found[0]["column_names"] == ["sender_id", "type_name", "id"]
