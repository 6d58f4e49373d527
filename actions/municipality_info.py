"""'Ik woon in Zwolle, waar kan ik terecht?': that municipality's team, phone, hours and own schemes.

Everything comes from the municipality's data file; a municipality without a file gets the national
answer, said honestly, with its own website named. The municipality is remembered (gemeente slot).
Texts live in domain.yml (utter_municipality_*, with their buttons) and data/action_texts.yml.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common
from bot.domain import municipalities
from bot.domain.names import UNKNOWN_MUNICIPALITY
from bot.domain.opening_hours import describe_hours
from bot.domain.texts import text


def named_municipality(tracker: Tracker) -> str | None:
    """The municipality the latest message names (entity or words), else the one we know already."""
    entities = [e.get("value") for e in tracker.latest_message.get("entities", [])
                if e.get("entity") == "gemeente"]
    text = tracker.latest_message.get("text") or ""
    found = entities[-1] if entities else common.find_gemeente_in_text(text)
    if found:
        return found
    known = tracker.get_slot("gemeente")
    return known if known and known != UNKNOWN_MUNICIPALITY else None


def contact_line(m: municipalities.Municipality) -> str:
    """How to reach the team: its phone when the file marks it as checked, else the website."""
    if m.team.phone and municipalities.is_verified(m, "team.phone"):
        return text("municipality_info.contact_phone", team=m.team.name, phone=m.team.phone)
    return text("municipality_info.contact_website", website=m.website, team=m.team.name)


def scheme_names(m: municipalities.Municipality) -> str:
    names = [scheme.name for scheme in m.schemes]
    if not names:
        return text("municipality_info.no_schemes")
    # " en " is the glue of a list, not a text to review.
    return ", ".join(names[:-1]) + f" en {names[-1]}" if len(names) > 1 else names[0]


class ActionMunicipalityInfo(Action):
    def name(self) -> str:
        return "action_municipality_info"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        name = named_municipality(tracker)
        if name is None:
            dispatcher.utter_message(response="utter_municipality_which")
            return []
        ours = municipalities.find(name)
        if ours is None:
            dispatcher.utter_message(response="utter_municipality_national", gemeente=name)
            return [SlotSet("gemeente", name)]
        dispatcher.utter_message(
            response="utter_municipality_local", gemeente=ours.name, team=ours.team.name,
            contact=contact_line(ours), hours=describe_hours(ours.team.live_chat_hours),
            schemes=scheme_names(ours), website=ours.website)
        return [SlotSet("gemeente", ours.name)]
