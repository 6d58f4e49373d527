"""Deleting a conversation on the user's request.

The action itself only confirms and restarts; the tracker store (privacy/tracker_store.py)
sees this action and removes every stored event of the conversation.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import Restarted
from rasa_sdk.executor import CollectingDispatcher


class ActionDeleteConversation(Action):
    def name(self) -> str:
        return "action_delete_conversation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_conversation_deleted")
        return [Restarted()]
