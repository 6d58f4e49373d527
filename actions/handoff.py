"""The Rasa side of the live hand-over: decide between a live chat now and a callback offer.

Live chat needs both: the team's chat hours (public holidays closed) and an expert who marked
themself available in the store (the expert console keeps that table up to date). The gateway acts
on the custom `{"handoff": ...}` message; the bot itself never pretends a person is there.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common, store_access
from actions.fallback import FALLBACK_INTENT
from actions.form_validation import FormValidation
from actions.gemeente_slot import GemeenteValidation, gemeente_from_site
from bot.domain import municipalities
from bot.domain.names import EXPERT_LEVELS
from bot.domain.opening_hours import describe_hours, describe_next_opening, is_open
from bot.domain.texts import button, text
from bot.store import handoffs, records


class ActionStartHandoff(Action):
    """Says what happens before anything is asked; the site's municipality needs no question."""

    def name(self) -> str:
        return "action_start_handoff"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_handoff_acknowledge")
        return gemeente_from_site(dispatcher, tracker)


class ValidateHandoffForm(GemeenteValidation, FormValidation):
    def name(self) -> str:
        return "validate_handoff_form"


def handoff_reason(tracker: Tracker) -> str:
    """Why the parent wants a person, in a few words for the expert's queue (never their text)."""
    if common.had_safety_signal(tracker):
        return text("handoff.reasons.safety")
    if tracker.get_slot("screening_level") in EXPERT_LEVELS:
        return text("handoff.reasons.screening")
    intents = [(e.get("parse_data") or {}).get("intent", {}).get("name")
               for e in tracker.events if e.get("event") == "user"]
    if FALLBACK_INTENT in intents[-4:]:
        return text("handoff.reasons.not_understood")
    return text("handoff.reasons.asked")


def safety_lines(tracker: Tracker) -> list[str]:
    if common.suicide_signal(tracker):
        return [text("handoff.helplines_suicide")]
    if common.had_safety_signal(tracker):
        return [text("handoff.helplines_violence")]
    return []


def unavailable_text(municipality: municipalities.Municipality, tracker: Tracker, moment: datetime) -> str:
    """Nobody free for a live chat: when the chat is open, the team's own phone, the helplines if needed."""
    team = municipality.team
    hours = describe_hours(team.live_chat_hours)
    if is_open(moment, team.live_chat_hours):
        when = text("handoff.all_busy", hours=hours)
    else:
        when = text("handoff.closed", team=team.name, hours=hours,
                    next_opening=describe_next_opening(moment, team.live_chat_hours))
    parts = [text("handoff.unavailable", when=when)]
    if team.phone and municipalities.is_verified(municipality, "team.phone"):
        parts.append(text("handoff.own_phone", phone=team.phone))
    return " ".join(parts + safety_lines(tracker))


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
            with store_access.session("request_handoff") as session:
                if chat_open and records.available_experts(session, municipality.key):
                    request = handoffs.request(
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
        except store_access.StoreUnavailable:
            if chat_open:  # a person could have been free: say that this failed, and how else to reach them
                store_access.tell_unavailable(dispatcher, tracker, "handoff", extra=safety_lines(tracker),
                                              buttons=[button("request_callback"), button("topics")])
                return []
            request = None  # only the count failed: the chat is closed anyway
        if request is not None:
            dispatcher.utter_message(response="utter_handoff_queued", team=team.name)
            dispatcher.utter_message(json_message={"handoff": handoff})
            return []
        dispatcher.utter_message(text=unavailable_text(municipality, tracker, moment),
                                 buttons=[button("request_callback"), button("topics")])
        return []
