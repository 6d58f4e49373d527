"""The actions' door to the project's own store (bot/store): one place that opens sessions.

Recording figures must never cost the user an answer: a failing write is logged (without any
message text) and the conversation goes on.
"""

from __future__ import annotations

import logging
from typing import Any

from rasa_sdk import Tracker

from bot.store import records
from bot.store.db import session_scope

log = logging.getLogger(__name__)


def _safely(what: str, function, *args: Any, **kwargs: Any) -> Any:
    try:
        with session_scope() as session:
            return function(session, *args, **kwargs)
    except Exception:  # noqa: BLE001 - a broken store must not break the conversation
        log.exception("store: %s failed", what)
        return None


def record_event(kind: str, municipality: str | None = None) -> None:
    _safely("record_event", records.record_event, kind, municipality=municipality)


def record_screening(tracker: Tracker, municipality: str, level: str, domains: list[str]) -> None:
    _safely("record_screening", records.record_screening, conversation_id=tracker.sender_id,
            municipality=municipality, level=level, domains=domains)
    record_event("screening_done", municipality)


def record_schemes(tracker: Tracker, municipality: str, schemes: list[str]) -> None:
    _safely("record_schemes", records.record_schemes, conversation_id=tracker.sender_id,
            municipality=municipality, schemes=schemes)
    record_event("schemes_checked", municipality)


def record_feedback(tracker: Tracker, context: str, helpful: bool, comment: str | None,
                    municipality: str | None = None) -> None:
    _safely("record_feedback", records.record_feedback, conversation_id=tracker.sender_id,
            context=context, helpful=helpful, comment=comment, municipality=municipality)
    record_event("feedback_given", municipality)


def erase_conversation(conversation_id: str) -> int:
    return _safely("erase_conversation", records.erase_conversation, conversation_id) or 0
