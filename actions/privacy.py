"""Deleting a conversation on the user's request.

The action erases the conversation's rows in the project's own tables (callbacks, screening and
schemes outcomes, feedback, hand-over requests) and restarts; the tracker store
(privacy/tracker_store.py) sees this action and removes every stored event of the conversation.
"""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import Restarted
from rasa_sdk.executor import CollectingDispatcher

from actions import store_access
from bot.store import records


class ActionDeleteConversation(Action):
    def name(self) -> str:
        return "action_delete_conversation"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        try:
            with store_access.session("erase_conversation") as session:
                records.erase_conversation(session, tracker.sender_id)
        except store_access.StoreUnavailable:
            store_access.tell_unavailable(dispatcher, tracker, "delete")
            return [Restarted()]
        dispatcher.utter_message(response="utter_conversation_deleted")
        return [Restarted()]
