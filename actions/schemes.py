"""The schemes check as a Rasa form: a few questions, then the schemes that probably fit.

The eligibility rules are pure functions (actions/eligibility.py) on the yearly norms
(data/facts/) and the municipality's own schemes (data/municipalities/).
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common, eligibility, store_access
from actions.facts import euro, load_facts
from actions.gemeente_slot import GemeenteValidation, gemeente_from_site
from actions.parsing import parse_children, parse_housing, parse_monthly_income
from actions.yes_no import YES_NO_BUTTONS

FORM_SLOTS = ("schemes_single_parent", "schemes_children", "schemes_income", "schemes_housing",
              "schemes_savings")
# Words that tell that money is short right now: then schuldhulp is always part of the answer.
_MONEY_SHORT = re.compile(r"niet rond|rondkomen|geld ?tekort|geen geld|schuld|achterstand|"
                          r"kan .{0,20}niet (meer )?betalen|krap|geldzorgen|can'?t pay|broke", re.IGNORECASE)


def children_value(text: str) -> tuple[str | None, str | None]:
    """(slot value like "4,7" or "geen", or None; a follow-up question when only the number is known)."""
    children = parse_children(text)
    if children is None:
        return None, ("Dat begrijp ik niet goed. Typ hoeveel kinderen er bij je wonen en hoe oud ze "
                      "zijn, bijvoorbeeld \"2 kinderen van 4 en 7\", of \"geen\".")
    if children.count == 0:
        return "geen", None
    if not children.complete:
        return None, "Hoe oud zijn je kinderen? Typ alleen de leeftijden, bijvoorbeeld \"4 en 7\"."
    return ",".join(str(age) for age in children.ages), None


def children_ages(value: str | None) -> tuple[int, ...]:
    if not value or value == "geen":
        return ()
    return tuple(int(age) for age in value.split(","))


class ActionStartSchemes(Action):
    def name(self) -> str:
        return "action_start_schemes"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        money_short = bool(_MONEY_SHORT.search(tracker.latest_message.get("text") or ""))
        dispatcher.utter_message(
            text="Ik stel je een paar korte vragen. Daarna zie je welke regelingen waarschijnlijk bij je "
                 "passen. Je hoeft geen naam te geven.")
        return [SlotSet(slot, None) for slot in FORM_SLOTS] + [
            SlotSet("schemes_money_short", money_short), SlotSet("form_retry", None),
            *gemeente_from_site(dispatcher, tracker)]


class ActionAskSchemesSavings(Action):
    """Asks about savings with the limit that applies, from the dated facts file."""

    def name(self) -> str:
        return "action_ask_schemes_savings"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        facts = load_facts()
        if tracker.get_slot("schemes_single_parent") != "ja":
            household = "gehuwden"
        elif tracker.get_slot("schemes_children") in (None, "geen"):
            household = "alleenstaande"
        else:
            household = "alleenstaande_ouder"
        limit = facts.vermogensgrens_bijstand(household)
        dispatcher.utter_message(
            text=f"Heb je samen meer dan {euro(limit.value)} aan spaargeld en bezit, zonder je huis? "
                 f"Dat is de grens van de bijstand ({limit.period_label}).",
            buttons=YES_NO_BUTTONS)
        return []


class ValidateSchemesForm(GemeenteValidation, common.FormValidation):
    def name(self) -> str:
        return "validate_schemes_form"

    @staticmethod
    def _yes_no(slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        answer = common.yes_no(tracker, value)
        if answer is None:
            dispatcher.utter_message(text="Kies ja of nee, dan ga ik verder.")
            return {slot: None}
        return {slot: "ja" if answer else "nee"}

    def validate_schemes_single_parent(self, value: Any, dispatcher: CollectingDispatcher,
                                       tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return self._yes_no("schemes_single_parent", value, dispatcher, tracker)

    def validate_schemes_children(self, value: Any, dispatcher: CollectingDispatcher,
                                  tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        slot_value, follow_up = children_value(str(value))
        if slot_value is None:
            dispatcher.utter_message(text=follow_up)
        return {"schemes_children": slot_value}

    def validate_schemes_income(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        income = parse_monthly_income(str(value))
        if income is None:
            dispatcher.utter_message(
                text="Ik kan er geen bedrag per maand in vinden. Typ bijvoorbeeld \"1800\" of \"ongeveer "
                     "2000 euro\". Je kunt ook een knop kiezen.")
        return {"schemes_income": income}

    def validate_schemes_housing(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        housing = parse_housing(str(value))
        if housing is None:
            dispatcher.utter_message(
                text="Woon je in een huurhuis, in een koophuis, of anders? Kies een knop.")
        return {"schemes_housing": housing}

    def validate_schemes_savings(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return self._yes_no("schemes_savings", value, dispatcher, tracker)


def _line(match: eligibility.Match) -> str:
    return f"• {match.name}: {match.gives} {match.apply} {match.url}"


def compose_result(result: eligibility.SchemesResult, municipality_name: str, known: bool,
                   facts_year: int) -> str:
    likely = [m for m in (*result.national, *result.local) if m.likelihood == "waarschijnlijk"]
    maybe = [m for m in (*result.national, *result.local) if m.likelihood != "waarschijnlijk"]
    parts = []
    if likely:
        parts.append("Op basis van je antwoorden passen deze regelingen waarschijnlijk bij je:")
        parts += [_line(m) for m in likely]
    else:
        parts.append("Op basis van je antwoorden vind ik geen regeling die zeker bij je past.")
    if maybe:
        parts.append("Deze regelingen passen misschien. Vraag het na:")
        parts += [_line(m) for m in maybe]
    if any(not m.verified for m in result.local):
        parts.append("De regels en bedragen van de gemeente zijn van het jaar dat erbij staat. Kijk op de "
                     "website van je gemeente of ze nog kloppen.")
    if not known:
        parts.append(f"Voor de regelingen van je eigen gemeente: kijk op de website van je gemeente. "
                     f"Hierboven staan de regelingen van {municipality_name} als voorbeeld.")
    parts.append(
        f"Dit is een indicatie, geen besluit. Ik reken met de normen van {facts_year}. Voor de "
        f"bijstandsnorm gebruik ik {euro(result.norm.value, cents=True)} per maand "
        f"({result.norm.period_label}). "
        f"De instantie die de regeling uitvoert, beslist.")
    return "\n".join(parts)


class ActionSchemesResult(Action):
    def name(self) -> str:
        return "action_schemes_result"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        municipality, known = common.municipality_of(tracker)
        facts = load_facts()
        household = eligibility.Household(
            single_parent=tracker.get_slot("schemes_single_parent") == "ja",
            children_ages=children_ages(tracker.get_slot("schemes_children")),
            net_monthly_income=float(tracker.get_slot("schemes_income") or 0),
            housing=tracker.get_slot("schemes_housing") or "anders",
            savings_above_limit=tracker.get_slot("schemes_savings") == "ja",
            money_short=bool(tracker.get_slot("schemes_money_short")),
        )
        result = eligibility.check(household, municipality, facts)
        dispatcher.utter_message(text=compose_result(result, municipality.name, known, facts.year))
        if result.debt_help:
            help_ = municipality.debt_help
            phone = f" of bel {help_.phone}" if getattr(help_, "phone", None) else ""
            national = facts.geldfit_phone()
            dispatcher.utter_message(
                text=f"Heb je geldzorgen of schulden? Vraag dan op tijd hulp. {help_.name}: kijk op "
                     f"{help_.url}{phone}. Liever eerst anoniem? Bel Geldfit gratis: {national}.")
        dispatcher.utter_message(
            text="Wil je hulp bij het aanvragen? Een medewerker denkt graag met je mee.",
            buttons=[{"title": "Praat met een mens", "payload": "/request_human"},
                     {"title": "Bel me terug", "payload": "/request_callback"}])
        store_access.record_schemes(tracker, municipality.key,
                                    [m.key for m in (*result.national, *result.local)])
        return []
