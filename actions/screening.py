"""The risk screening as a Rasa form: questions and scoring come from data/screening.yml.

Every question is a slot `screening_<key>` holding "ja", "nee" or "onbekend". The questions are
asked by one `action_ask_screening_<key>` per question, generated from the data file, so that the
wording lives in one place that a non-programmer can review.
"""

from __future__ import annotations

import logging
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common, store_access
from actions.form_validation import RETRY_SLOT, FormValidation
from bot.domain import municipalities
from bot.domain.names import EXPERT_LEVELS
from bot.domain.opening_hours import is_open
from bot.domain.screening_scoring import Outcome, compose_outcome, load_screening, score
from bot.domain.texts import button
from bot.domain.yes_no import YES_NO_BUTTONS

log = logging.getLogger(__name__)

ANSWER_YES, ANSWER_NO, ANSWER_UNKNOWN, ANSWER_SKIPPED = "ja", "nee", "onbekend", "overgeslagen"


def slot_names() -> list[str]:
    return load_screening().slot_names


def answers_from(tracker: Tracker) -> dict[str, bool | None]:
    """{question key: True/False/None} from the filled slots."""
    answers: dict[str, bool | None] = {}
    for question in load_screening().questions:
        value = tracker.get_slot(f"screening_{question.key}")
        answers[question.key] = True if value == ANSWER_YES else False if value == ANSWER_NO else None
    return answers


class ActionStartScreening(Action):
    """Clears the answers of an earlier screening, so that the form asks every question again."""

    def name(self) -> str:
        return "action_start_screening"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        return [SlotSet(name, None) for name in slot_names()] + [SlotSet(RETRY_SLOT, None)]


class _AskScreeningQuestion(Action, ABC):
    """Asks one question with Ja/Nee buttons; the first one comes after a one-sentence intro."""

    key = ""

    @abstractmethod
    def name(self) -> str:
        """Each generated subclass below names itself after its question."""

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        screening = load_screening()
        first = screening.questions[0].key == self.key
        if first and tracker.get_slot(RETRY_SLOT) is None:
            dispatcher.utter_message(text=screening.intro)
        dispatcher.utter_message(text=screening.question(self.key).text, buttons=YES_NO_BUTTONS)
        return []


# One ask action per question in the data file (rasa-sdk registers every Action subclass).
ASK_ACTIONS = [
    type(f"AskScreening_{question.key}", (_AskScreeningQuestion,),
         {"key": question.key, "name": lambda self: f"action_ask_screening_{self.key}"})
    for question in load_screening().questions
]


class ValidateScreeningForm(FormValidation):
    def name(self) -> str:
        return "validate_screening_form"

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        return await super().required_slots(slot_names(), dispatcher, tracker, domain)

    def __getattr__(self, attribute: str):
        # validate_screening_<key> for every question, without writing one method per question.
        prefix = "validate_screening_"
        if attribute.startswith(prefix) and attribute[len("validate_"):] in slot_names():
            slot = attribute[len("validate_"):]

            async def validate_question(value: Any, dispatcher: CollectingDispatcher,
                                        tracker: Tracker, domain: DomainDict) -> dict[str, Any]:
                return self._validate_answer(slot, value, dispatcher, tracker)

            return validate_question
        raise AttributeError(attribute)

    def _validate_answer(self, slot: str, value: Any, dispatcher: CollectingDispatcher,
                         tracker: Tracker) -> dict[str, Any]:
        answer = common.yes_no(tracker, value)
        if answer is None:  # after the last try (data/forms.yml) the question is skipped
            return self.ask_again(slot, dispatcher, tracker, response="utter_screening_yes_or_no")
        filled: dict[str, Any] = {slot: ANSWER_YES if answer else ANSWER_NO}
        if answer and load_screening().question(slot[len("screening_"):]).safety:
            # Safety first: straight to the (urgent) outcome, which opens with Veilig Thuis and 112.
            for other in slot_names():
                if other != slot and tracker.get_slot(other) is None:
                    filled[other] = ANSWER_SKIPPED
        return filled


def outcome_buttons(outcome: Outcome, chat_open: bool) -> list[dict[str, str]]:
    buttons = []
    if outcome.level in EXPERT_LEVELS:
        if chat_open:
            buttons.append(button("request_human_now"))
        buttons.append(button("request_callback"))
    if "geld" in outcome.domains:
        buttons.append(button("check_schemes"))
    if outcome.level not in EXPERT_LEVELS:
        buttons.append(button("request_human"))
    return buttons


class ActionScreeningOutcome(Action):
    """Scores the answers, tells the outcome with next steps, and records level + domains only."""

    def name(self) -> str:
        return "action_screening_outcome"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        outcome = score(answers_from(tracker))
        municipality, _known = common.municipality_of(tracker)
        team = municipality.team
        phone = team.phone if municipalities.is_verified(municipality, "team.phone") else None
        chat_open = is_open(common.now(), team.live_chat_hours)
        text = compose_outcome(outcome, team_name=team.name, live_chat=chat_open,
                               expert_titles=[expert.title for expert in team.experts], team_phone=phone)
        dispatcher.utter_message(text=text, buttons=outcome_buttons(outcome, chat_open))
        store_access.record_screening(tracker, municipality.key, outcome.level, list(outcome.domains))
        return [SlotSet("screening_level", outcome.level),
                SlotSet("screening_domains", ",".join(outcome.domains))]
