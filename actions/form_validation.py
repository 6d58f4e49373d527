"""The base of every form's validation action: answers only, and one rule for asking again.

After an answer a form cannot use, its validator calls `ask_again`: that says why and asks again, or,
after the last try that data/forms.yml allows, gives up on the question as the file says: `skip`
gives the question its value, `stop` ends the form (`required_slots` has nothing left, and the form's
last step offers another way to reach the team). The tries are counted in the `form_retry` slot as
"<slot>:<tries>"; a form that has to end because the store failed holds STORE_FAILED there.
"""

from __future__ import annotations

import copy
from abc import ABC, abstractmethod
from typing import Any

from rasa_sdk import FormValidationAction, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from bot.domain.form_rules import Then, load_form_rules

RETRY_SLOT = "form_retry"
STORE_FAILED = "store_failed"


def _retry(tracker: Tracker) -> tuple[str, int]:
    """(slot, unusable answers so far) from the form_retry slot; ("", 0) when nothing is counted."""
    slot, _, count = (tracker.get_slot(RETRY_SLOT) or "").rpartition(":")
    return (slot, int(count)) if count.isdigit() else ("", 0)


def tries(tracker: Tracker, slot: str) -> int:
    """How many answers to this question the form could not use so far."""
    counted, count = _retry(tracker)
    return count if counted == slot else 0


def gave_up(tracker: Tracker, form: str) -> bool:
    """Whether a question of the form ran out of tries and data/forms.yml says to stop then."""
    slot, count = _retry(tracker)
    rule = load_form_rules().retry(form, slot)
    return rule.then == Then.STOP and count >= (rule.tries or 0) > 0


def store_failed(tracker: Tracker) -> bool:
    """Whether the form ended because the store failed (the parent has been told then)."""
    return tracker.get_slot(RETRY_SLOT) == STORE_FAILED


class FormValidation(FormValidationAction, ABC):
    """A FormValidationAction that validates answers only and asks again by data/forms.yml.

    A flow's start action clears the form's slots (SlotSet to None) so that a second run asks
    everything again; rasa-sdk would pass those cleared slots to the validators as if they were
    answers. Here they are left out.
    """

    @abstractmethod
    def name(self) -> str:
        """Abstract, so that rasa-sdk does not register this base class as an action."""

    async def get_validation_events(self, dispatcher: Any, tracker: Tracker, domain: Any) -> list[dict]:
        last_user = max((i for i, e in enumerate(tracker.events) if e.get("event") == "user"), default=-1)
        answers_only = copy.copy(tracker)
        answers_only.events = [
            event for i, event in enumerate(tracker.events)
            if not (i > last_user and event.get("event") == "slot" and event.get("value") is None)
        ]
        events = await super().get_validation_events(dispatcher, answers_only, domain)
        # A usable answer to the question being counted: the next question starts with all its tries.
        counted, _ = _retry(tracker)
        answered = any(e.get("name") == counted and e.get("value") is not None for e in events)
        if answered and not any(e.get("name") == RETRY_SLOT for e in events):
            events.append(SlotSet(RETRY_SLOT, None))
        return events

    async def required_slots(self, domain_slots: list[str], dispatcher: CollectingDispatcher,
                             tracker: Tracker, domain: DomainDict) -> list[str]:
        if store_failed(tracker) or gave_up(tracker, self.form_name()):
            return []  # the form ends; its last step says what to do instead
        return domain_slots

    def ask_again(self, slot: str, dispatcher: CollectingDispatcher, tracker: Tracker, **message: Any,
                  ) -> dict[str, Any]:
        """An answer the form cannot use: say `message` (utter_message's arguments) and ask again, or,
        after the last try, skip the question or stop the form as data/forms.yml says."""
        count = tries(tracker, slot) + 1
        rule = load_form_rules().retry(self.form_name(), slot)
        if rule.tries is None or count < rule.tries:
            dispatcher.utter_message(**message)
        elif rule.then == Then.SKIP:
            dispatcher.utter_message(response=rule.say)
            return {slot: rule.value, RETRY_SLOT: None}
        return {slot: None, RETRY_SLOT: f"{slot}:{count}"}

    def store_failed(self, slot: str) -> dict[str, Any]:
        """The store failed while this answer was handled (the parent has been told): end the form."""
        return {slot: None, RETRY_SLOT: STORE_FAILED}
