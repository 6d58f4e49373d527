"""Asking and validating the user's municipality: shared by the forms that need it."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from bot.domain import municipalities
from bot.domain.names import UNKNOWN_MUNICIPALITY
from bot.domain.texts import button

# The question says why this form needs the municipality (domain.yml).
QUESTIONS = {
    "handoff_form": "utter_gemeente_question_handoff_form",
    "callback_form": "utter_gemeente_question_callback_form",
    "schemes_form": "utter_gemeente_question_schemes_form",
}


def site_municipality(tracker: Tracker) -> municipalities.Municipality | None:
    """The municipality whose website the chat widget is on: the widget sends its `data-gemeente` with
    every message (the gateway lets only a known key through). None on Telegram and REST."""
    for event in reversed(tracker.events):
        if event.get("event") == "user":
            key = (event.get("metadata") or {}).get("gemeente")
            return municipalities.load_all().get(key) if isinstance(key, str) else None
    return None


def gemeente_from_site(dispatcher: CollectingDispatcher, tracker: Tracker) -> list[dict[str, Any]]:
    """Fill an empty gemeente slot from the site, and say so with a one-tap way to change it."""
    site = site_municipality(tracker)
    if tracker.get_slot("gemeente") or site is None:
        return []
    dispatcher.utter_message(response="utter_gemeente_from_site", gemeente=site.name)
    return [SlotSet("gemeente", site.name)]


class ActionAskGemeente(Action):
    """'In welke gemeente woon je?' and why, with our municipalities as buttons; typing any other works."""

    def name(self) -> str:
        return "action_ask_gemeente"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        buttons = [{"title": m.name, "payload": m.name}
                   for m in sorted(municipalities.load_all().values(), key=lambda m: m.name)]
        form = (tracker.active_loop or {}).get("name")
        dispatcher.utter_message(
            response=QUESTIONS.get(form, QUESTIONS["handoff_form"]),
            buttons=[*buttons, button("decline_gemeente")],
        )
        return []


class ActionForgetGemeente(Action):
    """'Ik woon in een andere gemeente': the site's municipality was not the parent's own."""

    def name(self) -> str:
        return "action_forget_gemeente"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_gemeente_forgotten")
        return [SlotSet("gemeente", None)]


class GemeenteValidation:
    """Mixin for FormValidationActions whose form asks the gemeente slot."""

    def validate_gemeente(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: DomainDict) -> dict[str, Any]:
        text = tracker.latest_message.get("text") or ""
        entity_value = value if isinstance(value, str) and value != text else None
        found = common.gemeente_from_answer(entity_value or text)
        if found is None:
            dispatcher.utter_message(response="utter_gemeente_unknown")
            return {"gemeente": None}
        if found == UNKNOWN_MUNICIPALITY:
            dispatcher.utter_message(response="utter_gemeente_declined")
        elif municipalities.find(found) is None:
            default = municipalities.default_municipality()
            dispatcher.utter_message(response="utter_gemeente_without_file", gemeente=found,
                                     team=default.team.name)
        elif tracker.get_slot("requested_slot") == "gemeente":  # an answer, not the site's prefill
            dispatcher.utter_message(response="utter_gemeente_noted", gemeente=found)
        return {"gemeente": found}
