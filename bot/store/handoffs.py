"""The hand-over's life, in one place: the only module that creates a hand-over request or changes
its status, together with the conversation's mode (BOT/HUMAN) that goes with it. It also holds the
console's read-only views of the requests (the queue, one request, an expert's own chats, the live
chat).

The transitions (`TRANSITIONS`, each one function below that returns whether it happened):

    request        (new)           -> waiting    action_handoff: a parent asks for a person
    enter_queue    waiting stays                 the gateway puts the conversation in HUMAN mode
    take           waiting         -> taken      an expert clicks Overnemen (one conditional UPDATE)
    expire         waiting         -> expired    nobody took it in time
    leave_waiting  waiting         -> cancelled  the parent picks another municipality before it was taken
    cancel         waiting, taken  -> cancelled  the parent says "terug naar de bot"
    hand_back      waiting, taken  -> closed     the expert hands the conversation back to the bot
    close_chat     waiting, taken  -> closed     the expert closes the chat
    close          taken           -> closed     the console closes a request its expert took

closed, cancelled and expired are final: nothing leaves them. Every transition from `expire` down to
`close_chat` also puts the conversation back in BOT mode, in the same transaction; a conversation
in HUMAN mode whose request has already ended (or is gone) is out of step, and those transitions let
it go back to the bot without touching the final status.

Taking is one conditional UPDATE (`status = 'waiting'`): the database lets exactly one of several
experts who click at the same moment win, on SQLite and on PostgreSQL alike. The conversation-ending
transitions lock the conversation and then the request (PostgreSQL), so an expert's take and a timeout
cannot both win, and of two gateways whose timeouts end the same hand-over at the same moment only the
first does: the second reads the conversation after the first committed, back in BOT mode. The
queue only shows requests the gateway actually put in the queue (a conversation in HUMAN mode points
at them), so a request whose parent can no longer be reached never waits for an expert.
"""

from __future__ import annotations

import enum
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime
from typing import NamedTuple

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from bot.domain.names import ConversationMode, HandoffStatus, utcnow
from bot.store.models import ALL_MUNICIPALITIES, Conversation, HandoffRequest, LiveMessage

# --- the transitions --------------------------------------------------------------------------------


class Transition(str, enum.Enum):
    TAKE = "take"
    EXPIRE = "expire"
    LEAVE_WAITING = "leave_waiting"
    CANCEL = "cancel"
    HAND_BACK = "hand_back"
    CLOSE_CHAT = "close_chat"
    CLOSE = "close"


class Move(NamedTuple):
    sources: frozenset[HandoffStatus]  # the statuses it may start from
    target: HandoffStatus


_LIVE = frozenset({HandoffStatus.WAITING, HandoffStatus.TAKEN})
TRANSITIONS: dict[Transition, Move] = {
    Transition.TAKE: Move(frozenset({HandoffStatus.WAITING}), HandoffStatus.TAKEN),
    Transition.EXPIRE: Move(frozenset({HandoffStatus.WAITING}), HandoffStatus.EXPIRED),
    Transition.LEAVE_WAITING: Move(frozenset({HandoffStatus.WAITING}), HandoffStatus.CANCELLED),
    Transition.CANCEL: Move(_LIVE, HandoffStatus.CANCELLED),
    Transition.HAND_BACK: Move(_LIVE, HandoffStatus.CLOSED),
    Transition.CLOSE_CHAT: Move(_LIVE, HandoffStatus.CLOSED),
    Transition.CLOSE: Move(frozenset({HandoffStatus.TAKEN}), HandoffStatus.CLOSED),
}
# Where a request is created, and where it ends: no transition leaves a final status.
INITIAL = HandoffStatus.WAITING
FINAL = frozenset(HandoffStatus) - _LIVE


def allowed(transition: Transition, status: str) -> bool:
    """Whether `transition` may move a request that has `status`."""
    return status in TRANSITIONS[transition].sources


# --- creating a request and queueing it -----------------------------------------------------------


def request(
    session: Session, *, conversation_id: str, municipality: str, topic: str | None, reason: str | None,
    screening_level: str | None, screening_domains: Iterable[str] | None, channel: str | None = None,
) -> HandoffRequest:
    """A parent asks for a person (action_handoff); the gateway and the console take it from here."""
    created = HandoffRequest(
        conversation_id=conversation_id, channel=channel, municipality=municipality, topic=topic,
        reason=reason, screening_level=screening_level,
        screening_domains=list(screening_domains or []), status=INITIAL,
    )
    session.add(created)
    session.flush()
    return created


def enter_queue(session: Session, *, conversation_id: str, channel: str, address: str,
                handoff_id: str) -> int:
    """The gateway puts the conversation in HUMAN mode, pointing at its request; returns the queue position.

    The request keeps its status; it learns the conversation's channel if the action did not say.
    """
    conversation = session.get(Conversation, conversation_id)
    if conversation is None:
        conversation = Conversation(id=conversation_id, channel=channel, address=address)
        session.add(conversation)
    conversation.mode, conversation.handoff_id = ConversationMode.HUMAN, handoff_id
    conversation.mode_since = conversation.updated_at = utcnow()
    found = session.get(HandoffRequest, handoff_id)
    if found is not None and found.channel is None:
        found.channel = conversation.channel
    created = found.created_at if found is not None else utcnow()
    return queue_position(session, created)


def queue_position(session: Session, created_at: datetime) -> int:
    """The queue position of a request made at `created_at`: the waiting requests as old or older (>= 1)."""
    return session.execute(
        select(func.count()).select_from(HandoffRequest)
        .where(HandoffRequest.status == HandoffStatus.WAITING, HandoffRequest.created_at <= created_at)
    ).scalar_one() or 1


def is_waiting(session: Session, handoff_id: str | None) -> bool:
    """Whether the request still waits for an expert (nobody took it, nothing ended it)."""
    found = session.get(HandoffRequest, handoff_id) if handoff_id else None
    return found is not None and found.status == HandoffStatus.WAITING


class Waiting(NamedTuple):
    conversation_id: str
    handoff_id: str
    since: datetime  # when the conversation entered the queue


def waiting_handoffs(session: Session) -> list[Waiting]:
    """Every conversation waiting in the queue, with its request: the timeouts to resume."""
    rows = session.execute(
        select(Conversation.id, HandoffRequest.id, Conversation.mode_since)
        .join(HandoffRequest, HandoffRequest.id == Conversation.handoff_id)
        .where(Conversation.mode == ConversationMode.HUMAN, HandoffRequest.status == HandoffStatus.WAITING)
    ).all()
    return [Waiting(*row) for row in rows]


def waiting_since(session: Session) -> list[tuple[str, datetime]]:
    """(conversation id, since) of every conversation waiting in the queue."""
    return [(found.conversation_id, found.since) for found in waiting_handoffs(session)]


# --- the expert takes it, the console closes it ----------------------------------------------------


def _visible(statement, municipality: str):
    return statement if municipality == ALL_MUNICIPALITIES else statement.where(
        HandoffRequest.municipality == municipality)


def take(session: Session, handoff_id: str, username: str, *, municipality: str = ALL_MUNICIPALITIES,
         now: datetime | None = None) -> bool:
    """Make `username` the expert of a waiting request; False when someone else was first.

    One statement, so the check and the change cannot be separated by another expert's take.
    `municipality` limits it to requests the account may see.
    """
    statement = _visible(
        update(HandoffRequest).where(HandoffRequest.id == handoff_id,
                                     HandoffRequest.status.in_(TRANSITIONS[Transition.TAKE].sources)),
        municipality,
    ).values(status=TRANSITIONS[Transition.TAKE].target, taken_by=username, taken_at=now or utcnow())
    result = session.execute(statement.execution_options(synchronize_session=False))
    return result.rowcount == 1


def close(session: Session, handoff_id: str, username: str, *, now: datetime | None = None) -> bool:
    """The expert who took it ends a chat; False when it was not theirs or no longer open.

    The request only: the gateway's `close_chat` and `hand_back` put the conversation back in BOT mode.
    """
    move = TRANSITIONS[Transition.CLOSE]
    result = session.execute(
        update(HandoffRequest)
        .where(HandoffRequest.id == handoff_id, HandoffRequest.status.in_(move.sources),
               HandoffRequest.taken_by == username)
        .values(status=move.target, closed_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


# --- the hand-over ends: the conversation goes back to the bot ---------------------------------------


class Ended(NamedTuple):
    """A hand-over that ended: the conversation (now in BOT mode) and its request's id (None if none)."""

    conversation: Conversation
    handoff_id: str | None


def _end(session: Session, conversation_id: str, transition: Transition,
         handoff_id: str | None = None) -> Ended | None:
    """Back to BOT mode, the request moved by `transition`; None when the conversation is not with an
    expert, or its request has a status the transition may not start from (e.g. taken, for expire).
    With `handoff_id`, only when that is the conversation's request (not a later one)."""
    move = TRANSITIONS[transition]
    # Locked first (PostgreSQL): a second gateway ending the same hand-over at the same moment waits
    # here, then reads the conversation as the first one left it (back in BOT mode) and does nothing.
    conversation = session.get(Conversation, conversation_id, with_for_update=True, populate_existing=True)
    if conversation is None or conversation.mode != ConversationMode.HUMAN:
        return None
    if handoff_id is not None and conversation.handoff_id != handoff_id:
        return None
    handoff_id = conversation.handoff_id
    # Locked (PostgreSQL), so an expert's take and a timeout cannot both win.
    found = session.get(HandoffRequest, handoff_id, with_for_update=True) if handoff_id else None
    now = utcnow()
    if found is not None and found.status not in FINAL:
        if found.status not in move.sources:
            return None
        found.status, found.closed_at = move.target, now
    conversation.mode, conversation.handoff_id = ConversationMode.BOT, None
    conversation.mode_since = conversation.updated_at = now
    return Ended(conversation, handoff_id)


def expire(session: Session, conversation_id: str, *, handoff_id: str | None = None) -> Ended | None:
    """Nobody took it within the timeout: waiting -> expired (the parent is offered a callback).

    `handoff_id`: the request the timeout was started for; a later request of the conversation stays.
    """
    return _end(session, conversation_id, Transition.EXPIRE, handoff_id)


def leave_waiting(session: Session, conversation_id: str) -> Ended | None:
    """The parent goes back to the bot only if no expert has taken it yet: waiting -> cancelled."""
    return _end(session, conversation_id, Transition.LEAVE_WAITING)


def cancel(session: Session, conversation_id: str) -> Ended | None:
    """The parent goes back to the bot ("terug naar de bot"), waiting or taken -> cancelled."""
    return _end(session, conversation_id, Transition.CANCEL)


def hand_back(session: Session, conversation_id: str) -> Ended | None:
    """The expert hands the conversation back to the bot: -> closed."""
    return _end(session, conversation_id, Transition.HAND_BACK)


def close_chat(session: Session, conversation_id: str) -> Ended | None:
    """The expert closes the chat; the parent goes on with the bot: -> closed."""
    return _end(session, conversation_id, Transition.CLOSE_CHAT)


# --- what an expert reads -----------------------------------------------------------------------------


@dataclass(frozen=True)
class HandoffView:
    """What an expert may know about a hand-over: context only, never a name or an address."""

    id: str
    conversation_id: str
    municipality: str
    channel: str | None
    topic: str | None
    reason: str | None
    screening_level: str | None
    screening_domains: tuple[str, ...]
    status: str
    created_at: datetime
    taken_by: str | None
    taken_at: datetime | None

    def waiting_seconds(self, now: datetime | None = None) -> int:
        """How long the parent waited: until taken, or until now while still waiting."""
        end = self.taken_at or now or utcnow()
        return max(0, int((end - self.created_at).total_seconds()))


def _view(found: HandoffRequest, conversation_channel: str | None = None) -> HandoffView:
    return HandoffView(
        id=found.id, conversation_id=found.conversation_id, municipality=found.municipality,
        channel=found.channel or conversation_channel, topic=found.topic, reason=found.reason,
        screening_level=found.screening_level, screening_domains=tuple(found.screening_domains or ()),
        status=found.status, created_at=found.created_at, taken_by=found.taken_by,
        taken_at=found.taken_at,
    )


def queue(session: Session, municipality: str) -> list[HandoffView]:
    """Waiting requests an account of `municipality` ("*" = all) may see, the longest waiting first."""
    statement = (
        select(HandoffRequest, Conversation.channel)
        .join(Conversation, Conversation.handoff_id == HandoffRequest.id)
        .where(HandoffRequest.status == HandoffStatus.WAITING, Conversation.mode == ConversationMode.HUMAN)
        .order_by(HandoffRequest.created_at, HandoffRequest.id)
    )
    rows = session.execute(_visible(statement, municipality))
    return [_view(found, channel) for found, channel in rows]


def get(session: Session, handoff_id: str) -> HandoffView | None:
    row = session.execute(
        select(HandoffRequest, Conversation.channel)
        .outerjoin(Conversation, Conversation.id == HandoffRequest.conversation_id)
        .where(HandoffRequest.id == handoff_id)
    ).first()
    return _view(*row) if row is not None else None


def taken_by(session: Session, username: str) -> list[HandoffView]:
    """The chats this expert took and has not ended yet, oldest first."""
    rows = session.execute(
        select(HandoffRequest, Conversation.channel)
        .outerjoin(Conversation, Conversation.id == HandoffRequest.conversation_id)
        .where(HandoffRequest.status == HandoffStatus.TAKEN, HandoffRequest.taken_by == username)
        .order_by(HandoffRequest.taken_at, HandoffRequest.id)
    ).all()
    return [_view(found, channel) for found, channel in rows]


# --- the live chat --------------------------------------------------------------------------------------


def add_live_message(session: Session, conversation_id: str, author: str, text: str) -> None:
    """One message of the live chat (user, expert or system), already redacted by the caller."""
    session.add(LiveMessage(conversation_id=conversation_id, author=author, text=text))


def live_messages(session: Session, conversation_id: str) -> list[LiveMessage]:
    """The live chat of a conversation (redacted when stored), in the order it was written."""
    return list(session.execute(
        select(LiveMessage).where(LiveMessage.conversation_id == conversation_id)
        .order_by(LiveMessage.created_at, LiveMessage.id)
    ).scalars())
