"""Help menu: the list of topics, and the questions within one topic."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.events import SlotSet
from rasa_sdk.executor import CollectingDispatcher

from bot.domain import content


class ActionShowTopics(Action):
    def name(self) -> str:
        return "action_show_topics"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        dispatcher.utter_message(response="utter_topics_intro",
                                 buttons=[*content.topic_buttons(), *content.SERVICE_BUTTONS])
        return []


class ActionShowTopic(Action):
    def name(self) -> str:
        return "action_show_topic"

    async def run(
        self, dispatcher: CollectingDispatcher, tracker: Tracker, domain: dict[str, Any]
    ) -> list[dict[str, Any]]:
        # Buttons send the topic as an entity; typed requests ("vragen over geld") name it.
        key = next(tracker.get_latest_entity_values("topic"), None)
        item = content.topic(key) if key else content.topic_in_text(tracker.latest_message.get("text"))
        if item is None:
            dispatcher.utter_message(response="utter_topic_unknown", buttons=content.topic_buttons())
            return [SlotSet("topic", None)]
        dispatcher.utter_message(
            response="utter_topic_questions",
            topic_label=item.label.lower(),
            buttons=content.question_buttons(item.questions[:10]),
        )
        return [SlotSet("topic", item.key)]
