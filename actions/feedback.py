"""'Had je hier iets aan?': a thumbs up or down, with an optional short comment, stored anonymously."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common, store_access
from actions.form_validation import FormValidation

COMMENT_MAX_CHARS = 500
SKIPPED = "-"
# The last of these before the feedback says what the feedback is about.
CONTEXTS = {
    "action_screening_outcome": "screening",
    "action_callback_done": "callback",
    "action_schemes_result": "regelingen",
    "utter_goodbye": "einde",
    "utter_thanks": "einde",
}


def feedback_context(events: list[dict[str, Any]]) -> str:
    for event in reversed(events):
        if event.get("event") == "action" and event.get("name") in CONTEXTS:
            return CONTEXTS[event["name"]]
    return "gesprek"


class ValidateFeedbackForm(FormValidation):
    def name(self) -> str:
        return "validate_feedback_form"

    def validate_feedback_comment(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                                  domain: DomainDict) -> dict[str, Any]:
        text = str(value or "").strip()
        if common.latest_intent(tracker) == "deny" or not text or text.startswith("/"):
            return {"feedback_comment": SKIPPED}
        return {"feedback_comment": text[:COMMENT_MAX_CHARS]}


class ActionRecordFeedback(Action):
    def name(self) -> str:
        return "action_record_feedback"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        comment = tracker.get_slot("feedback_comment")
        helpful = comment is None and common.latest_intent(tracker) in ("feedback_positive", "affirm")
        # The same municipality as the other outcomes: the user's own, or the default team's.
        municipality, _known = common.municipality_of(tracker)
        store_access.record_feedback(tracker, feedback_context(tracker.events), helpful,
                                     None if comment in (None, SKIPPED) else comment, municipality.key)
        dispatcher.utter_message(response="utter_feedback_thanks")
        return [SlotSet("feedback_comment", None)]
