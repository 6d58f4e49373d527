"""The forms' retry rule: data/forms.yml says how many tries and what then; the validation base
(actions/form_validation.py) applies it to every form."""

from __future__ import annotations

import asyncio

import pytest
import yaml
from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher

from actions import callback, form_validation, screening
from bot.domain import form_rules
from bot.domain.form_rules import FormDataError, FormRules, load_form_rules
from bot.domain.screening_scoring import load_screening
from tests.support.responses import RESPONSES, rendered_text

# The forms whose last step handles a form that stopped early (it offers another way to reach the team).
STOP_HANDLED = {"callback_form": "action_callback_done"}


def tracker(text: str, slots: dict | None = None, events: list | None = None) -> Tracker:
    return Tracker.from_dict({
        "sender_id": "retry", "slots": slots or {},
        "latest_message": {"text": text, "intent": {"name": "inform", "confidence": 1.0}, "entities": []},
        "events": events or [], "paused": False, "followup_action": None,
        "active_loop": {}, "latest_action_name": "action_listen",
    })


def with_rules(monkeypatch, rules: dict) -> None:
    """data/forms.yml replaced by `rules` for one test (what a non-programmer would write)."""
    parsed = FormRules.parse_obj({"forms": rules})
    monkeypatch.setattr(form_validation, "load_form_rules", lambda: parsed)


# --- the data file ------------------------------------------------------------------------------

def test_the_file_names_only_forms_and_questions_of_the_domain(repo):
    domain = yaml.safe_load((repo / "domain.yml").read_text(encoding="utf-8"))
    for form, rule in load_form_rules().forms.items():
        assert form in domain["forms"], form
        for slot in rule.questions:
            assert slot in domain["forms"][form]["required_slots"], (form, slot)


def test_what_the_file_says_after_the_last_try_exists():
    rules = load_form_rules()
    for form, rule in rules.forms.items():
        for retry in (rule, *rule.questions.values()):
            assert retry.say is None or retry.say in RESPONSES
            if retry.then == form_rules.Then.STOP:
                assert form in STOP_HANDLED, f"{form}: its last step does not handle `then: stop`"
    assert rules.forms["screening_form"].value == screening.ANSWER_UNKNOWN


def test_today_screening_asks_twice_and_the_phone_three_times():
    rules = load_form_rules()
    assert rules.retry("screening_form", load_screening().slot_names[0]).tries == 2
    assert rules.retry("callback_form", "callback_phone").tries == 3
    assert rules.retry("callback_form", "gemeente").tries is None  # keeps asking
    assert rules.retry("schemes_form", "schemes_income").tries is None


@pytest.mark.parametrize(("text", "problem"), [
    ("forms:\n  screening_form:\n    tries: 2\n", "tries and then go together"),
    ("forms:\n  screening_form:\n    tries: 2\n    then: skip\n", "then: skip needs"),
    ("forms:\n  screening_form:\n    tries: 0\n    then: stop\n", "screening_form.tries"),
    ("forms:\n  screening_form:\n    tries: 2\n    then: later\n", "screening_form.then"),
    ("forms:\n  screening_form:\n    trys: 2\n", "screening_form.trys"),
])
def test_a_broken_file_names_file_and_field(tmp_path, text, problem):
    path = tmp_path / "forms.yml"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(FormDataError) as error:
        load_form_rules.__wrapped__(path)
    assert str(path) in str(error.value) and problem in str(error.value)


# --- the base applies the file ------------------------------------------------------------------

def screening_answer(slot: str, text: str, slots: dict | None = None) -> tuple[dict, str]:
    dispatcher = CollectingDispatcher()
    check = getattr(screening.ValidateScreeningForm(), f"validate_{slot}")
    result = asyncio.run(check(text, dispatcher, tracker(text, slots), {}))
    return result, rendered_text(dispatcher.messages)


def test_screening_tries_come_from_the_file(monkeypatch):
    with_rules(monkeypatch, {"screening_form": {"tries": 3, "then": "skip", "value": "onbekend",
                                                "say": "utter_screening_skipped"}})
    slot = load_screening().slot_names[1]
    first, said = screening_answer(slot, "banaan")
    assert first == {slot: None, "form_retry": f"{slot}:1"} and "ja of nee" in said
    second, said = screening_answer(slot, "banaan", first)
    assert second == {slot: None, "form_retry": f"{slot}:2"} and "ja of nee" in said
    third, said = screening_answer(slot, "banaan", second)
    assert third == {slot: "onbekend", "form_retry": None} and "sla deze vraag over" in said


def test_a_form_without_rule_keeps_asking(monkeypatch):
    with_rules(monkeypatch, {})
    slot = load_screening().slot_names[1]
    result, said = screening_answer(slot, "banaan", {"form_retry": f"{slot}:7"})
    assert result == {slot: None, "form_retry": f"{slot}:8"} and "ja of nee" in said


def test_the_count_is_per_question():
    first, second = load_screening().slot_names[:2]
    result, said = screening_answer(second, "banaan", {"form_retry": f"{first}:1"})
    assert result == {second: None, "form_retry": f"{second}:1"} and "ja of nee" in said


def test_the_phone_tries_come_from_the_file(monkeypatch):
    with_rules(monkeypatch, {"callback_form": {"questions": {"callback_phone": {"tries": 2, "then": "stop"}}}})
    validator = callback.ValidateCallbackForm()
    dispatcher = CollectingDispatcher()
    result = validator.validate_callback_phone("abc", dispatcher, tracker("abc", {"form_retry": "callback_phone:1"}), {})
    assert result == {"callback_phone": None, "form_retry": "callback_phone:2"} and not dispatcher.messages
    ended = tracker("", result)
    assert asyncio.run(validator.required_slots(["callback_phone"], CollectingDispatcher(), ended, {})) == []
    assert form_validation.gave_up(ended, "callback_form")


def test_a_usable_answer_clears_the_count():
    slot = load_screening().slot_names[0]
    events = [{"event": "user", "text": "ja"}, {"event": "slot", "name": slot, "value": "ja"}]
    validated = asyncio.run(screening.ValidateScreeningForm().get_validation_events(
        CollectingDispatcher(), tracker("ja", {"form_retry": f"{slot}:1", slot: "ja"}, events), {}))
    assert {(e["name"], e["value"]) for e in validated} == {(slot, "ja"), ("form_retry", None)}


def test_the_last_unusable_answer_skips_through_the_whole_validation():
    slot = load_screening().slot_names[0]
    events = [{"event": "user", "text": "banaan"}, {"event": "slot", "name": slot, "value": "banaan"}]
    validated = asyncio.run(screening.ValidateScreeningForm().get_validation_events(
        CollectingDispatcher(), tracker("banaan", {"form_retry": f"{slot}:1", slot: "banaan"}, events), {}))
    assert {(e["name"], e["value"]) for e in validated} == {(slot, "onbekend"), ("form_retry", None)}
