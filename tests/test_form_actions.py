"""The form actions (screening, schemes check, hand-over, callback, feedback, deletion) on a real store.

Actions run as the action server runs them: Tracker.from_dict + CollectingDispatcher, with the
project's store on a SQLite file and a throw-away Fernet key.
"""

from __future__ import annotations

import asyncio
from datetime import datetime

import pytest
import yaml
from cryptography.fernet import Fernet
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy import func, select, text

from actions import (
    callback,
    common,
    feedback,
    form_control,
    gemeente_slot,
    handoff,
    privacy,
    schemes,
    screening,
)
from bot.domain.screening_scoring import load_screening
from bot.store import models, records
from bot.store.db import session_scope
from tests.support.action_runner import dispatched, said
from tests.support.responses import rendered, rendered_text

SENDER = "test-conversation"
# Monday 23 November 2026, 10:15: the Twenterand team chats and calls back today.
MONDAY_MORNING = datetime(2026, 11, 23, 10, 15)


@pytest.fixture
def store(sqlite_store, monkeypatch):
    monkeypatch.setenv("SCHEIDINGSPUNT_FERNET_KEY", Fernet.generate_key().decode())
    monkeypatch.setattr(common, "now", lambda: MONDAY_MORNING)
    return sqlite_store


def tracker(text: str = "", intent: str = "inform", slots: dict | None = None, events: list | None = None,
            sender: str = SENDER) -> Tracker:
    return said(text, intent, slots, events, sender)


run = dispatched


def texts(dispatcher: CollectingDispatcher) -> str:
    """What the parent reads: responses rendered through domain.yml with the values the action passed."""
    return rendered_text(dispatcher.messages)


def slots_set(events: list[dict]) -> dict:
    return {e["name"]: e["value"] for e in events if e.get("event") == "slot"}


# --- domain and data stay in step ---------------------------------------------------------------

def test_domain_asks_every_screening_question_in_order(repo):
    domain = yaml.safe_load((repo / "domain.yml").read_text())
    names = load_screening().slot_names
    assert domain["forms"]["screening_form"]["required_slots"] == names
    for name in names:
        assert name in domain["slots"]
        assert f"action_ask_{name}" in domain["actions"]
    assert {cls().name() for cls in screening.ASK_ACTIONS} == {f"action_ask_{n}" for n in names}


# --- screening ----------------------------------------------------------------------------------

def test_first_question_comes_after_a_one_sentence_intro():
    first = screening.ASK_ACTIONS[0]()
    dispatcher, _ = run(first, tracker())
    intro, question = dispatcher.messages
    assert "anoniem" in intro["text"] and intro["text"].count(".") <= 1
    assert question["text"].endswith("?") and [b["payload"] for b in question["buttons"]] == ["/affirm", "/deny"]


@pytest.mark.parametrize(("text", "intent", "expected"), [
    ("jazeker", "affirm", "ja"), ("/affirm", "affirm", "ja"), ("klopt", "inform", "ja"),
    ("nee hoor", "deny", "nee"), ("niet echt", "inform", "nee"), ("/deny", "deny", "nee"),
])
def test_screening_answers(text, intent, expected):
    validator = screening.ValidateScreeningForm()
    slot = load_screening().slot_names[0]
    result = getattr(validator, f"validate_{slot}")(text, CollectingDispatcher(), tracker(text, intent), {})
    assert asyncio.run(result)[slot] == expected


def test_unclear_answer_is_asked_again_once_then_skipped():
    validator = screening.ValidateScreeningForm()
    slot = load_screening().slot_names[1]
    check = getattr(validator, f"validate_{slot}")
    dispatcher = CollectingDispatcher()
    first = asyncio.run(check("banaan", dispatcher, tracker("banaan"), {}))
    assert first == {slot: None, "form_retry": f"{slot}:1"} and "ja of nee" in texts(dispatcher)
    dispatcher = CollectingDispatcher()
    second = asyncio.run(check("banaan", dispatcher, tracker("banaan", slots={"form_retry": f"{slot}:1"}), {}))
    assert second == {slot: "onbekend", "form_retry": None} and "sla deze vraag over" in texts(dispatcher)


def test_safety_yes_ends_the_questions():
    validator = screening.ValidateScreeningForm()
    names = load_screening().slot_names
    slot = f"screening_{load_screening().safety_question.key}"
    # Two questions answered already: they keep their answers; every other one is skipped, so the form
    # has nothing left to ask and goes straight to the (urgent) outcome.
    answered = {names[0]: "nee", names[1]: "ja"}
    assert slot not in answered
    filled = asyncio.run(getattr(validator, f"validate_{slot}")(
        "ja", CollectingDispatcher(), tracker("ja", "affirm", slots=answered), {}))
    unanswered = [name for name in names if name not in answered and name != slot]
    assert unanswered, "the safety question is not the only one left: the skip must show"
    assert filled == {slot: "ja", **{name: "overgeslagen" for name in unanswered}}


def test_safety_no_asks_the_other_questions():
    validator = screening.ValidateScreeningForm()
    slot = f"screening_{load_screening().safety_question.key}"
    filled = asyncio.run(getattr(validator, f"validate_{slot}")("nee", CollectingDispatcher(), tracker("nee", "deny"), {}))
    assert filled == {slot: "nee"}


def _answers(value: str) -> dict:
    return {name: value for name in load_screening().slot_names}


def test_all_no_gives_information_and_records_only_level_and_domains(store):
    dispatcher, events = run(screening.ActionScreeningOutcome(), tracker(slots=_answers("nee")))
    outcome = dispatcher.messages[0]
    assert outcome["text"].startswith("Op basis van je antwoorden")
    assert slots_set(events)["screening_level"] == "informatie"
    with session_scope() as session:
        row = session.execute(select(models.ScreeningOutcome)).scalar_one()
        assert (row.conversation_id, row.level, list(row.domains)) == (SENDER, "informatie", [])


def test_many_yes_gives_the_expert_with_ways_to_reach_them(store):
    answers = _answers("ja")
    answers[f"screening_{load_screening().safety_question.key}"] = "nee"
    dispatcher, events = run(screening.ActionScreeningOutcome(), tracker(slots=answers))
    assert slots_set(events)["screening_level"] == "deskundige"
    payloads = [b["payload"] for b in dispatcher.messages[0]["buttons"]]
    assert "/request_human" in payloads and "/request_callback" in payloads
    assert "Twenterand" in dispatcher.messages[0]["text"]


def test_safety_yes_gives_veilig_thuis_first(store):
    answers = _answers("overgeslagen")
    answers[f"screening_{load_screening().safety_question.key}"] = "ja"
    dispatcher, events = run(screening.ActionScreeningOutcome(), tracker(slots=answers))
    text_ = dispatcher.messages[0]["text"]
    assert slots_set(events)["screening_level"] == "urgent"
    assert "0800-2000" in text_ and "112" in text_


# --- schemes check ------------------------------------------------------------------------------

def test_children_answer_needs_ages():
    validator = schemes.ValidateSchemesForm()
    dispatcher = CollectingDispatcher()
    assert validator.validate_schemes_children("drie", dispatcher, tracker("drie"), {}) == {"schemes_children": None}
    assert "Hoe oud" in texts(dispatcher)
    assert validator.validate_schemes_children("2 kinderen van 4 en 7", CollectingDispatcher(),
                                               tracker(), {}) == {"schemes_children": "4,7"}


@pytest.mark.parametrize(("answer", "said_back"), [
    ("3 kinderen van 2, 5 en 11", "Dank je, ik reken met 3 kinderen van 2, 5 en 11 jaar."),
    ("2 kinderen van 4 en 7", "Dank je, ik reken met 2 kinderen van 4 en 7 jaar."),
    ("een dochter van 6", "Dank je, ik reken met 1 kind van 6 jaar."),
    ("geen", "Dank je, er wonen geen kinderen bij je."),
])
def test_the_children_understood_are_said_back(answer, said_back):
    dispatcher = CollectingDispatcher()
    schemes.ValidateSchemesForm().validate_schemes_children(answer, dispatcher, tracker(answer), {})
    assert texts(dispatcher) == said_back


@pytest.mark.parametrize(("text", "expected", "said_back"), [
    ("1.800", 1800.0, "Dank je, ik reken met € 1.800 netto per maand."),
    ("€1800,-", 1800.0, "Dank je, ik reken met € 1.800 netto per maand."),
    ("ongeveer 2000 euro", 2000.0, "Dank je, ik reken met € 2.000 netto per maand."),
    ("veel", None, "Ik kan er geen bedrag per maand in vinden."),
])
def test_income_answers(text, expected, said_back):
    validator = schemes.ValidateSchemesForm()
    dispatcher = CollectingDispatcher()
    assert validator.validate_schemes_income(text, dispatcher, tracker(text), {}) == {
        "schemes_income": expected}
    assert texts(dispatcher).startswith(said_back)


@pytest.mark.parametrize(("answer", "housing", "said_back"), [
    ("huur", "huur", "Dank je, je woont in een huurhuis."),
    ("koophuis", "koop", "Dank je, je woont in een koophuis."),
    ("ik woon ergens anders in", "anders", "Dank je, je woont bij iemand in of ergens tijdelijk."),
    ("weet ik niet", None, "Woon je in een huurhuis, in een koophuis, of anders? Kies een knop."),
])
def test_housing_answers_are_said_back(answer, housing, said_back):
    dispatcher = CollectingDispatcher()
    assert schemes.ValidateSchemesForm().validate_schemes_housing(answer, dispatcher, tracker(answer), {}) == {
        "schemes_housing": housing}
    assert texts(dispatcher) == said_back


def test_municipality_answers():
    validator = schemes.ValidateSchemesForm()
    assert validator.validate_gemeente("ik woon in zwolle", CollectingDispatcher(),
                                       tracker("ik woon in zwolle"), {}) == {"gemeente": "Zwolle"}
    assert validator.validate_gemeente("vriezenveen", CollectingDispatcher(),
                                       tracker("vriezenveen"), {}) == {"gemeente": "Twenterand"}
    dispatcher = CollectingDispatcher()
    assert validator.validate_gemeente("Den Haag", dispatcher, tracker("Den Haag"), {}) == {
        "gemeente": "Den Haag"}
    assert "landelijke informatie" in texts(dispatcher)
    assert validator.validate_gemeente("/deny", CollectingDispatcher(), tracker("/deny", "deny"), {}) == {
        "gemeente": "onbekend"}
    assert validator.validate_gemeente("blabla", CollectingDispatcher(), tracker("blabla"), {}) == {
        "gemeente": None}


def test_schemes_result_for_a_single_parent_in_zwolle_on_a_low_income(store):
    slots = {"gemeente": "Zwolle", "schemes_single_parent": "ja", "schemes_children": "4,7",
             "schemes_income": 1400.0, "schemes_housing": "huur", "schemes_savings": "nee",
             "schemes_money_short": True}
    dispatcher, _ = run(schemes.ActionSchemesResult(), tracker(slots=slots))
    answer = texts(dispatcher)
    for expected in ("Op basis van je antwoorden", "Kinderbijslag", "Kindgebonden budget", "Huurtoeslag",
                     "Kindregeling", "indicatie", "Geldfit"):
        assert expected in answer, expected
    with session_scope() as session:
        row = session.execute(select(models.SchemesOutcome)).scalar_one()
        assert "kindregeling" in row.schemes


def test_schemes_result_without_own_municipality_says_so(store):
    slots = {"gemeente": "'s-Gravenhage", "schemes_single_parent": "nee", "schemes_children": "geen",
             "schemes_income": 4000.0, "schemes_housing": "koop", "schemes_savings": "ja"}
    dispatcher, _ = run(schemes.ActionSchemesResult(), tracker(slots=slots))
    answer = texts(dispatcher)
    assert "website van je gemeente" in answer and "Kinderbijslag" not in answer


# --- hand-over ----------------------------------------------------------------------------------

def test_no_expert_available_offers_a_callback(store):
    dispatcher, _ = run(handoff.ActionHandoff(), tracker(slots={"gemeente": "Zwolle"}))
    message = rendered(dispatcher.messages[0])
    assert "niemand beschikbaar" in message["text"]
    assert {"title": "Bel me terug", "payload": "/request_callback"} in message["buttons"]
    assert not any(m.get("custom") for m in dispatcher.messages)


def test_after_a_safety_signal_the_offer_names_veilig_thuis(store):
    events = [{"event": "user", "text": "hij slaat me", "parse_data": {"intent": {"name": "safety_violence"}}}]
    dispatcher, _ = run(handoff.ActionHandoff(), tracker(events=events))
    assert "0800-2000" in texts(dispatcher)


def test_an_available_expert_in_opening_hours_gets_the_handoff(store):
    with session_scope() as session:
        records.set_expert_availability(session, "zwolle", "scheidingsdeskundige", "Scheidingsdeskundige", True)
    dispatcher, _ = run(handoff.ActionHandoff(), tracker(slots={"gemeente": "Zwolle", "screening_level": "urgent",
                                                               "screening_domains": "veiligheid,geld"}))
    custom = [m["custom"] for m in dispatcher.messages if m.get("custom")]
    assert custom and custom[0]["handoff"]["id"]
    with session_scope() as session:
        request = session.execute(select(models.HandoffRequest)).scalar_one()
        assert (request.id, request.municipality, request.screening_level) == (
            custom[0]["handoff"]["id"], "zwolle", "urgent")
        assert list(request.screening_domains) == ["veiligheid", "geld"]


def test_outside_opening_hours_there_is_no_live_chat(store, monkeypatch):
    with session_scope() as session:
        records.set_expert_availability(session, "zwolle", "scheidingsdeskundige", "Scheidingsdeskundige", True)
    monkeypatch.setattr(common, "now", lambda: datetime(2026, 12, 25, 10, 0))  # Christmas Day
    dispatcher, _ = run(handoff.ActionHandoff(), tracker(slots={"gemeente": "Zwolle"}))
    assert not any(m.get("custom") for m in dispatcher.messages)
    assert "terugbelafspraak" in texts(dispatcher)


def responses(dispatcher: CollectingDispatcher) -> list[str]:
    return [m["response"] for m in dispatcher.messages if m.get("response")]


def on_site(key: str | None) -> list[dict]:
    """The user event as the web chat sends it: the site's municipality as metadata (None: Telegram)."""
    return [{"event": "user", "text": "/request_human", "metadata": {"gemeente": key} if key else {},
             "parse_data": {"intent": {"name": "request_human"}}}]


def test_the_hand_over_says_what_happens_and_takes_the_site_municipality(store):
    dispatcher, events = run(handoff.ActionStartHandoff(), tracker(events=on_site("zwolle")))
    assert responses(dispatcher) == ["utter_handoff_acknowledge", "utter_gemeente_from_site"]
    assert dispatcher.messages[1]["gemeente"] == "Zwolle"
    assert slots_set(events) == {"gemeente": "Zwolle"}


@pytest.mark.parametrize("events, slots", [
    (on_site(None), {}),                            # Telegram, REST: no site, so the form asks
    (on_site("nergensdorp"), {}),                   # a key without a data file is no municipality
    (on_site("zwolle"), {"gemeente": "Dordrecht"}),  # already said by the parent: that one counts
])
def test_without_a_known_site_municipality_nothing_is_filled(store, events, slots):
    dispatcher, result = run(handoff.ActionStartHandoff(), tracker(events=events, slots=slots))
    assert responses(dispatcher) == ["utter_handoff_acknowledge"]
    assert "gemeente" not in slots_set(result)


def test_the_callback_says_what_happens_and_takes_the_site_municipality(store):
    dispatcher, events = run(callback.ActionStartCallback(), tracker(events=on_site("dordrecht")))
    assert responses(dispatcher) == ["utter_callback_acknowledge", "utter_gemeente_from_site"]
    assert slots_set(events)["gemeente"] == "Dordrecht" and slots_set(events)["callback_phone"] is None


@pytest.mark.parametrize("form, response", [
    ("handoff_form", "utter_gemeente_question_handoff_form"),
    ("callback_form", "utter_gemeente_question_callback_form"),
    ("schemes_form", "utter_gemeente_question_schemes_form"),
])
def test_the_municipality_question_says_why_this_form_asks_it(form, response):
    track = tracker()
    track.active_loop = {"name": form}
    dispatcher, _ = run(gemeente_slot.ActionAskGemeente(), track)
    assert responses(dispatcher) == [response]
    assert {"title": "Zeg ik liever niet", "payload": "/deny"} in dispatcher.messages[0]["buttons"]


def test_another_municipality_forgets_the_site_one():
    dispatcher, events = run(gemeente_slot.ActionForgetGemeente(), tracker(slots={"gemeente": "Zwolle"}))
    assert slots_set(events) == {"gemeente": None} and responses(dispatcher) == ["utter_gemeente_forgotten"]


@pytest.mark.parametrize("requested, said", [("gemeente", ["utter_gemeente_noted"]), (None, [])])
def test_an_answered_municipality_is_confirmed_a_prefilled_one_not_again(requested, said):
    dispatcher = CollectingDispatcher()
    result = handoff.ValidateHandoffForm().validate_gemeente(
        "Zwolle", dispatcher, tracker("ik woon in Zwolle", slots={"requested_slot": requested}), {})
    assert result == {"gemeente": "Zwolle"} and responses(dispatcher) == said


# --- callback -----------------------------------------------------------------------------------

def test_valid_phone_is_stored_encrypted_and_only_masked_in_the_slot(store, tmp_path):
    validator = callback.ValidateCallbackForm()
    dispatcher = CollectingDispatcher()
    result = validator.validate_callback_phone("06-12345678", dispatcher, tracker("06-12345678"), {})
    assert result["callback_phone"] == "06-****5678" and result["callback_id"]
    # Confirmed, masked, before the next question.
    assert dispatcher.messages == [{**dispatcher.messages[0], "response": "utter_callback_phone_noted",
                                    "phone": "06-****5678"}]
    raw = (tmp_path / "store.db").read_bytes()
    assert b"12345678" not in raw and b"+31612345678" not in raw


@pytest.mark.parametrize("text", ["abc", "123", "12345", "06-123456789012", "+32 470 12 34 56", "0900-1234567"])
def test_invalid_phone_is_asked_again_with_an_example(store, text):
    dispatcher = CollectingDispatcher()
    result = callback.ValidateCallbackForm().validate_callback_phone(text, dispatcher, tracker(text), {})
    assert result == {"callback_phone": None, "form_retry": "callback_phone:1"}
    assert texts(dispatcher)


def test_three_bad_numbers_end_the_form_with_another_way(store):
    validator = callback.ValidateCallbackForm()
    dispatcher = CollectingDispatcher()
    result = validator.validate_callback_phone("abc", dispatcher, tracker("abc", slots={"form_retry": "callback_phone:2"}),
                                               {})
    assert result["form_retry"] == "callback_phone:3" and not dispatcher.messages
    done = tracker(slots={"form_retry": "callback_phone:3"})
    assert asyncio.run(validator.required_slots(["callback_phone"], CollectingDispatcher(), done, {})) == []
    dispatcher, _ = run(callback.ActionCallbackDone(), done)
    assert "zelf bellen" in texts(dispatcher)


def _draft(validator) -> str:
    return validator.validate_callback_phone("0612345678", CollectingDispatcher(), tracker("0612345678"), {})[
        "callback_id"]


def test_the_team_of_the_municipality_said_after_the_number_calls_back(store):
    validator = callback.ValidateCallbackForm()
    draft = _draft(validator)  # the number comes first, when no municipality is known yet
    booked = validator.validate_callback_moment(
        "zo snel mogelijk", CollectingDispatcher(),
        tracker("zo snel mogelijk", slots={"callback_id": draft, "gemeente": "Zwolle"}), {})
    with session_scope() as session:
        stored = session.execute(select(models.Callback)).scalar_one()
        assert (stored.reference, stored.municipality) == (booked["callback_reference"], "zwolle")


def test_moment_books_a_concrete_slot_with_a_reference(store):
    validator = callback.ValidateCallbackForm()
    draft = _draft(validator)
    slots = {"callback_id": draft, "gemeente": "Twenterand"}
    result = validator.validate_callback_moment("dinsdagochtend", CollectingDispatcher(),
                                                tracker("dinsdagochtend", slots=slots), {})
    assert result["callback_moment"] == "dinsdag 24 november tussen 9:00 en 12:00"
    assert len(result["callback_reference"]) == 6
    dispatcher, _ = run(callback.ActionCallbackDone(), tracker(slots={**slots, **result,
                                                                      "callback_phone": "06-****5678"}))
    assert "dinsdag 24 november tussen 9:00 en 12:00" in texts(dispatcher)
    assert result["callback_reference"] in texts(dispatcher)


def test_a_choice_sent_again_after_its_booking_gets_the_same_booking(store):
    """The action server booked, then died before Rasa heard it: the parent sends the choice again."""
    validator = callback.ValidateCallbackForm()
    slots = {"callback_id": _draft(validator), "gemeente": "Twenterand"}
    first = validator.validate_callback_moment("dinsdagochtend", CollectingDispatcher(),
                                               tracker("dinsdagochtend", slots=slots), {})
    dispatcher = CollectingDispatcher()
    again = validator.validate_callback_moment("dinsdagochtend", dispatcher,
                                               tracker("dinsdagochtend", slots=slots), {})
    assert again == first and dispatcher.messages == []
    with session_scope() as session:
        assert session.execute(select(func.count(models.Callback.id))).scalar_one() == 1
        assert session.execute(select(func.sum(models.CallbackSlot.booked))).scalar_one() == 1
    # Another conversation's booking is not this one's.
    other = tracker("dinsdagochtend", slots=slots, sender="someone-else")
    assert validator.validate_callback_moment("dinsdagochtend", CollectingDispatcher(), other, {}) \
        == {"callback_moment": None, "callback_phone": None, "callback_id": None}


def test_unclear_moment_offers_three_free_slots(store):
    validator = callback.ValidateCallbackForm()
    slots = {"callback_id": _draft(validator)}
    dispatcher = CollectingDispatcher()
    result = validator.validate_callback_moment("als de zon schijnt", dispatcher,
                                                tracker("als de zon schijnt", slots=slots), {})
    assert result == {"callback_moment": None}
    assert len(dispatcher.messages[0]["buttons"]) == 3


def test_full_slot_is_skipped(store):
    validator = callback.ValidateCallbackForm()
    for _ in range(4):  # Twenterand's capacity per window
        draft = _draft(validator)
        validator.validate_callback_moment("dinsdagochtend", CollectingDispatcher(),
                                           tracker("dinsdagochtend", slots={"callback_id": draft}), {})
    draft = _draft(validator)
    result = validator.validate_callback_moment("dinsdag", CollectingDispatcher(),
                                                tracker("dinsdag", slots={"callback_id": draft}), {})
    assert result["callback_moment"] == "dinsdag 24 november tussen 13:00 en 16:00"


@pytest.mark.parametrize("phone, expected", [
    (None, "Kijk op https://www.twenterand.nl voor het telefoonnummer van je gemeente."),
    ("0546-123456", "Bel Scheidingspunt Twenterand op 0546-123456."),  # the team's name as written
])
def test_when_every_moment_is_full_the_parent_hears_how_to_call(store, monkeypatch, phone, expected):
    monkeypatch.setattr(callback, "choose_slot", lambda *args, **kwargs: None)  # nothing fits, nothing free
    monkeypatch.setattr(callback, "next_free_slots", lambda *args, **kwargs: [])
    monkeypatch.setattr(callback, "own_phone", lambda municipality: phone)
    dispatcher = CollectingDispatcher()
    result = callback.ValidateCallbackForm().validate_callback_moment(
        "dinsdag", dispatcher, tracker("dinsdag", slots={"callback_id": _draft(callback.ValidateCallbackForm())}), {})
    assert result == {"callback_moment": "vol"}
    assert texts(dispatcher).startswith("Alle terugbelmomenten van de komende dagen zijn vol, sorry.")
    assert texts(dispatcher).endswith(expected)


def test_cancel_by_reference(store):
    validator = callback.ValidateCallbackForm()
    booked = validator.validate_callback_moment("zo snel mogelijk", CollectingDispatcher(),
                                                tracker("zsm", slots={"callback_id": _draft(validator)}), {})
    reference = booked["callback_reference"]
    message = f"ik wil afspraak {reference.lower()} annuleren"
    dispatcher, _ = run(callback.ActionCancelCallback(), tracker(message, "cancel_callback"))
    assert "geannuleerd" in texts(dispatcher)
    dispatcher, _ = run(callback.ActionCancelCallback(), tracker(message, "cancel_callback"))
    assert "geen open afspraak" in texts(dispatcher)


def test_stopping_the_callback_form_keeps_no_number(store):
    validator = callback.ValidateCallbackForm()
    draft = _draft(validator)
    events = [{"event": "active_loop", "name": "callback_form"}, {"event": "active_loop", "name": None}]
    dispatcher, slot_events = run(form_control.ActionFormStopped(),
                                  tracker("laat maar", "stop_form", slots={"callback_id": draft}, events=events))
    assert "niets geboekt" in texts(dispatcher)
    assert slots_set(slot_events)["callback_phone"] is None
    with session_scope() as session:
        assert session.execute(text("SELECT count(*) FROM callback_drafts")).scalar() == 0


# --- feedback and deletion ----------------------------------------------------------------------

def test_negative_feedback_comment_is_stored_redacted(store):
    comment = "bel me op 0612345678 of mail jan@example.nl"
    events = [{"event": "action", "name": "action_screening_outcome"}]
    run(feedback.ActionRecordFeedback(), tracker("x", "inform", slots={"feedback_comment": comment}, events=events))
    with session_scope() as session:
        row = session.execute(select(models.Feedback)).scalar_one()
        assert (row.helpful, row.context) == (False, "screening")
        assert "0612345678" not in row.comment and "jan@example.nl" not in row.comment


def test_thumbs_up_is_stored_without_comment(store):
    run(feedback.ActionRecordFeedback(), tracker("/feedback_positive", "feedback_positive"))
    with session_scope() as session:
        row = session.execute(select(models.Feedback)).scalar_one()
        assert (row.helpful, row.comment, row.context) == (True, None, "gesprek")


@pytest.mark.parametrize(("slots", "expected"), [({"gemeente": "zwolle"}, "zwolle"), ({}, "twenterand")])
def test_feedback_keeps_the_municipality_for_the_figures(store, slots, expected):
    run(feedback.ActionRecordFeedback(), tracker("/feedback_positive", "feedback_positive", slots=slots))
    with session_scope() as session:
        assert session.execute(select(models.Feedback.municipality)).scalar_one() == expected


def test_deleting_the_conversation_erases_its_rows(store):
    run(screening.ActionScreeningOutcome(), tracker(slots=_answers("nee")))
    run(screening.ActionScreeningOutcome(), tracker(slots=_answers("nee"), sender="someone-else"))
    validator = callback.ValidateCallbackForm()
    validator.validate_callback_moment("zsm", CollectingDispatcher(),
                                       tracker("zsm", slots={"callback_id": _draft(validator)}), {})
    run(privacy.ActionDeleteConversation(), tracker("ja", "affirm"))
    with session_scope() as session:
        assert session.execute(select(models.ScreeningOutcome.conversation_id)).scalars().all() == [
            "someone-else"]
        assert session.execute(select(models.Callback)).scalars().all() == []


def test_action_server_registers_exactly_the_domain_actions(repo):
    from rasa_sdk.executor import ActionExecutor

    executor = ActionExecutor()
    executor.register_package("actions")
    domain = yaml.safe_load((repo / "domain.yml").read_text())
    assert set(executor.actions) == set(domain["actions"])


def test_a_lost_draft_asks_for_the_number_again(store):
    dispatcher = CollectingDispatcher()
    result = callback.ValidateCallbackForm().validate_callback_moment(
        "zsm", dispatcher, tracker("zsm", slots={"callback_id": "no-such-draft"}), {})
    assert result == {"callback_moment": None, "callback_phone": None, "callback_id": None}
    assert "telefoonnummer" in texts(dispatcher)
