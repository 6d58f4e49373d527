"""Conversations are not kept forever: CONVERSATION_RETENTION_DAYS (default 90) after their last moment
they are deleted from Rasa's tracker store and from the project's own tables.

The rule:

- A conversation's last moment is the latest of: its last event in the tracker store, and the latest
  time in its own rows (the conversation row's update, live messages, a hand-over's request, take-over
  or close, a callback's booking or close, screening and schemes outcomes, feedback).
- When that moment is more than the retention period ago, the whole conversation goes: every tracker
  event of the sender, and its rows in `conversations` and in every table of
  models.CONVERSATION_TABLES (hand-over requests, callbacks, callback drafts, screening and schemes
  outcomes, feedback, live messages). A conversation that is still going on is kept whole: one
  message yesterday keeps the messages of a hundred days ago.
- A pending callback keeps its conversation whole until the day after the callback's day, however
  long ago the parent last wrote (its phone number follows its own rule, callbacks.purge_phone_numbers).
- Kept: the anonymous figures (`events` of the own store: no conversation id), the callback slots'
  counters, the console's phone-view audit trail (an account name and a callback id, no number).

The tracker store and the own store may be different databases, so no query joins them: the tracker is
read in pages of senders whose last event is old, the own store is asked which of those are still
active, and the rest is deleted from both; then the own store's old conversations that have no tracker
events are deleted too. Each page is its own short transaction (`batch_size` conversations), so a large
backlog never holds SQLite's write lock for long. Only counts are logged.

The gateway runs `run` at start-up and every hour (bot/gateway/housekeeping.py).
"""

from __future__ import annotations

import logging
import os
from collections.abc import Callable, Iterable, Mapping
from contextlib import AbstractContextManager
from dataclasses import dataclass
from datetime import datetime, timedelta
from urllib import parse

from sqlalchemy import (
    Column,
    Float,
    Integer,
    MetaData,
    String,
    Table,
    create_engine,
    delete,
    func,
    select,
    union_all,
)
from sqlalchemy.engine import URL, Connection, Engine
from sqlalchemy.orm import Session

from bot.domain import settings
from bot.domain.names import CallbackStatus, utcnow
from bot.store.callbacks import release_place
from bot.store.db import session_scope
from bot.store.models import (
    CONVERSATION_TABLES,
    Callback,
    CallbackDraft,
    Conversation,
    Feedback,
    HandoffRequest,
    LiveMessage,
    SchemesOutcome,
    ScreeningOutcome,
)

log = logging.getLogger(__name__)

RETENTION_VARIABLE = "CONVERSATION_RETENTION_DAYS"
DEFAULT_RETENTION_DAYS = 90
DEFAULT_BATCH_SIZE = 200  # conversations per transaction
# A pending callback keeps its conversation until this long after the start of its day.
OPEN_CALLBACK_GRACE = timedelta(days=1)

# Rasa's SQLTrackerStore table (rasa/core/tracker_store.py, SQLEvent), only the columns used here.
TRACKER_EVENTS = Table(
    "events", MetaData(),
    Column("id", Integer, primary_key=True),
    Column("sender_id", String(255), nullable=False),
    Column("timestamp", Float),
)


def retention_days(environ: Mapping[str, str] | None = None) -> int:
    """Days a conversation is kept after its last moment: env CONVERSATION_RETENTION_DAYS, default 90."""
    return settings.days(RETENTION_VARIABLE, DEFAULT_RETENTION_DAYS, 1, environ)


def tracker_url(environ: Mapping[str, str] | None = None) -> URL | str | None:
    """The tracker store's database URL from the TRACKER_* variables, built as Rasa builds it
    (SQLTrackerStore.get_db_url with endpoints.yml's dialect, url, db, username and password).

    None when TRACKER_DIALECT is not set: then this process does not know where the tracker store is.
    """
    env = os.environ if environ is None else environ
    dialect = env.get("TRACKER_DIALECT", "").strip()
    if not dialect:
        return None
    host = env.get("TRACKER_HOST") or None
    port = None
    if host and "://" in host:
        return host  # a complete URL in TRACKER_HOST, as Rasa accepts it
    if host:
        parsed = parse.urlsplit(f"scheme://{host}")
        port, host = parsed.port, parsed.hostname or host
    return URL.create(dialect, env.get("TRACKER_USER", ""), env.get("TRACKER_PASSWORD", ""), host, port,
                      database=env.get("TRACKER_DB", ""))


def tracker_engine(url: URL | str) -> Engine:
    """An engine on the tracker store's database (SQLite waits for Rasa's writes instead of failing)."""
    if str(url).startswith("sqlite"):
        return create_engine(url, future=True, connect_args={"timeout": 15})
    return create_engine(url, future=True, pool_pre_ping=True)


# --- the tracker store (SQLAlchemy Core on its own connection) ---------------------------------------


def old_senders(tracker: Connection, cutoff: datetime, after: str = "",
                limit: int = DEFAULT_BATCH_SIZE) -> list[str]:
    """Up to `limit` senders after `after` (in order) whose last tracker event is before `cutoff`."""
    events = TRACKER_EVENTS.c
    rows = tracker.execute(
        select(events.sender_id).where(events.sender_id > after).group_by(events.sender_id)
        .having(func.max(events.timestamp) < cutoff.timestamp()).order_by(events.sender_id).limit(limit)
    )
    return [row.sender_id for row in rows]


def senders_in_tracker(tracker: Connection, ids: Iterable[str]) -> set[str]:
    """Which of these conversations have events in the tracker store."""
    ids = list(ids)
    if not ids:
        return set()
    events = TRACKER_EVENTS.c
    found = tracker.execute(select(events.sender_id).where(events.sender_id.in_(ids)).distinct())
    return set(found.scalars())


def delete_tracker_events(tracker: Connection, ids: Iterable[str], cutoff: datetime) -> int:
    """Delete every event of these senders, except of a sender that wrote again after `cutoff`
    (a message that arrived after the senders were chosen)."""
    ids = list(ids)
    if not ids:
        return 0
    events = TRACKER_EVENTS.c
    active = select(events.sender_id).where(events.sender_id.in_(ids), events.timestamp >= cutoff.timestamp())
    return tracker.execute(
        delete(TRACKER_EVENTS).where(events.sender_id.in_(ids), events.sender_id.not_in(active))
    ).rowcount


# --- the own store (a session, pure functions of `now`) -----------------------------------------------


def _moments():
    """(conversation_id, moment) for every own row of a conversation: its activity as the store saw it."""
    return union_all(
        select(Conversation.id.label("conversation_id"), Conversation.updated_at.label("moment")),
        select(LiveMessage.conversation_id, LiveMessage.created_at),
        select(HandoffRequest.conversation_id,
               func.coalesce(HandoffRequest.closed_at, HandoffRequest.taken_at, HandoffRequest.created_at)),
        select(Callback.conversation_id, func.coalesce(Callback.closed_at, Callback.created_at)),
        select(CallbackDraft.conversation_id, CallbackDraft.created_at),
        select(ScreeningOutcome.conversation_id, ScreeningOutcome.created_at),
        select(SchemesOutcome.conversation_id, SchemesOutcome.created_at),
        select(Feedback.conversation_id, Feedback.created_at),
    ).subquery("moments")


def _open_callbacks(now: datetime):
    """Conversations with a pending callback whose day has not passed (with a day's grace)."""
    return select(Callback.conversation_id).where(
        Callback.status == CallbackStatus.PENDING, Callback.slot_date >= (now - OPEN_CALLBACK_GRACE).date())


def still_active(session: Session, ids: Iterable[str], cutoff: datetime, now: datetime) -> set[str]:
    """Which of these conversations the own store keeps: a row since `cutoff`, or an open callback ahead."""
    ids = list(ids)
    if not ids:
        return set()
    moments = _moments()
    recent = select(moments.c.conversation_id).where(moments.c.conversation_id.in_(ids),
                                                     moments.c.moment >= cutoff)
    ahead = _open_callbacks(now).where(Callback.conversation_id.in_(ids))
    return set(session.execute(union_all(recent, ahead)).scalars())


def old_conversations(session: Session, cutoff: datetime, now: datetime, after: str = "",
                      limit: int = DEFAULT_BATCH_SIZE) -> list[str]:
    """Up to `limit` conversations after `after` (in order) whose own rows are all from before `cutoff`
    and that have no open callback ahead (the tracker store is not asked here)."""
    moments = _moments()
    rows = session.execute(
        select(moments.c.conversation_id)
        .where(moments.c.conversation_id > after, moments.c.conversation_id.not_in(_open_callbacks(now)))
        .group_by(moments.c.conversation_id).having(func.max(moments.c.moment) < cutoff)
        .order_by(moments.c.conversation_id).limit(limit)
    )
    return list(rows.scalars())


def erase_conversations(session: Session, ids: Iterable[str]) -> int:
    """Delete these conversations' own rows (records.erase_conversation for many); returns how many rows."""
    ids = list(ids)
    if not ids:
        return 0
    # Locked (PostgreSQL): a place is given back once, even when two processes erase at the same moment.
    pending = session.execute(
        select(Callback).where(Callback.conversation_id.in_(ids), Callback.status == CallbackStatus.PENDING)
        .with_for_update()
    ).scalars().all()
    for callback in pending:
        release_place(session, callback)
    deleted = session.execute(
        delete(Conversation).where(Conversation.id.in_(ids)).execution_options(synchronize_session=False)
    ).rowcount
    for model in CONVERSATION_TABLES:
        deleted += session.execute(
            delete(model).where(model.conversation_id.in_(ids)).execution_options(synchronize_session=False)
        ).rowcount
    return deleted


# --- both stores --------------------------------------------------------------------------------------


@dataclass
class Purged:
    conversations: int = 0  # conversations deleted
    tracker_events: int = 0  # their events in the tracker store
    rows: int = 0  # their rows in the own store
    batches: int = 0  # transactions used

    def __str__(self) -> str:
        return (f"{self.conversations} conversations deleted ({self.tracker_events} tracker events, "
                f"{self.rows} own rows) in {self.batches} batches")


def purge(own: Callable[[], AbstractContextManager[Session]], tracker: Engine, *, days: int,
          now: datetime | None = None, batch_size: int = DEFAULT_BATCH_SIZE) -> Purged:
    """Delete every conversation whose last moment is more than `days` before `now`, in batches of at
    most `batch_size` conversations, each committed on its own. `own` opens a committing session on the
    own store (db.session_scope); `tracker` is the tracker store's engine."""
    if batch_size < 1:
        raise ValueError("batch_size must be at least 1")
    now = now or utcnow()
    cutoff = now - timedelta(days=days)
    purged = Purged()

    # 1. Senders whose last tracker event is old, unless their own rows are recent.
    after = ""
    while True:
        with tracker.connect() as connection:
            senders = old_senders(connection, cutoff, after, batch_size)
        if not senders:
            break
        after = senders[-1]
        with own() as session:
            active = still_active(session, senders, cutoff, now)
            gone = [s for s in senders if s not in active]
            if gone:
                purged.rows += erase_conversations(session, gone)
                with tracker.begin() as connection:
                    purged.tracker_events += delete_tracker_events(connection, gone, cutoff)
                purged.conversations += len(gone)
        purged.batches += 1
        if len(senders) < batch_size:
            break

    # 2. Old conversations of the own store that have nothing in the tracker store (any tracker events
    #    left now are recent: old ones went in step 1).
    after = ""
    while True:
        with own() as session:
            candidates = old_conversations(session, cutoff, now, after, batch_size)
            if not candidates:
                break
            after = candidates[-1]
            with tracker.connect() as connection:
                talking = senders_in_tracker(connection, candidates)
            gone = [c for c in candidates if c not in talking]
            purged.rows += erase_conversations(session, gone)
            purged.conversations += len(gone)
        purged.batches += 1
        if len(candidates) < batch_size:
            break
    return purged


def run(now: datetime | None = None, *, environ: Mapping[str, str] | None = None,
        batch_size: int = DEFAULT_BATCH_SIZE, store_url: str | None = None) -> Purged | None:
    """Apply the retention period (env CONVERSATION_RETENTION_DAYS) to both stores; logs counts only.

    None (and a warning) when TRACKER_DIALECT is not set: without the tracker store it cannot be known
    whether a conversation is still going on, so nothing is deleted.
    """
    days = retention_days(environ)
    url = tracker_url(environ)
    if url is None:
        log.warning("retention: TRACKER_DIALECT is not set, so conversations are not deleted")
        return None
    tracker = tracker_engine(url)
    try:
        purged = purge(lambda: session_scope(store_url), tracker, days=days, now=now, batch_size=batch_size)
    finally:
        tracker.dispose()
    log.info("retention (%d days): %s", days, purged)
    return purged
