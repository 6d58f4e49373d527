"""Asking and validating the user's municipality: shared by the forms that need it."""

from __future__ import annotations

from typing import Any

from rasa_sdk import Action, Tracker
from rasa_sdk.executor import CollectingDispatcher
from rasa_sdk.types import DomainDict

from actions import common, municipalities

DECLINE_BUTTON = {"title": "Zeg ik liever niet", "payload": "/deny"}


class ActionAskGemeente(Action):
    """'In welke gemeente woon je?' with our municipalities as buttons; typing any other works too."""

    def name(self) -> str:
        return "action_ask_gemeente"

    async def run(self, dispatcher: CollectingDispatcher, tracker: Tracker,
                  domain: DomainDict) -> list[dict[str, Any]]:
        buttons = [{"title": m.name, "payload": m.name}
                   for m in sorted(municipalities.load_all().values(), key=lambda m: m.name)]
        dispatcher.utter_message(
            text="In welke gemeente woon je? Dan zoek ik wat er in jouw gemeente is. "
                 "Je kunt ook een andere gemeente typen.",
            buttons=[*buttons, DECLINE_BUTTON],
        )
        return []


class GemeenteValidation:
    """Mixin for FormValidationActions whose form asks the gemeente slot."""

    def validate_gemeente(self, value: Any, dispatcher: CollectingDispatcher, tracker: Tracker,
                          domain: DomainDict) -> dict[str, Any]:
        text = tracker.latest_message.get("text") or ""
        entity_value = value if isinstance(value, str) and value != text else None
        found = common.gemeente_from_answer(entity_value or text)
        if found is None:
            dispatcher.utter_message(
                text="Die gemeente ken ik niet. Typ de naam van je gemeente, bijvoorbeeld \"Zwolle\". "
                     "Of kies \"Zeg ik liever niet\".")
            return {"gemeente": None}
        if found != common.UNKNOWN_MUNICIPALITY and municipalities.find(found) is None:
            default = municipalities.default_municipality()
            dispatcher.utter_message(
                text=f"Over {found} heb ik nog geen eigen gegevens. Ik geef je de landelijke informatie, "
                     f"en de contactgegevens van {default.team.name}. Kijk voor regelingen in je eigen "
                     f"gemeente ook op de website van {found}.")
        return {"gemeente": found}
