"""A worry, or a doubtful safety signal: the warm answer with the helplines, and the question answered.

The SafetyGuard marks a message that is also a clear FAQ question with `faq_answer_too` (the answer's
key); the parent then gets that answer after the helplines instead of having to ask again.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

FAQ_ANSWER_KEY = "faq_answer_too"


class ActionShareWorry(Action):
    def name(self) -> str:
        return "action_share_worry"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        answer = tracker.latest_message.get(FAQ_ANSWER_KEY)
        if answer:
            dispatcher.utter_message(response="utter_worry_with_answer")
            dispatcher.utter_message(response=f"utter_{answer}")
        else:
            dispatcher.utter_message(response="utter_share_worry")
        return []
