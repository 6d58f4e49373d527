"""What several actions need: the user's latest intent, yes/no answers, the municipality, the clock."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from rasa_sdk import Tracker

from bot.domain import municipalities
from bot.domain.names import SAFETY_INTENTS, SAFETY_SUICIDE, TIMEZONE, UNKNOWN_MUNICIPALITY
from bot.domain.yes_no import parse_yes_no
from language.gemeenten import canonical, fold

DECLINE_WORDS = ("zeg ik liever niet", "liever niet", "wil ik niet zeggen", "geen idee", "weet ik niet",
                 "maakt niet uit", "anoniem", "rather not")


def now() -> datetime:
    """Local Dutch time without tzinfo: opening hours and callback windows are local times."""
    return datetime.now(TIMEZONE).replace(tzinfo=None)


def latest_intent(tracker: Tracker) -> str | None:
    return (tracker.latest_message.get("intent") or {}).get("name")


def yes_no(tracker: Tracker, value: Any) -> bool | None:
    """A yes/no answer from a button (/affirm, /deny), the classifier, or the words themselves."""
    intent = latest_intent(tracker)
    text = tracker.latest_message.get("text") or (value if isinstance(value, str) else "")
    parsed = parse_yes_no(text) if text and not text.startswith("/") else None
    if parsed is not None:
        return parsed
    if intent in ("affirm", "feedback_positive"):
        return True
    if intent in ("deny", "feedback_negative"):
        return False
    return None


def find_gemeente_in_text(text: str) -> str | None:
    """The official name of a Dutch municipality, or a place in one of ours, named in the text."""
    words = fold(text).replace(",", " ").replace(".", " ").replace("?", " ").replace("!", " ").split()
    for size in (4, 3, 2, 1):
        for start in range(len(words) - size + 1):
            candidate = " ".join(words[start:start + size])
            ours = municipalities.find(candidate)
            if ours is not None:
                return ours.name
            official = canonical(candidate)
            if official is not None:
                return official
    return None


def gemeente_from_answer(text: str) -> str | None:
    """The value for the gemeente slot from an answer: a name, UNKNOWN_MUNICIPALITY, or None (ask again)."""
    if not text:
        return None
    found = find_gemeente_in_text(text)
    if found:
        return found
    lowered = text.lower()
    if text.strip() == "/deny" or any(words in lowered for words in DECLINE_WORDS):
        return UNKNOWN_MUNICIPALITY
    return None


def municipality_of(tracker: Tracker) -> tuple[municipalities.Municipality, bool]:
    """The municipality whose team and schemes apply, and whether it really is the user's own.

    Without a file for the user's municipality the default team helps, and the bot says so.
    """
    name = tracker.get_slot("gemeente")
    found = municipalities.find(name) if name and name != UNKNOWN_MUNICIPALITY else None
    if found is not None:
        return found, True
    return municipalities.default_municipality(), False


def own_phone(municipality: municipalities.Municipality) -> str | None:
    """The team's phone number when the file marks it as checked: then the parent may call it."""
    team = municipality.team
    return team.phone if team.phone and municipalities.is_verified(municipality, "team.phone") else None


def safety_signals(tracker: Tracker) -> set[str]:
    """The safety intents the user's messages in this conversation got (violence, suicide)."""
    return {
        intent for event in tracker.events if event.get("event") == "user"
        if (intent := (event.get("parse_data") or {}).get("intent", {}).get("name")) in SAFETY_INTENTS
    }


def had_safety_signal(tracker: Tracker) -> bool:
    return bool(safety_signals(tracker))


def suicide_signal(tracker: Tracker) -> bool:
    return SAFETY_SUICIDE in safety_signals(tracker)
