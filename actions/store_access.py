"""The actions' one door to the project's own store (bot/store), and the one rule for its failures.

Every action opens its store session here, never with bot.store.db.session_scope itself:

- `session(what)`: a failure (database down, full, locked, not migrated) is logged with the error's
  type only, because its message can quote the values of the failed statement (a phone number), and
  comes out as StoreUnavailable, without a traceback.
- What is only counted or tidied (the figures, throwing away a draft, erasing old numbers): `quietly`
  logs the failure and the conversation goes on; the parent notices nothing.
- What the parent asked for (booking or cancelling a callback, a hand-over, deleting the
  conversation): the action catches StoreUnavailable and calls `tell_unavailable`, which says what did
  not work and another way to reach the team (data/action_texts.yml, `store_failed`).
"""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from typing import Any

from rasa_sdk import Tracker
from rasa_sdk.executor import CollectingDispatcher
from sqlalchemy.orm import Session

from actions import common
from bot.domain import municipalities
from bot.domain.texts import text
from bot.store import records
from bot.store.db import session_scope

log = logging.getLogger(__name__)


class StoreUnavailable(Exception):
    """The store failed; the failure is logged already (its type only)."""


@contextmanager
def session(what: str) -> Iterator[Session]:
    """A session on the store; any failure is logged by type and raised as StoreUnavailable."""
    try:
        with session_scope() as opened:
            yield opened
    except Exception as error:  # noqa: BLE001 - whatever broke, the action answers the parent
        log.warning("store: %s failed: %s", what, type(error).__name__)
        raise StoreUnavailable(what) from None


def quietly(what: str, function, *args: Any, **kwargs: Any) -> Any:
    """function(session, ...) for what the parent does not wait for; None when the store failed."""
    try:
        with session(what) as opened:
            return function(opened, *args, **kwargs)
    except StoreUnavailable:
        return None


def other_way(municipality: municipalities.Municipality) -> str:
    """How to reach the team without us: its phone when the file marks it as checked, else its website."""
    phone = common.own_phone(municipality)
    if phone:
        return text("handoff.own_phone", phone=phone)
    return text("store_failed.website", website=municipality.website, team=municipality.team.name)


def tell_unavailable(dispatcher: CollectingDispatcher, tracker: Tracker, what: str, *,
                     extra: Sequence[str] = (), buttons: list[dict[str, str]] | None = None,
                     **values: Any) -> None:
    """The store failed on the parent's request: what did not work (store_failed.<what>), another way
    to reach the team of the parent's municipality, and `extra` lines (the helplines)."""
    municipality, _known = common.municipality_of(tracker)
    parts = [text(f"store_failed.{what}", **values), other_way(municipality), *extra]
    dispatcher.utter_message(text=" ".join(parts), buttons=buttons or [])


def record_event(kind: str, municipality: str | None = None) -> None:
    quietly("record_event", records.record_event, kind, municipality=municipality)


def record_screening(tracker: Tracker, municipality: str, level: str, domains: list[str]) -> None:
    quietly("record_screening", records.record_screening, conversation_id=tracker.sender_id,
            municipality=municipality, level=level, domains=domains)
    record_event("screening_done", municipality)


def record_schemes(tracker: Tracker, municipality: str, schemes: list[str]) -> None:
    quietly("record_schemes", records.record_schemes, conversation_id=tracker.sender_id,
            municipality=municipality, schemes=schemes)
    record_event("schemes_checked", municipality)


def record_feedback(tracker: Tracker, context: str, helpful: bool, comment: str | None,
                    municipality: str | None = None) -> None:
    quietly("record_feedback", records.record_feedback, conversation_id=tracker.sender_id,
            context=context, helpful=helpful, comment=comment, municipality=municipality)
    record_event("feedback_given", municipality)
