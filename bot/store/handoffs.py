"""The expert console's view of hand-over requests: the queue, taking one, the expert's own chats.

Taking is one conditional UPDATE (`status = 'waiting'`): the database lets exactly one of several
experts who click at the same moment win, on SQLite and on PostgreSQL alike. The queue only shows
requests the gateway actually put in the queue (a conversation in HUMAN mode points at them), so a
request whose parent can no longer be reached never waits for an expert.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from bot.domain.names import ConversationMode, HandoffStatus, utcnow
from bot.store.models import ALL_MUNICIPALITIES, Conversation, HandoffRequest, LiveMessage


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


def _view(request: HandoffRequest, conversation_channel: str | None = None) -> HandoffView:
    return HandoffView(
        id=request.id, conversation_id=request.conversation_id, municipality=request.municipality,
        channel=request.channel or conversation_channel, topic=request.topic, reason=request.reason,
        screening_level=request.screening_level, screening_domains=tuple(request.screening_domains or ()),
        status=request.status, created_at=request.created_at, taken_by=request.taken_by,
        taken_at=request.taken_at,
    )


def _visible(statement, municipality: str):
    return statement if municipality == ALL_MUNICIPALITIES else statement.where(
        HandoffRequest.municipality == municipality)


def queue(session: Session, municipality: str) -> list[HandoffView]:
    """Waiting requests an account of `municipality` ("*" = all) may see, the longest waiting first."""
    statement = (
        select(HandoffRequest, Conversation.channel)
        .join(Conversation, Conversation.handoff_id == HandoffRequest.id)
        .where(HandoffRequest.status == HandoffStatus.WAITING, Conversation.mode == ConversationMode.HUMAN)
        .order_by(HandoffRequest.created_at, HandoffRequest.id)
    )
    rows = session.execute(_visible(statement, municipality))
    return [_view(request, channel) for request, channel in rows]


def take(session: Session, handoff_id: str, username: str, *, municipality: str = ALL_MUNICIPALITIES,
         now: datetime | None = None) -> bool:
    """Make `username` the expert of a waiting request; False when someone else was first.

    One statement, so the check and the change cannot be separated by another expert's take.
    `municipality` limits it to requests the account may see.
    """
    statement = _visible(
        update(HandoffRequest).where(HandoffRequest.id == handoff_id,
                                     HandoffRequest.status == HandoffStatus.WAITING),
        municipality,
    ).values(status=HandoffStatus.TAKEN, taken_by=username, taken_at=now or utcnow())
    result = session.execute(statement.execution_options(synchronize_session=False))
    return result.rowcount == 1


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
    return [_view(request, channel) for request, channel in rows]


def close(session: Session, handoff_id: str, username: str, *, now: datetime | None = None) -> bool:
    """The expert who took it ends a chat; False when it was not theirs or no longer open."""
    result = session.execute(
        update(HandoffRequest)
        .where(HandoffRequest.id == handoff_id, HandoffRequest.status == HandoffStatus.TAKEN,
               HandoffRequest.taken_by == username)
        .values(status=HandoffStatus.CLOSED, closed_at=now or utcnow())
        .execution_options(synchronize_session=False)
    )
    return result.rowcount == 1


def live_messages(session: Session, conversation_id: str) -> list[LiveMessage]:
    """The live chat of a conversation (redacted when stored), in the order it was written."""
    return list(session.execute(
        select(LiveMessage).where(LiveMessage.conversation_id == conversation_id)
        .order_by(LiveMessage.created_at, LiveMessage.id)
    ).scalars())
