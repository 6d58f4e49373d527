"""What the conversation leaves behind: outcomes, feedback, anonymous events.

Hand-over requests are made in handoffs.py, with the rest of their life.

Outcomes hold results only (a level, domain and scheme keys), never what the parent typed;
a feedback comment is redacted before it is stored. `erase_conversation` removes it all.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from bot.domain.names import CallbackStatus, ScreeningLevel, utcnow
from bot.domain.redact import redact
from bot.store.callbacks import release_place
from bot.store.models import (
    CONVERSATION_TABLES,
    Callback,
    Conversation,
    Event,
    ExpertAvailability,
    Feedback,
    SchemesOutcome,
    ScreeningOutcome,
)

# Event kinds and topics are identifiers ('faq_answered', 'wonen'): a free text could carry personal data.
_EVENT_KIND = re.compile(r"^[a-z][a-z0-9_]{1,39}$")
COMMENT_MAX_CHARS = 2000


def set_expert_availability(session: Session, municipality: str, role: str, title: str,
                            available: bool) -> ExpertAvailability:
    """Create or update one expert role's availability (the console's switch)."""
    row = session.execute(
        select(ExpertAvailability).where(
            ExpertAvailability.municipality == municipality,
            ExpertAvailability.role == role,
            ExpertAvailability.title == title,
        )
    ).scalar_one_or_none()
    if row is None:
        row = ExpertAvailability(municipality=municipality, role=role, title=title)
        session.add(row)
    row.available, row.updated_at = available, utcnow()
    session.flush()
    return row


def available_experts(session: Session, municipality: str) -> list[ExpertAvailability]:
    """The expert roles of a municipality that are available now."""
    return list(
        session.execute(
            select(ExpertAvailability)
            .where(ExpertAvailability.municipality == municipality, ExpertAvailability.available.is_(True))
            .order_by(ExpertAvailability.role, ExpertAvailability.title)
        ).scalars()
    )


def record_screening(session: Session, *, conversation_id: str, municipality: str, level: str,
                     domains: Iterable[str]) -> ScreeningOutcome:
    levels = ScreeningLevel.values()
    if level not in levels:
        raise ValueError(f"screening level must be one of {', '.join(levels)}, not {level!r}")
    outcome = ScreeningOutcome(conversation_id=conversation_id, municipality=municipality, level=level,
                               domains=list(domains))
    session.add(outcome)
    session.flush()
    return outcome


def latest_screening(session: Session, conversation_id: str) -> ScreeningOutcome | None:
    return session.execute(
        select(ScreeningOutcome)
        .where(ScreeningOutcome.conversation_id == conversation_id)
        .order_by(ScreeningOutcome.created_at.desc(), ScreeningOutcome.id.desc())
        .limit(1)
    ).scalar_one_or_none()


def record_schemes(session: Session, *, conversation_id: str, municipality: str,
                   schemes: Iterable[str]) -> SchemesOutcome:
    outcome = SchemesOutcome(conversation_id=conversation_id, municipality=municipality,
                             schemes=list(schemes))
    session.add(outcome)
    session.flush()
    return outcome


def record_feedback(session: Session, *, conversation_id: str, context: str, helpful: bool,
                    comment: str | None = None, municipality: str | None = None) -> Feedback:
    """Store a thumbs up/down; the comment loses phone numbers, e-mail addresses, IBANs and BSNs.

    `municipality` (a key; None when not known) lets the figures split the thumbs per municipality.
    """
    cleaned = redact(comment.strip())[:COMMENT_MAX_CHARS] if comment and comment.strip() else None
    feedback = Feedback(conversation_id=conversation_id, municipality=municipality, context=context,
                        helpful=helpful, comment=cleaned)
    session.add(feedback)
    session.flush()
    return feedback


def record_event(session: Session, kind: str, municipality: str | None = None, *, topic: str | None = None,
                 at: datetime | None = None) -> Event:
    """Count one anonymous event for the monitoring figures.

    `topic` is a topic key (for "questions per topic"); `at` the moment it happened, when that was
    earlier than now (the tracker store counts a message at the time it was sent).
    """
    if not _EVENT_KIND.match(kind or ""):
        raise ValueError(f"event kind must be a lower-case identifier such as 'faq_answered', not {kind!r}")
    if topic is not None and not _EVENT_KIND.match(topic):
        raise ValueError(f"an event's topic must be a key such as 'wonen', not {topic!r}")
    event = Event(kind=kind, municipality=municipality, topic=topic, created_at=at or utcnow())
    session.add(event)
    session.flush()
    return event


def erase_conversation(session: Session, conversation_id: str) -> int:
    """Delete every row of this conversation (callbacks included); returns how many rows went.

    Places held by its pending callbacks are given back first. Events hold no conversation id.
    """
    pending = session.execute(
        select(Callback)
        .where(Callback.conversation_id == conversation_id, Callback.status == CallbackStatus.PENDING)
        .with_for_update()
    ).scalars().all()
    for callback in pending:
        release_place(session, callback)
    deleted = session.execute(delete(Conversation).where(Conversation.id == conversation_id)).rowcount
    for model in CONVERSATION_TABLES:
        deleted += session.execute(
            delete(model).where(model.conversation_id == conversation_id)
            .execution_options(synchronize_session="evaluate")  # loaded objects become deleted too
        ).rowcount
    return deleted
