"""Leaving a form cleanly ("stop", "laat maar"), and plain answers given outside a form."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import callback, content, schemes, screening
from bot.store import callbacks
from bot.store.db import session_scope

STOPPED_TEXT = {
    "screening_form": "Oké, ik stop met de vragen. Je antwoorden tellen niet mee.",
    "schemes_form": "Oké, ik stop met de vragen.",
    "callback_form": "Oké, er is niets geboekt. Je telefoonnummer is niet bewaard.",
    "handoff_form": "Oké, ik zet je niet door.",
    "feedback_form": "Oké, geen probleem.",
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
            with session_scope() as session:
                callbacks.discard_draft(session, draft_id)
        text = STOPPED_TEXT.get(form or "", "Oké.")
        dispatcher.utter_message(
            text=f"{text} Waar kan ik je nog mee helpen? Kies een onderwerp of typ je vraag.",
            buttons=content.topic_buttons())
        return [SlotSet(slot, None) for slot in slots_of(form)] + [SlotSet("form_retry", None)]


class ActionAcknowledgeInform(Action):
    """An answer without a question ("ik woon in Zwolle", "1800 euro"): note the municipality, offer help."""

    def name(self) -> str:
        return "action_acknowledge_inform"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        entities = [e for e in tracker.latest_message.get("entities", []) if e.get("entity") == "gemeente"]
        if entities:
            dispatcher.utter_message(
                text=f"Dank je, ik onthoud voor dit gesprek dat je in {entities[-1]['value']} woont. "
                     f"Waar kan ik je mee helpen?", buttons=content.topic_buttons())
        else:
            dispatcher.utter_message(
                text="Dank je. Waar gaat je vraag over? Kies een onderwerp, of typ je vraag in je eigen "
                     "woorden.",
                buttons=[{"title": "Welke regelingen passen bij mij?", "payload": "/check_schemes"},
                         *content.topic_buttons()])
        return []
