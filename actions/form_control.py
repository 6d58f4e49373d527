"""Leaving a form cleanly ("stop", "laat maar"), and plain answers given outside a form."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import callback, schemes, screening, store_access
from actions.form_validation import RETRY_SLOT
from bot.domain import content
from bot.store import callbacks

# What stopping a form means for that form (domain.yml); any other form gets utter_form_stopped.
STOPPED = {
    "screening_form": "utter_form_stopped_screening",
    "schemes_form": "utter_form_stopped_schemes",
    "callback_form": "utter_form_stopped_callback",
    "handoff_form": "utter_form_stopped_handoff",
    "feedback_form": "utter_form_stopped_feedback",
}


def last_form(events: list[dict[str, Any]]) -> str | None:
    """The form that was active most recently (its deactivation event comes after it)."""
    for event in reversed(events):
        if event.get("event") == "active_loop" and event.get("name"):
            return event["name"]
    return None


def slots_of(form: str | None) -> list[str]:
    if form == "screening_form":
        return screening.slot_names()
    if form == "schemes_form":
        return list(schemes.FORM_SLOTS)
    if form == "callback_form":
        return list(callback.FORM_SLOTS)
    if form == "feedback_form":
        return ["feedback_comment"]
    return []


class ActionFormStopped(Action):
    def name(self) -> str:
        return "action_form_stopped"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        form = last_form(tracker.events)
        draft_id = tracker.get_slot("callback_id")
        if form == "callback_form" and draft_id and not tracker.get_slot("callback_reference"):
            store_access.quietly("discard_draft", callbacks.discard_draft, draft_id)
        dispatcher.utter_message(response=STOPPED.get(form or "", "utter_form_stopped"),
                                 buttons=content.topic_buttons())
        return [SlotSet(slot, None) for slot in slots_of(form)] + [SlotSet(RETRY_SLOT, None)]


class ActionAcknowledgeInform(Action):
    """An answer without a question ("ik woon in Zwolle", "1800 euro"): note the municipality, offer help."""

    def name(self) -> str:
        return "action_acknowledge_inform"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        entities = [e for e in tracker.latest_message.get("entities", []) if e.get("entity") == "gemeente"]
        if entities:
            dispatcher.utter_message(response="utter_inform_gemeente_noted", gemeente=entities[-1]["value"],
                                     buttons=content.topic_buttons())
        else:
            # The response's own button (the schemes check) comes first, then the topics.
            dispatcher.utter_message(response="utter_inform_acknowledged", buttons=content.topic_buttons())
        return []
