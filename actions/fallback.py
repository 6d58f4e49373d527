"""What the assistant says when it did not understand: never the same dead end twice in a row."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import UserUtteranceReverted
from rasa_sdk.executor import CollectingDispatcher

from bot.domain import content
from bot.domain.texts import button

FALLBACK_INTENT = "nlu_fallback"
# First a request to rephrase; after that, alternate between offering a human and asking for
# one short question, so that two replies in a row always differ.
RESPONSES = ("utter_fallback_rephrase", "utter_fallback_offer_human", "utter_fallback_short_question")


def fallbacks_in_a_row(events: list[dict[str, Any]]) -> int:
    """How many of the latest user messages in a row were not understood (including the last)."""
    count = 0
    for event in reversed(events):
        if event.get("event") != "user":
            continue
        intent = (event.get("parse_data") or {}).get("intent", {}).get("name")
        if intent != FALLBACK_INTENT:
            break
        count += 1
    return count


def suggested_questions(latest_message: dict[str, Any], limit: int = 3) -> list[str]:
    """The FAQ questions the ResponseSelector ranked highest, when the message was a FAQ
    question it was unsure about (the FaqConfidenceGuard turned it into a fallback)."""
    ranking = latest_message.get("intent_ranking") or []
    if len(ranking) < 2 or ranking[1].get("name") != "faq":
        return []
    candidates = (latest_message.get("response_selector") or {}).get("faq", {}).get("ranking", [])
    questions = content.questions_by_intent()
    keys = [c.get("intent_response_key") for c in candidates[:limit]]
    return [questions[key] for key in keys if key in questions]


def response_for(count: int) -> str:
    if count <= 1:
        return RESPONSES[0]
    return RESPONSES[1] if count % 2 == 0 else RESPONSES[2]


class ActionHandleFallback(Action):
    def name(self) -> str:
        return "action_handle_fallback"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        count = max(1, fallbacks_in_a_row(tracker.events))
        suggestions = suggested_questions(tracker.latest_message) if count == 1 else []
        if suggestions:
            buttons = [*content.question_buttons(suggestions), button("something_else")]
            dispatcher.utter_message(response="utter_fallback_suggest", buttons=buttons)
        else:
            response = response_for(count)
            buttons = content.topic_buttons()
            if response == "utter_fallback_offer_human":
                # After two misunderstandings in a row: a person may help better.
                buttons = [button("request_human"), *buttons]
            dispatcher.utter_message(response=response, buttons=buttons)
        if (tracker.latest_message.get("intent") or {}).get("name") != FALLBACK_INTENT \
                and not (tracker.active_loop or {}).get("name"):
            # Core fallback (no rule or story fits the state): forget the message, as Rasa's default
            # fallback does, so the next message starts from a state the rules know instead of this
            # action being predicted again and again.
            return [UserUtteranceReverted()]
        return []
