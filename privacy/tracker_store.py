"""Rasa's SQL tracker store, made private: personal numbers are masked before they are written,
and a conversation whose user asked to delete it is removed from the database. On the way, the
monitoring figures get their anonymous counts (bot/store/figures.py): a conversation's start and
the topic of each question, in the project's own store.

Configured in endpoints.yml (`type: privacy.tracker_store.PrivateSQLTrackerStore`); works on
SQLite and PostgreSQL like the store it extends.
"""

from __future__ import annotations

import asyncio
import contextlib
import itertools
import json
import logging
import os
import time
import unicodedata
from collections.abc import Awaitable, Callable, Generator, Iterable
from datetime import datetime, timezone
from typing import Any, TypeVar

import sqlalchemy
import sqlalchemy.event
import sqlalchemy.exc
import sqlalchemy.orm
from rasa.core.tracker_store import SQLTrackerStore, ensure_schema_exists
from rasa.shared.core.events import ActionExecuted, Event, UserUttered
from rasa.shared.core.trackers import DialogueStateTracker
from rasa.shared.nlu.constants import INTENT_NAME_KEY
from rasa.shared.utils.cli import print_error_and_exit

from bot.domain import municipalities
from bot.domain.redact import redact_data
from bot.store import db, figures, records
from bot.store.db import session_scope
from privacy import tracker_window
from privacy.recent_trackers import RecentTrackers

logger = logging.getLogger(__name__)

DELETE_ACTION = "action_delete_conversation"
# Rasa's events table holds the sender id in a VARCHAR(255); the gateway's ids are 36 characters.
MAX_SENDER_ID_CHARS = 255
FigureEvent = tuple[str, str | None, datetime]  # kind, topic, when
# How long a message waits for the tracker store's database to come back (a PostgreSQL restart takes
# a few seconds) before Rasa's fail-safe store takes over.
RECONNECT_SECONDS = db.RECONNECT_SECONDS
T = TypeVar("T")


def answer_key(message: UserUttered) -> str | None:
    """The FAQ answer Rasa chose ('faq/scheiding_advocaat'), or None."""
    selector = (message.parse_data.get("response_selector") or {}).get(figures.RETRIEVAL_INTENT) or {}
    return (selector.get("response") or {}).get("intent_response_key") or message.full_retrieval_intent_name


def spoken(events: Iterable[Event]) -> list[UserUttered]:
    """The parent's own messages: not the greeting a channel asks for when the chat opens."""
    return [e for e in events if isinstance(e, UserUttered) and e.text != figures.OPENING_MESSAGE]


def figure_events(events: Iterable[Event], first_message: bool) -> list[FigureEvent]:
    """What new events count for the figures: the conversation's start (the parent's first message,
    so opening the widget is not a conversation) and each question's topic."""
    messages = spoken(events)
    found: list[FigureEvent] = []
    if first_message and messages:
        found.append((figures.CONVERSATION_STARTED, None, _when(messages[0])))
    for message in messages:
        topic = figures.topic_of(message.intent_name, answer_key(message))
        if topic:
            found.append((figures.QUESTION, topic, _when(message)))
    return found


def _when(event: Event) -> datetime:
    return datetime.fromtimestamp(event.timestamp, timezone.utc)


def site_municipality(events: Iterable[Event]) -> str | None:
    """The municipality whose website the message came from (the widget's data-gemeente, passed on by
    the gateway as message metadata), for conversations that have not named their municipality."""
    for event in events:
        if isinstance(event, UserUttered) and isinstance(event.metadata, dict):
            gemeente = event.metadata.get("gemeente")
            if isinstance(gemeente, str):
                return gemeente
    return None


def municipality_key(gemeente: str | None) -> str | None:
    """Our municipality's key for the gemeente slot; None for another, unknown or undisclosed one."""
    found = municipalities.find(gemeente) if gemeente else None
    return found.key if found is not None else None


def record_figures(found: list[FigureEvent], gemeente: str | None) -> None:
    """Store anonymous counts in the project's store (DATABASE_URL); a failure never breaks saving.

    The events table keeps no conversation id, so these counts survive a parent's deletion of the
    conversation by design: they say nothing about who asked what.
    """
    if not found:
        return
    try:
        municipality = municipality_key(gemeente)
        with session_scope() as session:
            for kind, topic, when in found:
                records.record_event(session, kind, municipality, topic=topic, at=when)
    except Exception as error:  # noqa: BLE001 - the conversation matters more than a count
        # The error's type only: its message could quote the values of the failed statement.
        logger.warning("Figures not recorded (%d events): %s", len(found), type(error).__name__)


def sender_id_problem(sender_id: Any) -> str | None:
    """Why a sender id cannot name a stored conversation, or None when it can. An unpaired surrogate
    cannot be encoded for any database, PostgreSQL refuses NUL, and a control character or an id longer
    than the column is never one the gateway made."""
    if not isinstance(sender_id, str) or not sender_id.strip():
        return "The sender id must be a non-empty string."
    if len(sender_id) > MAX_SENDER_ID_CHARS:
        return f"The sender id is longer than {MAX_SENDER_ID_CHARS} characters."
    if any(unicodedata.category(ch) in ("Cc", "Cs") for ch in sender_id):
        return "The sender id holds a control character or an unpaired surrogate."
    return None


class UnusableSenderId(Exception):
    """A sender id that never reaches SQL (see `sender_id_problem`). Deliberately not a ValueError."""


def _checked(sender_id: Any) -> None:
    problem = sender_id_problem(sender_id)
    if problem:
        raise UnusableSenderId(problem)


def window_turns_from_env() -> int:
    """TRACKER_WINDOW_TURNS: how many of the parent's latest messages a long session is loaded with
    (privacy/tracker_window.py); 0 loads the whole session, as Rasa does."""
    value = os.environ.get("TRACKER_WINDOW_TURNS", "").strip()
    try:
        turns = int(value) if value else tracker_window.DEFAULT_TURNS
    except ValueError:
        raise ValueError(f"TRACKER_WINDOW_TURNS must be a whole number, not {value!r}") from None
    return max(turns, 0)


def _embedded_engine(engine: Any) -> Any:
    """The embedded tracker store's engine as the project's store keeps its SQLite file (bot/store/db.py):
    pooled connections and a write-ahead log synced at checkpoints. Rasa's engine opened a connection
    per load and save (closing the last one checkpoints the log with an fsync and deletes it), and with
    the default journal every commit waited for several fsyncs. An in-memory database stays as it is:
    its tables live in Rasa's connection."""
    if engine.url.database in (None, "", ":memory:"):
        return engine
    engine.dispose()  # Rasa's engine created the tables; this one takes over
    pooled = sqlalchemy.create_engine(engine.url, **db.sqlite_pool(in_memory=False))

    @sqlalchemy.event.listens_for(pooled, "connect")
    def _on_connect(dbapi_connection: Any, _record: Any) -> None:
        cursor = dbapi_connection.cursor()
        db.write_ahead(cursor)
        cursor.close()

    return pooled


class PrivateSQLTrackerStore(SQLTrackerStore):
    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self.window_turns = window_turns_from_env()
        self.recent = RecentTrackers(limit=2 * self.window_turns if self.window_turns > 0 else None)
        if self.engine.dialect.name == "sqlite":
            self.engine = _embedded_engine(self.engine)
            self.sessionmaker = sqlalchemy.orm.sessionmaker(bind=self.engine)
        else:
            # Test a pooled connection before use (SQLAlchemy's pool_pre_ping, which Rasa does not set):
            # after PostgreSQL restarted, a connection it closed is replaced instead of failing one
            # conversation's message, which Rasa's fail-safe store would answer from an empty tracker.
            self.engine.pool._pre_ping = True
        tracker_window.ensure_index(self.engine, self.SQLEvent.__table__)

    @contextlib.contextmanager
    def session_scope(self) -> Generator[Any, None, None]:
        """Rasa's own turns every ValueError raised inside the session (a UnicodeEncodeError from one
        odd sender id, say) into `print_error_and_exit`, which ends the whole server. Only a missing
        PostgreSQL schema (POSTGRESQL_SCHEMA) should stop it, as at start-up; anything else is an
        ordinary error of that one request."""
        session = self.sessionmaker()
        try:
            try:
                ensure_schema_exists(session)
            except ValueError as error:
                print_error_and_exit(
                    f"Requested PostgreSQL schema '{error}' was not found in the database. Create it "
                    f"('CREATE SCHEMA {error};') or unset POSTGRESQL_SCHEMA. Exiting application."
                )
            yield session
        finally:
            session.close()

    async def _reconnecting(self, call: Callable[[], Awaitable[T]]) -> T:
        """`call`, tried again while the database cannot be reached (PostgreSQL restarting), for up to
        RECONNECT_SECONDS. Rasa's fail-safe wrapper would otherwise answer the message from an empty
        tracker (a conversation that forgot its form) and keep what it said in memory only. Each try
        is one transaction, rolled back when it fails, so trying again writes nothing twice."""
        deadline = time.monotonic() + RECONNECT_SECONDS
        while True:
            try:
                return await call()
            except sqlalchemy.exc.OperationalError:
                if time.monotonic() > deadline:
                    raise
                logger.warning("Tracker store: the database cannot be reached; trying again.")
                await asyncio.sleep(0.5)

    async def retrieve(self, sender_id: str) -> DialogueStateTracker | None:
        """The current session; a long one only with what the policies and actions need."""
        _checked(sender_id)
        return await self._reconnecting(lambda: self._retrieve_session(sender_id))

    async def _retrieve_session(self, sender_id: str) -> DialogueStateTracker | None:
        with self.session_scope() as session:
            last_id = self._last_id(session, sender_id)
            recent = self.recent.recall(sender_id, last_id)
            if recent is not None or last_id is None or not self.domain:
                return recent
            events = None
            if self.window_turns > 0:
                events = tracker_window.window_events(session, self.SQLEvent, sender_id, self.window_turns)
            if events is None:  # a short session: all of it, as Rasa loads it, in the same transaction
                whole = self._event_query(session, sender_id, fetch_events_from_all_sessions=False)
                events = [json.loads(row.data) for row in whole]
                if not events:
                    return None
        tracker = DialogueStateTracker.from_dict(sender_id, events, self.domain.slots)
        setattr(tracker, tracker_window.LOADED, len(tracker.events))
        return tracker

    def _last_id(self, session: Any, sender_id: str) -> int | None:
        """The id of the conversation's newest stored event (None: nothing stored)."""
        return session.query(sqlalchemy.func.max(self.SQLEvent.id)).filter(
            self.SQLEvent.sender_id == sender_id).scalar()

    def _new_events(self, session: Any, tracker: DialogueStateTracker) -> list[Event]:
        """What this save adds: after the loaded events for a tracker that was loaded or saved before (a
        window's rebuilt part is never written back), else Rasa's count of the session's stored events."""
        loaded = getattr(tracker, tracker_window.LOADED, None)
        if loaded is None:
            return list(self._additional_events(session, tracker))
        return list(itertools.islice(tracker.events, loaded, None))

    async def retrieve_full_tracker(self, conversation_id: str) -> DialogueStateTracker | None:
        _checked(conversation_id)
        return await super().retrieve_full_tracker(conversation_id)

    async def save(self, tracker: DialogueStateTracker) -> None:
        # Unlike the parent we stream no events to a broker: none is configured, and a broker
        # would receive the unmasked text.
        _checked(tracker.sender_id)
        saved = await self._reconnecting(lambda: self._save_events(tracker))
        if saved is None:
            return
        events, seen_before = saved
        found = figure_events(events, first_message=not seen_before)
        if found:
            # In a thread: a busy SQLite store waits (busy_timeout) without stopping Rasa's event loop.
            gemeente = tracker.get_slot("gemeente") or site_municipality(events)
            await asyncio.to_thread(record_figures, found, gemeente)

    async def _save_events(self, tracker: DialogueStateTracker) -> tuple[list[Event], bool] | None:
        """The tracker's new events, masked, in one transaction: (the events, whether the conversation
        had a message of the parent before); None when the conversation was deleted instead."""
        with self.session_scope() as session:
            events = self._new_events(session, tracker)
            if any(isinstance(e, ActionExecuted) and e.action_name == DELETE_ACTION for e in events):
                deleted = (
                    session.query(self.SQLEvent)
                    .filter(self.SQLEvent.sender_id == tracker.sender_id)
                    .delete(synchronize_session=False)
                )
                session.commit()
                self.recent.forget(tracker.sender_id)
                logger.info("Conversation deleted on the user's request (%d events).", deleted)
                return None

            # Asked before the new rows are added (a query would flush them), and only when this save
            # holds a message of the parent: is it the conversation's first?
            seen_before = not spoken(events) or session.query(self.SQLEvent.id).filter(
                self.SQLEvent.sender_id == tracker.sender_id,
                self.SQLEvent.type_name == UserUttered.type_name,
                ~self.SQLEvent.data.contains(json.dumps({"text": figures.OPENING_MESSAGE})[1:-1]),
            ).first() is not None
            rows, masked = [], False
            for event in events:
                original = event.as_dict()
                data = redact_data(original)
                masked = masked or data != original
                rows.append({
                    "sender_id": tracker.sender_id,
                    "type_name": event.type_name,
                    "timestamp": data.get("timestamp"),
                    "intent_name": data.get("parse_data", {}).get("intent", {}).get(INTENT_NAME_KEY),
                    "action_name": data.get("name"),
                    "data": json.dumps(data),
                })
            if rows:  # one statement for all of them (the ORM sent one INSERT per event)
                session.execute(self.SQLEvent.__table__.insert(), rows)
            last_id = self._last_id(session, tracker.sender_id)
            session.commit()
        # The next save of this tracker adds only what is newer; the next message may start from it,
        # unless something was masked: what stays in memory must be what is stored.
        setattr(tracker, tracker_window.LOADED, len(tracker.events))
        if masked:
            self.recent.forget(tracker.sender_id)
        else:
            self.recent.remember(tracker, last_id)
        return events, seen_before
