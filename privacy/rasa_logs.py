"""Rasa's structured log lines without what a parent wrote.

Rasa 3.6 logs some events with the message text, e.g. `rest.message.received.failure` (any error while
handling a message: a lock store that restarted, a database that went away) quotes the whole message,
phone numbers included. Rasa lists the keys that carry such content and hands them to an anonymisation
pipeline that only Rasa Pro has; here the same keys are replaced before any of Rasa's processors renders
the line. The exception goes too: Rasa renders it as a structured traceback with every frame's local
variables, the message among them; what is left is its type and where it was raised, as in the
gateway's logs. Installed when Rasa loads our REST channel (privacy/rest_channel.py).
"""

from __future__ import annotations

import sys
import traceback
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


def exception_in_short(_logger: Any, _method: str, event_dict: dict[str, Any]) -> dict[str, Any]:
    """The exception as its type and the place it was raised, instead of a traceback with locals."""
    exc_info = event_dict.pop("exc_info", None)
    if exc_info is True:
        exc_info = sys.exc_info()
    error = exc_info if isinstance(exc_info, BaseException) else (
        exc_info[1] if isinstance(exc_info, tuple) else None)
    if error is not None:
        event_dict["error"] = type(error).__name__
        frames = traceback.extract_tb(error.__traceback__)
        if frames:
            event_dict["where"] = f"{frames[-1].filename}:{frames[-1].lineno}"
    return event_dict


def install() -> None:
    """Put `without_content` first in structlog's processors and `exception_in_short` right after the
    one that picks up the exception (once; Rasa configured them at start-up)."""
    processors = list(structlog.get_config()["processors"])
    if without_content in processors:
        return
    after = processors.index(structlog.dev.set_exc_info) + 1 if structlog.dev.set_exc_info in processors \
        else max(len(processors) - 1, 0)
    processors.insert(after, exception_in_short)
    structlog.configure(processors=[without_content, *processors])
