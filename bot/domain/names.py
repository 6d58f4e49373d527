"""The names every layer shares: statuses, modes and levels as they are stored, the time zone, and a few
fixed words. One place, so that the actions, the store, the gateway and the console cannot drift apart.

The enums are `str` enums: a member equals its stored value ("waiting" == HandoffStatus.WAITING), so
the database columns, their CHECK constraints and the migrations stay as they are, and a value read
back from the database compares equal to a member.
"""

from __future__ import annotations

import enum
from datetime import datetime, timezone
from zoneinfo import ZoneInfo

# Opening hours, callback windows and the figures' days are Dutch local time; the store keeps UTC.
TIMEZONE = ZoneInfo("Europe/Amsterdam")

# The municipality we do not know: what the gemeente slot holds when the parent would rather not say
# (or lives where we have no file), and the figures' key for rows without a municipality.
UNKNOWN_MUNICIPALITY = "onbekend"

# The intents of a safety signal (data/nlu/safety.yml); the screening and the figures look for them.
SAFETY_VIOLENCE = "safety_violence"
SAFETY_SUICIDE = "safety_suicide"
SAFETY_INTENTS = (SAFETY_VIOLENCE, SAFETY_SUICIDE)

# The custom payload Rasa's REST channel adds to an answer when a custom action failed on the way
# (privacy/rest_channel.py); the gateway replaces it with its "probeer het nog eens" text.
ACTION_FAILED = {"failed": "action"}


def action_failed(reply: dict) -> bool:
    return reply.get("custom") == ACTION_FAILED


def utcnow() -> datetime:
    """Now, aware, in UTC: what the store writes."""
    return datetime.now(timezone.utc)


class _StoredName(str, enum.Enum):
    """A str enum whose str() is its value too (Python 3.10 has no enum.StrEnum)."""

    def __str__(self) -> str:
        return str(self.value)

    @classmethod
    def values(cls) -> tuple[str, ...]:
        """The stored values, in declaration order (for CHECK constraints and messages)."""
        return tuple(member.value for member in cls)


class HandoffStatus(_StoredName):
    """A hand-over request: waiting in the queue, taken by an expert, or ended one of three ways."""

    WAITING = "waiting"
    TAKEN = "taken"
    CLOSED = "closed"  # the expert handed the conversation back or closed it
    CANCELLED = "cancelled"  # the parent stopped waiting (or erased the conversation)
    EXPIRED = "expired"  # no expert took it in time


class CallbackStatus(_StoredName):
    """A booked callback: pending until the expert records how the call went (or it is cancelled)."""

    PENDING = "pending"
    DONE = "done"
    NO_ANSWER = "no_answer"
    CANCELLED = "cancelled"


# How a callback can end: what the expert records, or the parent's cancellation.
CALLBACK_CLOSED = (CallbackStatus.DONE, CallbackStatus.NO_ANSWER, CallbackStatus.CANCELLED)


class ConversationMode(_StoredName):
    """Who answers a conversation: the bot (messages go to Rasa) or a human expert."""

    BOT = "bot"
    HUMAN = "human"


class ScreeningLevel(_StoredName):
    """The risk screening's outcome, from low to high (data/screening.yml sets the thresholds).

    The Dutch words an expert reads for them are in data/console_texts.yml (figures.labels.levels).
    """

    INFORMATIE = "informatie"
    ADVIES = "advies"
    DESKUNDIGE = "deskundige"
    URGENT = "urgent"


# The levels at which the screening offers an expert.
EXPERT_LEVELS = (ScreeningLevel.DESKUNDIGE, ScreeningLevel.URGENT)
