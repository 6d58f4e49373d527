"""The schemes check as a Rasa form: a few questions, then the schemes that probably fit.

The eligibility rules are pure functions (bot/domain/eligibility.py) on the yearly norms
(data/facts/) and the municipality's own schemes (data/municipalities/).
"""

from __future__ import annotations

import re
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common, store_access
from actions.form_validation import RETRY_SLOT, FormValidation
from actions.gemeente_slot import GemeenteValidation, gemeente_from_site
from bot.domain import eligibility
from bot.domain.facts import euro, load_facts
from bot.domain.parsing import parse_children, parse_housing, parse_monthly_income
from bot.domain.texts import text
from bot.domain.yes_no import YES_NO_BUTTONS

# What each kind of housing is said back as (parse_housing's values).
HOUSING_NOTED = {"huur": "utter_schemes_housing_noted_huur", "koop": "utter_schemes_housing_noted_koop",
                 "anders": "utter_schemes_housing_noted_anders"}
FORM_SLOTS = ("schemes_single_parent", "schemes_children", "schemes_income", "schemes_housing",
              "schemes_savings")
# Words that tell that money is short right now: then schuldhulp is always part of the answer.
_MONEY_SHORT = re.compile(r"niet rond|rondkomen|geld ?tekort|geen geld|schuld|achterstand|"
                          r"kan .{0,20}niet (meer )?betalen|krap|geldzorgen|can'?t pay|broke", re.IGNORECASE)


def children_value(answer: str) -> tuple[str | None, str | None]:
    """(slot value like "4,7" or "geen", or None; the response that asks again when it is None)."""
    children = parse_children(answer)
    if children is None:
        return None, "utter_schemes_children_unclear"
    if children.count == 0:
        return "geen", None
    if not children.complete:
        return None, "utter_schemes_children_ages"
    return ",".join(str(age) for age in children.ages), None


def children_ages(value: str | None) -> tuple[int, ...]:
    if not value or value == "geen":
        return ()
    return tuple(int(age) for age in value.split(","))


def say_children(dispatcher: CollectingDispatcher, ages: tuple[int, ...]) -> None:
    if not ages:
        dispatcher.utter_message(response="utter_schemes_no_children_noted")
    elif len(ages) == 1:
        dispatcher.utter_message(response="utter_schemes_one_child_noted", ages=ages[0])
    else:
        listed = text("schemes.ages_last", ages=", ".join(map(str, ages[:-1])), last=ages[-1])
        dispatcher.utter_message(response="utter_schemes_children_noted", count=len(ages), ages=listed)


class ActionStartSchemes(Action):
    def name(self) -> str:
        return "action_start_schemes"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        money_short = bool(_MONEY_SHORT.search(tracker.latest_message.get("text") or ""))
        dispatcher.utter_message(response="utter_schemes_intro")
        return [SlotSet(slot, None) for slot in FORM_SLOTS] + [
            SlotSet("schemes_money_short", money_short), SlotSet(RETRY_SLOT, None),
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
        dispatcher.utter_message(response="utter_schemes_savings_question", amount=euro(limit.value),
                                 period=limit.period_label, buttons=YES_NO_BUTTONS)
        return []


class ValidateSchemesForm(GemeenteValidation, FormValidation):
    def name(self) -> str:
        return "validate_schemes_form"

    @staticmethod
    def _yes_no(slot: str, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker) -> dict[str, Any]:
        answer = common.yes_no(tracker, value)
        if answer is None:
            dispatcher.utter_message(response="utter_schemes_yes_or_no")
            return {slot: None}
        return {slot: "ja" if answer else "nee"}

    def validate_schemes_single_parent(self, value: Any, dispatcher: CollectingDispatcher,
                                       tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        return self._yes_no("schemes_single_parent", value, dispatcher, tracker)

    # Each answer that was parsed is said back before the next question, so a misreading shows at once.
    def validate_schemes_children(self, value: Any, dispatcher: CollectingDispatcher,
                                  tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        slot_value, ask_again = children_value(str(value))
        if ask_again:
            dispatcher.utter_message(response=ask_again)
        else:
            say_children(dispatcher, children_ages(slot_value))
        return {"schemes_children": slot_value}

    def validate_schemes_income(self, value: Any, dispatcher: CollectingDispatcher,
                                tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        income = parse_monthly_income(str(value))
        if income is None:
            dispatcher.utter_message(response="utter_schemes_income_unclear")
        else:
            dispatcher.utter_message(response="utter_schemes_income_noted", income=euro(income))
        return {"schemes_income": income}

    def validate_schemes_housing(self, value: Any, dispatcher: CollectingDispatcher,
                                 tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
        housing = parse_housing(str(value))
        if housing is None:
            dispatcher.utter_message(response="utter_schemes_housing_unclear")
        else:
            dispatcher.utter_message(response=HOUSING_NOTED[housing])
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
    # Put together from parts (data/action_texts.yml, schemes): which parts depends on the answers.
    parts = []
    if likely:
        parts.append(text("schemes.likely"))
        parts += [_line(m) for m in likely]
    else:
        parts.append(text("schemes.none_likely"))
    if maybe:
        parts.append(text("schemes.maybe"))
        parts += [_line(m) for m in maybe]
    if any(not m.verified for m in result.local):
        parts.append(text("schemes.unverified"))
    if not known:
        parts.append(text("schemes.not_own", municipality=municipality_name))
    parts.append(text("schemes.indication", year=facts_year, norm_amount=euro(result.norm.value, cents=True),
                      period=result.norm.period_label))
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
            if getattr(help_, "phone", None):
                dispatcher.utter_message(response="utter_schemes_debt_help_phone", debt_help=help_.name,
                                         debt_help_url=help_.url, debt_help_phone=help_.phone,
                                         geldfit_phone=facts.geldfit_phone())
            else:
                dispatcher.utter_message(response="utter_schemes_debt_help", debt_help=help_.name,
                                         debt_help_url=help_.url, geldfit_phone=facts.geldfit_phone())
        dispatcher.utter_message(response="utter_schemes_offer_help")
        store_access.record_schemes(tracker, municipality.key,
                                    [m.key for m in (*result.national, *result.local)])
        return []
