"""Rasa's structured log lines without what a parent wrote.

Rasa 3.6 logs some events with the message text, e.g. `rest.message.received.failure` (any error while
handling a message: a lock store that restarted, a database that went away) quotes the whole message,
phone numbers included. Rasa lists the keys that carry such content and hands them to an anonymisation
pipeline that only Rasa Pro has; here the same keys are replaced before any of Rasa's processors renders
the line. Installed when Rasa loads our REST channel (privacy/rest_channel.py).
"""

from __future__ import annotations

from typing import Any

import structlog

# rasa/utils/log_utils.py `_anonymizer` names these as the ones that can hold a user's words.
CONTENT_KEYS = frozenset({
    "text", "response_text", "user_text", "slot_values", "parse_data_text", "parse_data_entities",
    "prediction_events", "tracker_latest_message", "prefilled_slots", "message", "response",
    "slot_candidates", "rasa_event", "rasa_events", "tracker_states", "current_states", "old_states",
    "successes", "current_entity", "next_entity", "states", "entity", "token_text", "user_message",
    "json_message",
})
REMOVED = "[removed]"


def without_content(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    for key in CONTENT_KEYS.intersection(event_dict):
        event_dict[key] = REMOVED
    return event_dict


def install() -> None:
    """Put `without_content` first in structlog's processors (once; Rasa configured them at start-up)."""
    config = structlog.get_config()
    processors = list(config["processors"])
    if without_content not in processors:
        structlog.configure(processors=[without_content, *processors])
