"""One rule for a broken store (actions/store_access.py): what the parent asked for is answered with
what did not work and another way to reach the team; what is only counted fails quietly. Either way
the log names the error's type only, with no traceback and no message text."""

from __future__ import annotations

import asyncio
import logging
from datetime import datetime

import pytest
from cryptography.fernet import Fernet
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import text

from actions import (
    callback,
    common,
    feedback,
    form_control,
    form_validation,
    handoff,
    privacy,
    schemes,
    screening,
    store_access,
)
from bot.domain.screening_scoring import load_screening
from tests.support.action_runner import dispatched, said
from tests.support.responses import RESPONSES, rendered, rendered_text

SENDER = "broken-store"
MONDAY_MORNING = datetime(2026, 11, 23, 10, 15)  # the Twenterand team chats and calls back
PHONE = "06-12345678"
SELECT_ONE = text("SELECT 1")
WEBSITE_WAY = "Kijk op https://www.twenterand.nl hoe je Scheidingspunt Twenterand bereikt."


@pytest.fixture
def broken(monkeypatch, caplog):
    """The store's database cannot be opened (a directory that does not exist), as in production when
    the disk is full or PostgreSQL is down."""
    monkeypatch.setenv("DATABASE_URL", "sqlite:////nonexistent-dir/store.db")
    monkeypatch.setenv("SCHEIDINGSPUNT_FERNET_KEY", Fernet.generate_key().decode())
    monkeypatch.setattr(common, "now", lambda: MONDAY_MORNING)
    caplog.set_level(logging.INFO)
    return caplog


def tracker(text: str = "", intent: str = "inform", slots: dict | None = None, events: list | None = None,
            requested: str | None = None) -> Tracker:
    return said(text, intent, slots, events, SENDER, requested)


def run(action, track: Tracker) -> tuple[str, list[dict]]:
    dispatcher, events = dispatched(action, track)
    return rendered_text(dispatcher.messages), events


def logged_quietly(caplog, what: str) -> None:
    """One warning naming the step and the error's type: no traceback, no phone number, no text."""
    lines = [r for r in caplog.records if r.name == "actions.store_access"]
    assert [r.getMessage() for r in lines] == [f"store: {what} failed: OperationalError"]
    assert all(r.exc_info is None and r.levelno == logging.WARNING for r in lines)
    assert "12345678" not in caplog.text and "Traceback" not in caplog.text


def form_ends(validator, result: dict, slot: str) -> None:
    assert result == {slot: None, "form_retry": form_validation.STORE_FAILED}
    ended = tracker(slots=result)
    assert asyncio.run(validator.required_slots([slot, "callback_moment"], CollectingDispatcher(), ended, {})) == []


# --- the rule itself ----------------------------------------------------------------------------

def test_a_failing_session_is_logged_by_type_and_raised_without_its_cause(broken):
    with pytest.raises(store_access.StoreUnavailable) as raised:
        with store_access.session("probe") as session:
            session.execute(SELECT_ONE)
    assert raised.value.__cause__ is None and raised.value.__suppress_context__
    logged_quietly(broken, "probe")


def test_quietly_gives_none(broken):
    assert store_access.quietly("probe", lambda session: session.execute(SELECT_ONE)) is None
    logged_quietly(broken, "probe")


@pytest.mark.parametrize(("phone", "way"), [
    (None, WEBSITE_WAY),
    ("0546-123456", "Je kunt ook zelf bellen: 0546-123456."),  # the hand-over fallback's own sentence
])
def test_the_other_way_is_the_checked_phone_else_the_website(broken, monkeypatch, phone, way):
    monkeypatch.setattr(common, "own_phone", lambda municipality: phone)
    said, _ = run(callback.ActionCancelCallback(), tracker("annuleer K7Q-42", "cancel_callback"))
    assert said == f"Het lukt nu niet om afspraak K7Q-42 te annuleren, sorry. Probeer het later nog eens. {way}"


# --- what the parent asked for: told, with another way ------------------------------------------

def test_booking_the_number_tells_the_parent_and_ends_the_form(broken):
    validator = callback.ValidateCallbackForm()
    dispatcher = CollectingDispatcher()
    result = validator.validate_callback_phone(PHONE, dispatcher, tracker(PHONE), {})
    assert rendered_text(dispatcher.messages) == (
        f"Het lukt nu niet om je terugbelafspraak vast te leggen, sorry. {WEBSITE_WAY}")
    form_ends(validator, result, "callback_phone")
    logged_quietly(broken, "create_draft")


def test_booking_the_moment_tells_the_parent_and_ends_the_form(broken):
    validator = callback.ValidateCallbackForm()
    dispatcher = CollectingDispatcher()
    result = validator.validate_callback_moment("dinsdag", dispatcher,
                                                tracker("dinsdag", slots={"callback_id": "d1"}), {})
    assert rendered_text(dispatcher.messages).startswith("Het lukt nu niet om je terugbelafspraak vast te leggen")
    assert WEBSITE_WAY in rendered_text(dispatcher.messages)
    form_ends(validator, result, "callback_moment")
    logged_quietly(broken, "book_callback")


def test_after_the_failure_the_form_ends_without_another_message(broken):
    said, events = run(callback.ActionCallbackDone(),
                       tracker(slots={"callback_id": "d1", "form_retry": form_validation.STORE_FAILED}))
    assert said == ""  # told already; throwing the draft away fails quietly
    assert {e["name"]: e["value"] for e in events}["form_retry"] is None
    logged_quietly(broken, "discard_draft")


def test_cancelling_tells_the_parent(broken):
    said, events = run(callback.ActionCancelCallback(), tracker("annuleer K7Q-42", "cancel_callback"))
    assert said.startswith("Het lukt nu niet om afspraak K7Q-42 te annuleren") and WEBSITE_WAY in said
    assert events == []
    logged_quietly(broken, "cancel_callback")


def test_a_hand_over_in_chat_hours_tells_the_parent_with_the_helplines(broken):
    events = [{"event": "user", "text": "hij slaat me", "parse_data": {"intent": {"name": "safety_violence"}}}]
    dispatcher = CollectingDispatcher()
    asyncio.run(handoff.ActionHandoff().run(dispatcher, tracker(events=events), {}))
    message = rendered(dispatcher.messages[0])
    assert message["text"].startswith("Het lukt nu niet om je door te zetten naar een medewerker, sorry.")
    assert WEBSITE_WAY in message["text"] and "0800-2000" in message["text"]
    assert {"title": "Bel me terug", "payload": "/request_callback"} in message["buttons"]
    assert not any(m.get("custom") for m in dispatcher.messages)
    logged_quietly(broken, "request_handoff")


def test_a_hand_over_outside_chat_hours_only_loses_its_count(broken, monkeypatch):
    monkeypatch.setattr(common, "now", lambda: datetime(2026, 12, 25, 10, 0))  # Christmas Day
    said, _ = run(handoff.ActionHandoff(), tracker())
    assert said.startswith("Er is nu niemand beschikbaar voor de chat") and "lukt nu niet" not in said
    logged_quietly(broken, "request_handoff")


def test_deleting_the_conversation_tells_the_parent(broken):
    said, events = run(privacy.ActionDeleteConversation(), tracker("ja", "affirm"))
    assert said.startswith("Het lukt nu niet om alles van dit gesprek te wissen") and WEBSITE_WAY in said
    assert RESPONSES["utter_conversation_deleted"][0]["text"] not in said
    assert events[-1]["event"] == "restart"
    logged_quietly(broken, "erase_conversation")


# --- what is only counted or tidied: the parent notices nothing ---------------------------------

def test_the_screening_outcome_comes_without_its_count(broken):
    slots = {name: "nee" for name in load_screening().slot_names}
    said, events = run(screening.ActionScreeningOutcome(), tracker(slots=slots))
    assert said and "lukt nu niet" not in said
    assert {e["name"] for e in events} == {"screening_level", "screening_domains"}
    assert "12345678" not in broken.text and "Traceback" not in broken.text


def test_the_schemes_result_comes_without_its_count(broken):
    slots = {"schemes_single_parent": "ja", "schemes_children": "4", "schemes_income": 1400,
             "schemes_housing": "huur", "schemes_savings": "nee", "gemeente": "Zwolle"}
    said, _ = run(schemes.ActionSchemesResult(), tracker(slots=slots))
    assert "indicatie" in said and "lukt nu niet" not in said


def test_feedback_is_thanked_for_without_being_stored(broken):
    said, _ = run(feedback.ActionRecordFeedback(), tracker("/feedback_positive", "feedback_positive"))
    assert said and "lukt nu niet" not in said


def test_starting_a_callback_and_stopping_it_go_on(broken):
    said, _ = run(callback.ActionStartCallback(), tracker())
    assert said and "lukt nu niet" not in said
    events = [{"event": "active_loop", "name": "callback_form"}, {"event": "active_loop", "name": None}]
    said, _ = run(form_control.ActionFormStopped(),
                  tracker("laat maar", "stop_form", slots={"callback_id": "d1"}, events=events))
    assert "niets geboekt" in said
    assert "Traceback" not in broken.text


def test_the_moment_is_asked_without_the_free_windows(broken):
    dispatcher = CollectingDispatcher()
    asyncio.run(callback.ActionAskCallbackMoment().run(dispatcher, tracker(), {}))
    assert dispatcher.messages[0]["response"] == "utter_callback_moment_question"
    assert dispatcher.messages[0]["buttons"] == []
    logged_quietly(broken, "free_callback_slots")


def test_every_action_opens_the_store_through_the_one_door(repo):
    others = [path.name for path in sorted((repo / "actions").glob("*.py"))
              if path.name != "store_access.py" and "session_scope" in path.read_text(encoding="utf-8")]
    assert others == []
