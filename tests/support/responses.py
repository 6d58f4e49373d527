"""A custom action's message as the parent sees it: rendered through domain.yml, as Rasa does.

With `utter_message(response="utter_x", name=value)` the CollectingDispatcher holds only the response's
name and the values; Rasa fills them in (rasa/core/actions/action.py `_utter_responses`). This renders
the same way, but stricter: every {name} in the response must have a value from the action itself
(Rasa would fall back to a slot of that name, or leave the text unfilled).
"""

from __future__ import annotations

import re
from pathlib import Path

import yaml

DOMAIN = Path(__file__).resolve().parents[2] / "domain.yml"
RESPONSES = yaml.safe_load(DOMAIN.read_text(encoding="utf-8"))["responses"]
# Rasa's placeholder (rasa/core/nlg/interpolator.py).
PLACEHOLDER = re.compile(r"{([^\n{}]+?)}")
# What CollectingDispatcher.utter_message puts in every message; anything else is a value to fill in.
MESSAGE_KEYS = frozenset({"text", "buttons", "elements", "custom", "template", "response", "image",
                          "attachment"})


def placeholders(text: str) -> set[str]:
    return set(PLACEHOLDER.findall(text))


def rendered(message: dict) -> dict:
    """{"text": ..., "buttons": [...]}: the response's buttons first, then the action's own."""
    name = message.get("response")
    if not name:
        return {"text": message.get("text") or "", "buttons": list(message.get("buttons") or [])}
    variant = RESPONSES[name][0]
    values = {key: value for key, value in message.items() if key not in MESSAGE_KEYS}
    missing = placeholders(variant["text"]) - set(values)
    assert not missing, f"{name}: the action passes no value for {sorted(missing)}"
    text = PLACEHOLDER.sub(lambda match: str(values[match.group(1)]), variant["text"])
    return {"text": text, "buttons": [*variant.get("buttons", []), *(message.get("buttons") or [])]}


def rendered_text(messages: list[dict]) -> str:
    """The texts of all messages, one per line."""
    return "\n".join(rendered(message)["text"] for message in messages)
