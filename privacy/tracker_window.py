"""Load only the part of a long conversation that Rasa's policies and our actions need.

Rasa's SQL tracker store loads every event of the current session, and Rasa replays, featurises and
posts them all to the action server on every message: a message at turn 100 cost about twice one at
turn 1. The policies look back a few states (max_history 4 in config.yml, rules a few turns);
the actions read the slots, the latest turns and whether the conversation ever had a safety signal.
So a session with more than `turns` messages of the parent is loaded as:

  1. the parent's earlier messages with a safety intent (actions/common.py `safety_signals` reads them),
  2. the start of a session (action_session_start, session_started),
  3. the state where the window starts: each slot's latest value, the active form, a pause,
  4. the window: the parent's last `turns` messages, from the `action_listen` before the first of them;
     while a form runs, from `turns` messages up to the one that started it (Rasa folds a form's turns).

`applied_events()` starts again at session_started, so the policies never see item 1; what they see is
the shape Rasa itself builds after a session expiry with the slots carried over, followed by the last
turns. Items 1-3 are rebuilt from the database on each load and never written back: the tracker
remembers how many events were loaded (`LOADED`), and only what came after them is saved.

Everything here is a handful of indexed queries per message; what is loaded no longer grows with the
conversation. `turns` <= 0 switches it off (Rasa's own loading).
"""

from __future__ import annotations

import json
import logging
from typing import Any

import sqlalchemy as sa
from rasa.shared.core.constants import ACTION_LISTEN_NAME, ACTION_SESSION_START_NAME
from rasa.shared.core.events import (
    ActionExecuted,
    ActiveLoop,
    AllSlotsReset,
    ConversationPaused,
    ConversationResumed,
    Restarted,
    SessionStarted,
    SlotSet,
    UserUttered,
)

from bot.domain.names import SAFETY_INTENTS

logger = logging.getLogger(__name__)

# The attribute on a loaded tracker that says how many of its events came from the database (or were
# rebuilt from it): the store saves only the events after these.
LOADED = "_scheidingspunt_loaded_events"
# >= the longest look-back of config.yml's policies (4 states) and of the actions (actions/handoff.py looks
# at the last 4 messages for "not understood"), with room to spare.
DEFAULT_TURNS = 8
# The queries below pick a conversation's events by type; with Rasa's index on sender_id alone each one
# read the whole conversation.
INDEX = "ix_events_sender_type_id"


def ensure_index(engine: Any, table: Any) -> None:
    """Create INDEX on (sender_id, type_name, id) unless it exists. Replicas that start together may race
    to create it: the loser's error is harmless."""
    statement = f"CREATE INDEX IF NOT EXISTS {INDEX} ON {table.name} (sender_id, type_name, id)"
    try:
        with engine.begin() as connection:
            connection.execute(sa.text(statement))
    except sa.exc.DBAPIError as error:
        logger.warning("Tracker store: index %s not created (%s).", INDEX, type(error).__name__)


def window_events(session: Any, table: Any, sender_id: str, turns: int) -> list[dict] | None:
    """The events to rebuild `sender_id`'s tracker from (as dicts), or None when the current session has
    at most `turns` messages of the parent: then Rasa's own loading is as cheap."""
    mine = table.sender_id == sender_id
    session_start = session.query(sa.func.max(table.id)).filter(
        mine, table.type_name == SessionStarted.type_name).scalar() or 0
    in_session = sa.and_(mine, table.id >= session_start)

    cut = _cut(session, table, in_session, turns, before=None)
    if cut is None:
        return None
    # Rasa folds a form's repeated turns into one state, so while a form runs the policies look back to
    # the turns before it started: then the window reaches back `turns` messages before its start.
    loop = session.query(table.id, table.action_name).filter(
        in_session, table.id < cut, table.type_name == ActiveLoop.type_name).order_by(table.id.desc()).first()
    if loop is not None and loop.action_name:
        cut = _cut(session, table, in_session, turns, before=loop.id)
        if cut is None:
            return None
    before_cut = sa.and_(in_session, table.id < cut)

    def latest(*type_names: str) -> int:
        return session.query(sa.func.max(table.id)).filter(
            before_cut, table.type_name.in_(type_names)).scalar() or 0

    restart = latest(Restarted.type_name)
    slots_since = max(restart, latest(AllSlotsReset.type_name))
    state_ids = [
        row_id for (row_id,) in session.query(sa.func.max(table.id))
        .filter(before_cut, table.id > slots_since, table.type_name == SlotSet.type_name)
        .group_by(table.action_name)
    ]
    pause = (ConversationPaused.type_name, ConversationResumed.type_name)
    for type_names in ((ActiveLoop.type_name,), pause):
        found = session.query(sa.func.max(table.id)).filter(
            before_cut, table.id > restart, table.type_name.in_(type_names)).scalar()
        if found:
            state_ids.append(found)
    state = _rows(session, table, table.id.in_(state_ids)) if state_ids else []
    safety = _rows(session, table, sa.and_(before_cut, table.type_name == UserUttered.type_name,
                                            table.intent_name.in_(SAFETY_INTENTS)))
    window = _rows(session, table, sa.and_(in_session, table.id >= cut))

    started = window[0].get("timestamp")
    opening = [ActionExecuted(ACTION_SESSION_START_NAME, timestamp=started).as_dict(),
               SessionStarted(timestamp=started).as_dict()]
    return safety + opening + state + window


def _cut(session: Any, table: Any, in_session: Any, turns: int, before: int | None) -> int | None:
    """The id where the window starts: the `action_listen` before the parent's `turns`-th latest message
    (before event `before`, if given); None when no earlier message would be left out."""
    users = sa.and_(in_session, table.type_name == UserUttered.type_name,
                    table.id < before if before is not None else sa.true())
    first_user = (session.query(table.id).filter(users)
                  .order_by(table.id.desc()).offset(turns - 1).limit(1).scalar())
    if first_user is None:
        return None
    if session.query(table.id).filter(users, table.id < first_user).limit(1).scalar() is None:
        return None  # exactly `turns` messages: nothing to leave out
    listen = (session.query(sa.func.max(table.id))
              .filter(in_session, table.id < first_user, table.type_name == ActionExecuted.type_name,
                      table.action_name == ACTION_LISTEN_NAME).scalar())
    return listen or first_user


def _rows(session: Any, table: Any, condition: Any) -> list[dict]:
    return [json.loads(data) for (data,) in session.query(table.data).filter(condition).order_by(table.id)]
