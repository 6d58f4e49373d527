"""The tables the assistant owns besides Rasa's tracker store. Anonymous: no names, ever.

Timestamps are UTC. `conversation_id` is Rasa's sender id, so a conversation's rows can be found
and erased together. Lists are JSON columns, which SQLite and PostgreSQL both support.
"""

from __future__ import annotations

import uuid
from datetime import datetime, timezone

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Column,
    Date,
    DateTime,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import declarative_base
from sqlalchemy.types import TypeDecorator

from bot.domain.names import CallbackStatus, ConversationMode, HandoffStatus, ScreeningLevel, utcnow

# Explicit constraint and index names, so that the hand-written migration and the models agree.
NAMING_CONVENTION = {
    "ix": "ix_%(table_name)s_%(column_0_N_name)s",
    "uq": "uq_%(table_name)s_%(column_0_N_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}

Base = declarative_base(metadata=MetaData(naming_convention=NAMING_CONVENTION))

HANDOFF_STATUSES = HandoffStatus.values()
CALLBACK_STATUSES = CallbackStatus.values()
SCREENING_LEVELS = ScreeningLevel.values()

# Rasa sender ids are uuids for the web chat and numbers for Telegram; 255 leaves room for others.
CONVERSATION_ID = 255


def new_id() -> str:
    return uuid.uuid4().hex


def _in(values: tuple[str, ...]) -> str:
    return ", ".join(f"'{value}'" for value in values)


class UTCDateTime(TypeDecorator):
    """Aware UTC datetimes in and out: SQLite stores no zone, PostgreSQL's timestamptz does."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: pass an aware (UTC) datetime")
        value = value.astimezone(timezone.utc)
        # SQLite's text format would drop the zone anyway; strip it so every row is plain UTC.
        return value.replace(tzinfo=None) if dialect.name == "sqlite" else value

    def process_result_value(self, value: datetime | None, dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            return value.replace(tzinfo=timezone.utc)
        return value.astimezone(timezone.utc)


class ExpertAvailability(Base):
    __tablename__ = "expert_availability"
    __table_args__ = (UniqueConstraint("municipality", "role", "title"),)

    id = Column(Integer, primary_key=True)
    municipality = Column(String(64), nullable=False, index=True)
    role = Column(String(64), nullable=False)
    title = Column(String(128), nullable=False)  # shown to the parent, e.g. "schuldhulpverlener"
    available = Column(Boolean, nullable=False, default=False)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow, onupdate=utcnow)


class HandoffRequest(Base):
    __tablename__ = "handoff_requests"
    __table_args__ = (CheckConstraint(f"status IN ({_in(HANDOFF_STATUSES)})", name="status"),)

    id = Column(String(32), primary_key=True, default=new_id)
    conversation_id = Column(String(CONVERSATION_ID), nullable=False, index=True)
    channel = Column(String(32), nullable=True)
    municipality = Column(String(64), nullable=False)
    topic = Column(String(64), nullable=True)
    reason = Column(String(64), nullable=True)
    screening_level = Column(String(16), nullable=True)
    screening_domains = Column(JSON, nullable=False, default=list)
    status = Column(String(16), nullable=False, default=HandoffStatus.WAITING.value, index=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    taken_by = Column(String(64), nullable=True)  # the expert's account name, not a person's name
    taken_at = Column(UTCDateTime, nullable=True)
    closed_at = Column(UTCDateTime, nullable=True)


class Callback(Base):
    __tablename__ = "callbacks"
    __table_args__ = (CheckConstraint(f"status IN ({_in(CALLBACK_STATUSES)})", name="status"),)

    id = Column(String(32), primary_key=True, default=new_id)
    reference = Column(String(6), nullable=False, unique=True)
    conversation_id = Column(String(CONVERSATION_ID), nullable=False, index=True)
    municipality = Column(String(64), nullable=False)
    slot_date = Column(Date, nullable=False)
    window_start = Column(Time, nullable=False)
    window_end = Column(Time, nullable=False)
    phone_encrypted = Column(Text, nullable=True)  # Fernet token; NULL once erased
    phone_masked = Column(String(32), nullable=False)
    status = Column(String(16), nullable=False, default=CallbackStatus.PENDING.value, index=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    closed_at = Column(UTCDateTime, nullable=True)
    phone_erased_at = Column(UTCDateTime, nullable=True)


class CallbackDraft(Base):
    """A phone number given in the callback form before a moment is chosen.

    It keeps the number out of the tracker between the form's two questions; booking turns it into
    a Callback with the same id, and drafts left behind are deleted within a day.
    """

    __tablename__ = "callback_drafts"

    id = Column(String(32), primary_key=True, default=new_id)
    conversation_id = Column(String(CONVERSATION_ID), nullable=False, index=True)
    municipality = Column(String(64), nullable=False)
    phone_encrypted = Column(Text, nullable=False)
    phone_masked = Column(String(32), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class CallbackSlot(Base):
    """How many callbacks one window holds; `booked` only changes through conditional updates."""

    __tablename__ = "callback_slots"
    __table_args__ = (
        UniqueConstraint("municipality", "slot_date", "window_start"),
        CheckConstraint("booked >= 0", name="booked"),
    )

    id = Column(Integer, primary_key=True)
    municipality = Column(String(64), nullable=False)
    slot_date = Column(Date, nullable=False)
    window_start = Column(Time, nullable=False)
    capacity = Column(Integer, nullable=False)
    booked = Column(Integer, nullable=False, default=0)


class ScreeningOutcome(Base):
    """The result of the screening only: never the answers' text."""

    __tablename__ = "screening_outcomes"
    __table_args__ = (CheckConstraint(f"level IN ({_in(SCREENING_LEVELS)})", name="level"),)

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(CONVERSATION_ID), nullable=False, index=True)
    municipality = Column(String(64), nullable=False)
    level = Column(String(16), nullable=False)
    domains = Column(JSON, nullable=False, default=list)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class SchemesOutcome(Base):
    __tablename__ = "schemes_outcomes"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(CONVERSATION_ID), nullable=False, index=True)
    municipality = Column(String(64), nullable=False)
    schemes = Column(JSON, nullable=False, default=list)  # scheme keys from the municipality file
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class Feedback(Base):
    __tablename__ = "feedback"

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(CONVERSATION_ID), nullable=False, index=True)
    municipality = Column(String(64), nullable=True)  # NULL: counted as "onbekend" in the figures
    context = Column(String(32), nullable=False)
    helpful = Column(Boolean, nullable=False)
    comment = Column(Text, nullable=True)  # always redacted before it gets here
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class Event(Base):
    """One anonymous count for the monitoring figures: deliberately no conversation_id."""

    __tablename__ = "events"

    id = Column(Integer, primary_key=True)
    kind = Column(String(40), nullable=False)
    municipality = Column(String(64), nullable=True)
    topic = Column(String(64), nullable=True)  # a topic key, for "questions per topic"
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)

    # The figures count events of one kind over a period.
    __table_args__ = (Index("ix_events_kind_created_at", "kind", "created_at"),)


# Tables whose rows belong to one conversation (erase_conversation deletes from all of them).
CONVERSATION_MODES = ConversationMode.values()
LIVE_AUTHORS = ("user", "expert", "system")


class Conversation(Base):
    """A conversation as the gateway sees it: where to deliver, and who answers (bot or human).

    `id` is Rasa's sender id, derived from the channel address with a secret (bot/gateway/router.py),
    so Rasa's tracker never holds a Telegram chat id. The address is needed to deliver an expert's
    messages and is erased with the conversation.
    """

    __tablename__ = "conversations"
    __table_args__ = (
        UniqueConstraint("channel", "address"),
        CheckConstraint(f"mode IN ({_in(CONVERSATION_MODES)})", name="mode"),
    )

    id = Column(String(CONVERSATION_ID), primary_key=True)
    channel = Column(String(16), nullable=False)
    address = Column(String(128), nullable=False)
    mode = Column(String(8), nullable=False, default=ConversationMode.BOT.value)
    handoff_id = Column(String(32), nullable=True)
    mode_since = Column(UTCDateTime, nullable=False, default=utcnow)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    updated_at = Column(UTCDateTime, nullable=False, default=utcnow)


class LiveMessage(Base):
    """A message of the live chat with an expert (HUMAN mode); redacted like the tracker store."""

    __tablename__ = "live_messages"
    __table_args__ = (CheckConstraint(f"author IN ({_in(LIVE_AUTHORS)})", name="author"),)

    id = Column(Integer, primary_key=True)
    conversation_id = Column(String(CONVERSATION_ID), nullable=False, index=True)
    author = Column(String(8), nullable=False)
    text = Column(Text, nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


# --- the expert console ---------------------------------------------------------------------------
ACCOUNT_ROLES = ("expert", "coordinator")
ALL_MUNICIPALITIES = "*"  # an account's municipality: a coordinator of every municipality


class ExpertAccount(Base):
    """A console login. `username` is a login name, not a person's name; `municipality` "*" = all."""

    __tablename__ = "expert_accounts"
    __table_args__ = (CheckConstraint(f"role IN ({_in(ACCOUNT_ROLES)})", name="role"),)

    id = Column(Integer, primary_key=True)
    username = Column(String(64), nullable=False, unique=True)
    password_hash = Column(Text, nullable=False)  # argon2id
    role = Column(String(16), nullable=False, default="expert")
    municipality = Column(String(64), nullable=False)
    expert_role = Column(String(64), nullable=True)  # a `team.experts[].role` of the municipality file
    title = Column(String(128), nullable=True)  # that entry's title
    available = Column(Boolean, nullable=False, default=False)
    active = Column(Boolean, nullable=False, default=True)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class ConsoleSession(Base):
    """A logged-in browser. Only the sha256 of the cookie value is kept, so a leaked table logs nobody in."""

    __tablename__ = "console_sessions"

    id = Column(Integer, primary_key=True)
    token_hash = Column(String(64), nullable=False, unique=True)
    account_id = Column(Integer, ForeignKey("expert_accounts.id", ondelete="CASCADE"), nullable=False)
    csrf_token = Column(String(64), nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)
    last_seen = Column(UTCDateTime, nullable=False, default=utcnow)
    expires_at = Column(UTCDateTime, nullable=False)


class LoginAttempt(Base):
    """One login attempt, kept for the rate limit; `key` is a sha256, never a name or address in clear."""

    __tablename__ = "login_attempts"

    id = Column(Integer, primary_key=True)
    key = Column(String(64), nullable=False, index=True)
    succeeded = Column(Boolean, nullable=False)
    created_at = Column(UTCDateTime, nullable=False, default=utcnow)


class PhoneView(Base):
    """Who looked at a callback's phone number, and when (an audit trail)."""

    __tablename__ = "phone_views"

    id = Column(Integer, primary_key=True)
    callback_id = Column(String(32), nullable=False, index=True)
    account = Column(String(64), nullable=False)  # the account's username
    viewed_at = Column(UTCDateTime, nullable=False, default=utcnow)


# Every table with a conversation_id: erased together when a user deletes the conversation.
CONVERSATION_TABLES = (HandoffRequest, Callback, CallbackDraft, ScreeningOutcome, SchemesOutcome, Feedback,
                       LiveMessage)
