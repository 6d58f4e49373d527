"""The Rasa side of the live hand-over: decide between a live chat now and a callback offer.

Live chat needs both: the team's chat hours (public holidays closed) and an expert who marked
themself available in the store (the expert console keeps that table up to date). The gateway acts
on the custom `{"handoff": ...}` message; the bot itself never pretends a person is there.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common, municipalities
from actions.fallback import FALLBACK_INTENT
from actions.gemeente_slot import GemeenteValidation, gemeente_from_site
from actions.opening_hours import describe_hours, describe_next_opening, is_open
from bot.store import records
from bot.store.db import session_scope

log = logging.getLogger(__name__)

CALLBACK_BUTTON = {"title": "Bel me terug", "payload": "/request_callback"}
TOPICS_BUTTON = {"title": "Terug naar de onderwerpen", "payload": "/help"}


class ActionStartHandoff(Action):
    """Says what happens before anything is asked; the site's municipality needs no question."""

    def name(self) -> str:
        return "action_start_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_handoff_acknowledge")
        return gemeente_from_site(dispatcher, tracker)


class ValidateHandoffForm(GemeenteValidation, common.FormValidation):
    def name(self) -> str:
        return "validate_handoff_form"


def handoff_reason(tracker: Tracker) -> str:
    """Why the parent wants a person, in a few words for the expert's queue (never their text)."""
    if common.had_safety_signal(tracker):
        return "veiligheid"
    if tracker.get_slot("screening_level") in ("deskundige", "urgent"):
        return "uitkomst risicocheck"
    intents = [(e.get("parse_data") or {}).get("intent", {}).get("name")
               for e in tracker.events if e.get("event") == "user"]
    if FALLBACK_INTENT in intents[-4:]:
        return "bot begreep de vraag niet"
    return "op verzoek"


def safety_lines(tracker: Tracker) -> str:
    if common.suicide_signal(tracker):
        return (" Gaat het nu echt niet meer? Bel of chat dan met 113 Zelfmoordpreventie: 113 of "
                "0800-0113, dag en nacht. Bij direct gevaar: bel 112.")
    if common.had_safety_signal(tracker):
        return (" Voel je je niet veilig? Bel Veilig Thuis: 0800-2000, dag en nacht, gratis en anoniem. "
                "Bij direct gevaar: bel 112.")
    return ""


class ActionHandoff(Action):
    def name(self) -> str:
        return "action_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        municipality, _known = common.municipality_of(tracker)
        team = municipality.team
        moment = common.now()
        chat_open = is_open(moment, team.live_chat_hours)
        request = None
        try:
            with session_scope() as session:
                if chat_open and records.available_experts(session, municipality.key):
                    request = records.request_handoff(
                        session, conversation_id=tracker.sender_id, municipality=municipality.key,
                        topic=tracker.get_slot("topic"), reason=handoff_reason(tracker),
                        screening_level=tracker.get_slot("screening_level"),
                        screening_domains=[d for d in (tracker.get_slot("screening_domains") or "").split(",")
                                           if d],
                    )
                    records.record_event(session, "handoff_requested", municipality.key)
                    handoff = {"id": request.id, "reason": request.reason}
                else:
                    records.record_event(session, "handoff_unavailable", municipality.key)
        except Exception:  # noqa: BLE001 - the user still gets the callback offer below
            log.exception("handoff: store unavailable")
            request = None
        if request is not None:
            dispatcher.utter_message(
                text=f"Ik zet je door naar een medewerker van {team.name}. Even geduld, er komt zo iemand "
                     f"bij je in deze chat. Typ \"terug naar de bot\" als je toch niet wilt wachten.")
            dispatcher.utter_message(json_message={"handoff": handoff})
            return []
        hours = describe_hours(team.live_chat_hours)
        if chat_open:
            when = f"Alle medewerkers zijn nu bezig. Ze chatten {hours}."
        else:
            when = (f"De medewerkers van {team.name} chatten {hours}. De chat is weer open "
                    f"{describe_next_opening(moment, team.live_chat_hours)}.")
        text = (f"Er is nu niemand beschikbaar voor de chat, sorry. {when} Wil je liever gebeld worden? "
                f"Maak dan een terugbelafspraak.")
        if team.phone and municipalities.is_verified(municipality, "team.phone"):
            text += f" Je kunt ook zelf bellen: {team.phone}."
        dispatcher.utter_message(text=text + safety_lines(tracker), buttons=[CALLBACK_BUTTON, TOPICS_BUTTON])
        return []
